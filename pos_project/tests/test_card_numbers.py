"""No payment card number is stored in any free-text field."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from pos_project.validators import (
    CARD_NUMBER_MESSAGE,
    find_card_number,
    refuse_card_number,
)

# Test numbers of the card brands (all pass the Luhn check).
CARDS = [
    "4111111111111111",  # Visa
    "4222222222222",  # Visa, 13 digits
    "5555 5555 5555 4444",  # Mastercard, spaced
    "2223-0031-2200-3222",  # Mastercard 2-series, dashed
    "378282246310005",  # American Express
    "6011111111111117",  # Discover
    "30569309025904",  # Diners Club
    "3530111333300000",  # JCB
    "6200000000000005",  # UnionPay
    "6759649826438453",  # Maestro
]
NOT_CARDS = [
    "",
    "4111111111111112",  # fails the Luhn check
    "490154203237518",  # an IMEI (15 digits, Luhn-valid, 49: no 15-digit brand)
    "356938035643809",  # an IMEI beginning 35 (JCB issues 16 to 19 digits)
    "861536030196001",  # an IMEI beginning 86
    "1234",  # the last four digits
    "Card ending 1111, terminal ref 004512",
    "7000000000000007",  # Luhn-valid, no brand's prefix
    "+44 20 7946 0958",  # a phone number
    "GB123456789",  # a tax id
]


@pytest.mark.parametrize("card", CARDS)
def test_a_card_number_is_found_alone_or_in_a_sentence(card):
    assert find_card_number(card) == card
    assert find_card_number(f"Paid with card {card}, thanks") == card
    with pytest.raises(ValidationError) as refused:
        refuse_card_number(f"note: {card}")
    assert refused.value.messages == [str(CARD_NUMBER_MESSAGE)]


@pytest.mark.parametrize("text", NOT_CARDS)
def test_other_numbers_are_left_alone(text):
    assert find_card_number(text) is None
    refuse_card_number(text)


def test_the_message_says_why_and_what_to_write():
    assert "card numbers must never be stored" in str(CARD_NUMBER_MESSAGE)
    assert "last four digits" in str(CARD_NUMBER_MESSAGE)


# Every free-text column refuses card numbers, unless listed here with why.

PROJECT_APPS = {"accounts", "inventory", "customers", "invoices", "sales", "repairs"}
ALLOWED = {
    # Identifiers: codes the shop or a machine chose, not prose.
    "accounts.User.username": "the sign-in name, chosen by an Admin",
    "accounts.User.password": "a password hash",
    "accounts.ApiToken.prefix": "the first characters of a random key",
    "accounts.ApiToken.key_hash": "a SHA-256 hash",
    "accounts.ShopSettings.logo_content_type": "set from the uploaded file",
    "accounts.Sequence.name": "the counter's name, set in code",
    "accounts.LiveTopic.name": "a topic name, set in code",
    "accounts.IdempotencyKey.scope": "a hash of a client's retry key",
    "accounts.IdempotencyKey.fingerprint": "a hash of what a request asked",
    "inventory.Product.image": "an uploaded image's path (in the history)",
    "accounts.Notification.kind": "set in code",
    "accounts.Notification.title": "written by the app from records",
    "accounts.Notification.body": "written by the app from records",
    "accounts.Notification.url": "a link the app makes",
    "customers.Customer.phone_digits": "the phone's digits, derived from phone",
    "inventory.Product.sku": "a stock code (SKU)",
    "inventory.Product.barcode": "an EAN/UPC barcode, which can pass Luhn",
    "inventory.StockMove.reference_label": "the document's number, set in code",
    "invoices.Invoice.number": "a document number",
    "invoices.InvoiceLine.sku": "a stock code (SKU)",
    "invoices.Payment.idempotency_key": "a client's retry key",
    "repairs.Ticket.number": "a document number",
    "repairs.Ticket.public_token": "a random token",
    "repairs.Ticket.imei": "an IMEI, which passes Luhn (checked as an IMEI)",
    "repairs.Ticket.serial": "a serial number (checked as one)",
    "repairs.Ticket.passcode_encrypted": "ciphertext",
    "repairs.Ticket.intake_key": "a client's retry key",
    "sales.Sale.number": "a document number",
    "sales.Sale.checkout_token": "a random token",
    "sales.SaleLine.name": "the product's name when sold, itself checked",
    "sales.SaleLine.sku": "a stock code (SKU)",
    "sales.Return.number": "a document number",
    "sales.DailyTotal.time_zone": "set from settings",
    "sales.ProductTotal.time_zone": "set from settings",
}


def free_text_fields():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        history = getattr(model, "instance_type", None)
        label = (history or model)._meta.label
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if field.choices:
                continue
            if history and field.name == "history_change_reason":
                continue  # django-simple-history's, unused here
            yield model, f"{label}.{field.name}", field


def test_every_free_text_field_refuses_card_numbers():
    missing = [
        name
        for model, name, field in free_text_fields()
        if refuse_card_number not in field.validators and name not in ALLOWED
    ]
    assert missing == [], "Add validators=[refuse_card_number] or list it in ALLOWED"


def test_the_allowed_fields_exist():
    names = {name for _model, name, _field in free_text_fields()}
    assert set(ALLOWED) <= names


# Through the pages and the API: the columns a card number was found in.

CARD = "4111 1111 1111 1111"


def stored_cards():
    """Every (column, value) of the database that holds a card number."""
    found = []
    for model, name, field in free_text_fields():
        for value in model.objects.values_list(field.attname, flat=True):
            if find_card_number(value):
                found.append((name, value))
    return found


def refused(response):
    text = response.content.decode()
    return "card numbers must never be stored" in text.replace("&#x27;", "'")


@pytest.fixture
def customer(db):
    from customers.tests.factories import CustomerFactory

    return CustomerFactory(name="Ada Lovelace")


@pytest.mark.parametrize("field", ["name", "phone", "address", "tax_id", "notes"])
def test_the_customer_form_refuses_a_card_number(cashier_client, field):
    from django.urls import reverse

    from customers.tests.test_views import new_customer

    data = new_customer(**{field: f"Card {CARD}"})
    response = cashier_client.post(reverse("customers:customer_create"), data)
    assert response.status_code == 200
    assert refused(response)
    assert stored_cards() == []


@pytest.mark.parametrize("field", ["name", "phone", "address", "tax_id", "notes"])
def test_the_customer_api_refuses_a_card_number(owner_client, customer, field):
    response = owner_client.patch(
        f"/api/v1/customers/{customer.pk}/",
        {field: f"Card {CARD}"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert stored_cards() == []


@pytest.mark.parametrize(
    "field", ["model", "problem", "accessories", "condition_notes", "brand"]
)
def test_the_intake_form_and_api_refuse_a_card_number(
    cashier_client, owner_client, customer, field
):
    from django.urls import reverse

    from repairs.tests.test_api import intake
    from repairs.tests.test_views import intake_data

    data = intake_data(customer, **{field: f"Paid by {CARD}"})
    page = cashier_client.post(reverse("repairs:ticket_create"), data)
    assert page.status_code == 200 and refused(page)
    response = owner_client.post(
        "/api/v1/repairs/",
        intake(customer, **{field: f"Paid by {CARD}"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="card-test-0001",
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert stored_cards() == []


def test_an_imei_that_passes_luhn_is_still_taken_in_its_field(cashier_client, customer):
    from django.urls import reverse

    from repairs.models import Ticket
    from repairs.tests.test_views import intake_data

    response = cashier_client.post(
        reverse("repairs:ticket_create"),
        intake_data(customer, imei="356938035643809", serial="C02XG0FDJGH5"),
    )
    assert response.status_code == 302
    assert Ticket.objects.get().imei == "356938035643809"


def test_ticket_lines_status_notes_and_approvals_refuse_a_card_number(
    cashier_client, owner_client, cashier
):
    from django.urls import reverse

    from repairs.models import Status
    from repairs.tests.factories import make_ticket

    ticket = make_ticket(by=cashier)
    labour = cashier_client.post(
        reverse("repairs:labour_add", args=[ticket.pk]),
        {"description": f"Card {CARD}", "quantity": "1", "unit_price": "35.00"},
        follow=True,
    )
    assert refused(labour)
    status = cashier_client.post(
        reverse("repairs:ticket_status", args=[ticket.pk]),
        {"to": "diagnosing", "note": f"Card {CARD}"},
        follow=True,
    )
    assert refused(status)
    ticket.refresh_from_db()
    assert ticket.status == Status.RECEIVED
    api_status = owner_client.post(
        f"/api/v1/repairs/{ticket.pk}/status/",
        {"to": "diagnosing", "note": f"Card {CARD}"},
        content_type="application/json",
    )
    assert api_status.status_code == 400
    assert stored_cards() == []


def test_the_product_form_and_api_refuse_a_card_number_in_a_description(
    manager_client, owner_client
):
    from django.urls import reverse

    from inventory.models import Product
    from inventory.tests.test_views import new_product

    page = manager_client.post(
        reverse("inventory:product_create"), new_product(description=CARD)
    )
    assert page.status_code == 200 and refused(page)
    api = owner_client.post(
        "/api/v1/products/",
        {"name": "Kettle", "sku": "K-1", "sale_price": "5.00", "description": CARD},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "description" in api.json()["error"]["fields"]
    assert not Product.objects.exists()
    assert stored_cards() == []


def test_the_till_refuses_a_card_number_in_a_park_note(cashier_client, cashier):
    from django.urls import reverse

    from inventory import services as stock
    from inventory.tests.factories import ProductFactory
    from sales import services as till
    from sales.models import Cart, CartStatus

    product = ProductFactory()
    stock.record_opening_stock([stock.StockLine(product, 3)], by=cashier)
    till.open_shift(by=cashier, opening_float="50.00")
    cart = till.active_cart(cashier)
    till.add_to_cart(cart, by=cashier, product=product, quantity=1)
    response = cashier_client.post(
        reverse("sales:cart_park"), {"note": f"Visa {CARD}"}, HTTP_HX_REQUEST="true"
    )
    assert refused(response)
    assert not Cart.objects.filter(status=CartStatus.PARKED).exists()
    assert stored_cards() == []


def test_a_payment_note_with_a_card_number_is_refused(manager_client, manager):
    from django.urls import reverse

    from invoices.models import Payment
    from invoices.tests.factories import make_invoice

    invoice = make_invoice(by=manager)
    response = manager_client.post(
        reverse("invoices:payment_create", args=[invoice.pk]),
        {"amount": "10.00", "method": "cash", "note": f"Card {CARD}"},
    )
    assert refused(response)
    assert not Payment.objects.exists()
    assert stored_cards() == []


def test_a_service_called_without_a_form_refuses_too(cashier, customer):
    from customers.models import Customer
    from invoices.tests.factories import line, make_invoice
    from repairs.tests.factories import make_ticket

    with pytest.raises(ValidationError, match="card numbers must never"):
        make_ticket(by=cashier, customer=customer, problem=f"Card {CARD}")
    with pytest.raises(ValidationError, match="card numbers must never"):
        make_invoice(lines=[line(description=f"Card {CARD}")])
    # Text written before the rule: invoicing such a customer refuses to copy
    # it onto the invoice (the bill-to fields) until the card is removed.
    Customer.objects.filter(pk=customer.pk).update(address=f"Card {CARD}")
    customer.refresh_from_db()
    with pytest.raises(ValidationError, match="card numbers must never"):
        make_invoice(customer=customer)
    assert stored_cards() == [("customers.Customer.address", f"Card {CARD}")]
