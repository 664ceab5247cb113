"""The inventory pages as each role sees them, then the database state."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import Notification, Role, ShopSettings, TaxRate
from accounts.services import notify
from accounts.tests.factories import UserFactory
from inventory.exports import COLUMNS
from inventory.forms import ProductForm
from inventory.models import (
    Category,
    GoodsReceipt,
    Product,
    StockCount,
    StockMove,
    StockReason,
    Supplier,
)
from inventory.services import (
    StockLine,
    count_stock,
    receive_stock,
    record_opening_stock,
    take_stock,
)
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ServiceFactory,
    SupplierFactory,
)

SIGN_IN = reverse("accounts:login")
HOME = reverse("reports:home")


def html(response):
    return response.content.decode()


def url(name, *args):
    return reverse(f"inventory:{name}", args=[getattr(a, "pk", a) for a in args])


def fresh(product):
    return Product.objects.get(pk=product.pk)


def stocked(quantity, by, **fields):
    """A new product holding `quantity` units of opening stock."""
    product = ProductFactory(**fields)
    if quantity:
        record_opening_stock([StockLine(product, quantity)], by=by)
    return fresh(product)


def snapshot():
    """Everything these views could write, to prove a refusal wrote nothing."""
    ShopSettings.load()  # any page creates it on first use; that is no change
    return (
        list(Product.objects.order_by("pk").values()),
        list(StockMove.objects.order_by("pk").values_list("pk", flat=True)),
        list(GoodsReceipt.objects.values_list("pk", flat=True)),
        list(StockCount.objects.values_list("pk", flat=True)),
        list(Category.objects.order_by("pk").values()),
        list(Supplier.objects.order_by("pk").values()),
        Product.history.count(),
    )


def new_product(**overrides):
    """POST data for the new-product form; a None override leaves a field out."""
    data = {
        "name": "Blue kettle",
        "sku": "KET-1",
        "barcode": "5012345678900",
        "sale_price": "24.50",
        "cost_price": "11.20",
        "tax_rate": TaxRate.default().pk,
        "tracks_stock": "on",
        "reorder_level": "3",
        "description": "",
        "opening_stock": "12",
    }
    return {k: v for k, v in (data | overrides).items() if v is not None}


def edit(product, **overrides):
    """POST data for the edit form from the product's current values."""
    form = ProductForm(instance=product)
    data = {name: form[name].value() for name in form.fields if name != "image"}
    return {k: v for k, v in (data | overrides).items() if v not in (None, False)}


def receipt(supplier, *rows, reference=""):
    """POST data for the receive form: rows of (SKU or barcode, quantity, unit cost)."""
    data = {
        "receipt-supplier": supplier.pk,
        "receipt-supplier_reference": reference,
        "receipt-note": "",
        "lines-TOTAL_FORMS": len(rows),
        "lines-INITIAL_FORMS": 0,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    for i, (code, quantity, unit_cost) in enumerate(rows):
        data |= {f"lines-{i}-product": code, f"lines-{i}-quantity": quantity}
        data |= {f"lines-{i}-unit_cost": unit_cost}
    return data


def listed(client, **query):
    response = client.get(url("product_list"), query)
    assert response.status_code == 200
    return [row.record.name for row in response.context["table"].paginated_rows]


# Denials


@pytest.fixture
def things(manager):
    """One of everything a page can be about."""
    product = stocked(5, manager)
    goods = receive_stock(
        [StockLine(product, 5, "5.00")], by=manager, supplier=product.supplier
    )
    counted = count_stock({product: 9}, by=manager)
    return {
        "product": product,
        "receipt": goods,
        "count": counted,
        "category": product.category,
        "supplier": product.supplier,
    }


# Each page and what it is about; the first three are open to every role.
PAGES = {
    "product_list": None,
    "product_detail": "product",
    "product_search": None,
    "product_export": None,
    "product_create": None,
    "product_update": "product",
    "product_deactivate": "product",
    "product_reactivate": "product",
    "product_delete": "product",
    "stock_adjust": "product",
    "stock_receive": None,
    "receipt_detail": "receipt",
    "stock_count": None,
    "count_detail": "count",
    "low_stock": None,
    "category_list": None,
    "category_create": None,
    "category_update": "category",
    "supplier_list": None,
    "supplier_create": None,
    "supplier_update": "supplier",
}
POST_ONLY = {"product_deactivate", "product_reactivate", "product_delete"}
POST_ONLY |= {"stock_adjust"}
FOR_ADMINS = list(PAGES)[3:]


def page(name, things):
    about = PAGES[name]
    return url(name, things[about]) if about else url(name)


def intrusion(things):
    """Data that would change something on any of these pages if it were accepted."""
    product = things["product"]
    data = edit(product, name="Hijacked", sku="HIJACK", sale_price="0.01")
    data |= {"quantity": "-1", "note": "stolen", f"count_{product.pk}": "0"}
    data |= receipt(things["supplier"], (product.sku, 50, "0.01"))
    return data | {"opening_stock": "9", "active": "on"}


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, things, name):
    before = snapshot()
    target = page(name, things)
    responses = [client.post(target, intrusion(things))]
    if name not in POST_ONLY:
        responses.append(client.get(target))
    for response in responses:
        assert response.status_code == 302
        assert response.url == f"{SIGN_IN}?next={target}"
    assert snapshot() == before


