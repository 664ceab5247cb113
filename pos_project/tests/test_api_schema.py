"""The REST API keeps to its own OpenAPI schema (docs/api.md, "Fuzzing").

schemathesis reads /api/schema/ from the app in process (WSGI, no server) and
calls every operation in it with generated parameters and bodies, valid and
invalid, as a Super Admin and as a User. Each response must be no server error,
have a status the operation documents, and match the documented content type,
headers and body schema (errors included: the shared `Error` component).

Real records exist (products, a customer, an open shift, a sale, an invoice, a
repair), and generated ids point at them about half the time, so requests reach
the services and not only the 404s. Generation is derandomized: a run fails or
passes the same way every time, on SQLite and on PostgreSQL.
"""

import copy
import json
import re
from decimal import Decimal

import jsonschema
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import settings
from hypothesis import strategies as st
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.serializers import ListSerializer, Serializer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.api_auth import ApiRateThrottle
from accounts.models import Role
from accounts.services import create_api_token
from pos_project.api import not_found
from pos_project.api_schema import ERROR_COMPONENT, ERROR_RESPONSES
from pos_project.wsgi import application

SCHEMA_URL = "/api/schema/"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Generated requests per operation, valid and invalid: enough to find a 500
# behind a filter, a huge number or an odd string, few enough to keep the file
# near a minute. (schemathesis' coverage phase, every boundary of every field,
# would send thousands of requests more.)
ADMIN_EXAMPLES = 15
USER_EXAMPLES = 4
CONFIG = schemathesis.Config.from_dict(
    {
        # Requests build on the records earlier ones made, so a shrunk or
        # replayed example would not see the same database: no example
        # database, no shrinking; one fixed sequence of examples instead.
        # The fixtures hold for all of a test's examples, as they should.
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": ADMIN_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
        },
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)


@pytest.fixture
def world(owner, cashier):
    """A little of everything the endpoints read and write, made through the
    services as the app makes it."""
    from customers.tests.factories import CustomerFactory
    from inventory import services as stock
    from inventory.tests.factories import ProductFactory, ServiceFactory
    from invoices import services as billing
    from invoices.tests.factories import make_invoice
    from repairs import services as repairs
    from repairs.tests.factories import make_ticket
    from sales import services as till
    from sales.tests.factories import make_sale

    cable = ProductFactory(name="USB-C cable", sale_price=Decimal("12.50"))
    screen = ProductFactory(name="iPhone 12 screen", sale_price=Decimal("89.00"))
    stock.receive_stock(
        [stock.StockLine(cable, 20, "4.10"), stock.StockLine(screen, 5, "40.00")],
        by=owner,
        supplier=cable.supplier,
    )
    ServiceFactory(name="Screen fitting", sale_price=Decimal("50.00"))
    customer = CustomerFactory(name="Grace Hopper")
    invoice = make_invoice(by=owner, customer=customer)
    billing.record_payment(invoice, by=owner, amount="10.00", method="cash")
    make_sale(owner, [(cable, 2)], customer=customer)
    # Both till users keep a shift open, as at a shop during the day.
    till.open_shift(by=cashier, opening_float="50.00")
    ticket = make_ticket(by=cashier, customer=customer)
    repairs.add_labour(
        ticket, by=cashier, description="Screen fitting", unit_price="50.00"
    )


@pytest.fixture
def wsgi_app(monkeypatch):
    """The app as gunicorn runs it, inside the test's transaction."""
    # Django closes the database connection after each request; the test's
    # transaction must survive (as Django's own test client arranges).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    KNOWN_IDS.clear()
    # Hundreds of requests a minute: the throttle is tested on its own.
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api": None})
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _view_for(operation):
    """The API view serving an operation, as drf-spectacular builds one to
    describe it (no request), or None."""
    try:
        match = resolve(re.sub(r"{\w+}", "1", operation.path))
    except Resolver404:
        return None
    cls = getattr(match.func, "cls", None)
    if cls is None:
        return None
    actions = getattr(match.func, "actions", None) or {}
    view = cls(
        action=actions.get(operation.method.lower()),
        request=None,
        format_kwarg=None,
        kwargs={},
        swagger_fake_view=True,
    )
    return view


