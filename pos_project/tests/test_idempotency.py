"""The one-time keys' protocol (pos_project.idempotency). What each keyed
service makes of it is tested with the service; races run on PostgreSQL
there too."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from accounts.models import IdempotencyKey
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory
from invoices import services as billing
from invoices.models import Payment
from invoices.tests.factories import make_invoice
from pos_project import idempotency
from repairs import services as repairs
from repairs.tests.factories import make_ticket
from sales import services as sales
from sales.models import Sale
from sales.services import open_shift

PAYMENTS = idempotency.Action("pay", Payment, "idempotency_key", reused=str)
SALES = idempotency.Action("sale", Sale, "checkout_token", reused=str)


@pytest.mark.parametrize("written", ["10", "10.00", 10, Decimal("10.0"), "1E1"])
def test_a_number_is_one_string_however_it_was_written(written):
    assert idempotency.number(written) == "10"


def test_what_is_no_number_is_kept_as_it_is():
    assert idempotency.number("0012a") == "0012a"
    assert idempotency.number(True) == "True"


def test_a_fingerprint_reads_numbers_records_and_dates_by_value(db):
    customer = CustomerFactory()
    asked = {"customer": customer, "amount": Decimal("12.50"), "on": date(2026, 5, 1)}
    same = {"on": date(2026, 5, 1), "amount": Decimal("12.5"), "customer": customer}
    other = {**asked, "amount": Decimal("12.51")}
    assert idempotency.fingerprint(asked) == idempotency.fingerprint(same)
    assert idempotency.fingerprint(asked) != idempotency.fingerprint(other)
    assert len(idempotency.fingerprint(asked)) == 16


def test_a_key_is_scoped_to_who_sends_it_and_the_action(db):
    ann, bob = UserFactory(), UserFactory()
    content = {"amount": "10"}
    mine = PAYMENTS.claim("k-1", by=ann, content=content)
    assert mine == PAYMENTS.claim("k-1", by=ann, content=content)
    assert mine.scope != PAYMENTS.claim("k-1", by=bob, content=content).scope
    assert mine.scope != SALES.claim("k-1", by=ann, content=content).scope
    assert mine.scope.startswith("pay-")
    assert mine.token == f"{mine.scope}-{mine.fingerprint}"
    assert len(SALES.claim("k" * 64, by=ann, content=content).token) <= 64


@pytest.mark.parametrize("key", ["", "k" * 65, None])
def test_a_key_is_1_to_64_characters(db, key):
    with pytest.raises(ValidationError, match="1 to 64 characters"):
        PAYMENTS.claim(key, by=UserFactory(), content={})


def test_an_action_whose_keys_would_not_fit_its_column_is_refused():
    with pytest.raises(ValueError, match="checkout_token"):
        idempotency.Action("giftcard", Sale, "checkout_token", reused=str)


def test_a_reused_key_is_a_validation_error_with_its_own_code():
    error = idempotency.KeyReused("This key already made sale R-000001.", made=None)
    assert isinstance(error, ValidationError)
    assert error.messages == ["This key already made sale R-000001."]
    assert error.code == "idempotency_key_reused"


def test_made_says_what_and_whether_now():
    made = idempotency.Made("sale", True)
    obj, created = made
    assert (obj, created) == (made.obj, made.created) == ("sale", True)


# Keys the REST API stored before they were claimed apart: the migrations
# claim them, so a retry sent across the upgrade still finds what it made.


def migration(name):
    return importlib.import_module(name).claim_keys


def forget_claims():
    IdempotencyKey.objects.all().delete()


def test_the_sales_the_api_made_keep_their_keys(cashier, manager):
    case = ProductFactory(sale_price=Decimal("12.00"))
    stock.record_opening_stock([stock.StockLine(case, 5)], by=manager)
    open_shift(by=cashier, opening_float="0")

    def sell(quantity):
        return sales.sell(
            [sales.SaleItem(product=case.pk, quantity=quantity)],
            by=cashier,
            tenders=[sales.Tender("cash", "50.00")],
            key="order-1",
        )

    made = sell(1).obj
    forget_claims()
    migration("sales.migrations.0009_idempotency_keys")(apps, None)

    assert sell(1) == (made, False)
    with pytest.raises(idempotency.KeyReused):
        sell(2)


def test_the_payments_and_tickets_the_api_made_keep_their_keys(cashier, manager):
    invoice = make_invoice(by=manager)
    claim = billing.PAYMENTS.claim("pay-1", by=cashier, content={})
    paid = billing.record_payment(
        invoice, by=cashier, amount="10.00", method="cash", idempotency_key=claim.scope
    )
    intake = repairs.INTAKES.claim("intake-1", by=cashier, content={})
    booked = make_ticket(by=cashier, idempotency_key=intake.scope)
    forget_claims()
    migration("invoices.migrations.0004_idempotency_keys")(apps, None)
    migration("repairs.migrations.0005_idempotency_keys")(apps, None)

    # What those requests asked was not kept: a retry is taken for the same.
    assert billing.record_payment_once(
        invoice, by=cashier, key="pay-1", amount="10.00", method="cash"
    ) == (paid, False)
    assert repairs.create_ticket_once(by=cashier, key="intake-1") == (booked, False)
