"""Every URL of the project, requested as every role, against docs/roles.md."""

import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.urls.resolvers import RoutePattern

from accounts.checks import iter_patterns
from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory

ROLES = ["anonymous", Role.USER, Role.ADMIN, Role.SUPER_ADMIN]
DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"
OUTCOMES = {"ok", "login", "401", "403", "404"}


def read_expectations():
    """{url key: (anonymous, user, admin, super admin)} from the URL access table."""
    text = DOC.read_text().split("## URL access", 1)[1]
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|(.+)\|\s*$", line)
        if match:
            cells = tuple(cell.strip() for cell in match.group(2).split("|"))
            assert len(cells) == 4 and set(cells) <= OUTCOMES, line
            rows[match.group(1)] = cells
    return rows


EXPECTATIONS = read_expectations()


def key_of(route, name):
    return name or "/" + route


def expected_for(key):
    """The exact row, else the most specific (longest) matching pattern."""
    if key in EXPECTATIONS:
        return EXPECTATIONS[key]
    globs = [g for g in EXPECTATIONS if "*" in g and fnmatchcase(key, g)]
    return EXPECTATIONS[max(globs, key=len)] if globs else None


ALL_PATTERNS = list(iter_patterns())


def test_every_url_has_a_row_in_the_table():
    missing = [
        key_of(r, n) for r, n, _, _ in ALL_PATTERNS if not expected_for(key_of(r, n))
    ]
    assert not missing, f"Add these URLs to docs/roles.md: {missing}"


def test_every_row_of_the_table_matches_a_url():
    keys = [key_of(r, n) for r, n, _, _ in ALL_PATTERNS]
    stale = [row for row in EXPECTATIONS if not any(fnmatchcase(k, row) for k in keys)]
    assert not stale, f"These rows of docs/roles.md match no URL: {stale}"


@pytest.fixture
def world(db):
    """One record of each kind that a URL can point at."""
    from accounts.models import Notification
    from customers.tests.factories import CustomerFactory
    from inventory import services as stock
    from inventory.models import ProductImport
    from inventory.tests.factories import ProductFactory
    from invoices import services as billing
    from invoices.tests.factories import make_invoice

    owner = UserFactory(username="world-owner", role=Role.SUPER_ADMIN)
    target = UserFactory(username="target", role=Role.USER)
    shop = ShopSettings.load()
    shop.logo, shop.logo_content_type = b"GIF89a", "image/gif"
    shop.save()
    product = ProductFactory()
    receipt = stock.receive_stock(
        [stock.StockLine(product, 5, "4.00")], by=owner, supplier=product.supplier
    )
    from sales import services as till
    from sales.services import ReturnInput
    from sales.tests.factories import make_sale

    customer = CustomerFactory()
    invoice = make_invoice(by=owner, customer=customer)
    payment = billing.record_payment(invoice, by=owner, amount="10.00", method="cash")
    # A sale by another cashier, in their still-open shift, with a return;
    # and a sale parked at their till.
    seller = UserFactory(username="world-cashier", role=Role.USER)
    sold = ProductFactory(name="Sold product")
    stock.receive_stock(
        [stock.StockLine(sold, 5, "4.00")], by=owner, supplier=sold.supplier
    )
    sale = make_sale(seller, [(sold, 2)], customer=customer)
    sale_return = till.return_items(
        sale, [ReturnInput(sale.lines.get(), 1)], by=seller, approver=owner, reason="x"
    )
    from repairs import services as repairs
    from repairs.tests.factories import ready_ticket

    ticket = ready_ticket(
        by=seller,
        customer=customer,
        deposit=repairs.Deposit("10.00", "cash"),
        passcode="1234",
    )
    from accounts.services import create_api_token

    api_token, _key = create_api_token(owner, by=owner, name="World sync")
    parked = till.active_cart(seller)
    till.add_to_cart(parked, by=seller, product=sold)
    till.park_cart(parked, by=seller)
    return {
        "sale": sale,
        "shift": sale.shift,
        "return": sale_return,
        "parked": parked,
        "customer": customer,
        "ticket": ticket,
        "export": _export_job(owner),
        "ticket_line": ticket.lines.get(),
        "deposit": ticket.invoice.payments.get(),
        "invoice": invoice,
        "payment": payment,
        "target": target,
        "shop": shop,
        "product": product,
        "stock_move": product.moves.first(),
        "api_token": api_token,
        "receipt": receipt,
        "count": stock.count_stock({product: 5}, by=owner),
        "import": ProductImport.objects.create(
            filename="p.csv", rows=[], created_by=owner
        ),
        "notification": Notification.objects.create(
            recipient=target, kind="test", title="For the target only"
        ),
    }


def _export_job(owner):
    from reports.models import ExportJob, ExportStatus

    return ExportJob.objects.create(
        user=owner, report="x", format="xlsx", status=ExportStatus.DONE,
        content=b"x", filename="x.xlsx",
    )  # fmt: skip


