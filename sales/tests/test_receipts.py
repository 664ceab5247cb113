"""Receipts: what they print, paper sizes, copies, PDF, email and the preview."""

import base64
import subprocess
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ShopSettings
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory, ServiceFactory, TaxRateFactory
from sales import services
from sales.models import Sale
from sales.services import Tender
from sales.tests.factories import make_sale

# A 1 x 1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)
RECEIPT_QUERIES = 8


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def pdf_page_size(content: bytes):
    """(width, height) of the first page in points."""
    result = subprocess.run(
        ["/usr/bin/pdfinfo", "-"], input=content, capture_output=True, check=True
    )
    for line in result.stdout.decode().splitlines():
        if line.startswith("Page size:"):
            width, _, height = line.split(":", 1)[1].split()[:3]
            return float(width), float(height)
    raise AssertionError("no page size")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response):
    return response.content.decode()


@pytest.fixture
def shop(db):
    shop = ShopSettings.load()
    shop.name = "FixIt Phone & PC"
    shop.address = "12 Market Street\nSpringfield"
    shop.phone = "+1 555 0100"
    shop.email = "hello@fixit.example"
    shop.tax_id = "GB123456789"
    shop.receipt_header = "Open Mon–Sat 9–6"
    shop.receipt_footer = "Returns within 30 days with this receipt."
    shop.save()
    return shop


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Jane Buyer", email="jane@mail.example")


@pytest.fixture
def sale(shop, cashier, manager, customer):
    """Two rates, a line discount and a cart discount, card plus cash with change."""
    case = ProductFactory(
        name="Clear case",
        sku="CASE-1",
        sale_price=Decimal("12.00"),
        tax_rate=TaxRateFactory(name="Standard", rate=Decimal("20.00")),
    )
    stock.record_opening_stock([stock.StockLine(case, 10)], by=manager)
    repair = ServiceFactory(
        name="Screen fitting",
        sku="LAB-FIT",
        sale_price=Decimal("30.00"),
        tax_rate=TaxRateFactory(name="Reduced", rate=Decimal("5.00")),
    )
    services.open_shift(by=cashier, opening_float="50.00")
    cart = services.active_cart(cashier)
    line = services.add_to_cart(cart, by=cashier, product=case, quantity=2)
    services.add_to_cart(cart, by=cashier, product=repair)
    services.set_line_discount(cart, line.pk, by=cashier, kind="amount", value="4.00")
    services.set_cart_discount(cart, by=cashier, kind="amount", value="1.00")
    services.set_cart_customer(cart, by=cashier, customer=customer)
    # 24.00 - 4.00 + 30.00 - 1.00 = 49.00: 20.00 by card, 40.00 in cash.
    return services.checkout(
        cart,
        by=cashier,
        tenders=[Tender("card", "20.00", "4242"), Tender("cash", "40.00")],
        token="receipt-test-token",
    )


