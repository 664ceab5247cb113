"""Products and stock moves over the REST API, for each role."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from inventory import services
from inventory.models import Product, StockMove, StockReason
from inventory.services import StockLine
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ServiceFactory,
    TaxRateFactory,
)

PRODUCTS = "/api/v1/products/"
MOVES = "/api/v1/stock-moves/"
ROLES = [Role.USER, Role.ADMIN, Role.SUPER_ADMIN]


def detail(product):
    return f"{PRODUCTS}{product.pk}/"


def new_product(**overrides):
    return {
        "name": "USB-C cable",
        "sku": "CAB-USBC-1M",
        "barcode": "5012345678900",
        "sale_price": "12.50",
        "cost_price": "4.10",
        "tax_rate": TaxRateFactory().pk,
        "category": CategoryFactory(name="Cables").pk,
        **overrides,
    }


# Reading products.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_products(api_client, role):
    product = ProductFactory(name="Phone case")
    response = api_client(UserFactory(role=role)).get(PRODUCTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert set(body) == {"count", "next", "previous", "results"}
    row = body["results"][0]
    assert row["id"] == product.pk
    assert row["name"] == "Phone case"
    assert row["sale_price"] == "19.99"
    assert row["category_name"] == product.category.name
    assert row["stock_state"] == "out"


@pytest.mark.parametrize(("role", "cost"), [(Role.USER, None), (Role.ADMIN, "8.00")])
def test_cost_prices_are_shown_only_to_admins(api_client, role, cost):
    product = ProductFactory()
    response = api_client(UserFactory(role=role)).get(detail(product))
    assert response.status_code == 200
    assert response.json()["cost_price"] == cost


def test_products_need_credentials(api_client):
    ProductFactory()
    response = api_client().get(PRODUCTS)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


def test_an_unknown_product_is_404_with_the_error_body(api_client, cashier):
    response = api_client(cashier).get(f"{PRODUCTS}999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_products_are_paginated(api_client, cashier):
    ProductFactory.create_batch(3)
    client = api_client(cashier)
    first = client.get(PRODUCTS, {"page_size": 2}).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    assert first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_a_page_holds_at_most_200(api_client, cashier):
    from rest_framework.settings import api_settings

    pagination = api_settings.DEFAULT_PAGINATION_CLASS
    assert (pagination.page_size, pagination.max_page_size) == (50, 200)
    ProductFactory.create_batch(3)
    response = api_client(cashier).get(PRODUCTS, {"page_size": 100000})
    assert response.status_code == 200


def names(response):
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_products_filter_by_search_category_state_and_stock(api_client, manager):
    cables = CategoryFactory(name="Cables")
    cable = ProductFactory(name="Lightning cable", category=cables, reorder_level=2)
    ProductFactory(name="Old cable", category=cables, active=False)
    case = ProductFactory(
        name="Phone case", sku="CASE-01", barcode="999", reorder_level=1
    )
    ServiceFactory(name="Screen fitting")
    services.record_opening_stock([StockLine(case, 5)], by=manager)
    client = api_client(manager)
    assert names(client.get(PRODUCTS, {"q": "lightning"})) == ["Lightning cable"]
    assert names(client.get(PRODUCTS, {"q": "case-01"})) == ["Phone case"]
    assert names(client.get(PRODUCTS, {"q": "999"})) == ["Phone case"]
    assert names(client.get(PRODUCTS, {"category": cables.pk, "active": "true"})) == [
        cable.name
    ]
    assert names(client.get(PRODUCTS, {"low_stock": "true"})) == [
        "Lightning cable",
        "Old cable",
    ]
    assert names(client.get(PRODUCTS, {"stock": "in"})) == ["Phone case"]
    assert names(client.get(PRODUCTS, {"tracks_stock": "false"})) == ["Screen fitting"]


def test_a_bad_filter_value_is_400_with_the_field(api_client, cashier):
    response = api_client(cashier).get(PRODUCTS, {"category": "not-a-number"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "category" in error["fields"]


def test_products_are_ordered_on_request(api_client, cashier):
    ProductFactory(name="Cheap", sale_price=Decimal("1.00"))
    ProductFactory(name="Dear", sale_price=Decimal("99.00"))
    client = api_client(cashier)
    assert names(client.get(PRODUCTS)) == ["Cheap", "Dear"]
    assert names(client.get(PRODUCTS, {"ordering": "-sale_price"})) == ["Dear", "Cheap"]


def test_the_product_list_costs_a_fixed_number_of_queries(
    api_client, cashier, django_assert_max_num_queries
):
    ProductFactory.create_batch(20)
    client = api_client(cashier)
    # The token and its last use, the count, the page with its categories,
    # suppliers and tax rates.
    with django_assert_max_num_queries(4):
        response = client.get(PRODUCTS)
    assert len(response.json()["results"]) == 20


# Writing products.


def test_an_admin_creates_a_product_with_opening_stock(api_client, manager):
    response = api_client(manager).post(PRODUCTS, new_product(opening_stock=6))
    assert response.status_code == 201, response.json()
    product = Product.objects.get(sku="CAB-USBC-1M")
    assert response.json()["id"] == product.pk
    assert response.json()["on_hand"] == 6
    assert product.sale_price == Decimal("12.50")
    assert product.cost_price == Decimal("4.10")
    assert product.on_hand == 6
    move = StockMove.objects.get(product=product)
    assert (move.reason, move.user) == (StockReason.OPENING, manager)
    assert product.history.get().history_user == manager


def test_a_user_cannot_create_a_product(api_client, cashier):
    response = api_client(cashier).post(PRODUCTS, new_product())
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "permission_denied",
        "message": "Your role does not allow this.",
    }
    assert not Product.objects.exists()


def test_bad_input_is_400_with_the_fields_and_writes_nothing(api_client, manager):
    response = api_client(manager).post(
        PRODUCTS, new_product(name="", sale_price="-1", tax_rate=999999)
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "invalid"
    assert error["message"] == "Check the fields marked."
    assert set(error["fields"]) == {"name", "sale_price", "tax_rate"}
    assert not Product.objects.exists()


def test_a_refusal_of_the_service_is_400_with_its_message(api_client, manager):
    ProductFactory(sku="CAB-USBC-1M")
    response = api_client(manager).post(
        PRODUCTS, new_product(sku="cab-usbc-1m", barcode="")
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Another product already has this SKU."
    assert Product.objects.count() == 1


def test_an_admin_changes_a_price(api_client, manager):
    product = ProductFactory()
    response = api_client(manager).patch(detail(product), {"sale_price": "24.00"})
    assert response.status_code == 200, response.json()
    assert response.json()["sale_price"] == "24.00"
    product.refresh_from_db()
    assert product.sale_price == Decimal("24.00")
    assert product.history.latest().history_user == manager


def test_an_admin_replaces_a_product(api_client, manager):
    product = ProductFactory()
    response = api_client(manager).put(detail(product), new_product(name="Renamed"))
    assert response.status_code == 200, response.json()
    product.refresh_from_db()
    assert (product.name, product.sku) == ("Renamed", "CAB-USBC-1M")


def test_a_user_cannot_change_a_price(api_client, cashier):
    product = ProductFactory()
    response = api_client(cashier).patch(detail(product), {"sale_price": "0.01"})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.sale_price == Decimal("19.99")


def test_the_services_rules_hold_on_update(api_client, manager):
    product = ProductFactory(name="Charger")
    services.record_opening_stock([StockLine(product, 2)], by=manager)
    response = api_client(manager).patch(detail(product), {"tracks_stock": False})
    assert response.status_code == 400
    assert "count it down to zero" in response.json()["error"]["message"]
    product.refresh_from_db()
    assert product.tracks_stock


@pytest.mark.parametrize(
    ("change", "field"),
    [({"opening_stock": 5}, "opening_stock"), ({"cost_price": None}, "cost_price")],
)
def test_updates_refuse_opening_stock_and_an_empty_cost(
    api_client, manager, change, field
):
    product = ProductFactory()
    response = api_client(manager).patch(detail(product), change, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not product.moves.exists()


def test_products_cannot_be_deleted_through_the_api(api_client, manager):
    product = ProductFactory()
    response = api_client(manager).delete(detail(product))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert Product.objects.filter(pk=product.pk).exists()


# Stock moves.


@pytest.fixture
def ledger(manager, cashier):
    cable = ProductFactory(name="Cable")
    case = ProductFactory(name="Case")
    services.receive_stock(
        [StockLine(cable, 5, "2.00"), StockLine(case, 3, "1.50")],
        by=manager,
        supplier=cable.supplier,
    )
    services.take_stock([StockLine(cable, 2)], by=cashier, reference_label="R-1")
    return {"cable": cable, "case": case}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_stock_ledger(api_client, ledger, role):
    response = api_client(UserFactory(role=role)).get(MOVES)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    newest = rows[0]
    assert (newest["product_name"], newest["quantity"]) == ("Cable", -2)
    assert (newest["reason"], newest["balance_after"]) == ("sale", 3)


@pytest.mark.parametrize(("role", "cost"), [(Role.USER, None), (Role.ADMIN, "2.00")])
def test_unit_costs_of_moves_are_shown_only_to_admins(api_client, ledger, role, cost):
    response = api_client(UserFactory(role=role)).get(
        MOVES, {"product": ledger["cable"].pk, "reason": "receive"}
    )
    assert [row["unit_cost"] for row in response.json()["results"]] == [cost]


def test_stock_moves_filter_by_product_reason_and_dates(api_client, ledger, cashier):
    client = api_client(cashier)

    def quantities(**params):
        response = client.get(MOVES, params)
        assert response.status_code == 200, response.json()
        return sorted(row["quantity"] for row in response.json()["results"])

    assert quantities(product=ledger["cable"].pk) == [-2, 5]
    assert quantities(reason="sale") == [-2]
    assert quantities(reason=["receive", "sale"]) == [-2, 3, 5]
    now = timezone.now().isoformat()
    assert quantities(created_after=now) == []
    assert quantities(created_before=now) == [-2, 3, 5]


def test_stock_moves_are_read_only(api_client, ledger, manager):
    response = api_client(manager).post(
        MOVES, {"product": ledger["cable"].pk, "quantity": 5}
    )
    assert response.status_code == 405
    assert StockMove.objects.count() == 3


def test_stock_moves_need_credentials(api_client, ledger):
    assert api_client().get(MOVES).status_code == 401


def test_the_stock_move_list_costs_a_fixed_number_of_queries(
    api_client, manager, django_assert_max_num_queries
):
    products = ProductFactory.create_batch(10)
    for product in products:
        services.receive_stock(
            [StockLine(product, 4, "1.00")], by=manager, supplier=product.supplier
        )
    client = api_client(manager)
    # The token and its last use, the count, the page with products and users.
    with django_assert_max_num_queries(4):
        response = client.get(MOVES)
    assert len(response.json()["results"]) == 10
