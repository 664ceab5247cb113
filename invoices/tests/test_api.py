"""Invoices and payments over the REST API, for each role."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from invoices import services
from invoices.models import Invoice, InvoiceStatus, Payment
from invoices.tests.factories import line, make_invoice

INVOICES = "/api/v1/invoices/"
PAYMENTS = "/api/v1/payments/"
ROLES = [Role.USER, Role.ADMIN, Role.SUPER_ADMIN]
# The token and its last use, the count, the page (customer and author joined),
# then the lines, payments and credit notes of the whole page.
INVOICE_LIST_QUERIES = 7
# The token and its last use, the count, the page with invoices and staff.
PAYMENT_LIST_QUERIES = 4


def detail(invoice):
    return f"{INVOICES}{invoice.pk}/"


def pay_url(invoice):
    return f"{INVOICES}{invoice.pk}/payments/"


def pay(client, invoice, body, key="payment-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(pay_url(invoice), body, format="json", **headers)


def error_of(response, status=400):
    assert response.status_code == status, response.json()
    return response.json()["error"]


@pytest.fixture
def invoice(manager):
    """INV-000001: one line of 100.00 (tax included) for a customer, unpaid."""
    return make_invoice(by=manager, customer=CustomerFactory(name="Ada Lovelace"))


# Reading invoices.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_invoices(api_client, role, invoice):
    response = api_client(UserFactory(role=role)).get(INVOICES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["number"], row["status"]) == (
        invoice.pk,
        "INV-000001",
        "issued",
    )
    assert (row["customer_name"], row["total"], row["balance"]) == (
        "Ada Lovelace",
        "100.00",
        "100.00",
    )


def test_invoices_need_credentials(api_client, invoice):
    client = api_client()
    assert error_of(client.get(INVOICES), 401)["code"] == "not_authenticated"
    assert client.get(detail(invoice)).status_code == 401
    assert client.get(pay_url(invoice)).status_code == 401
    response = pay(client, invoice, {"amount": "10.00", "method": "cash"})
    assert response.status_code == 401
    assert not Payment.objects.exists()


def test_an_invoice_reads_with_its_lines_payments_and_credit_notes(
    api_client, cashier, manager
):
    customer = CustomerFactory()
    invoice = make_invoice(
        by=manager,
        customer=customer,
        lines=[
            line("Screen repair", 1, "100.00"),
            line("Cable", 2, "10.00", sku="CAB-1", discount="2.00"),
        ],
    )
    paid = services.record_payment(
        invoice, by=cashier, amount="50.00", method="card", reference="1234"
    )
    services.refund_payment(paid, by=manager, amount="5.00", reason="Goodwill")
    note = services.credit_invoice(
        invoice, [line("Cable returned", 1, "9.00")], by=manager, reason="Return"
    )

    response = api_client(cashier).get(detail(invoice))

    assert response.status_code == 200
    body = response.json()
    assert [
        (row["position"], row["description"], row["sku"], row["quantity"], row["gross"])
        for row in body["lines"]
    ] == [
        (1, "Screen repair", "", "1.00", "100.00"),
        (2, "Cable", "CAB-1", "2.00", "18.00"),
    ]
    assert (body["total"], body["amount_paid"], body["amount_credited"]) == (
        "118.00",
        "45.00",
        "9.00",
    )
    assert (body["balance"], body["status"]) == ("64.00", "partially_paid")
    assert [(p["amount"], p["method"], p["refund_of"]) for p in body["payments"]] == [
        ("50.00", "card", None),
        ("-5.00", "card", paid.pk),
    ]
    assert body["payments"][0]["received_by_name"] == str(cashier)
    assert body["credit_notes"] == [note.pk]
    assert body["customer"] == customer.pk
    assert body["is_overdue"] is False


def numbers(response):
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


def test_invoices_filter_by_customer_status_balance_kind_source_and_date(
    api_client, cashier, manager
):
    ada, bob = CustomerFactory(), CustomerFactory()
    first = make_invoice(by=manager, customer=ada)  # INV-000001, open
    second = make_invoice(by=manager, customer=bob)  # INV-000002, paid
    services.record_payment(second, by=manager, amount="100.00", method="cash")
    make_invoice(by=manager, customer=ada, issue=False)  # a draft
    services.credit_invoice(
        first, [line("Goodwill", 1, "10.00")], by=manager, reason="x"
    )  # CN-000001
    Invoice.objects.filter(pk=second.pk).update(
        issue_date=timezone.localdate() - timezone.timedelta(days=10)
    )
    client = api_client(cashier)
    assert numbers(client.get(INVOICES, {"customer": bob.pk})) == ["INV-000002"]
    assert numbers(client.get(INVOICES, {"status": "paid", "kind": "invoice"})) == [
        "INV-000002"
    ]
    assert numbers(
        client.get(INVOICES, {"status": ["paid", "draft"], "kind": "invoice"})
    ) == [
        None,
        "INV-000002",
    ]
    assert numbers(client.get(INVOICES, {"outstanding": "true"})) == ["INV-000001"]
    assert numbers(client.get(INVOICES, {"kind": "credit_note"})) == ["CN-000001"]
    assert numbers(client.get(INVOICES, {"source": "sale"})) == []
    last_week = (timezone.localdate() - timezone.timedelta(days=7)).isoformat()
    assert numbers(client.get(INVOICES, {"issued_before": last_week})) == ["INV-000002"]
    assert numbers(
        client.get(INVOICES, {"issued_after": last_week, "kind": "invoice"})
    ) == ["INV-000001"]
    assert numbers(client.get(INVOICES, {"number": "inv-000002"})) == ["INV-000002"]


def test_overdue_invoices_are_found(api_client, cashier, manager):
    late = make_invoice(by=manager, due_days=0)
    make_invoice(by=manager, due_days=30)
    Invoice.objects.filter(pk=late.pk).update(
        due_date=timezone.localdate() - timezone.timedelta(days=1)
    )
    client = api_client(cashier)
    assert numbers(client.get(INVOICES, {"overdue": "true"})) == ["INV-000001"]
    assert numbers(client.get(INVOICES, {"overdue": "false"})) == ["INV-000002"]


def test_invoices_are_ordered_on_request(api_client, cashier, manager):
    make_invoice(by=manager, lines=[line(unit_price="50.00")])
    make_invoice(by=manager, lines=[line(unit_price="20.00")])
    client = api_client(cashier)
    assert numbers(client.get(INVOICES)) == ["INV-000002", "INV-000001"]
    assert numbers(client.get(INVOICES, {"ordering": "-total"})) == [
        "INV-000001",
        "INV-000002",
    ]


def test_a_bad_invoice_filter_is_400(api_client, cashier):
    error = error_of(api_client(cashier).get(INVOICES, {"status": "lost"}))
    assert "status" in error["fields"]


def test_the_invoice_list_costs_a_fixed_number_of_queries(
    api_client, cashier, manager, django_assert_max_num_queries
):
    for _ in range(10):
        invoice = make_invoice(by=manager, customer=CustomerFactory())
        services.record_payment(invoice, by=cashier, amount="10.00", method="cash")
    services.credit_invoice(invoice, [line(unit_price="5.00")], by=manager, reason="x")
    client = api_client(cashier)
    with django_assert_max_num_queries(INVOICE_LIST_QUERIES):
        response = client.get(INVOICES)
    assert len(response.json()["results"]) == 11


# Recording payments.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_records_a_payment(api_client, role, invoice):
    member = UserFactory(role=role)

    response = pay(
        api_client(member),
        invoice,
        {"amount": "40.00", "method": "card", "reference": "7781", "note": "Deposit"},
    )

    assert response.status_code == 201, response.json()
    assert response["Idempotent-Replayed"] == "false"
    payment = Payment.objects.get()
    body = response.json()
    assert (body["id"], body["amount"], body["invoice_balance"]) == (
        payment.pk,
        "40.00",
        "60.00",
    )
    assert (payment.amount, payment.method, payment.reference, payment.note) == (
        Decimal("40.00"),
        "card",
        "7781",
        "Deposit",
    )
    assert payment.received_by == member
    invoice.refresh_from_db()
    assert (invoice.balance, invoice.status) == (
        Decimal("60.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_an_invoices_payments(api_client, role, invoice, cashier):
    services.record_payment(invoice, by=cashier, amount="25.00", method="cash")
    response = api_client(UserFactory(role=role)).get(pay_url(invoice))
    assert response.status_code == 200
    assert [(p["amount"], p["invoice_balance"]) for p in response.json()] == [
        ("25.00", "75.00")
    ]


def test_a_retry_with_the_same_key_returns_the_same_payment(
    api_client, cashier, invoice
):
    client = api_client(cashier)
    first = pay(client, invoice, {"amount": "30.00", "method": "cash"}, key="k-1")
    assert first.status_code == 201

    retry = pay(client, invoice, {"amount": "30", "method": "cash"}, key="k-1")

    assert retry.status_code == 200, retry.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("70.00")


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "31.00"},
        {"method": "card"},
        {"reference": "1234"},
        {"note": "Second instalment"},
    ],
)
def test_the_same_key_for_a_different_payment_is_409(
    api_client, cashier, invoice, change
):
    client = api_client(cashier)
    body = {"amount": "30.00", "method": "cash"}
    first = pay(client, invoice, body, key="k-1")
    assert first.status_code == 201

    error = error_of(pay(client, invoice, {**body, **change}, key="k-1"), 409)

    assert error["code"] == "idempotency_key_reused"
    assert error["message"].startswith(
        f"This Idempotency-Key already recorded payment {first.json()['id']} "
        "(30.00 on Invoice INV-000001)"
    )
    assert Payment.objects.count() == 1


def test_the_same_key_for_another_invoice_is_409(api_client, cashier, manager, invoice):
    other = make_invoice(by=manager)
    client = api_client(cashier)
    body = {"amount": "30.00", "method": "cash"}
    assert pay(client, invoice, body, key="k-1").status_code == 201
    assert error_of(pay(client, other, body, key="k-1"), 409)
    assert not other.payments.exists()


def test_each_member_of_staff_has_their_own_keys(api_client, cashier, manager, invoice):
    body = {"amount": "10.00", "method": "cash"}
    assert pay(api_client(cashier), invoice, body, key="1").status_code == 201
    assert pay(api_client(manager), invoice, body, key="1").status_code == 201
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "Send an Idempotency-Key header"),
        ("k" * 65, "The Idempotency-Key is 1 to 64 letters, digits or punctuation"),
        ("é", "The Idempotency-Key is 1 to 64 letters, digits or punctuation"),
    ],
)
def test_a_payment_needs_a_good_idempotency_key(
    api_client, cashier, invoice, key, message
):
    response = pay(
        api_client(cashier), invoice, {"amount": "1.00", "method": "cash"}, key
    )
    assert error_of(response)["message"].startswith(message)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"amount": "100.01", "method": "cash"},
            "100.01 is more than the 100.00 left to pay on Invoice INV-000001.",
        ),
        (
            {"amount": "10.00", "method": "card", "reference": "4111 1111 1111 1111"},
            "That reference looks like a full card number",
        ),
        (
            {"amount": "10.00", "method": "cheque"},
            "The shop does not take payments by 'cheque'.",
        ),
        (
            {"amount": "10.00", "method": "gold"},
            "The shop does not take payments by 'gold'.",
        ),
        ({"amount": "0.00", "method": "cash"}, "greater than or equal to 0.01"),
        ({"amount": "-5", "method": "cash"}, "greater than or equal to 0.01"),
        ({"amount": "1.005", "method": "cash"}, "no more than 2 decimal places"),
        ({"amount": "1e15", "method": "cash"}, "no more than 12 digits"),
        ({"method": "cash"}, "This field is required."),
        (
            {"amount": "10.00", "method": "store_credit"},
            "Ada Lovelace has 0.00 of store credit, not 10.00.",
        ),
    ],
)
def test_a_refused_payment_is_400_and_writes_nothing(
    api_client, cashier, invoice, body, message
):
    error = error_of(pay(api_client(cashier), invoice, body))
    assert message in " ".join(
        [error["message"], *sum(error.get("fields", {}).values(), [])]
    )
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("100.00")


def test_a_draft_or_a_paid_invoice_takes_no_payment(api_client, cashier, manager):
    draft = make_invoice(by=manager, issue=False)
    client = api_client(cashier)
    error = error_of(pay(client, draft, {"amount": "1.00", "method": "cash"}))
    assert error["message"] == "Draft invoice is draft; it takes no payments."
    paid = make_invoice(by=manager)
    services.record_payment(paid, by=manager, amount="100.00", method="cash")
    error = error_of(pay(client, paid, {"amount": "1.00", "method": "cash"}, key="2"))
    # A draft has no number yet: the paid invoice is the first one numbered.
    assert error["message"] == "Invoice INV-000001 is paid; it takes no payments."
    assert Payment.objects.count() == 1


def test_a_payment_on_an_unknown_invoice_is_404(api_client, cashier):
    response = pay(
        api_client(cashier), Invoice(pk=999999), {"amount": "1", "method": "cash"}
    )
    assert error_of(response, 404)["code"] == "not_found"


def test_methods_the_shop_switched_off_are_refused(api_client, cashier, invoice):
    shop = ShopSettings.load()
    shop.payment_methods = ["card"]
    shop.save()
    error = error_of(
        pay(api_client(cashier), invoice, {"amount": "1", "method": "cash"})
    )
    assert error["message"] == "The shop does not take payments by 'cash'."


# Every payment: the Admins' list.


@pytest.mark.parametrize(("role", "status"), [(Role.USER, 403), (Role.ADMIN, 200)])
def test_the_payment_list_is_for_admins(api_client, role, status, invoice, cashier):
    payment = services.record_payment(invoice, by=cashier, amount="5.00", method="cash")
    client = api_client(UserFactory(role=role))
    assert client.get(PAYMENTS).status_code == status
    assert client.get(f"{PAYMENTS}{payment.pk}/").status_code == status


def test_a_payment_reads_with_its_invoice_and_customer(api_client, manager, invoice):
    payment = services.record_payment(
        invoice, by=manager, amount="5.00", method="card", reference="0042"
    )
    body = api_client(manager).get(f"{PAYMENTS}{payment.pk}/").json()
    assert body == {
        "id": payment.pk,
        "invoice": invoice.pk,
        "invoice_number": "INV-000001",
        "invoice_balance": "95.00",
        "customer": invoice.customer_id,
        "amount": "5.00",
        "method": "card",
        "reference": "0042",
        "note": "",
        "is_refund": False,
        "refund_of": None,
        "received_by": manager.pk,
        "received_by_name": str(manager),
        "received_at": body["received_at"],
    }


def test_payments_filter_by_invoice_customer_method_staff_and_date(
    api_client, cashier, manager, invoice
):
    other = make_invoice(by=manager, customer=CustomerFactory())
    cash = services.record_payment(invoice, by=cashier, amount="10.00", method="cash")
    card = services.record_payment(other, by=manager, amount="20.00", method="card")
    refund = services.refund_payment(card, by=manager, amount="5.00", reason="x")
    Payment.objects.filter(pk=cash.pk).update(
        received_at=timezone.now() - timezone.timedelta(days=2)
    )
    client = api_client(manager)

    def ids(**params):
        response = client.get(PAYMENTS, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [refund.pk, card.pk, cash.pk]
    assert ids(invoice=invoice.pk) == [cash.pk]
    assert ids(customer=other.customer_id) == [refund.pk, card.pk]
    assert ids(method="cash") == [cash.pk]
    assert ids(received_by=cashier.pk) == [cash.pk]
    assert ids(refunds="true") == [refund.pk]
    assert ids(refunds="false") == [card.pk, cash.pk]
    yesterday = (timezone.now() - timezone.timedelta(days=1)).isoformat()
    assert ids(received_before=yesterday) == [cash.pk]
    assert ids(received_after=yesterday, ordering="amount") == [refund.pk, card.pk]


def test_the_payment_list_costs_a_fixed_number_of_queries(
    api_client, manager, django_assert_max_num_queries
):
    for _ in range(10):
        invoice = make_invoice(by=manager, customer=CustomerFactory())
        services.record_payment(invoice, by=manager, amount="10.00", method="cash")
    client = api_client(manager)
    with django_assert_max_num_queries(PAYMENT_LIST_QUERIES):
        response = client.get(PAYMENTS)
    assert len(response.json()["results"]) == 10


def test_payments_are_not_written_through_the_payment_list(
    api_client, manager, invoice
):
    client = api_client(manager)
    body = {"invoice": invoice.pk, "amount": "1.00", "method": "cash"}
    assert error_of(client.post(PAYMENTS, body, format="json"), 405)
    assert not Payment.objects.exists()


# Racing on PostgreSQL.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_posts_with_one_key_take_one_payment(api_client, race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    invoice = make_invoice(by=manager)
    clients = [api_client(manager) for _ in range(10)]
    body = {"amount": "60.00", "method": "card"}

    results = race(10, lambda i: pay(clients[i], invoice, body, key="same"))

    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] * 9 + [201], [r.json() for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("40.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_racing_on_two_invoices_takes_one_payment(api_client, race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    invoices = [make_invoice(by=manager), make_invoice(by=manager)]
    clients = [api_client(manager) for _ in range(6)]
    body = {"amount": "60.00", "method": "card"}

    results = race(6, lambda i: pay(clients[i], invoices[i % 2], body, key="same"))

    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 1, [r.json() for r in results]
    assert set(statuses) <= {200, 201, 409}, [r.json() for r in results]
    assert Payment.objects.count() == 1
