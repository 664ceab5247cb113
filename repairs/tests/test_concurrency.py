"""Races at the front desk and the bench, on PostgreSQL (SQLite has no row locks)."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import PaymentMethod, Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory.models import StockMove
from invoices.models import Payment
from repairs import services
from repairs.models import Status, Ticket

from .factories import make_ticket, ready_ticket, stocked_part

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_desks_booking_at_once_get_ten_numbers_without_gaps(race):
    desk = UserFactory(username="desk", role=Role.USER)
    customer = CustomerFactory()

    results = race(
        10,
        lambda i: make_ticket(
            by=desk, customer=customer, imei="", serial=f"SER-{i}",
            deposit=services.Deposit("10.00", PaymentMethod.CASH),
        ),
    )  # fmt: skip

    assert all(isinstance(r, Ticket) for r in results), results
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == [f"RP-{n:06d}" for n in range(1, 11)]
    assert Payment.objects.count() == 10


def test_two_benches_cannot_fit_the_last_part_twice(race):
    tech = UserFactory(username="bench", role=Role.USER)
    part = stocked_part(by=tech, quantity=1)
    lines = [
        services.add_part(
            make_ticket(by=tech, imei="", serial=f"S{i}"), by=tech, product=part
        )
        for i in range(6)
    ]

    results = race(6, lambda i: services.fit_part(lines[i], by=tech))

    fitted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(fitted), len(refused)) == (1, 5), results
    assert StockMove.objects.filter(reason="repair_part").count() == 1
    call_command("check_stock", stdout=StringIO())


def test_a_double_click_on_collected_and_a_payment_race_stay_consistent(race):
    desk = UserFactory(username="collector", role=Role.USER)
    ticket = ready_ticket(by=desk)
    from invoices.services import record_payment

    record_payment(ticket.invoice, by=desk, amount="50.00", method="cash")

    results = race(5, lambda i: services.change_status(ticket, "collected", by=desk))

    done = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(done), len(refused)) == (1, 4), results
    ticket.refresh_from_db()
    assert ticket.status == Status.COLLECTED
    assert ticket.history.filter(to_status="collected").count() == 1


def test_one_deposit_form_submitted_ten_times_takes_the_money_once(race):
    desk = UserFactory(username="twice", role=Role.USER)
    ticket = make_ticket(by=desk)

    results = race(
        10,
        lambda i: services.record_deposit(
            ticket, by=desk, amount="20.00", method="cash", idempotency_key="k" * 32
        ),
    )

    assert all(isinstance(r, Payment) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert ticket.invoice.payments.count() == 1