@pytest.mark.parametrize("name", FOR_ADMINS)
def test_users_are_refused_the_admin_pages(cashier_client, things, name):
    before = snapshot()
    target = page(name, things)
    assert cashier_client.post(target, intrusion(things)).status_code == 403
    if name not in POST_ONLY:
        assert cashier_client.get(target).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("actor", ["cashier_client", "manager_client", "owner_client"])
def test_every_role_sees_the_product_pages(request, things, actor):
    client = request.getfixturevalue(actor)
    product = things["product"]
    assert listed(client) == [product.name]
    response = client.get(url("product_detail", product))
    assert response.status_code == 200
    assert f'data-testid="on-hand">{fresh(product).on_hand}<' in html(response)
    assert fresh(product).on_hand == 9


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_pages_that_change_a_product_refuse_a_get(manager_client, things, name):
    before = snapshot()
    assert manager_client.get(page(name, things)).status_code == 405
    assert snapshot() == before


# Product list


def test_the_product_list_searches_name_exact_sku_and_exact_barcode(
    cashier_client, manager
):
    kettle = ProductFactory(name="Blue kettle", sku="KET-1", barcode="5012345678900")
    ProductFactory(name="Red toaster", sku="TOA-9", barcode="5098765432109")
    assert listed(cashier_client, q="kettle") == ["Blue kettle"]
    assert listed(cashier_client, q="toa-9") == ["Red toaster"]
    assert listed(cashier_client, q=kettle.barcode) == ["Blue kettle"]
    assert listed(cashier_client, q="50123456") == []
    assert listed(cashier_client, q="nothing like it") == []


def test_the_product_list_filters_by_category_supplier_stock_and_status(
    cashier_client, manager
):
    tools, acme = CategoryFactory(name="Tools"), SupplierFactory(name="Acme")
    stocked(10, manager, name="Full", category=tools, reorder_level=2)
    stocked(2, manager, name="Low", supplier=acme, reorder_level=2)
    ProductFactory(name="Empty", category=tools, supplier=acme)
    ServiceFactory(name="Repair labour")
    ProductFactory(name="Retired", active=False)
    assert listed(cashier_client, category=tools.pk) == ["Empty", "Full"]
    assert listed(cashier_client, supplier=acme.pk) == ["Empty", "Low"]
    assert listed(cashier_client, stock="in") == ["Full"]
    assert listed(cashier_client, stock="low") == ["Low"]
    assert listed(cashier_client, stock="out") == ["Empty", "Retired"]
    assert listed(cashier_client, active="false") == ["Retired"]
    assert "Retired" not in listed(cashier_client, active="true")
    assert len(listed(cashier_client)) == 5


