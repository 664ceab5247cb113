from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import PaymentMethod
from customers.tests.factories import CustomerFactory
from inventory.models import StockMove, StockReason
from inventory.tests.factories import ServiceFactory
from invoices.models import InvoiceSource, InvoiceStatus, Payment
from pos_project.idempotency import KeyReused
from repairs import services
from repairs.models import (
    ApprovalMethod,
    EstimateApproval,
    MessageTemplate,
    Status,
    StatusChange,
    Ticket,
    TicketLine,
)

from .factories import IMEI, make_ticket, ready_ticket, stocked_part

pytestmark = pytest.mark.django_db


# Intake.


def test_intake_numbers_tickets_without_gaps_and_opens_a_draft_bill(cashier):
    first = make_ticket(by=cashier)
    second = make_ticket(by=cashier, imei="", serial="C02XK1ABJGH5")

    assert (first.number, second.number) == ("RP-000001", "RP-000002")
    assert first.status == Status.RECEIVED
    assert first.invoice.status == InvoiceStatus.DRAFT
    assert first.invoice.source == InvoiceSource.REPAIR
    assert first.invoice.customer == first.customer
    assert list(first.history.values_list("to_status", "by")) == [
        (Status.RECEIVED, cashier.pk)
    ]


def test_the_public_token_is_long_random_and_not_the_number(cashier):
    ticket = make_ticket(by=cashier)

    other = make_ticket(by=cashier, imei="", serial="X1")

    assert len(ticket.public_token) >= 32
    assert ticket.get_public_url().split("/")[-2] == ticket.public_token
    assert ticket.number not in ticket.get_public_url()
    assert other.public_token != ticket.public_token


def test_a_deposit_is_a_payment_on_the_draft(cashier):
    ticket = make_ticket(
        by=cashier,
        deposit=services.Deposit("30.00", PaymentMethod.CASH, idempotency_key="d" * 32),
    )

    payment = ticket.invoice.payments.get()
    assert (payment.amount, payment.method) == (Decimal("30.00"), PaymentMethod.CASH)
    ticket.invoice.refresh_from_db()
    assert ticket.invoice.amount_paid == Decimal("30.00")
    assert ticket.invoice.status == InvoiceStatus.DRAFT


def test_the_passcode_is_stored_encrypted_and_shown_to_staff(cashier):
    ticket = make_ticket(by=cashier, passcode="4711")

    assert ticket.passcode_encrypted and "4711" not in ticket.passcode_encrypted
    assert services.reveal_passcode(ticket) == "4711"


@pytest.mark.parametrize(
    ("imei", "message"),
    [
        ("49015420323751A", "only digits"),
        ("4901542032", "15 digits"),
        ("490154203237519", "last digit does not match"),
    ],
)
def test_a_wrong_imei_is_refused_and_nothing_is_written(cashier, imei, message):
    customer = CustomerFactory()
    with pytest.raises(ValidationError, match=message):
        make_ticket(by=cashier, customer=customer, imei=imei)

    assert not Ticket.objects.exists()
    assert not customer.invoices.exists()


def test_an_imei_is_kept_as_digits(cashier):
    assert make_ticket(by=cashier, imei="49-015420-323751 8").imei == IMEI


def test_a_phone_needs_its_imei_or_serial(cashier):
    with pytest.raises(ValidationError, match="IMEI or serial"):
        make_ticket(by=cashier, imei="", serial="")


def test_a_repeated_intake_token_returns_the_same_ticket(cashier):
    customer = CustomerFactory()
    first = make_ticket(by=cashier, customer=customer, idempotency_key="k" * 32)
    again = make_ticket(by=cashier, customer=customer, idempotency_key="k" * 32)

    assert again.pk == first.pk
    assert Ticket.objects.count() == 1


def intake_once(by, customer, key="intake-1", **fields):
    values = {
        "device_type": "phone",
        "brand": "Apple",
        "model": "iPhone 12",
        "imei": IMEI,
        "problem": "Cracked screen, touch works",
        **fields,
    }
    return services.create_ticket_once(by=by, key=key, customer=customer, **values)


