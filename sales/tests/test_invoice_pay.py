"""Paying an invoice at the till: into the cashier's shift, with change for cash."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from invoices.models import InvoiceStatus, Payment
from invoices.tests.factories import line, make_invoice
from sales import services
from sales.queries import expected_takings

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(manager):
    return make_invoice(
        by=manager, customer=CustomerFactory(), lines=[line(unit_price="80.00")]
    )


@pytest.fixture
def shift(cashier):
    return services.open_shift(by=cashier, opening_float="50.00")


def test_a_payment_at_the_till_goes_into_the_shift(cashier, invoice, shift):
    payment, change = services.pay_invoice(
        invoice, by=cashier, amount="80.00", method="cash", tendered="100.00"
    )

    assert (payment.amount, change) == (Decimal("80.00"), Decimal("20.00"))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert expected_takings(shift)["cash"] == Decimal("130.00")


def test_without_a_shift_the_till_takes_no_money(cashier, invoice):
    with pytest.raises(ValidationError, match="Open your shift"):
        services.pay_invoice(invoice, by=cashier, amount="80.00", method="cash")
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"method": "card", "tendered": "100.00"}, "Only cash"),
        ({"method": "cash", "tendered": "50.00"}, "less than the payment"),
        ({"method": "store_credit"}, "customer's page"),
        ({"method": "cash", "amount": "90.00"}, "more than the 80.00 left"),
        ({"method": "cash", "amount": "-1"}, "more than zero"),
    ],
)
def test_bad_payments_are_refused(cashier, invoice, shift, fields, message):
    values = {"amount": "80.00", **fields}
    with pytest.raises(ValidationError, match=message):
        services.pay_invoice(invoice, by=cashier, **values)
    assert not Payment.objects.exists()


def test_a_resubmitted_form_pays_once(cashier, invoice, shift):
    for _ in range(2):
        services.pay_invoice(
            invoice, by=cashier, amount="30.00", method="card", idempotency_key="k" * 32
        )
    assert invoice.payments.count() == 1


def test_the_page_takes_the_payment_and_goes_back(cashier_client, invoice, shift):
    url = reverse("sales:invoice_pay", args=[invoice.pk])
    page = cashier_client.get(url, {"next": "/repairs/1/collect/"})
    assert "$80.00" in page.content.decode()

    response = cashier_client.post(
        url,
        {
            "amount": "80.00",
            "method": "cash",
            "tendered": "100.00",
            "reference": "",
            "idempotency_key": "pay-key-00000000001",
            "next": "/repairs/1/collect/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/repairs/1/collect/"
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("0.00")


def test_the_page_never_sends_you_off_site(cashier_client, invoice, shift):
    response = cashier_client.post(
        reverse("sales:invoice_pay", args=[invoice.pk]),
        {
            "amount": "10.00",
            "method": "card",
            "idempotency_key": "pay-key-00000000002",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == invoice.get_absolute_url()


def test_bad_input_is_shown_and_nothing_is_paid(cashier_client, invoice, shift):
    response = cashier_client.post(
        reverse("sales:invoice_pay", args=[invoice.pk]),
        {"amount": "abc", "method": "cheque", "idempotency_key": ""},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter an amount" in html and "does not take" in html
    assert "form has expired" in html
    assert not Payment.objects.exists()


def test_without_a_shift_the_page_asks_for_one(cashier_client, invoice):
    html = cashier_client.get(
        reverse("sales:invoice_pay", args=[invoice.pk])
    ).content.decode()
    assert 'data-testid="no-shift"' in html and 'data-testid="pay-form"' not in html


def test_the_page_runs_a_fixed_number_of_queries(
    cashier_client, invoice, shift, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        cashier_client.get(reverse("sales:invoice_pay", args=[invoice.pk]))