def test_the_product_list_sorts_by_name_and_by_price(cashier_client):
    ProductFactory(name="Bravo", sale_price=Decimal("5.00"))
    ProductFactory(name="Alpha", sale_price=Decimal("1.00"))
    ProductFactory(name="Charlie", sale_price=Decimal("9.00"))
    assert listed(cashier_client, sort="name") == ["Alpha", "Bravo", "Charlie"]
    assert listed(cashier_client, sort="-sale_price") == ["Charlie", "Bravo", "Alpha"]


def test_the_product_list_shows_fifty_products_a_page(cashier_client):
    ProductFactory.create_batch(60)
    assert len(listed(cashier_client)) == 50
    assert len(listed(cashier_client, page=2)) == 10


def test_only_admins_see_costs_on_the_product_list(cashier_client, manager_client):
    ProductFactory(cost_price=Decimal("7.31"))
    for client, shown in [(cashier_client, False), (manager_client, True)]:
        page_html = html(client.get(url("product_list")))
        assert ("Cost</a>" in page_html) is shown
        assert ("Value at cost" in page_html) is shown
        assert ("$7.31" in page_html) is shown


PRODUCT_LIST_QUERY_BUDGET = 8


@pytest.mark.parametrize("products", [5, 60])
def test_the_product_list_keeps_to_its_query_budget(
    manager_client, manager, django_assert_max_num_queries, products
):
    for _ in range(products):
        stocked(3, manager)
    ShopSettings.load()  # created once, by the first page ever shown
    with django_assert_max_num_queries(PRODUCT_LIST_QUERY_BUDGET):
        response = manager_client.get(url("product_list"))
    assert len(response.context["table"].paginated_rows) == min(products, 50)


# Product export


def workbook_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(values_only=True))


def test_admin_exports_the_filtered_products_as_a_workbook(manager_client, manager):
    stocked(4, manager, name="Blue kettle", sku="KET-1", sale_price=Decimal("24.50"))
    ProductFactory(name="Red toaster", sku="TOA-9")
    response = manager_client.get(url("product_export"))
    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    assert ".xlsx" in response["Content-Disposition"]
    header, *rows = workbook_rows(response)
    assert list(header) == [label for _key, label, _width in COLUMNS]
    assert [row[0] for row in rows] == ["KET-1", "TOA-9"]

    filtered = manager_client.get(url("product_export"), {"q": "kettle"})
    _header, row = workbook_rows(filtered)
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "Blue kettle"
    assert record["On hand"] == 4
    money = [record["Sale price"], record["Cost price"]]
    assert all(isinstance(cell, int | float) for cell in money)
    assert [Decimal(str(cell)) for cell in money] == [Decimal("24.50"), Decimal("8.00")]


# Product detail


def test_the_product_page_shows_its_moves_twenty_at_a_time(cashier_client, manager):
    product = ProductFactory()
    receive_stock(
        [StockLine(product, 1, "5.00")] * 25, by=manager, supplier=product.supplier
    )
    first = cashier_client.get(url("product_detail", product))
    second = cashier_client.get(url("product_detail", product), {"moves-page": 2})
    assert len(first.context["moves"].page.object_list) == 20
    assert len(second.context["moves"].page.object_list) == 5
    assert 'data-testid="on-hand">25<' in html(first)


def test_only_admins_see_the_stock_value_on_the_product_page(
    cashier_client, manager_client, manager
):
    product = stocked(5, manager, cost_price=Decimal("8.00"))
    page_html = html(cashier_client.get(url("product_detail", product)))
    assert 'data-testid="stock-value"' not in page_html
    assert "$8.00" not in page_html
    page_html = html(manager_client.get(url("product_detail", product)))
    assert 'data-testid="stock-value">$40.00<' in page_html


PRODUCT_PAGE_QUERY_BUDGET = 7