# Existing ids by operation or by reference, looked up once a test: hypothesis
# replays examples, and must draw them the same way after a request deleted
# or added a record.
KNOWN_IDS = {}


def _ids(key, queryset, field="pk"):
    """Up to ten existing values of `field` (none where the view needs more
    than drf-spectacular gives it to list them)."""
    if key not in KNOWN_IDS:
        try:
            values = queryset.order_by("pk").values_list(field, flat=True)[:10]
            KNOWN_IDS[key] = [value for value in values if value is not None]
        except Exception:  # noqa: BLE001 (no hints for this view: random ids)
            KNOWN_IDS[key] = []
    return KNOWN_IDS[key]


def _with_references(serializer, value):
    """A strategy for `value` (a generated body) whose primary-key fields, in
    it or in its nested objects and lists, name existing records half the time."""
    if isinstance(serializer, ListSerializer) and isinstance(value, list):
        items = [_with_references(serializer.child, item) for item in value]
        return st.tuples(*items).map(list)
    if not isinstance(serializer, Serializer) or not isinstance(value, dict):
        return st.just(value)
    fields = {}
    for name, field in serializer.fields.items():
        if name not in value or field.read_only:
            continue
        if isinstance(field, PrimaryKeyRelatedField) and field.queryset is not None:
            ids = _ids((type(serializer).__name__, name), field.queryset)
            if ids:
                fields[name] = st.one_of(st.just(value[name]), st.sampled_from(ids))
        elif isinstance(field, (Serializer, ListSerializer)):
            fields[name] = _with_references(field, value[name])
    return st.fixed_dictionaries(fields).map(lambda real: {**value, **real})


def _with_real_ids(schema):
    """Generated path ids and references in bodies point at existing records
    half the time (the other half stays random: mostly 404s and 400s)."""

    @schema.hook
    def before_generate_path_parameters(context, strategy):
        names = [p.name for p in context.operation.path_parameters]
        view = _view_for(context.operation)
        if view is None or len(names) != 1:
            return strategy

        # The records exist only while a test runs: look them up when first
        # drawn from, not when the tests are collected.
        def real():
            try:
                queryset = view.get_queryset()
            except Exception:  # noqa: BLE001 (a view that needs a request)
                return strategy
            ids = _ids(context.operation.label, queryset, view.lookup_field)
            if not ids:
                return strategy
            return st.sampled_from(ids).map(lambda value: {names[0]: value})

        return st.one_of(strategy, st.deferred(real))

    @schema.hook
    def flatmap_body(context, body):
        view = _view_for(context.operation)
        try:
            serializer = view.get_serializer()
        except Exception:  # noqa: BLE001 (no view, or one that needs a request)
            return st.just(body)
        return _with_references(serializer, body)

    return schema


# Read from the app when the tests are collected: one test per operation.
api = _with_real_ids(
    schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=CONFIG)
)
ROLES = {
    "test_every_operation_keeps_to_the_schema_for_a_super_admin": Role.SUPER_ADMIN,
    "test_every_operation_keeps_to_the_schema_for_a_user": Role.USER,
}


def pytest_generate_tests(metafunc):
    # Each fuzzing test runs as one role; the parameter also names it in each
    # operation's test id: "...[GET /api/v1/products/][User]".
    if "role" in metafunc.fixturenames:
        role = ROLES[metafunc.definition.originalname]
        metafunc.parametrize("role", [role], ids=[role.label])


@pytest.fixture
def token_headers(role, owner, cashier, wsgi_app, world):
    """The token of the world's member of staff with `role`."""
    user = {Role.SUPER_ADMIN: owner, Role.USER: cashier}[role]
    _token, key = create_api_token(user, by=user, name="Schema fuzzing")
    return {"Authorization": f"Token {key}"}


@api.parametrize()
def test_every_operation_keeps_to_the_schema_for_a_super_admin(case, token_headers):
    case.call_and_validate(headers=token_headers, checks=CHECKS)


@api.parametrize()
@settings(max_examples=USER_EXAMPLES)
def test_every_operation_keeps_to_the_schema_for_a_user(case, token_headers):
    case.call_and_validate(headers=token_headers, checks=CHECKS)


# The schema itself.


