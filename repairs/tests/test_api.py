"""Repair tickets over the REST API, for each role."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from inventory.tests.factories import ServiceFactory
from invoices.models import InvoiceStatus, Payment
from repairs import services
from repairs.models import Priority, Status, StatusChange, Ticket, TicketLine

from .factories import IMEI, make_ticket, ready_ticket, stocked_part

TICKETS = "/api/v1/repairs/"
LINES = "/api/v1/repair-lines/"
ROLES = [Role.USER, Role.ADMIN, Role.SUPER_ADMIN]
KEY = "intake-0123456789abcdef"


def detail(ticket, action=""):
    return f"{TICKETS}{ticket.pk}/" + (f"{action}/" if action else "")


def line_url(line):
    return f"{LINES}{line.pk}/"


def intake(for_customer=None, **overrides):
    body = {
        "customer": for_customer.pk if for_customer else None,
        "device_type": "phone",
        "brand": "Samsung",
        "model": "Galaxy S21",
        "imei": IMEI,
        "problem": "Does not charge",
        "accessories": "Case",
        "passcode": "letmein-2468",
    }
    body.update(overrides)
    return body


def with_key(key=KEY):
    return {"HTTP_IDEMPOTENCY_KEY": key}


@pytest.fixture
def bench(cashier):
    """A ticket in repair with labour and a fitted part, a deposit, a note."""
    customer = CustomerFactory(name="Ada Lovelace")
    screen = stocked_part(by=cashier)
    ticket = make_ticket(
        by=cashier,
        customer=customer,
        technician=cashier,
        passcode="letmein-1234",
        deposit=services.Deposit("25.00", "cash"),
    )
    services.add_labour(
        ticket, by=cashier, description="Screen fitting", unit_price="50.00"
    )
    services.add_part(ticket, by=cashier, product=screen, fit=True)
    services.change_status(ticket, "in_repair", by=cashier, note="Parts in stock")
    ticket.refresh_from_db()
    return ticket


# Reading tickets.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_tickets(api_client, bench, role):
    response = api_client(UserFactory(role=role)).get(TICKETS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["number"], row["status"]) == (
        bench.pk,
        bench.number,
        "in_repair",
    )
    assert row["customer"]["name"] == "Ada Lovelace"
    assert (row["brand"], row["model"], row["imei"]) == ("Apple", "iPhone 12", IMEI)
    assert row["technician"]["name"] == str(bench.technician)
    assert "passcode" not in json.dumps(body)


def test_a_ticket_shows_what_its_page_shows_but_never_the_passcode(
    api_client, bench, cashier
):
    response = api_client(cashier).get(detail(bench))
    assert response.status_code == 200
    ticket = response.json()
    assert ticket["customer"]["id"] == bench.customer_id
    assert ticket["problem"] == "Cracked screen, touch works"
    assert ticket["status_label"] == "In repair"
    assert ticket["has_passcode"] is True
    assert "letmein-1234" not in json.dumps(ticket)
    assert not [key for key in ticket if key.startswith("passcode")]
    assert [s["status"] for s in ticket["allowed_statuses"]] == [
        "awaiting_approval",
        "awaiting_parts",
        "ready",
        "returned",
    ]
    estimate = ticket["estimate"]
    assert [
        (line["kind"], line["description"], line["amount"], line["fitted"])
        for line in estimate["lines"]
    ] == [
        ("labour", "Screen fitting", "50.00", False),
        ("part", "iPhone 12 screen", "89.00", True),
    ]
    # Labour at the default rate (no tax), the screen at 20%, prices with tax.
    assert (estimate["subtotal"], estimate["tax"], estimate["total"]) == (
        "124.17",
        "14.83",
        "139.00",
    )
    assert ticket["approval"]["approved"] is False
    bill = ticket["bill"]
    assert (bill["status"], bill["amount_paid"], bill["balance"]) == (
        "draft",
        "25.00",
        "-25.00",
    )
    assert [(p["amount"], p["method"]) for p in bill["payments"]] == [("25.00", "cash")]
    history = ticket["history"]
    assert (history[0]["to_status"], history[0]["note"]) == ("received", "Booked in")
    assert (history[-1]["from_status"], history[-1]["to_status"]) == (
        "received",
        "in_repair",
    )
    assert history[-1]["note"] == "Parts in stock"
    assert history[-1]["by"]["name"] == str(cashier)
    assert ticket["public_url"] == f"http://testserver{bench.get_public_url()}"


def test_tickets_need_credentials(api_client, bench):
    client = api_client()
    for response in (
        client.get(TICKETS),
        client.get(detail(bench)),
        client.post(TICKETS, intake(bench.customer)),
        client.post(detail(bench, "status"), {"status": "ready"}),
        client.patch(detail(bench), {"brand": "Nokia"}),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    bench.refresh_from_db()
    assert (Ticket.objects.count(), bench.status, bench.brand) == (
        1,
        "in_repair",
        "Apple",
    )


def test_an_unknown_ticket_is_404(api_client, cashier):
    response = api_client(cashier).get(f"{TICKETS}999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def numbers(response):
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


def test_tickets_filter_as_the_board_does(api_client, cashier, manager):
    ada = CustomerFactory(name="Ada Lovelace", phone="+44 20 7946 0001")
    late = make_ticket(by=cashier, customer=ada, technician=manager)
    Ticket.objects.filter(pk=late.pk).update(
        promised_date=timezone.localdate() - timedelta(days=2)
    )
    urgent = make_ticket(
        by=cashier, priority=Priority.URGENT, imei="", serial="SN-778899"
    )
    services.change_status(urgent, "diagnosing", by=cashier)
    done = ready_ticket(by=cashier)
    services.change_status(done, "collected", by=manager, on_account=True)
    client = api_client(cashier)

    def find(**params):
        return numbers(client.get(TICKETS, params))

    assert find(status="diagnosing") == [urgent.number]
    assert sorted(find(status=["received", "collected"])) == sorted(
        [late.number, done.number]
    )
    assert sorted(find(status="open")) == sorted([late.number, urgent.number])
    assert find(technician=manager.pk) == [late.number]
    assert find(customer=ada.pk) == [late.number]
    assert find(priority=Priority.URGENT) == [urgent.number]
    assert find(overdue="true") == [late.number]
    assert find(q="lovelace") == [late.number]
    assert find(q="7946 0001") == [late.number]
    assert find(q="sn-778899") == [urgent.number]
    # Any offset from UTC Python reads, though PostgreSQL takes up to 15:59.
    assert len(find(created_after="2000-01-01T00:00:00-20:43")) == 3
    assert find(created_before="2000-01-01T00:00:00+20:43") == []


def test_a_bad_filter_value_is_400_with_the_field(api_client, cashier):
    response = api_client(cashier).get(
        TICKETS,
        {
            "status": "lost",
            "customer": 9999,
            "created_after": "0001-01-01T00:00:00+05:00",
            "created_before": "yesterday",
        },
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "status",
        "customer",
        "created_after",
        "created_before",
    }


def test_tickets_are_ordered_on_request(api_client, cashier):
    low = make_ticket(by=cashier, priority=Priority.LOW)
    high = make_ticket(by=cashier, priority=Priority.HIGH)
    client = api_client(cashier)
    assert numbers(client.get(TICKETS)) == [high.number, low.number]
    assert numbers(client.get(TICKETS, {"ordering": "priority"})) == [
        low.number,
        high.number,
    ]
    assert numbers(client.get(TICKETS, {"ordering": "number"})) == [
        low.number,
        high.number,
    ]


def test_the_ticket_list_costs_a_fixed_number_of_queries(
    api_client, cashier, django_assert_max_num_queries
):
    for _ in range(20):
        make_ticket(by=cashier, customer=CustomerFactory(), technician=cashier)
    client = api_client(cashier)
    # The token and its last use, the count, the page with customers and
    # technicians.
    with django_assert_max_num_queries(4):
        response = client.get(TICKETS)
    assert len(response.json()["results"]) == 20


# Booking devices in.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_books_a_device_in(api_client, role):
    member = UserFactory(role=role)
    customer = CustomerFactory()
    response = api_client(member).post(TICKETS, intake(customer))
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get()
    body = response.json()
    assert response["Location"] == f"{TICKETS}{ticket.pk}/"
    assert (body["id"], body["number"], body["status"]) == (
        ticket.pk,
        ticket.number,
        "received",
    )
    assert (ticket.customer, ticket.created_by, ticket.imei) == (customer, member, IMEI)
    assert services.reveal_passcode(ticket) == "letmein-2468"
    assert "letmein-2468" not in response.content.decode()
    assert ticket.invoice.status == InvoiceStatus.DRAFT
    assert ticket.history.get().note == "Booked in"


def test_a_new_customer_is_added_with_the_ticket(api_client, cashier):
    response = api_client(cashier).post(
        TICKETS,
        intake(new_customer={"name": " Ann Lee ", "phone": "0170 123 456"}),
    )
    assert response.status_code == 201, response.json()
    customer = Ticket.objects.get().customer
    assert (customer.name, customer.phone_digits) == ("Ann Lee", "0170123456")


def test_a_deposit_at_intake_is_taken_once_per_key(api_client, cashier):
    client = api_client(cashier)
    customer = CustomerFactory()
    body = intake(customer, deposit={"amount": "25.00", "method": "card"})
    first = client.post(TICKETS, body, **with_key())
    again = client.post(TICKETS, body, **with_key())

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == (
        "false",
        "true",
    )
    assert again.json()["id"] == first.json()["id"]
    ticket = Ticket.objects.get()
    payment = Payment.objects.get()
    assert (payment.invoice, payment.amount, payment.method) == (
        ticket.invoice,
        Decimal("25.00"),
        "card",
    )
    assert first.json()["bill"]["balance"] == "-25.00"


def test_an_intake_key_sent_with_another_deposit_is_a_conflict(api_client, cashier):
    client = api_client(cashier)
    customer = CustomerFactory()
    client.post(
        TICKETS,
        intake(customer, deposit={"amount": "25.00", "method": "cash"}),
        **with_key(),
    )
    response = client.post(
        TICKETS,
        intake(customer, deposit={"amount": "30.00", "method": "cash"}),
        **with_key(),
    )
    assert response.status_code == 409
    assert (Ticket.objects.count(), Payment.objects.get().amount) == (
        1,
        Decimal("25.00"),
    )


def test_a_deposit_needs_an_idempotency_key(api_client, cashier):
    body = intake(CustomerFactory(), deposit={"amount": "25.00", "method": "cash"})
    client = api_client(cashier)
    missing = client.post(TICKETS, body)
    malformed = client.post(TICKETS, body, **with_key("x" * 65))
    assert missing.status_code == malformed.status_code == 400
    assert "Send an Idempotency-Key header" in missing.json()["error"]["message"]
    assert "1 to 64" in malformed.json()["error"]["message"]
    assert not Ticket.objects.exists()
    assert not Payment.objects.exists()


def test_a_key_used_for_another_device_is_a_conflict(api_client, cashier):
    client = api_client(cashier)
    customer = CustomerFactory()
    client.post(TICKETS, intake(customer), **with_key())
    response = client.post(
        TICKETS, intake(customer, imei="", serial="C02XYZ"), **with_key()
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"customer": 999999}, "customer", "No customer has id 999999."),
        ({"imei": "35693803564380X"}, "imei", "only digits"),
        ({"imei": "490154203237519"}, "imei", "last digit does not match"),
        ({"imei": "", "serial": ""}, "imei", "IMEI or serial"),
        ({"brand": ""}, "brand", "may not be blank"),
        ({"device_type": "toaster"}, "device_type", "not a valid choice"),
        ({"technician": 999999}, "technician", "No active member of staff"),
        ({"promised_date": "2001-01-01"}, "promised_date", "in the past"),
        ({"warranty_days": 5000}, "warranty_days", "less than or equal to 3650"),
        (
            {"deposit": {"amount": "-5", "method": "cash"}},
            "deposit",
            "greater than or equal to 0.01",
        ),
        (
            {
                "deposit": {
                    "amount": "5",
                    "method": "cash",
                    "reference": "4111111111111111",
                }
            },
            "deposit",
            "full card number",
        ),
    ],
)
def test_bad_intake_is_400_on_the_field_and_writes_nothing(
    api_client, cashier, change, field, message
):
    customers = Customer.objects.count()
    response = api_client(cashier).post(
        TICKETS, intake(CustomerFactory(), **change), **with_key()
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    assert message in json.dumps(error["fields"][field])
    assert not Ticket.objects.exists()
    assert not Payment.objects.exists()
    assert Customer.objects.count() == customers + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer": None}, "Find the customer"),
        ({"new_customer": {"name": "Ann", "phone": "0170"}}, "not both"),
    ],
)
def test_intake_needs_one_customer(api_client, cashier, change, message):
    response = api_client(cashier).post(TICKETS, intake(CustomerFactory(), **change))
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not Ticket.objects.exists()


def test_a_new_customer_needs_a_phone_or_an_email(api_client, cashier):
    response = api_client(cashier).post(
        TICKETS, intake(new_customer={"name": "Ann Lee"})
    )
    assert response.status_code == 400
    assert "new_customer" in response.json()["error"]["fields"]
    assert not Customer.objects.exists()


def test_a_deactivated_customer_is_refused_by_the_service(api_client, cashier):
    customer = CustomerFactory(active=False)
    response = api_client(cashier).post(TICKETS, intake(customer))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"{customer} is deactivated; reactivate them first."
    )
    assert not Ticket.objects.exists()


def test_tickets_cannot_be_replaced_or_deleted(api_client, bench, manager):
    client = api_client(manager)
    assert client.put(detail(bench), intake(bench.customer)).status_code == 405
    assert client.delete(detail(bench)).status_code == 405
    assert Ticket.objects.filter(pk=bench.pk).exists()


# Changing a ticket.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_corrects_the_intake_details(api_client, bench, role):
    member = UserFactory(role=role)
    response = api_client(member).patch(
        detail(bench), {"model": "iPhone 12 Pro", "priority": Priority.HIGH}
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["model"], response.json()["priority"]) == (
        "iPhone 12 Pro",
        Priority.HIGH,
    )
    bench.refresh_from_db()
    assert (bench.model, bench.priority) == ("iPhone 12 Pro", Priority.HIGH)
    note = bench.history.last()
    assert (note.by, note.note) == (member, "Changed model, priority")


def test_a_passcode_is_written_not_read(api_client, bench, cashier):
    response = api_client(cashier).patch(detail(bench), {"passcode": "letmein-9999"})
    assert response.status_code == 200
    assert "letmein-9999" not in response.content.decode()
    bench.refresh_from_db()
    assert services.reveal_passcode(bench) == "letmein-9999"
    assert bench.history.last().note == "Passcode changed"


def test_a_bad_edit_leaves_the_ticket_as_it_was(api_client, bench, cashier):
    response = api_client(cashier).patch(
        detail(bench), {"model": "Other", "imei": "123"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"imei"}
    bench.refresh_from_db()
    assert (bench.model, bench.imei) == ("iPhone 12", IMEI)


def test_fields_an_edit_does_not_take_are_refused_not_ignored(
    api_client, bench, cashier
):
    response = api_client(cashier).patch(
        detail(bench), {"status": "ready", "brand": "Nokia", "colour": "red"}
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"status", "colour"}
    assert "/status/" in fields["status"][0]
    bench.refresh_from_db()
    assert (bench.status, bench.brand) == (Status.IN_REPAIR, "Apple")


def test_a_closed_ticket_no_longer_changes(api_client, cashier):
    ticket = make_ticket(by=cashier)
    services.change_status(ticket, "cancelled", by=cashier)
    response = api_client(cashier).patch(
        detail(ticket), {"brand": "Nokia", "passcode": "1"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"{ticket} is cancelled."
    ticket.refresh_from_db()
    assert (ticket.brand, ticket.has_passcode) == ("Apple", False)


# The workflow.


def test_the_status_endpoint_says_where_the_ticket_may_go(api_client, bench, cashier):
    response = api_client(cashier).get(detail(bench, "status"))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["status_label"]) == ("in_repair", "In repair")
    assert [s["status"] for s in body["allowed_statuses"]] == [
        "awaiting_approval",
        "awaiting_parts",
        "ready",
        "returned",
    ]
    assert [h["to_status"] for h in body["history"]][-1] == "in_repair"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_moves_a_ticket_on(api_client, bench, role):
    member = UserFactory(role=role)
    response = api_client(member).post(
        detail(bench, "status"),
        {"status": "ready", "note": "Tested", "minutes_spent": 40},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["bill"]["status"] == "partially_paid"
    assert (body["bill"]["total"], body["bill"]["balance"]) == ("139.00", "114.00")
    bench.refresh_from_db()
    assert (bench.status, bench.minutes_spent) == (Status.READY, 40)
    change = bench.history.last()
    assert (change.from_status, change.to_status, change.by, change.note) == (
        "in_repair",
        "ready",
        member,
        "Tested",
    )


def test_an_illegal_transition_is_refused_with_the_services_message(
    api_client, bench, cashier
):
    changes = StatusChange.objects.count()
    response = api_client(cashier).post(
        detail(bench, "status"), {"status": "collected"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "A ticket that is in repair cannot become collected."
    )
    bench.refresh_from_db()
    assert bench.status == Status.IN_REPAIR
    assert StatusChange.objects.count() == changes


def test_an_unknown_status_is_400_on_the_field(api_client, bench, cashier):
    response = api_client(cashier).post(detail(bench, "status"), {"status": "lost"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "status": ["lost is not a repair status."]
    }


@pytest.mark.parametrize(
    ("role", "expected"), [(Role.USER, 400), (Role.ADMIN, 200), (Role.SUPER_ADMIN, 200)]
)
def test_only_admins_let_a_repair_go_on_account(api_client, cashier, role, expected):
    ticket = ready_ticket(by=cashier)
    response = api_client(UserFactory(role=role)).post(
        detail(ticket, "status"), {"status": "collected", "on_account": True}
    )
    assert response.status_code == expected
    ticket.refresh_from_db()
    if expected == 400:
        assert response.json()["error"]["message"] == (
            "Only an Admin can let a repair go with a balance on account."
        )
        assert ticket.status == Status.READY
    else:
        assert ticket.status == Status.COLLECTED
        assert ticket.on_account_by is not None


# The estimate.


def test_labour_and_parts_go_on_the_estimate(api_client, cashier):
    ticket = make_ticket(by=cashier)
    battery = stocked_part(by=cashier, name="Battery", sale_price=Decimal("30.00"))
    fitting = ServiceFactory(name="Battery fitting", sale_price=Decimal("15.00"))
    client = api_client(cashier)

    labour = client.post(
        detail(ticket, "lines"),
        {"kind": "labour", "description": "Diagnosis", "unit_price": "20.00"},
    )
    service = client.post(
        detail(ticket, "lines"),
        {"kind": "labour", "product": fitting.pk, "unit_price": "15.00"},
    )
    part = client.post(
        detail(ticket, "lines"),
        {"kind": "part", "product": battery.pk, "quantity": 1, "fit": True},
    )

    assert labour.status_code == service.status_code == part.status_code == 201
    assert (labour.json()["description"], labour.json()["amount"]) == (
        "Diagnosis",
        "20.00",
    )
    assert service.json()["description"] == "Battery fitting"
    assert (part.json()["unit_price"], part.json()["fitted"]) == ("30.00", True)
    battery.refresh_from_db()
    assert battery.on_hand == 4
    estimate = client.get(detail(ticket, "lines")).json()
    assert len(estimate["lines"]) == 3
    assert estimate["total"] == "65.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "labour", "description": "Cleaning"}, "unit_price"),
        ({"kind": "labour", "unit_price": "10.00"}, "description"),
        ({"kind": "part"}, "product"),
        ({"kind": "part", "product": 999999}, "product"),
        ({"kind": "labour", "unit_price": "-1", "description": "x"}, "unit_price"),
        ({"kind": "gift", "unit_price": "1"}, "kind"),
    ],
)
def test_a_bad_line_is_400_and_adds_nothing(api_client, cashier, body, field):
    ticket = make_ticket(by=cashier)
    response = api_client(cashier).post(detail(ticket, "lines"), body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not TicketLine.objects.exists()


def test_a_billed_estimate_no_longer_changes(api_client, cashier):
    ticket = ready_ticket(by=cashier)
    response = api_client(cashier).post(
        detail(ticket, "lines"),
        {"kind": "labour", "description": "More", "unit_price": "5.00"},
    )
    assert response.status_code == 400
    assert "its estimate no longer changes" in response.json()["error"]["message"]
    assert ticket.lines.count() == 1


def test_a_line_is_changed_fitted_and_removed(api_client, cashier):
    ticket = make_ticket(by=cashier)
    screen = stocked_part(by=cashier)
    line = services.add_part(ticket, by=cashier, product=screen, quantity=2)
    client = api_client(cashier)

    assert client.get(line_url(line)).json()["amount"] == "178.00"
    changed = client.patch(line_url(line), {"unit_price": "80.00", "quantity": 1})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["unit_price"], changed.json()["amount"]) == (
        "80.00",
        "80.00",
    )
    fitted = client.patch(line_url(line), {"fitted": True})
    assert fitted.json()["fitted"] is True
    screen.refresh_from_db()
    assert screen.on_hand == 4
    mixed = client.patch(line_url(line), {"fitted": False, "quantity": 2})
    assert mixed.status_code == 400
    assert client.delete(line_url(line)).status_code == 204
    screen.refresh_from_db()
    assert screen.on_hand == 5
    assert not TicketLine.objects.exists()


def test_labour_is_not_fitted(api_client, bench, cashier):
    labour = bench.lines.get(kind="labour")
    response = api_client(cashier).patch(line_url(labour), {"fitted": True})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Only parts are fitted."


def test_lines_need_credentials(api_client, bench):
    line = bench.lines.first()
    client = api_client()
    assert client.get(line_url(line)).status_code == 401
    assert client.delete(line_url(line)).status_code == 401
    assert bench.lines.count() == 2


# Approval and deposits.


def test_staff_record_the_customers_approval(api_client, cashier):
    ticket = make_ticket(by=cashier)
    services.add_labour(ticket, by=cashier, description="Screen", unit_price="60.00")
    services.change_status(ticket, "diagnosing", by=cashier)
    services.change_status(ticket, "awaiting_approval", by=cashier)
    client = api_client(cashier)
    assert client.get(detail(ticket, "approval")).json()["approved"] is False

    response = client.post(
        detail(ticket, "approval"), {"method": "phone", "note": "Said yes"}
    )

    assert response.status_code == 201, response.json()
    approval = response.json()
    assert (approval["approved"], approval["total"], approval["method"]) == (
        True,
        "60.00",
        "phone",
    )
    assert approval["recorded_by"]["name"] == str(cashier)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_REPAIR


def test_staff_cannot_approve_as_the_customer(api_client, bench, cashier):
    response = api_client(cashier).post(
        detail(bench, "approval"), {"method": "status_page"}
    )
    assert response.status_code == 400
    assert "method" in response.json()["error"]["fields"]
    assert not bench.approvals.exists()


def test_a_deposit_is_taken_once_per_key(api_client, bench, cashier):
    client = api_client(cashier)
    body = {"amount": "40.00", "method": "card", "reference": "7781"}
    first = client.post(detail(bench, "deposits"), body, **with_key())
    again = client.post(detail(bench, "deposits"), body, **with_key())

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == (
        "false",
        "true",
    )
    assert first.json()["id"] == again.json()["id"]
    bench.invoice.refresh_from_db()
    assert bench.invoice.amount_paid == Decimal("65.00")
    bill = client.get(detail(bench, "deposits")).json()
    assert [p["amount"] for p in bill["payments"]] == ["25.00", "40.00"]
    assert bill["balance"] == "-65.00"


def test_a_deposit_key_sent_with_another_amount_is_a_conflict(
    api_client, bench, cashier
):
    client = api_client(cashier)
    url = detail(bench, "deposits")
    first = client.post(url, {"amount": "40.00", "method": "card"}, **with_key())
    response = client.post(url, {"amount": "50.00", "method": "card"}, **with_key())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["message"].startswith(
        f"This Idempotency-Key already recorded deposit {first.json()['id']} (40.00 "
    )
    assert sorted(p.amount for p in Payment.objects.all()) == [
        Decimal("25.00"),
        Decimal("40.00"),
    ]


def test_a_deposit_without_a_key_or_to_a_billed_repair_is_refused(api_client, cashier):
    ticket = ready_ticket(by=cashier)
    client = api_client(cashier)
    body = {"amount": "10.00", "method": "cash"}
    without = client.post(detail(ticket, "deposits"), body)
    billed = client.post(detail(ticket, "deposits"), body, **with_key())
    assert without.status_code == billed.status_code == 400
    assert "take payment of the invoice" in billed.json()["error"]["message"]
    assert not Payment.objects.exists()


# Two requests with the same key at the same instant.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_intake_sent_at_once_books_one_ticket(race):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from accounts.services import create_api_token

    cache.clear()
    cashier = UserFactory(username="racer", role=Role.USER)
    _token, key = create_api_token(cashier, by=cashier, name="Bench")
    body = intake(CustomerFactory(), deposit={"amount": "10.00", "method": "cash"})

    def book(_i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post(TICKETS, body, format="json", **with_key()).status_code

    results = race(5, book)

    # A thread that raised (or hung) shows its exception (or None), not a
    # TypeError from sorting it among the status codes.
    assert sorted(map(repr, results)) == ["200", "200", "200", "200", "201"], results
    assert Ticket.objects.count() == 1
    assert Payment.objects.get().amount == Decimal("10.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_intake_key_racing_with_different_devices_books_one_ticket(
    api_client, race
):
    cashier = UserFactory(username="racer", role=Role.USER)
    customer = CustomerFactory()
    clients = [api_client(cashier) for _ in range(4)]

    results = race(
        4,
        lambda i: clients[i].post(
            TICKETS, intake(customer, imei="", serial=f"SN-{i}"), **with_key()
        ),
    )

    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [201, 409, 409, 409], [getattr(r, "data", r) for r in results]
    assert Ticket.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_deposit_sent_at_once_takes_one_payment(api_client, race):
    cashier = UserFactory(username="racer", role=Role.USER)
    ticket = make_ticket(by=cashier)
    clients = [api_client(cashier) for _ in range(5)]
    body = {"amount": "20.00", "method": "cash"}

    results = race(
        5, lambda i: clients[i].post(detail(ticket, "deposits"), body, **with_key())
    )

    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [200, 200, 200, 200, 201], results
    assert len({r.json()["id"] for r in results}) == 1
    assert Payment.objects.get().amount == Decimal("20.00")