@pytest.mark.parametrize("moves", [3, 40])
def test_the_product_page_keeps_to_its_query_budget(
    manager_client, manager, django_assert_max_num_queries, moves
):
    product = ProductFactory()
    receive_stock(
        [StockLine(product, 1, "5.00")] * moves, by=manager, supplier=product.supplier
    )
    ShopSettings.load()
    with django_assert_max_num_queries(PRODUCT_PAGE_QUERY_BUDGET):
        response = manager_client.get(url("product_detail", product))
    assert len(response.context["moves"].page.object_list) == min(moves, 20)


# Product create


def test_admin_creates_a_product_with_opening_stock(manager_client, manager):
    tools = CategoryFactory(name="Tools")
    data = new_product(category=tools.pk)
    response = manager_client.post(url("product_create"), data)
    product = Product.objects.get(sku="KET-1")
    assert response.url == url("product_detail", product)
    assert [product.name, product.barcode] == ["Blue kettle", "5012345678900"]
    assert product.category == tools
    assert product.sale_price == Decimal("24.50")
    assert product.cost_price == Decimal("11.20")
    assert product.on_hand == 12
    [move] = StockMove.objects.filter(product=product)
    assert (move.reason, move.quantity, move.user) == (StockReason.OPENING, 12, manager)
    assert product.history.latest().history_user == manager


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"tracks_stock": None}, "A service holds no stock.", id="service"),
        pytest.param(
            {"sku": "TAKEN-1"}, "Another product already has this SKU.", id="sku"
        ),
        pytest.param({"sale_price": "-1.00"}, "greater than or equal to 0", id="neg"),
        pytest.param({"sale_price": "1.999"}, "no more than 2 decimal", id="3dp"),
        pytest.param({"sale_price": "abc"}, "Enter a number.", id="not-a-number"),
        pytest.param({"name": "x" * 201}, "at most 200 characters", id="long-name"),
        pytest.param({"opening_stock": "-2"}, "greater than or equal", id="neg-stock"),
    ],
)
def test_bad_new_product_input_shows_an_error_and_writes_nothing(
    manager_client, overrides, message
):
    ProductFactory(sku="TAKEN-1", barcode="4000000000001")
    before = snapshot()
    response = manager_client.post(url("product_create"), new_product(**overrides))
    assert response.status_code == 200
    assert message in html(response)
    assert snapshot() == before


