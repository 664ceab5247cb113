"""The REST API as a whole: its root, schema, docs and error body."""

from datetime import UTC, datetime

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from rest_framework import exceptions

from inventory import services as stock
from inventory.models import StockMove
from inventory.tests.factories import ProductFactory
from pos_project.api import exception_handler
from pos_project.idempotency import KeyReused

MOVES = "/api/v1/stock-moves/"


def test_the_schema_is_public_openapi_3(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/products/", "/api/v1/stock-moves/", "/api/v1/customers/"} <= set(
        schema["paths"]
    )
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )


def test_the_docs_load_swagger_ui_from_our_own_static_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    )
    assert "cdn" not in page.lower()


def test_the_api_root_lists_the_endpoints_for_staff(cashier_client):
    response = cashier_client.get("/api/v1/")
    assert response.status_code == 200
    # The root links lists: repair-lines has none (its lines are under a ticket).
    assert set(response.json()) == {
        "products",
        "stock-moves",
        "customers",
        "sales",
        "shifts",
        "invoices",
        "payments",
        "repairs",
        "reports",
    }


@pytest.mark.parametrize(
    ("error", "message", "fields"),
    [
        (
            ValidationError("Not enough stock of Cable."),
            "Not enough stock of Cable.",
            None,
        ),
        (
            ValidationError({"sku": "Taken.", "__all__": "Check the SKU."}),
            "Check the SKU.",
            {"sku": ["Taken."]},
        ),
        (
            exceptions.ValidationError({"non_field_errors": ["Both or neither."]}),
            "Both or neither.",
            None,
        ),
        (exceptions.ValidationError(["One.", "Two."]), "One. Two.", None),
    ],
)
def test_service_and_serializer_errors_become_one_body(error, message, fields):
    response = exception_handler(error, {})
    expected = {"status": 400, "code": "invalid", "message": message}
    if fields:
        expected["fields"] = fields
    assert response.status_code == 400
    assert response.data == {"error": expected}


def test_unexpected_errors_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_swagger_ui_files_are_served_locally(client, db):
    response = client.get(
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    )
    assert response.status_code == 200


def test_the_browsable_api_works_with_the_session(manager_client):
    response = manager_client.get("/api/v1/products/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Products" in response.content


# Date-time filters (pos_project.api.MomentFilter), on the stock ledger.


@pytest.fixture
def two_moves(manager):
    """5 cables received at 20:00 UTC on 1 January 2026, 2 sold at 21:00."""
    cable = ProductFactory(name="Cable")
    stock.receive_stock(
        [stock.StockLine(cable, 5, "2.00")], by=manager, supplier=cable.supplier
    )
    stock.take_stock([stock.StockLine(cable, 2)], by=manager, reference_label="R-1")
    for hour, move in zip((20, 21), StockMove.objects.order_by("pk"), strict=True):
        StockMove.objects.filter(pk=move.pk).update(
            created_at=datetime(2026, 1, 1, hour, tzinfo=UTC)
        )


def test_a_date_time_filter_reads_any_offset_as_the_moment_it_names(
    api_client, cashier, two_moves
):
    client = api_client(cashier)

    def quantities(**params):
        response = client.get(MOVES, params)
        assert response.status_code == 200, response.json()
        return sorted(row["quantity"] for row in response.json()["results"])

    assert quantities(created_after="2026-01-01T20:30:00Z") == [-2]
    assert quantities(created_before="2026-01-02T06:00:00+08:00") == [-2, 5]
    # 20:43 behind UTC, more than PostgreSQL takes: 20:43 UTC, between the two.
    assert quantities(created_after="2026-01-01T00:00:00-20:43") == [-2]
    assert quantities(created_before="2026-01-01T00:00:00-20:43") == [5]


def test_a_moment_before_year_one_in_utc_is_a_400(api_client, cashier):
    response = api_client(cashier).get(
        MOVES, {"created_after": "0001-01-01T00:00:00+05:00"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "Check the fields marked.",
            "fields": {"created_after": ["Enter a valid date/time."]},
        }
    }


# Ids in URLs.


@pytest.mark.parametrize(
    "url", ["/api/v1/repairs/abc/", "/api/v1/repairs/1.5/", "/api/v1/repair-lines/x/"]
)
def test_an_id_that_is_no_number_is_the_apis_404(api_client, cashier, url):
    response = api_client(cashier).get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_reused_key_from_any_service_is_one_409():
    error = KeyReused("This key already made sale R-000001.", made=None)
    response = exception_handler(error, {})
    assert response.status_code == 409
    assert response.data == {
        "error": {
            "status": 409,
            "code": "idempotency_key_reused",
            "message": "This key already made sale R-000001.",
        }
    }