# Which object a URL's <pk> points at, by the start of the URL's name.
PK_SAMPLES = {
    "accounts:staff_": "target",
    "accounts:notification_": "notification",
    "accounts:token_": "api_token",
    "api:product-": "product",
    "api:stockmove-": "stock_move",
    "api:customer-": "customer",
    "api:sale-": "sale",
    "api:shift-": "shift",
    "api:invoice-": "invoice",
    "api:payment-": "payment",
    "api:ticket-": "ticket",
    "api:ticketline-": "ticket_line",
    "inventory:product_": "product",
    "inventory:product_import": "import",
    "inventory:stock_": "product",
    "inventory:receipt_": "receipt",
    "inventory:count_": "count",
    "inventory:category_": "product.category",
    "inventory:supplier_": "product.supplier",
    "customers:": "customer",
    "invoices:invoice_": "invoice",
    "invoices:payment_": "invoice",
    "invoices:payment_refund": "payment",
    "invoices:customer_": "customer",
    "sales:cart_line": "parked",
    "sales:cart_resume": "parked",
    "sales:receipt": "sale",
    "sales:sale_": "sale",
    "sales:return_create": "sale",
    "sales:return_detail": "return",
    "sales:shift_": "shift",
    "sales:customer_sales": "customer",
    "sales:invoice_pay": "invoice",
    # A repair that is ready (billed): what the role tries on it is refused
    # with a message, so no request changes it for the next role.
    "repairs:": "ticket",
    "repairs:line_": "ticket_line",
    "repairs:deposit_refund": "deposit",
    "repairs:customer_panel": "customer",
    "reports:export_": "export",
}


def pk_for(name, world):
    prefixes = [p for p in PK_SAMPLES if name.startswith(p)]
    assert prefixes, f"No sample object for the <pk> of {name}: add it to PK_SAMPLES"
    path = PK_SAMPLES[max(prefixes, key=len)].split(".")
    sample = world[path[0]]
    for attribute in path[1:]:
        sample = getattr(sample, attribute)
    return sample.pk


def sample_instance(route, world):
    """The object an admin URL of this route acts on, e.g. admin/accounts/user/."""
    app_label, model_name = route.split("/")[1:3]
    model = apps.get_model(app_label, model_name)
    if model is type(world["target"]):
        return world["target"]
    instance = model._default_manager.order_by("pk").first()
    return instance or model._default_manager.none().model()


def url_for(route, name, pattern, world):
    leaf = pattern.pattern
    if isinstance(leaf, RoutePattern):
        params = list(leaf.converters)
    else:
        params = list(leaf.regex.groupindex) or [None] * leaf.regex.groups
    values = {}
    for param in params:
        if param == "pk":
            values[param] = pk_for(name, world)
        elif param == "version":
            values[param] = 1
        elif param == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            values[param] = ContentType.objects.get_for_model(world["target"]).pk
        elif param == "product_id":
            values[param] = world["sale"].lines.get().product_id
        elif param == "slug":
            from reports.base import REPORTS

            values[param] = sorted(REPORTS)[0] if REPORTS else "none"
        elif param == "token":
            values[param] = world["ticket"].public_token
        elif param == "status":
            values[param] = "ready"
        elif param == "fmt":
            values[param] = "xlsx"
        elif param == "app_label":
            values[param] = "accounts"
        elif param == "object_id" and "content_type_id" in params:
            values[param] = world["target"].pk
        elif param in ("object_id", "id") or param is None:
            values[param] = sample_instance(route, world).pk or 1
        else:
            raise AssertionError(f"No sample value for {param!r} in /{route}")
    if name is None:
        path = "/" + route
        for param, value in values.items():
            path = re.sub(rf"<(\w+:)?{param}>", str(value), path)
        return path
    if None in values:
        # Positional regex groups: an object, then one of its history entries.
        model = type(sample_instance(route, world))
        record = model.history.order_by("-history_id").first()
        return reverse(name, args=[record.id, record.history_id])
    return reverse(name, kwargs=values)


def outcome(response):
    """ok, login or 403, from a response whose redirects were followed."""
    sign_in = reverse("accounts:login")
    for url, _status in response.redirect_chain:
        if url.startswith(sign_in) and "next=" in url:
            return "login"
    if response.status_code == 403:
        return "403"
    if response.status_code < 300:
        return "ok"
    return str(response.status_code)


def client_as(user):
    """A fresh browser, signed in as `user` (None: anonymous)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def request(user, url):
    response = client_as(user).get(url, follow=True)
    if response.status_code == 405:
        # An action that only accepts POST: try it, as a form would.
        response = client_as(user).post(url, follow=True)
    return response


@pytest.mark.slow
def test_every_url_answers_each_role_as_the_table_says(world, settings):
    # One walk over every URL with one set of sample records (building them per
    # URL cost most of the suite's time); every mismatch is reported at once.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = [
        None if role == "anonymous" else UserFactory(username=f"as-{role}", role=role)
        for role in ROLES
    ]
    mismatches = []
    for route, name, _namespace, pattern in ALL_PATTERNS:
        key = key_of(route, name)
        expected = expected_for(key)
        url = url_for(route, name, pattern, world)
        responses = [request(user, url) for user in users]
        seen = tuple(outcome(response) for response in responses)
        if seen != expected:
            mismatches.append(f"{url} ({key}): expected {expected}, got {seen}")
        # Every page a browser shows carries the Content-Security-Policy.
        if any(
            response.get("Content-Type", "").startswith("text/html")
            and "Content-Security-Policy" not in response
            for response in responses
        ):
            mismatches.append(f"{url} ({key}): an HTML page without a policy")
    assert not mismatches, "\n".join(mismatches)