def test_a_clients_key_books_a_device_in_once(cashier):
    customer = CustomerFactory()
    deposit = services.Deposit(Decimal("25.00"), PaymentMethod.CARD, "7781")
    first = intake_once(cashier, customer, deposit=deposit, passcode="4711")
    again = intake_once(cashier, customer, deposit=deposit, passcode="4711")

    assert (first.created, again.created) == (True, False)
    assert again.obj == first.obj
    assert Ticket.objects.count() == 1
    assert Payment.objects.get().amount == Decimal("25.00")


@pytest.mark.parametrize(
    "change",
    [
        {"serial": "C02XYZ"},
        {"problem": "Does not charge"},
        {"deposit": services.Deposit(Decimal("30.00"), PaymentMethod.CARD, "7781")},
    ],
)
def test_a_clients_key_sent_with_another_intake_is_refused(cashier, change):
    customer = CustomerFactory()
    deposit = services.Deposit(Decimal("25.00"), PaymentMethod.CARD, "7781")
    made = intake_once(cashier, customer, deposit=deposit).obj
    with pytest.raises(KeyReused) as refused:
        intake_once(cashier, customer, **{"deposit": deposit, **change})
    assert refused.value.messages == [
        f"This Idempotency-Key already booked in {made.number}, for a different "
        "request. Use a new key for a new ticket."
    ]
    assert Ticket.objects.count() == Payment.objects.count() == 1


def test_an_intake_without_a_key_is_made_each_time(cashier):
    customer = CustomerFactory()
    assert intake_once(cashier, customer, key=None).created
    assert intake_once(cashier, customer, key=None).created
    assert Ticket.objects.count() == 2


def test_a_clients_key_takes_a_deposit_once(cashier):
    ticket = make_ticket(by=cashier)
    first = services.record_deposit_once(
        ticket, by=cashier, key="d-1", amount="40.00", method="card", reference="1"
    )
    again = services.record_deposit_once(
        ticket, by=cashier, key="d-1", amount="40", method="card", reference="1"
    )
    assert (first.created, again.created, again.obj) == (True, False, first.obj)
    with pytest.raises(KeyReused) as refused:
        services.record_deposit_once(
            ticket, by=cashier, key="d-1", amount="50.00", method="card"
        )
    assert refused.value.messages[0].startswith(
        f"This Idempotency-Key already recorded deposit {first.obj.pk} (40.00 on "
    )
    assert Payment.objects.get() == first.obj


def test_a_past_promised_date_is_refused(cashier):
    with pytest.raises(ValidationError, match="in the past"):
        make_ticket(by=cashier, promised_date=timezone.localdate() - timedelta(days=1))


def test_a_device_back_within_its_warranty_is_flagged(cashier):
    earlier = ready_ticket(by=cashier)
    from invoices.services import record_payment

    record_payment(
        earlier.invoice, by=cashier, amount="50.00", method=PaymentMethod.CASH
    )
    services.change_status(earlier, "collected", by=cashier)

    again = make_ticket(by=cashier, customer=earlier.customer)
    other = make_ticket(by=cashier, imei="356938035643809")

    assert again.warranty_of == earlier
    assert other.warranty_of is None


def test_a_warranty_that_ran_out_is_not_flagged(cashier):
    earlier = ready_ticket(by=cashier, warranty_days=30)
    from invoices.services import record_payment

    record_payment(
        earlier.invoice, by=cashier, amount="50.00", method=PaymentMethod.CASH
    )
    services.change_status(earlier, "collected", by=cashier)
    Ticket.objects.filter(pk=earlier.pk).update(
        closed_at=timezone.now() - timedelta(days=31)
    )

    assert make_ticket(by=cashier).warranty_of is None


# The workflow.


