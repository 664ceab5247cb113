"""The REST API as a whole: its root, schema, docs and error body."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from rest_framework import exceptions

from pos_project.api import exception_handler


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
    assert set(response.json()) == {"products", "stock-moves", "customers"}


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