def post_duplicate(client, **overrides):
    ProductFactory(sku="TAKEN-1", barcode="4000000000001")
    before = snapshot()
    response = client.post(url("product_create"), new_product(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before
    return response


def test_a_duplicate_barcode_is_refused_and_writes_nothing(manager_client):
    post_duplicate(manager_client, barcode="4000000000001")


def test_a_duplicate_barcode_error_says_the_barcode_is_taken(manager_client):
    response = post_duplicate(manager_client, barcode="4000000000001")
    assert "product_barcode_unique" not in html(response)
    errors = " ".join(m for ms in response.context["form"].errors.values() for m in ms)
    assert "barcode" in errors.lower()


def test_a_sku_that_differs_only_in_case_is_a_duplicate(manager_client):
    post_duplicate(manager_client, sku="taken-1")


def test_a_name_with_a_script_tag_is_stored_as_text_and_shown_escaped(
    manager_client, cashier_client
):
    name = "<script>alert(1)</script>"
    manager_client.post(url("product_create"), new_product(name=name))
    product = Product.objects.get(sku="KET-1")
    assert product.name == name
    for client in (manager_client, cashier_client):
        page_html = html(client.get(url("product_detail", product)))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html
        assert name not in page_html
        assert name not in html(client.get(url("product_list")))


# Product update, deactivate, reactivate and delete


def test_admin_changes_a_price_and_the_history_keeps_the_old_one(
    manager_client, manager
):
    product = stocked(3, manager, sale_price=Decimal("19.99"))
    versions = product.history.count()
    data = edit(product, sale_price="21.50")
    response = manager_client.post(url("product_update", product), data)
    assert response.url == url("product_detail", product)
    product = fresh(product)
    assert product.sale_price == Decimal("21.50")
    assert product.on_hand == 3
    assert product.history.count() == versions + 1
    latest = product.history.latest()
    assert latest.history_user == manager
    assert latest.prev_record.sale_price == Decimal("19.99")


def test_a_product_holding_stock_cannot_stop_tracking_it(manager_client, manager):
    product = stocked(5, manager)
    before = snapshot()
    data = edit(product, tracks_stock=False)
    response = manager_client.post(url("product_update", product), data)
    assert response.status_code == 200
    assert "has 5 in stock; count it down to zero" in html(response)
    assert snapshot() == before


def test_a_bad_price_on_the_edit_form_changes_nothing(manager_client, manager):
    product = stocked(5, manager)
    before = snapshot()
    data = edit(product, sale_price="-3")
    response = manager_client.post(url("product_update", product), data)
    assert response.status_code == 200
    assert "greater than or equal to 0" in html(response)
    assert snapshot() == before


@pytest.mark.parametrize("retired", ["supplier", "tax_rate"])
def test_a_product_of_a_retired_supplier_or_tax_rate_can_still_be_edited(
    manager_client, manager, retired
):
    product = stocked(3, manager, sale_price=Decimal("19.99"))
    type(getattr(product, retired)).objects.update(active=False)
    data = edit(product, sale_price="21.50")
    response = manager_client.post(url("product_update", product), data)
    assert response.status_code == 302
    assert fresh(product).sale_price == Decimal("21.50")
    assert getattr(fresh(product), retired) == getattr(product, retired)


def test_admin_deactivates_and_reactivates_a_product(manager_client, manager):
    product = stocked(2, manager, name="Old kettle")
    response = manager_client.post(url("product_deactivate", product))
    assert response.url == url("product_detail", product)
    assert fresh(product).active is False
    assert listed(manager_client, active="false") == ["Old kettle"]
    assert listed(manager_client, active="true") == []
    manager_client.post(url("product_reactivate", product))
    assert fresh(product).active is True
    assert fresh(product).on_hand == 2


def test_admin_deletes_a_product_that_has_no_moves(manager_client):
    product = ProductFactory()
    response = manager_client.post(url("product_delete", product))
    assert response.url == url("product_list")
    assert not Product.objects.filter(pk=product.pk).exists()


def test_a_product_with_moves_can_only_be_deactivated(manager_client, manager):
    product = stocked(1, manager)
    before = snapshot()
    response = manager_client.post(url("product_delete", product), follow=True)
    assert "can only be deactivated" in html(response)
    assert Product.objects.filter(pk=product.pk).exists()
    assert snapshot() == before


# Stock adjust


def test_admin_adjusts_stock_with_a_reason(manager_client, manager):
    product = stocked(10, manager)
    data = {"quantity": "-3", "note": "Dropped"}
    response = manager_client.post(url("stock_adjust", product), data, follow=True)
    assert "has been adjusted" in html(response)
    assert fresh(product).on_hand == 7
    move = StockMove.objects.get(product=product, reason=StockReason.ADJUSTMENT)
    assert (move.quantity, move.note, move.user) == (-3, "Dropped", manager)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "-3", "note": ""}, "The stock was not adjusted"),
        ({"quantity": "0", "note": "Dropped"}, "Enter a change other than zero."),
        ({"quantity": "abc", "note": "Dropped"}, "Enter a whole number."),
        ({"quantity": "-11", "note": "Lost"}, "Hammer has 10 in stock; it cannot go"),
    ],
    ids=["no-reason", "zero", "not-a-number", "below-zero"],
)
def test_a_bad_adjustment_shows_a_message_and_writes_nothing(
    manager_client, manager, data, message
):
    product = stocked(10, manager, name="Hammer")
    before = snapshot()
    response = manager_client.post(url("stock_adjust", product), data, follow=True)
    assert message in html(response)
    assert "has been adjusted" not in html(response)
    assert snapshot() == before
    assert fresh(product).on_hand == 10


# Stock receive