def test_each_status_change_is_recorded_with_who_and_a_note(cashier, manager):
    ticket = make_ticket(by=cashier)
    services.change_status(ticket, "diagnosing", by=manager, note="Opened it up")

    change = ticket.history.last()
    assert (change.from_status, change.to_status) == ("received", "diagnosing")
    assert (change.by, change.note) == (manager, "Opened it up")
    ticket.refresh_from_db()
    assert ticket.status == Status.DIAGNOSING


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("ready", "cannot become ready for collection"),
        ("collected", "cannot become collected"),
        ("fixed", "not a repair status"),
        ("received", "already received"),
    ],
)
def test_senseless_transitions_are_refused(cashier, to, message):
    ticket = make_ticket(by=cashier)
    with pytest.raises(ValidationError, match=message):
        services.change_status(ticket, to, by=cashier)

    assert ticket.history.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.RECEIVED


def test_every_status_but_the_closed_ones_leads_somewhere(cashier):
    ticket = make_ticket(by=cashier)
    assert [s.value for s in ticket.allowed_statuses()] == [
        "diagnosing",
        "in_repair",
        "cancelled",
    ]
    for closed in ("collected", "cancelled", "returned"):
        ticket.status = closed
        assert ticket.allowed_statuses() == []


# The estimate and parts.


def test_the_estimate_adds_labour_and_parts_at_their_prices(cashier, manager):
    ticket = make_ticket(by=cashier)
    part = stocked_part(by=manager)
    service = ServiceFactory(name="Diagnosis", sale_price=Decimal("25.00"))

    services.add_labour(ticket, by=cashier, product=service, unit_price="25.00")
    services.add_labour(
        ticket, by=cashier, description="Labour", unit_price="30.00", quantity="1.5"
    )
    services.add_part(ticket, by=cashier, product=part)

    assert services.estimate_total(ticket) == Decimal("159.00")
    assert ticket.lines.get(product=part).unit_price == Decimal("89.00")
    part.refresh_from_db()
    assert part.on_hand == 5  # estimated, not fitted: no stock moves yet


@pytest.mark.parametrize(
    ("price", "quantity", "message"),
    [
        ("-5.00", "1", "cannot be negative"),
        ("abc", "1", "not an amount"),
        ("10.001", "1", "in cents"),
        ("10.00", "0", "above zero"),
    ],
)
def test_bad_estimate_lines_are_refused(cashier, price, quantity, message):
    ticket = make_ticket(by=cashier)
    with pytest.raises(ValidationError, match=message):
        services.add_labour(
            ticket, by=cashier, description="Labour", unit_price=price,
            quantity=quantity,
        )  # fmt: skip

    assert not ticket.lines.exists()


def test_a_part_is_counted_in_whole_units(cashier, manager):
    ticket = make_ticket(by=cashier)
    with pytest.raises(ValidationError, match="whole number"):
        services.add_part(
            ticket, by=cashier, product=stocked_part(by=manager), quantity="1.5"
        )


def test_fitting_a_part_takes_stock_with_the_ticket_as_reference(cashier, manager):
    ticket = make_ticket(by=cashier)
    part = stocked_part(by=manager, quantity=3)
    line = services.add_part(ticket, by=cashier, product=part, quantity=2)

    services.fit_part(line, by=cashier)

    part.refresh_from_db()
    assert part.on_hand == 1
    move = StockMove.objects.get(product=part, reason=StockReason.REPAIR_PART)
    assert (move.quantity, move.reference_label) == (-2, ticket.number)
    assert move.reference == ticket
    line.refresh_from_db()
    assert line.is_fitted and line.fitted_by == cashier


def test_a_part_out_of_stock_is_refused_naming_it(cashier, manager):
    ticket = make_ticket(by=cashier)
    part = stocked_part(by=manager, quantity=1)
    line = services.add_part(ticket, by=cashier, product=part, quantity=2)

    with pytest.raises(ValidationError, match="Not enough stock of iPhone 12 screen"):
        services.fit_part(line, by=cashier)

    line.refresh_from_db()
    assert not line.is_fitted
    assert not StockMove.objects.filter(reason=StockReason.REPAIR_PART).exists()


