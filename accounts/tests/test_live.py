"""Live updates: topics bumped by the services, the poll, the page markers."""

import io
import json

import pytest
from django.core import signals
from django.db import close_old_connections, connection, transaction
from django.template import Context, Template, TemplateSyntaxError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import live
from accounts.models import LiveTopic, Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory
from invoices import services as billing
from invoices.tests.factories import make_invoice
from repairs import services as repairs
from repairs.tests.factories import make_ticket
from sales.tests.factories import make_sale

pytestmark = pytest.mark.django_db


def version(topic):
    return live.versions([topic])[topic][0]


def stocked(quantity=5, **fields):
    owner = UserFactory(username="stocker", role=Role.ADMIN)
    product = ProductFactory(**fields)
    stock.receive_stock(
        [stock.StockLine(product, quantity, "2.00")],
        by=owner,
        supplier=product.supplier,
    )
    product.refresh_from_db()
    return product


# -- changed() ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_change_is_told_at_once():
    live.changed("stock")
    live.changed("stock", "billing")
    assert version("stock") == 2
    assert version("billing") == 1
    assert version("repairs") == 0


def test_a_transaction_tells_its_topics_once_after_it_commits(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        live.changed("stock")
        live.changed("billing")
        live.changed("stock")
        assert version("stock") == 0  # not before the commit
    assert len(callbacks) == 1
    assert (version("stock"), version("billing")) == (1, 1)
    row = LiveTopic.objects.get(name="stock")
    assert row.changed_at > 0


def test_a_rolled_back_change_is_not_told(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                live.changed("stock")
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    assert callbacks == []
    assert version("stock") == 0


def test_a_change_after_a_rolled_back_savepoint_is_still_told(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                live.changed("billing")
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        live.changed("repairs")
    assert (version("billing"), version("repairs")) == (0, 1)


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_the_bump_is_the_transactions_last_statement():
    """On SQLite the bump is written before the commit, in the transaction,
    not after it as a write that queues for the database's lock again."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    live.changed("stock", "sales")  # their rows made
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        live.changed("stock", "sales")
        LiveTopic.objects.create(name="marker")
    statements = [query["sql"] for query in queries.captured_queries]
    assert statements[-1] == "COMMIT"
    assert statements[-2].startswith(f"UPDATE {LiveTopic._meta.db_table} ")
    assert (version("stock"), version("sales")) == (2, 2)


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_a_failed_bump_does_not_undo_the_transaction(monkeypatch, caplog):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")

    def broken(topics):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(live, "bump", broken)
    with transaction.atomic():
        live.changed("stock")
        LiveTopic.objects.create(name="marker")
    assert LiveTopic.objects.filter(name="marker").exists()
    assert "failed before the commit" in caplog.text


def test_an_unknown_topic_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown live topics"):
        live.changed("stok")


# -- what the services and models tell ------------------------------------------
# These commit for real (transaction=True), so that each action's on-commit
# callback is its own, as in production.


def told(action):
    """The topics whose version `action` moved once it committed."""
    before = live.versions()
    action()
    after = live.versions()
    return {name for name in live.TOPICS if after[name][0] != before[name][0]}


@pytest.mark.django_db(transaction=True)
def test_a_sale_tells_stock_sales_and_billing():
    product = stocked(name="Cable", sale_price="10.00")
    cashier = UserFactory(role=Role.USER)
    topics = told(lambda: make_sale(cashier, [(product, 1)]))
    assert topics == {"stock", "sales", "billing"}


@pytest.mark.django_db(transaction=True)
def test_a_payment_tells_billing():
    invoice = make_invoice()
    cashier = UserFactory(role=Role.USER)
    topics = told(
        lambda: billing.record_payment(
            invoice, by=cashier, amount="10.00", method="cash"
        ),
    )
    assert topics == {"billing"}


@pytest.mark.django_db(transaction=True)
def test_a_repair_status_change_tells_repairs():
    technician = UserFactory(role=Role.USER)
    ticket = make_ticket(by=technician)
    topics = told(
        lambda: repairs.change_status(ticket, "diagnosing", by=technician),
    )
    assert topics == {"repairs"}


@pytest.mark.django_db(transaction=True)
def test_a_stock_adjustment_and_a_price_change_tell_stock():
    product = stocked()
    owner = UserFactory(role=Role.SUPER_ADMIN)
    adjusted = told(
        lambda: stock.adjust_stock(product, by=owner, quantity=-1, note="Broken"),
    )
    repriced = told(
        lambda: stock.update_product(product, by=owner, sale_price="19.99"),
    )
    assert adjusted == repriced == {"stock"}


@pytest.mark.django_db(transaction=True)
def test_opening_a_shift_and_cash_in_or_out_tell_sales():
    from sales.models import CashMovementKind
    from sales.services import open_shift, record_cash_movement

    cashier = UserFactory(role=Role.USER)
    shift = None

    def open_():
        nonlocal shift
        shift = open_shift(by=cashier, opening_float="50.00")

    opened = told(open_)
    paid_out = told(
        lambda: record_cash_movement(
            shift,
            by=cashier,
            kind=CashMovementKind.PAYOUT,
            amount="5.00",
            reason="Milk",
        )
    )
    assert opened == paid_out == {"sales"}


@pytest.mark.django_db(transaction=True)
def test_a_customer_edited_anywhere_tells_customers():
    customer = CustomerFactory()
    customer.name = "Edited in Django admin"
    topics = told(customer.save)
    assert topics == {"customers"}


# -- the poll -------------------------------------------------------------------


def poll_url(topics="stock,billing"):
    return f"{reverse('live')}?topics={topics}"


def key_of(user):
    return {"HTTP_X_LIVE_KEY": live.live_key(user)}


def test_the_poll_answers_the_versions_of_the_topics_asked_for(
    client, django_assert_num_queries
):
    user = UserFactory(role=Role.USER)
    live.bump(["stock"])
    live.bump(["stock"])
    with django_assert_num_queries(1):  # no session, no user: the versions only
        response = client.get(poll_url(), **key_of(user))
    assert response.status_code == 200
    topics = response.json()["topics"]
    assert set(topics) == {"stock", "billing"}
    assert topics["stock"]["version"] == 2
    assert topics["stock"]["at"] > 0
    assert topics["billing"] == {"version": 0, "at": 0.0}
    assert response["Cache-Control"] == "no-cache, private"


def test_the_poll_answers_304_while_nothing_changed(client):
    user = UserFactory(role=Role.USER)
    first = client.get(poll_url(), **key_of(user))
    unchanged = client.get(poll_url(), HTTP_IF_NONE_MATCH=first["ETag"], **key_of(user))
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    live.bump(["billing"])
    moved = client.get(poll_url(), HTTP_IF_NONE_MATCH=first["ETag"], **key_of(user))
    assert moved.status_code == 200
    assert moved.json()["topics"]["billing"]["version"] == 1
    assert moved["ETag"] != first["ETag"]


@pytest.mark.parametrize("key", ["", "nonsense", "1:forged:signature"])
def test_the_poll_refuses_a_missing_or_forged_key(client, key):
    response = client.get(poll_url(), HTTP_X_LIVE_KEY=key)
    assert response.status_code == 403
    assert "reload" in response.json()["error"]


def test_the_poll_refuses_an_expired_key(client, settings):
    user = UserFactory(role=Role.USER)
    key = live.live_key(user)
    settings.SESSION_COOKIE_AGE = -1
    assert client.get(poll_url(), HTTP_X_LIVE_KEY=key).status_code == 403


@pytest.mark.parametrize("topics", ["", "nothing", ",,"])
def test_the_poll_needs_a_known_topic(client, topics):
    user = UserFactory(role=Role.USER)
    response = client.get(poll_url(topics), **key_of(user))
    assert response.status_code == 400
    assert response.json() == {"error": "Ask for one or more topics."}


def test_the_poll_takes_only_get(client):
    user = UserFactory(role=Role.USER)
    assert client.post(poll_url(), **key_of(user)).status_code == 405


# -- pages ------------------------------------------------------------------------


def test_a_staff_page_carries_where_and_how_to_poll(client):
    user = UserFactory(role=Role.USER)
    client.force_login(user)
    response = client.get(reverse("repairs:ticket_list"))
    body = response.content.decode()
    assert f'data-live-url="{reverse("live")}"' in body
    assert 'data-live-key="' in body
    assert 'data-live-since="' in body
    assert 'id="repair-board"' in body and 'data-live="repairs"' in body
    since = float(body.split('data-live-since="')[1].split('"')[0])
    assert since > 0


def test_the_sign_in_page_does_not_poll(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "data-live-url" not in body


def test_the_live_tag_marks_an_element_and_refuses_unknown_topics():
    rendered = Template('<div id="x" {% live "stock billing" %}>').render(Context())
    assert rendered == '<div id="x" data-live="stock billing">'
    assert Template('<div {% live "" %}>').render(Context()) == "<div >"
    with pytest.raises(TemplateSyntaxError, match="stok"):
        Template('{% live "stok" %}').render(Context())


def test_each_live_page_marks_its_parts(client):
    """The parts docs/live.md lists carry their ids and topics."""
    from sales.services import open_shift

    cashier = UserFactory(role=Role.USER)
    manager = UserFactory(role=Role.ADMIN)
    customer = CustomerFactory()
    invoice = make_invoice(customer=customer)
    stocked(name="Cable")
    shift = open_shift(by=cashier, opening_float="20.00")
    pages = [
        (cashier, reverse("sales:till"), ['id="search-results"', 'id="quick-picks"']),
        (cashier, reverse("repairs:ticket_list"), ['id="repair-board"']),
        (
            cashier,
            reverse("repairs:ticket_list") + "?view=table",
            ['id="repair-table"'],
        ),
        (cashier, customer.get_absolute_url(), ['id="customer-contact"', "panel-1"]),
        (cashier, invoice.get_absolute_url(), ['id="invoice-page"']),
        (manager, reverse("reports:home"), ['id="dashboard"', 'id="panel-low-stock"']),
        (manager, reverse("inventory:product_list"), ['id="product-table"']),
        (manager, reverse("inventory:low_stock"), ['id="low-stock-table"']),
        (cashier, reverse("customers:customer_list"), ['id="customer-table"']),
        (cashier, reverse("invoices:invoice_list"), ['id="invoice-table"']),
        (manager, reverse("sales:sale_list"), ['id="sale-table"']),
        (manager, reverse("sales:shift_list"), ['id="shift-table"']),
        (
            manager,
            reverse("sales:shift_detail", args=[shift.pk]),
            ['id="shift-figures"', 'id="shift-takings"', 'id="shift-cash-movements"'],
        ),
        (manager, reverse("invoices:payment_list"), ['id="payment-table"']),
    ]
    for user, url, ids in pages:
        client.force_login(user)
        body = client.get(url).content.decode()
        for element_id in ids:
            assert element_id in body, (url, element_id)
        assert 'data-live="' in body, url
    client.force_login(cashier)
    till = client.get(reverse("sales:till")).content.decode()
    assert 'hx-trigger="live"' in till  # the search asks for its own fragment


# -- the WSGI front (gunicorn, runserver) ---------------------------------------


def call_wsgi(path, query="", **headers):
    from pos_project.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        **headers,
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = status
        started["headers"] = dict(response_headers)

    # As Django's test client does: a request must not close the test's
    # database connection (it holds the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body


def test_the_front_answers_polls_before_django(django_assert_num_queries):
    user = UserFactory(role=Role.USER)
    live.bump(["repairs"])
    key = {"HTTP_X_LIVE_KEY": live.live_key(user)}
    with django_assert_num_queries(1):
        status, headers, body = call_wsgi(live.POLL_PATH, "topics=repairs", **key)
    assert status == "200 OK"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    assert json.loads(body)["topics"]["repairs"]["version"] == 1
    status, _, body = call_wsgi(
        live.POLL_PATH, "topics=repairs", HTTP_IF_NONE_MATCH=headers["ETag"], **key
    )
    assert (status, body) == ("304 Not Modified", b"")
    status, _, body = call_wsgi(
        live.POLL_PATH, "topics=repairs", HTTP_X_LIVE_KEY="forged"
    )
    assert status == "403 Forbidden"
    assert json.loads(body) == {"error": live.TOO_OLD}


def test_the_front_leaves_every_other_request_to_django():
    status, _, body = call_wsgi("/healthz")
    assert status == "200 OK"
    status, _, _ = call_wsgi("/live/nothing")
    assert status == "404 Not Found"  # Django's answer, not a poll's


def test_a_failed_poll_answers_503_and_drops_the_connection(monkeypatch, caplog):
    user = UserFactory(role=Role.USER)

    def broken(topics):
        raise OSError("server closed the connection unexpectedly")

    monkeypatch.setattr(live, "versions", broken)
    closed = []
    monkeypatch.setattr(live.connection, "close", lambda: closed.append(True))
    status, _, body = call_wsgi(
        live.POLL_PATH, "topics=stock", HTTP_X_LIVE_KEY=live.live_key(user)
    )
    assert status == "503 Service Unavailable"
    assert json.loads(body) == {"error": "Try again."}
    assert closed == [True]
    assert "A live-update poll failed" in caplog.text


def test_a_redraw_copy_of_a_page_leaves_its_messages_for_the_page(client):
    client.force_login(UserFactory(role=Role.USER))
    response = client.post(
        reverse("customers:customer_create"),
        {"name": "Grace Hopper", "phone": "+1 555 010 2030"},
    )
    assert response.status_code == 302
    page = response["Location"]
    copy = client.get(page, HTTP_X_LIVE_REDRAW="1").content.decode()
    assert "Grace Hopper" in copy
    assert 'class="messages"' not in copy
    shown = client.get(page).content.decode()
    assert 'class="messages"' in shown