def receipt_url(sale, **params):
    url = reverse("sales:receipt", args=[sale.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_the_receipt_shows_everything_a_receipt_needs(cashier_client, sale):
    response = cashier_client.get(receipt_url(sale))
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "FixIt Phone &amp; PC",
        "12 Market Street",
        "+1 555 0100",
        "hello@fixit.example",
        "Tax ID GB123456789",
        "Open Mon–Sat 9–6",
        sale.number,
        sale.created_at.astimezone().strftime("%Y-%m-%d"),
        "Chloe",
        "Jane Buyer",
        "Clear case",
        "2 × $12.00",
        "$24.00",
        "Screen fitting",
        "Returns within 30 days with this receipt.",
    ):
        assert expected in page, expected
    context = response.context
    assert context["total"] == Decimal("49.00")
    assert context["discount_total"] == Decimal("5.00")
    assert context["tendered"] == [
        ("Card", Decimal("20.00")),
        ("Cash", Decimal("40.00")),
    ]
    assert context["change"] == Decimal("11.00")
    assert context["balance_due"] == Decimal("0.00")
    # The tax by rate, from the lines as sold.
    assert [rate for rate, _, _ in context["taxes"]] == [
        Decimal("5.00"),
        Decimal("20.00"),
    ]
    assert sum(tax for _, _, tax in context["taxes"]) == sale.tax_total
    assert "data-receipt-taxes" in page
    assert "$49.00" in page and "−$5.00" in page
    assert "Change" in page and "$11.00" in page
    assert "data-receipt-balance" not in page
    # And the buttons around it.
    for button in ("data-new-sale", "data-print", "data-pdf", "data-email"):
        assert button in page


def test_a_sale_partly_on_account_shows_the_balance_due(
    cashier_client, cashier, manager, customer
):
    product = ProductFactory(sale_price=Decimal("50.00"))
    stock.record_opening_stock([stock.StockLine(product, 1)], by=manager)
    sale = make_sale(
        cashier, [(product, 1)], customer=customer, tenders=[Tender("cash", "20.00")]
    )
    response = cashier_client.get(receipt_url(sale))
    assert response.context["balance_due"] == Decimal("30.00")
    assert "Balance due (on account)" in text(response)


def test_optional_fields_follow_the_shop_settings(cashier_client, shop, sale):
    shop.receipt_show_cashier = False
    shop.receipt_show_customer = False
    shop.receipt_show_tax = False
    shop.receipt_footer = ""
    shop.save()
    page = text(cashier_client.get(receipt_url(sale)))
    assert "data-receipt-cashier" not in page
    assert "data-receipt-customer" not in page
    assert "data-receipt-taxes" not in page
    assert "data-receipt-footer" not in page


def test_the_logo_shows_when_the_shop_has_one_and_wants_it(cashier_client, shop, sale):
    assert 'class="r-logo"' not in text(cashier_client.get(receipt_url(sale)))
    shop.logo, shop.logo_content_type = PNG, "image/png"
    shop.save()
    assert 'class="r-logo"' in text(cashier_client.get(receipt_url(sale)))
    shop.receipt_show_logo = False
    shop.save()
    assert 'class="r-logo"' not in text(cashier_client.get(receipt_url(sale)))


def test_a_reprint_is_marked_as_a_copy(cashier_client, sale):
    original = text(cashier_client.get(receipt_url(sale)))
    assert "COPY" not in original
    copy = text(cashier_client.get(receipt_url(sale, copy=1)))
    assert "COPY — reprinted" in copy and "data-copy-mark" in copy


@pytest.mark.parametrize(
    "setting, requested, page_rule, css_class",
    [
        ("80mm", "", "size: 80mm auto; margin: 0;", "paper-80mm"),
        ("58mm", "", "size: 58mm auto; margin: 0;", "paper-58mm"),
        ("a4", "", "size: A4; margin: 15mm;", "paper-a4"),
        ("80mm", "58mm", "size: 58mm auto; margin: 0;", "paper-58mm"),
        ("58mm", "a4", "size: A4; margin: 15mm;", "paper-a4"),
        ("58mm", "letter", "size: 58mm auto; margin: 0;", "paper-58mm"),
    ],
)
def test_the_print_page_is_sized_for_the_paper(
    cashier_client, shop, sale, setting, requested, page_rule, css_class
):
    shop.paper_width = setting
    shop.save()
    params = {"paper": requested} if requested else {}
    page = text(cashier_client.get(receipt_url(sale, **params)))
    assert f"@page {{ {page_rule} }}" in page
    assert f'class="receipt {css_class}"' in page


def test_a_voided_sale_is_marked_on_its_receipt(cashier_client, sale, manager):
    services.void_sale(sale, by=manager, reason="Rung up twice")
    assert "VOIDED" in text(cashier_client.get(receipt_url(sale)))


def test_any_member_of_staff_may_reprint_any_receipt(
    manager_client, owner_client, sale
):
    for staff_client in (manager_client, owner_client):
        assert staff_client.get(receipt_url(sale, copy=1)).status_code == 200


def test_receipts_need_signing_in(client, sale):
    for name in ("sales:receipt", "sales:receipt_pdf"):
        url = reverse(name, args=[sale.pk])
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/sign-in/?next={url}"


def test_an_unknown_receipt_is_not_found(cashier_client, db):
    assert cashier_client.get(reverse("sales:receipt", args=[999])).status_code == 404


@pytest.mark.parametrize("lines", [2, 25])
def test_the_receipt_costs_a_fixed_number_of_queries(
    cashier_client, cashier, manager, customer, lines, django_assert_max_num_queries
):
    products = ProductFactory.create_batch(lines, sale_price=Decimal("3.00"))
    stock.record_opening_stock([stock.StockLine(p, 5) for p in products], by=manager)
    sale = make_sale(cashier, [(p, 1) for p in products], customer=customer)
    with django_assert_max_num_queries(RECEIPT_QUERIES):
        response = cashier_client.get(receipt_url(sale))
    assert len(response.context["lines"]) == lines


# PDF.


def test_the_pdf_is_the_receipt_on_a_roll_as_long_as_it(cashier_client, sale):
    response = cashier_client.get(reverse("sales:receipt_pdf", args=[sale.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"receipt-{sale.number}.pdf" in response["Content-Disposition"]
    content = response.content
    words = pdf_text(content)
    assert sale.number in words
    assert "$49.00" in words
    assert "Jane Buyer" in words
    width, height = pdf_page_size(content)
    assert round(width) == 227  # 80 mm
    assert 300 < height < 700  # one page as long as the receipt, not A4-long


def test_the_pdf_follows_the_paper_and_marks_a_copy(cashier_client, sale):
    url = reverse("sales:receipt_pdf", args=[sale.pk])
    narrow = cashier_client.get(url, {"paper": "58mm", "copy": "1"}).content
    assert round(pdf_page_size(narrow)[0]) == 164  # 58 mm
    assert "COPY" in pdf_text(narrow)
    sheet = cashier_client.get(url, {"paper": "a4"}).content
    assert [round(x) for x in pdf_page_size(sheet)] == [595, 842]
    assert sale.number in pdf_text(sheet)


def test_the_pdf_carries_the_logo(cashier_client, shop, sale):
    shop.logo, shop.logo_content_type = PNG, "image/png"
    shop.save()
    response = cashier_client.get(reverse("sales:receipt_pdf", args=[sale.pk]))
    assert b"/Image" in response.content


# Email.


def test_emailing_sends_the_pdf_after_commit(
    cashier_client, sale, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("sales:receipt_email", args=[sale.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = cashier_client.post(url)
        assert mailoutbox == []
    assert response["Location"] == receipt_url(sale)
    assert messages_of(response) == [
        f"Receipt {sale.number} is on its way to jane@mail.example."
    ]
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["jane@mail.example"]
    assert sale.number in email.subject and "FixIt" in email.subject
    assert "Jane Buyer" in email.body and "$49.00" in email.body
    [(filename, content, mimetype)] = email.attachments
    assert filename == f"receipt-{sale.number}.pdf"
    assert mimetype == "application/pdf"
    assert sale.number in pdf_text(content)


def test_a_customer_without_email_gets_a_message_not_an_email(
    cashier_client, sale, customer, mailoutbox, django_capture_on_commit_callbacks
):
    customer.email = ""
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = cashier_client.post(reverse("sales:receipt_email", args=[sale.pk]))
    assert "Jane Buyer has no email address" in messages_of(response)[0]
    assert mailoutbox == []


def test_a_walk_in_sale_has_no_one_to_email(
    cashier_client, cashier, manager, mailoutbox, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    stock.record_opening_stock([stock.StockLine(product, 1)], by=manager)
    sale = make_sale(cashier, [(product, 1)])
    with django_capture_on_commit_callbacks(execute=True):
        response = cashier_client.post(reverse("sales:receipt_email", args=[sale.pk]))
    assert "no customer" in messages_of(response)[0]
    assert mailoutbox == []


def test_emailing_is_post_only(cashier_client, sale, mailoutbox):
    response = cashier_client.get(reverse("sales:receipt_email", args=[sale.pk]))
    assert response.status_code == 405
    assert mailoutbox == []


# The live preview on the settings page.


def test_the_preview_shows_a_sample_receipt_with_the_shop_settings(
    cashier_client, shop
):
    response = cashier_client.get(reverse("sales:receipt_preview"))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    page = text(response)
    assert "Open Mon–Sat 9–6" in page and "Returns within 30 days" in page
    assert 'class="receipt paper-80mm"' in page
    assert "data-receipt-taxes" in page and "data-receipt-cashier" in page


def test_the_preview_takes_the_forms_unsaved_values(cashier_client, shop):
    response = cashier_client.get(
        reverse("sales:receipt_preview"),
        {
            "header": "Grand opening!",
            "footer": "See you soon",
            "paper": "58mm",
            "show_cashier": "0",
            "show_customer": "0",
            "show_tax": "false",
            "show_logo": "1",
        },
    )
    page = text(response)
    assert "Grand opening!" in page and "See you soon" in page
    assert "Open Mon–Sat" not in page
    assert 'class="receipt paper-58mm"' in page
    assert "data-receipt-cashier" not in page
    assert "data-receipt-customer" not in page
    assert "data-receipt-taxes" not in page
    # The sample adds up like a real receipt.
    context = response.context
    assert sum(line.gross for line in context["lines"]) == context["total"]


def test_the_preview_writes_nothing(cashier_client, db):
    assert not ShopSettings.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        response = cashier_client.get(
            reverse("sales:receipt_preview"), {"header": "x", "paper": "a4"}
        )
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == [] or all("django_session" in sql for sql in writes)
    assert not ShopSettings.objects.exists()
    assert not Sale.objects.exists()


def test_the_preview_needs_signing_in(client, db):
    url = reverse("sales:receipt_preview")
    assert client.get(url)["Location"] == f"/sign-in/?next={url}"


def test_the_settings_page_previews_the_receipt_live(owner_client, shop):
    page = text(owner_client.get(reverse("accounts:shop_settings")))
    assert reverse("sales:receipt_preview") in page
    assert "<iframe" in page
    assert "js/receipt-preview.js" in page