def test_removing_a_fitted_part_gives_it_back(cashier, manager):
    ticket = make_ticket(by=cashier)
    part = stocked_part(by=manager, quantity=3)
    line = services.add_part(ticket, by=cashier, product=part)
    services.fit_part(line, by=cashier)

    services.unfit_part(line, by=cashier)
    part.refresh_from_db()
    assert part.on_hand == 3
    back = StockMove.objects.get(reason=StockReason.REPAIR_PART_RETURN)
    assert (back.quantity, back.reference_label) == (1, ticket.number)

    services.fit_part(line, by=cashier)
    services.remove_line(line, by=cashier)
    part.refresh_from_db()
    assert part.on_hand == 3
    assert not ticket.lines.exists()


def test_a_fitted_part_keeps_its_quantity(cashier, manager):
    ticket = make_ticket(by=cashier)
    line = services.add_part(ticket, by=cashier, product=stocked_part(by=manager))
    services.fit_part(line, by=cashier)

    with pytest.raises(ValidationError, match="is fitted"):
        services.update_line(line, by=cashier, quantity=2)


def test_price_changes_keep_their_history(cashier):
    ticket = make_ticket(by=cashier)
    line = services.add_labour(
        ticket, by=cashier, description="Labour", unit_price="40.00"
    )
    services.update_line(line, by=cashier, unit_price="55.00")

    prices = list(line.history.order_by("history_date").values_list("unit_price"))
    assert prices == [(Decimal("40.00"),), (Decimal("55.00"),)]
    note = ticket.history.last()
    assert (note.note, note.by) == ("Labour: price 40.00 → 55.00", cashier)