@pytest.fixture
def schema():
    """The schema as the app served it to schemathesis above."""
    return copy.deepcopy(api.raw_schema)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def _ref(name):
    return {"$ref": f"#/components/responses/{name}"}


def test_every_operation_documents_the_errors_it_can_give(schema):
    operations = list(_operations(schema))
    assert operations
    for path, method, operation in operations:
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        assert responses["401"] == _ref("Unauthorized"), label
        assert responses["403"] == _ref("Forbidden"), label
        assert responses["429"] == _ref("TooManyRequests"), label
        if "{" in path:
            assert responses["404"] == _ref("NotFound"), label
        if method != "get":
            assert "400" in responses, label


def test_lists_document_bad_filters_and_pages_past_the_end(schema):
    products = schema["paths"]["/api/v1/products/"]["get"]["responses"]
    assert products["400"] == _ref("BadRequest")
    assert products["404"] == _ref("PageNotFound")
    product = schema["paths"]["/api/v1/products/{id}/"]["get"]["responses"]
    assert "400" not in product


def test_error_responses_share_one_error_component(schema):
    responses = schema["components"]["responses"]
    assert set(ERROR_RESPONSES) <= set(responses)
    for name in ERROR_RESPONSES:
        content = responses[name]["content"]
        assert content == {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
            }
        }
    assert "Retry-After" in responses["TooManyRequests"]["headers"]


def test_swagger_can_authorize_with_a_token_or_the_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <key>`: create a key on your account page.",
    }
    assert schemes["cookieAuth"]["in"] == "cookie"
    for path, method, operation in _operations(schema):
        assert {"tokenAuth": []} in operation["security"], f"{method} {path}"
        assert {"cookieAuth": []} in operation["security"], f"{method} {path}"


def test_swagger_sends_a_sessions_csrf_token_with_writes(manager_client):
    # The page's start-up script is served apart (?script), not inline in the
    # page, under the Content-Security-Policy.
    page = manager_client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script=">' in page
    script = manager_client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    token = re.search(
        r'request.headers\["X-CSRFTOKEN"\] = "(\w*)"', script.content.decode()
    )
    assert token and len(token.group(1)) == 64


def _error_validator(schema):
    return jsonschema.Draft4Validator(schema["components"]["schemas"][ERROR_COMPONENT])


def test_real_error_bodies_match_the_error_component(schema, api_client, cashier):
    validate = _error_validator(schema).validate
    staff = api_client(cashier)
    bodies = {
        400: staff.post("/api/v1/customers/", {"name": ""}, format="json"),
        401: api_client().get("/api/v1/products/"),
        403: staff.post("/api/v1/products/", {"name": "Cable"}, format="json"),
        404: staff.get("/api/v1/products/0/"),
    }
    for status, response in bodies.items():
        assert response.status_code == status
        validate(response.json())
    assert bodies[400].json()["error"]["fields"] == {
        "name": ["This field may not be blank."]
    }
    assert bodies[401]["WWW-Authenticate"] == "Token"


def test_a_throttled_request_matches_the_error_component(
    schema, api_client, cashier, monkeypatch
):
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api": "1/min"})
    staff = api_client(cashier)
    assert staff.get("/api/v1/customers/").status_code == 200
    response = staff.get("/api/v1/customers/")
    assert response.status_code == 429
    _error_validator(schema).validate(response.json())
    assert int(response["Retry-After"]) > 0


def test_a_body_unlike_the_error_component_is_refused(schema):
    with pytest.raises(jsonschema.ValidationError):
        _error_validator(schema).validate({"detail": "Not found."})
    with pytest.raises(jsonschema.ValidationError):
        _error_validator(schema).validate(
            {"error": {"status": 400, "code": "invalid", "message": "x", "extra": 1}}
        )


def test_a_url_no_endpoint_matches_answers_the_error_body(schema, rf):
    response = not_found(rf.get("/api/v1/products/abc/"))
    assert response.status_code == 404
    body = json.loads(response.content)
    _error_validator(schema).validate(body)
    assert body == {
        "error": {
            "status": 404,
            "code": "not_found",
            "message": "No API endpoint at /api/v1/products/abc/; see /api/docs/.",
        }
    }
