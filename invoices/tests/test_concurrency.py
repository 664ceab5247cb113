"""Races on PostgreSQL: payments, numbers and double submits."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Role
from accounts.tests.factories import UserFactory
from invoices import services
from invoices.models import Invoice, Payment
from invoices.tests.factories import line, make_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", role=Role.ADMIN)


def test_racing_payments_cannot_overpay_a_balance(clerk, race):
    invoice = make_invoice(by=clerk, lines=[line(unit_price="100.00")])

    results = race(10, lambda i: services.record_payment(
        invoice, by=clerk, amount="30.00", method="cash"
    ))  # fmt: skip

    paid = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(paid), len(refused)) == (3, 7)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance) == (
        Decimal("90.00"),
        Decimal("10.00"),
    )


def test_ten_submits_of_one_payment_form_take_the_money_once(clerk, race):
    invoice = make_invoice(by=clerk, lines=[line(unit_price="100.00")])

    results = race(10, lambda i: services.record_payment(
        invoice, by=clerk, amount="40.00", method="card", idempotency_key="tok-1"
    ))  # fmt: skip

    assert all(isinstance(r, Payment) for r in results), results
    assert len({r.pk for r in results}) == 1
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("60.00")


def test_invoice_numbers_stay_gapless_when_some_transactions_fail(clerk, race):
    def bill(i):
        with transaction.atomic():
            invoice = make_invoice(by=clerk)
            if i % 3 == 0:
                raise RuntimeError("checkout failed after numbering")
            return invoice.number

    results = race(12, bill)

    numbers = sorted(r for r in results if isinstance(r, str))
    assert len(numbers) == 8
    assert numbers == [f"INV-{n:06d}" for n in range(1, 9)]
    assert Invoice.objects.count() == 8


def test_two_tills_cannot_spend_the_same_store_credit(clerk, race):
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory()
    paid = make_invoice(by=clerk, customer=customer, lines=[line(unit_price="50.00")])
    services.record_payment(paid, by=clerk, amount="50.00", method="cash")
    services.credit_invoice(paid, [line(unit_price="25.00")], by=clerk, reason="return")
    credit = services.store_credit_of(customer)
    bills = [make_invoice(by=clerk, customer=customer) for _ in range(2)]

    results = race(2, lambda i: services.record_payment(
        bills[i], by=clerk, amount=str(credit), method="store_credit"
    ))  # fmt: skip

    assert sorted(type(r).__name__ for r in results) == ["Payment", "ValidationError"]
    assert services.store_credit_of(customer) == Decimal("0.00")