def test_admin_receives_stock_by_sku_and_barcode_at_the_average_cost(
    manager_client, manager
):
    acme = SupplierFactory(name="Acme")
    kettle = stocked(10, manager, name="Kettle", cost_price=Decimal("8.00"))
    toaster = ProductFactory(name="Toaster", cost_price=Decimal("3.00"))
    mixer = stocked(2, manager, name="Mixer", cost_price=Decimal("6.00"))
    data = receipt(
        acme,
        (kettle.sku.lower(), 10, "10.00"),
        (toaster.sku, 4, ""),
        (mixer.barcode, 1, "7.50"),
        reference="INV-77",
    )
    response = manager_client.post(url("stock_receive"), data)
    goods = GoodsReceipt.objects.get()
    assert response.url == url("receipt_detail", goods)
    assert (goods.supplier, goods.supplier_reference) == (acme, "INV-77")
    assert [fresh(p).on_hand for p in (kettle, toaster, mixer)] == [20, 4, 3]
    costs = [fresh(p).cost_price for p in (kettle, toaster, mixer)]
    assert costs == [Decimal("9.00"), Decimal("3.00"), Decimal("6.50")]
    moves = StockMove.objects.for_document(goods)
    expected = [(kettle, 10), (mixer, 1), (toaster, 4)]
    assert [(move.product, move.quantity) for move in moves] == expected
    page_html = html(manager_client.get(response.url))
    for text in ("Kettle", "Mixer", "Toaster", "+10", "$10.00", "INV-77"):
        assert text in page_html


@pytest.mark.parametrize(
    ("code", "quantity", "unit_cost", "message"),
    [
        pytest.param(
            "NOPE-1",
            1,
            "5.00",
            "No product has the SKU or barcode NOPE-1.",
            id="unknown",
        ),
        pytest.param("{sku}", 0, "5.00", "greater than or equal to 1", id="zero"),
        pytest.param("{sku}", -1, "5.00", "greater than or equal to 1", id="neg"),
        pytest.param("{sku}", "1.5", "5.00", "Enter a whole number.", id="fraction"),
        pytest.param("{sku}", 1, "5.999", "no more than 2 decimal places", id="3dp"),
        pytest.param("{sku}", "", "5.00", "How many arrived?", id="no-quantity"),
        pytest.param("", "", "", "Add at least one product to receive.", id="no-lines"),
    ],
)
def test_a_bad_receipt_shows_an_error_and_writes_nothing(
    manager_client, manager, code, quantity, unit_cost, message
):
    product = stocked(2, manager)
    row = (code.format(sku=product.sku), quantity, unit_cost)
    before = snapshot()
    data = receipt(product.supplier, row, ("", "", ""))
    response = manager_client.post(url("stock_receive"), data)
    assert response.status_code == 200
    assert message in html(response)
    assert snapshot() == before


def receive_a_service(client):
    service = ServiceFactory(sku="SVC-1")
    before = snapshot()
    data = receipt(service.supplier, ("SVC-1", 1, "5.00"))
    response = client.post(url("stock_receive"), data)
    assert response.status_code == 200
    assert response.context["lines"].forms[0].errors["product"]
    assert snapshot() == before
    return response


def test_a_service_cannot_be_received(manager_client):
    receive_a_service(manager_client)


def test_receiving_a_service_says_it_holds_no_stock(manager_client):
    response = receive_a_service(manager_client)
    assert "is a service and holds no stock" in html(response)


# Stock count


def test_the_count_sheet_lists_tracked_active_products_by_category(
    manager_client, manager
):
    tools = CategoryFactory(name="Tools")
    ProductFactory(name="Hammer", category=tools)
    ProductFactory(name="Kettle")
    ProductFactory(name="Retired", category=tools, active=False)
    ServiceFactory(name="Labour", category=tools)

    def sheet(**query):
        response = manager_client.get(url("stock_count"), query)
        return [product.name for product, _field in response.context["form"].rows()]

    assert sheet() == ["Hammer", "Kettle"]
    assert sheet(category=tools.pk) == ["Hammer"]


