"""Every integer a person or program can send is bounded where it comes in.

The inputs are found, not listed: the API's from its OpenAPI schema (every
integer property of every request body, ids included), the forms' from every
form class of the project (integer fields and choices of rows). A new one is
tested without anyone remembering to. Each gets the values that wrapped on
PostgreSQL (2**31 stored as -2**31, 2**32 + 7 as 7) or failed (2**63), and
their negatives: the answer is a 400 or a form error naming the field, with a
message, and nothing is written.
"""

import json
import uuid

import pytest
from django import forms
from django.apps import apps
from django.core.cache import cache
from django.forms.models import model_to_dict
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Hundreds of requests: the rate limit is tested on its own.
    cache.clear()


TOO_LARGE = [2**31, 2**32 + 7, 2**63 - 1, 2**63]
TOO_SMALL = [-(2**31) - 1, -(2**63) - 1]
VALUES = TOO_LARGE + TOO_SMALL


# The API.


def _integer_properties(schema, components, prefix=()):
    """(path of keys, schema) of every integer a request body may hold."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        yield from _integer_properties(components[name], components, prefix)
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            yield from _integer_properties(part, components, prefix)
    kind = schema.get("type")
    if kind == "integer":
        yield prefix
    elif kind == "array":
        yield from _integer_properties(
            schema.get("items", {}), components, prefix + (0,)
        )
    for name, part in schema.get("properties", {}).items():
        if not part.get("readOnly"):
            yield from _integer_properties(part, components, prefix + (name,))


def api_integer_inputs():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            for keys in _integer_properties(body or {}, components):
                found.append((method.upper(), path, keys))
    return found


API_INPUTS = api_integer_inputs()


def test_the_api_has_integer_inputs_to_test():
    # A sanity check of the walk: these are known to be there.
    names = {(method, path, keys[-1]) for method, path, keys in API_INPUTS}
    assert ("POST", "/api/v1/products/", "opening_stock") in names
    assert ("POST", "/api/v1/sales/", "quantity") in names


@pytest.fixture
def existing(owner):
    """An object for each kind of path with an {id}."""
    from inventory.tests.factories import ProductFactory
    from repairs.tests.factories import make_ticket

    return {"products": ProductFactory(), "repairs": make_ticket(by=owner)}


def body(keys, value):
    """{"lines": [{"quantity": value}]} for ("lines", 0, "quantity")."""
    if not keys:
        return value
    inner = body(keys[1:], value)
    return [inner] if keys[0] == 0 else {keys[0]: inner}


def database_rows():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(
    ("method", "path", "keys"),
    API_INPUTS,
    ids=[f"{m} {p} {'.'.join(map(str, k))}" for m, p, k in API_INPUTS],
)
def test_an_api_integer_out_of_range_is_refused(
    owner_client, existing, method, path, keys, value
):
    resource = path.removeprefix("/api/v1/").split("/")[0]
    target = None
    if "{id}" in path:
        assert resource in existing, f"Add an existing object for {path} here."
        target = existing[resource]
        path = path.replace("{id}", str(target.pk))
    before = database_rows()
    snapshot = model_to_dict(target) if target else None

    response = owner_client.generic(
        method,
        path,
        data=json.dumps(body(keys, value)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    # On the field, or (an id that finds nothing) naming the id.
    fields = error.get("fields", {})
    assert all(fields[keys[0]]) if keys[0] in fields else str(value) in error["message"]
    assert database_rows() == before
    if target:
        target.refresh_from_db()
        assert model_to_dict(target) == snapshot


# The forms.


def _project_form_classes():
    for app in ("accounts", "inventory", "customers", "invoices", "sales", "repairs"):
        config = apps.get_app_config(app)
        __import__(f"{config.name}.forms")
        __import__(f"{config.name}.views")
    seen, pending = [], [forms.BaseForm]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in (
                "accounts",
                "inventory",
                "customers",
                "invoices",
                "sales",
                "repairs",
            ):
                seen.append(sub)
    return sorted(set(seen), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _is_integer_input(field):
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return False  # subclasses of IntegerField, bounded by their digits
    return (
        isinstance(field, forms.IntegerField | forms.ModelChoiceField)
        or getattr(field, "coerce", None) is int
    )


FORM_CLASSES = _project_form_classes()


def form_arguments(cls, shop):
    """What a form needs besides its data: the objects its view gives it."""
    from customers.tests.factories import CustomerFactory
    from inventory.models import Product
    from invoices.tests.factories import make_invoice
    from sales.tests.factories import make_sale

    owner = shop["owner"]
    name = cls.__name__
    if name in ("StaffCreateForm", "StaffUpdateForm"):
        return {"actor": owner}
    if name == "StaffPasswordForm":
        return {"user": owner}
    if name == "CountSheetForm":
        return {"products": Product.objects.filter(pk=shop["product"].pk)}
    if name == "CustomerPaymentForm":
        invoice = make_invoice(by=owner, customer=CustomerFactory())
        return {"invoices": type(invoice).objects.filter(pk=invoice.pk)}
    if name == "CreditForm":
        invoice = make_invoice(by=owner)
        return {"invoice": invoice, "lines": list(invoice.lines.all())}
    if name == "InvoiceLineForm":
        from accounts.models import TaxRate

        return {"tax_rates": {str(rate.pk): rate for rate in TaxRate.objects.all()}}
    if name == "ReturnForm":
        sale = make_sale(owner, [(shop["product"], 1)])
        return {"sale": sale, "lines": list(sale.lines.all()), "needs_approver": False}
    if name in ("TenderForm", "InvoicePaymentForm"):
        return {"methods": ["cash", "card"]}
    if name == "CloseShiftForm" or "methods" in cls.__init__.__code__.co_varnames:
        return {"methods": ["cash", "card"]}
    return {}


@pytest.fixture
def shop(owner):
    from inventory import services as stock
    from inventory.tests.factories import ProductFactory

    product = ProductFactory()
    stock.record_opening_stock([stock.StockLine(product, 5)], by=owner)
    UserFactory(username="tech", role=Role.USER)
    return {"owner": owner, "product": product}


def test_the_forms_have_integer_inputs_to_test():
    names = {cls.__name__ for cls in FORM_CLASSES}
    assert {"ProductForm", "AdjustForm", "IntakeForm", "LineForm"} <= names


@pytest.mark.parametrize(
    "form_class", FORM_CLASSES, ids=[cls.__qualname__ for cls in FORM_CLASSES]
)
def test_every_integer_input_of_a_form_refuses_values_out_of_range(shop, form_class):
    arguments = form_arguments(form_class, shop)
    try:
        form = form_class(**arguments)
    except TypeError as exc:
        pytest.fail(
            f"Give {form_class.__name__} its arguments in form_arguments: {exc}"
        )
    inputs = [name for name, field in form.fields.items() if _is_integer_input(field)]
    for name in inputs:
        for value in VALUES:
            bound = form_class(data={name: str(value)}, **arguments)
            before = database_rows()
            assert not bound.is_valid()
            # On the field, or (an id that finds nothing) on the form.
            messages = bound.errors.get(name) or bound.non_field_errors()
            assert messages, (form_class.__name__, name, value)
            assert database_rows() == before