def test_passcode_keys_rotate(cashier, settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.REPAIR_PASSCODE_KEYS = [old]
    ticket = make_ticket(by=cashier, passcode="1357")

    settings.REPAIR_PASSCODE_KEYS = [new, old]  # a new key, the old one still read
    assert services.reveal_passcode(ticket) == "1357"
    settings.REPAIR_PASSCODE_KEYS = [new]  # the old key lost: unreadable, no crash
    assert services.reveal_passcode(ticket) is None


# Approval.


def test_approval_records_who_when_and_how(cashier):
    ticket = make_ticket(by=cashier)
    services.add_labour(ticket, by=cashier, description="Labour", unit_price="60.00")

    approval = services.approve_estimate(
        ticket, method=ApprovalMethod.PHONE, by=cashier, note="Spoke to the owner"
    )

    assert (approval.total, approval.method, approval.recorded_by) == (
        Decimal("60.00"),
        ApprovalMethod.PHONE,
        cashier,
    )
    ticket.refresh_from_db()
    assert ticket.approval == approval


def test_approval_on_the_status_page_moves_the_repair_on(cashier):
    ticket = make_ticket(by=cashier)
    services.add_labour(ticket, by=cashier, description="Labour", unit_price="60.00")
    services.change_status(ticket, "diagnosing", by=cashier)
    services.change_status(ticket, "awaiting_approval", by=cashier)

    services.approve_estimate(ticket, method=ApprovalMethod.STATUS_PAGE)

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_REPAIR
    change = ticket.history.last()
    assert change.by is None and "status page" in change.note


def test_a_changed_estimate_needs_a_new_approval(cashier):
    ticket = make_ticket(by=cashier)
    line = services.add_labour(
        ticket, by=cashier, description="Labour", unit_price="60.00"
    )
    services.change_status(ticket, "diagnosing", by=cashier)
    first = services.approve_estimate(
        ticket, method=ApprovalMethod.IN_PERSON, by=cashier
    )

    services.update_line(line, by=cashier, unit_price="80.00")

    ticket.refresh_from_db()
    assert ticket.approval is None
    first.refresh_from_db()
    assert first.withdrawn_at is not None
    with pytest.raises(ValidationError, match="approved it"):
        services.change_status(ticket, "in_repair", by=cashier)

    second = services.approve_estimate(
        ticket, method=ApprovalMethod.IN_PERSON, by=cashier
    )
    assert second.total == Decimal("80.00")
    services.change_status(ticket, "in_repair", by=cashier)


def test_an_empty_estimate_cannot_be_approved(cashier):
    with pytest.raises(ValidationError, match="no estimate"):
        services.approve_estimate(
            make_ticket(by=cashier), method=ApprovalMethod.IN_PERSON, by=cashier
        )
    assert not EstimateApproval.objects.exists()


# Billing and collection.


def test_ready_bills_labour_and_fitted_parts_and_counts_the_deposit(cashier, manager):
    ticket = make_ticket(
        by=cashier, deposit=services.Deposit("20.00", PaymentMethod.CASH)
    )
    line = services.add_part(ticket, by=cashier, product=stocked_part(by=manager))
    services.fit_part(line, by=cashier)
    services.add_labour(ticket, by=cashier, description="Fitting", unit_price="40.00")
    services.change_status(ticket, "in_repair", by=cashier)

    services.change_status(ticket, "ready", by=cashier, minutes_spent=45)

    ticket.refresh_from_db()
    invoice = ticket.invoice
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert invoice.number.startswith("INV-")
    assert (invoice.total, invoice.amount_paid, invoice.balance) == (
        Decimal("129.00"),
        Decimal("20.00"),
        Decimal("109.00"),
    )
    assert sorted(invoice.lines.values_list("description", flat=True)) == [
        "Fitting",
        "iPhone 12 screen",
    ]
    assert ticket.minutes_spent == 45 and ticket.ready_at is not None


def test_ready_refuses_parts_not_fitted(cashier, manager):
    ticket = make_ticket(by=cashier)
    services.add_part(ticket, by=cashier, product=stocked_part(by=manager))
    services.change_status(ticket, "in_repair", by=cashier)

    with pytest.raises(ValidationError, match="not fitted yet: iPhone 12 screen"):
        services.change_status(ticket, "ready", by=cashier)
    ticket.refresh_from_db()
    assert ticket.invoice.status == InvoiceStatus.DRAFT


def test_ready_needs_something_to_bill(cashier):
    ticket = make_ticket(by=cashier)
    services.change_status(ticket, "in_repair", by=cashier)
    with pytest.raises(ValidationError, match="Add the labour and parts"):
        services.change_status(ticket, "ready", by=cashier)


def test_a_ticket_with_a_balance_is_not_collected(cashier):
    ticket = ready_ticket(by=cashier)

    with pytest.raises(ValidationError, match="50.00 is still owed"):
        services.change_status(ticket, "collected", by=cashier)
    with pytest.raises(ValidationError, match="Only an Admin"):
        services.change_status(ticket, "collected", by=cashier, on_account=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.READY


def test_an_admin_lets_it_go_on_account(cashier, manager):
    ticket = ready_ticket(by=cashier, passcode="1234")

    services.change_status(ticket, "collected", by=manager, on_account=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.COLLECTED
    assert ticket.on_account_by == manager
    assert ticket.invoice.balance == Decimal("50.00")


def test_paid_in_full_it_is_collected_and_the_passcode_erased(cashier):
    from invoices.services import record_payment

    ticket = ready_ticket(by=cashier, passcode="1234")
    record_payment(
        ticket.invoice, by=cashier, amount="50.00", method=PaymentMethod.CARD
    )

    services.change_status(ticket, "collected", by=cashier)

    ticket.refresh_from_db()
    assert ticket.status == Status.COLLECTED
    assert ticket.passcode_encrypted == ""
    assert ticket.closed_at is not None
    assert ticket.invoice.status == InvoiceStatus.PAID


def test_a_deposit_larger_than_the_bill_leaves_credit(cashier):
    ticket = make_ticket(
        by=cashier, deposit=services.Deposit("80.00", PaymentMethod.CASH)
    )
    services.add_labour(ticket, by=cashier, description="Labour", unit_price="50.00")
    services.change_status(ticket, "in_repair", by=cashier)
    services.change_status(ticket, "ready", by=cashier)

    ticket.refresh_from_db()
    assert ticket.invoice.balance == Decimal("-30.00")
    assert ticket.invoice.status == InvoiceStatus.PAID
    services.change_status(ticket, "collected", by=cashier)


def test_cancelling_voids_the_draft_once_deposits_are_refunded(cashier, manager):
    ticket = make_ticket(
        by=cashier, deposit=services.Deposit("30.00", PaymentMethod.CASH)
    )
    with pytest.raises(ValidationError, match="refund them first"):
        services.change_status(ticket, "cancelled", by=cashier)

    deposit = ticket.invoice.payments.get()
    with pytest.raises(ValidationError, match="Only an Admin"):
        services.refund_deposit(deposit, by=cashier, amount="30.00", reason="Cancelled")
    services.refund_deposit(deposit, by=manager, amount="30.00", reason="Cancelled")
    services.change_status(
        ticket, "cancelled", by=cashier, note="Customer changed mind"
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert ticket.invoice.status == InvoiceStatus.VOID
    assert ticket.invoice.number is None
    assert Payment.objects.filter(invoice=ticket.invoice).count() == 2


def test_cancelling_refuses_while_parts_are_fitted(cashier, manager):
    ticket = make_ticket(by=cashier)
    line = services.add_part(ticket, by=cashier, product=stocked_part(by=manager))
    services.fit_part(line, by=cashier)
    services.change_status(ticket, "diagnosing", by=cashier)

    with pytest.raises(ValidationError, match="Remove the fitted parts"):
        services.change_status(ticket, "cancelled", by=cashier)


def test_returned_unrepaired_bills_only_labour(cashier, manager):
    ticket = make_ticket(
        by=cashier, deposit=services.Deposit("25.00", PaymentMethod.CASH)
    )
    services.add_labour(ticket, by=cashier, description="Diagnosis", unit_price="25.00")
    services.add_part(ticket, by=cashier, product=stocked_part(by=manager))
    services.change_status(ticket, "diagnosing", by=cashier)

    services.change_status(ticket, "returned", by=cashier, note="Board is dead")

    ticket.refresh_from_db()
    assert ticket.status == Status.RETURNED
    assert ticket.invoice.total == Decimal("25.00")
    assert ticket.invoice.status == InvoiceStatus.PAID


def test_estimate_is_frozen_once_ready(cashier):
    ticket = ready_ticket(by=cashier)
    with pytest.raises(ValidationError, match="no longer changes"):
        services.add_labour(ticket, by=cashier, description="More", unit_price="1.00")
    assert TicketLine.objects.filter(ticket=ticket).count() == 1


def test_deposits_stop_once_billed(cashier):
    ticket = ready_ticket(by=cashier)
    with pytest.raises(ValidationError, match="take payment of the invoice"):
        services.record_deposit(
            ticket, by=cashier, amount="10.00", method=PaymentMethod.CASH
        )


# Emails.


def test_ready_emails_the_customer_after_commit(
    cashier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ready_ticket(by=cashier)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ticket.customer.email]
    assert "ready for collection" in message.subject
    assert "$50.00" in message.body
    assert ticket.public_token in message.body


def test_statuses_the_shop_did_not_choose_send_nothing(
    cashier, django_capture_on_commit_callbacks
):
    MessageTemplate.objects.filter(status="ready").update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        ready_ticket(by=cashier)

    assert mail.outbox == []


def test_a_rolled_back_change_sends_nothing(
    cashier, django_capture_on_commit_callbacks
):
    ticket = make_ticket(by=cashier)
    services.change_status(ticket, "in_repair", by=cashier)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError),
    ):
        services.change_status(ticket, "ready", by=cashier)  # nothing to bill

    assert mail.outbox == []
    assert StatusChange.objects.filter(ticket=ticket, to_status="ready").count() == 0