def test_admin_counts_stock_and_blanks_are_skipped(manager_client, manager):
    hammer, kettle, mixer = (stocked(5, manager) for _ in range(3))
    data = {f"count_{hammer.pk}": "3", f"count_{kettle.pk}": "5"}
    data |= {f"count_{mixer.pk}": "", "note": "Monthly count"}
    response = manager_client.post(url("stock_count"), data)
    counted = StockCount.objects.get()
    assert response.url == url("count_detail", counted)
    assert (counted.products_counted, counted.note) == (2, "Monthly count")
    assert [fresh(p).on_hand for p in (hammer, kettle, mixer)] == [3, 5, 5]
    [move] = StockMove.objects.filter(reason=StockReason.COUNT)
    assert (move.product, move.quantity, move.balance_after) == (hammer, -2, 3)
    assert hammer.name in html(manager_client.get(response.url))


def test_a_malformed_category_on_the_count_sheet_is_no_server_error(manager_client):
    manager_client.raise_request_exception = False
    response = manager_client.get(url("stock_count"), {"category": "abc"})
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(
    ("counted", "message"),
    [("", "Enter at least one counted quantity."), ("-1", "greater than or equal")],
    ids=["all-blank", "negative"],
)
def test_a_bad_count_shows_an_error_and_writes_nothing(
    manager_client, manager, counted, message
):
    product = stocked(5, manager)
    before = snapshot()
    response = manager_client.post(url("stock_count"), {f"count_{product.pk}": counted})
    assert response.status_code == 200
    assert message in html(response)
    assert snapshot() == before


# Low stock


def test_the_low_stock_page_lists_products_at_or_below_their_reorder_level(
    manager_client, manager
):
    stocked(2, manager, name="At the level", reorder_level=2)
    ProductFactory(name="Empty", reorder_level=0)
    stocked(3, manager, name="Above the level", reorder_level=2)
    ServiceFactory(name="Labour")
    response = manager_client.get(url("low_stock"))
    names = [row.record.name for row in response.context["table"].paginated_rows]
    assert names == ["Empty", "At the level"]
    assert "Above the level" not in html(response)


LOW_STOCK_QUERY_BUDGET = 6


@pytest.mark.parametrize("low", [3, 30])
def test_the_low_stock_page_keeps_to_its_query_budget(
    manager_client, manager, django_assert_max_num_queries, low
):
    for _ in range(low):
        stocked(1, manager, reorder_level=2)
    ShopSettings.load()
    with django_assert_max_num_queries(LOW_STOCK_QUERY_BUDGET):
        response = manager_client.get(url("low_stock"))
    assert len(response.context["table"].paginated_rows) == low


# Product search


def test_product_search_offers_matching_skus(cashier_client):
    ProductFactory(name="Blue kettle", sku="KET-1", barcode="5012345678900")
    ProductFactory(name="Old kettle", sku="KET-0", active=False)
    ProductFactory(name="Toaster", sku="TOA-9")
    response = cashier_client.get(url("product_search"), {"q": "kettle"})
    assert response.status_code == 200
    option = '<option value="KET-1">Blue kettle · 5012345678900</option>'
    assert option in html(response)
    assert "KET-0" not in html(response)
    assert "TOA-9" not in html(response)
    one_letter = cashier_client.get(url("product_search"), {"q": "k"})
    assert "<option" not in html(one_letter)


# Categories and suppliers


def test_admin_lists_creates_and_edits_categories(manager_client):
    response = manager_client.post(url("category_create"), {"name": "Tools"})
    assert response.url == url("category_list")
    tools = Category.objects.get(name="Tools")
    assert "Tools" in html(manager_client.get(url("category_list")))
    data = {"name": "Hand tools", "description": "Hammers"}
    manager_client.post(url("category_update", tools), data)
    tools.refresh_from_db()
    assert (tools.name, tools.description) == ("Hand tools", "Hammers")


def test_admin_lists_creates_and_edits_suppliers(manager_client):
    data = {"name": "Acme", "email": "sales@acme.example", "active": "on"}
    response = manager_client.post(url("supplier_create"), data)
    assert response.url == url("supplier_list")
    acme = Supplier.objects.get(name="Acme")
    assert "sales@acme.example" in html(manager_client.get(url("supplier_list")))
    manager_client.post(url("supplier_update", acme), data | {"active": ""})
    acme.refresh_from_db()
    assert acme.active is False


@pytest.mark.parametrize(
    ("name", "model"),
    [("category_create", "Category"), ("supplier_create", "Supplier")],
)
def test_a_duplicate_category_or_supplier_name_is_an_error(manager_client, name, model):
    CategoryFactory(name="Taken")
    SupplierFactory(name="Taken")
    before = snapshot()
    response = manager_client.post(url(name), {"name": "Taken", "active": "on"})
    assert response.status_code == 200
    assert f"{model} with this Name already exists." in html(response)
    assert snapshot() == before


# Home page and low-stock notifications


def test_the_admin_home_page_shows_the_low_stock_panel(
    manager_client, cashier_client, manager
):
    stocked(1, manager, name="Nearly gone kettle", reorder_level=2)
    stocked(9, manager, name="Plenty toaster", reorder_level=2)
    page_html = html(manager_client.get(HOME))
    assert 'data-testid="panel-low-stock"' in page_html
    assert "Nearly gone kettle" in page_html
    assert "Plenty toaster" not in page_html
    page_html = html(cashier_client.get(HOME))
    assert 'data-testid="panel-low-stock"' not in page_html
    assert "Nearly gone kettle" not in page_html


def sell(product, quantity, by, capture):
    with capture(execute=True):
        take_stock([StockLine(product, quantity)], by=by)


def test_admins_are_told_once_when_a_sale_takes_a_product_to_its_reorder_level(
    cashier, manager, owner, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(username="gone", role=Role.ADMIN, is_active=False)
    kettle = stocked(5, manager, name="Kettle", reorder_level=2)
    sell(kettle, 2, cashier, django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0
    sell(kettle, 1, cashier, django_capture_on_commit_callbacks)
    sell(kettle, 1, cashier, django_capture_on_commit_callbacks)
    assert fresh(kettle).on_hand == 1
    alerts = Notification.objects.order_by("recipient__username")
    assert [n.recipient for n in alerts] == [manager, owner]
    assert {n.kind for n in alerts} == {"low_stock"}
    assert alerts[0].url == url("product_detail", kettle)
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == [manager.email, owner.email]
    assert "Kettle" in mailoutbox[0].subject


@pytest.fixture
def alerted(cashier, manager, owner, django_capture_on_commit_callbacks):
    """A kettle sold down to its reorder level: each manager has one alert."""
    kettle = stocked(3, manager, name="Kettle", reorder_level=2)
    sell(kettle, 1, cashier, django_capture_on_commit_callbacks)
    return kettle


def test_the_bell_shows_the_unread_count_and_opening_marks_it_read(
    manager_client, manager, owner, alerted
):
    assert 'aria-label="Notifications: 1 unread"' in html(manager_client.get(HOME))
    mine = Notification.objects.get(recipient=manager)
    opened = reverse("accounts:notification_open", args=[mine.pk])
    response = manager_client.post(opened)
    assert response.url == url("product_detail", alerted)
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(recipient=owner).read_at is None
    assert "unread" not in html(manager_client.get(HOME))


def test_mark_all_read_clears_only_the_signed_in_members_notifications(
    manager_client, manager, owner, alerted
):
    notify([manager], kind="low_stock", title="Toaster is running low")
    response = manager_client.post(reverse("accounts:notifications_read_all"))
    assert response.status_code == 302
    assert Notification.objects.unread().filter(recipient=manager).count() == 0
    assert Notification.objects.unread().filter(recipient=owner).count() == 1


def test_no_one_opens_another_members_notification(manager_client, owner, alerted):
    theirs = Notification.objects.get(recipient=owner)
    opened = reverse("accounts:notification_open", args=[theirs.pk])
    assert manager_client.post(opened).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
