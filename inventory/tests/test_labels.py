"""Barcode labels: the PDF's content and pages, the barcode chosen, the view."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inventory import labels
from inventory.services import StockLine, receive_stock
from inventory.tests.factories import ProductFactory

LABELS = reverse("inventory:product_labels")
SIGN_IN = reverse("accounts:login")
FORMATS = [key for key, _label in labels.LABEL_FORMATS]


@pytest.fixture(autouse=True)
def _dollars(settings):
    settings.CURRENCY_SYMBOL = "$"
    settings.CURRENCY_DECIMAL_PLACES = 2


def run_poppler(tool, pdf, tmp_path):
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    command = [shutil.which(tool), "-layout", str(path), "-"]
    if tool == "pdfinfo":
        command = [shutil.which(tool), str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def pdf_text(pdf, tmp_path):
    return run_poppler("pdftotext", pdf, tmp_path)


def page_count(pdf, tmp_path):
    info = run_poppler("pdfinfo", pdf, tmp_path)
    [pages] = [
        line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")
    ]
    return int(pages)


def case(**fields):
    defaults = {
        "name": "Phone case Galaxy A15",
        "sku": "CASE-A15",
        "barcode": "5901234123457",
        "sale_price": Decimal("12.50"),
    }
    return ProductFactory.build(**(defaults | fields))


# The PDF.


@pytest.mark.parametrize("label_format", FORMATS)
def test_a_label_shows_the_name_sku_and_price(tmp_path, label_format):
    pdf = labels.render_labels_pdf(
        [(case(), 1)], label_format=label_format, show_price=True
    )
    text = pdf_text(pdf, tmp_path)
    assert pdf.startswith(b"%PDF")
    assert "Phone case Galaxy A15" in text
    assert "CASE-A15" in text
    assert "$12.50" in text


@pytest.mark.parametrize("label_format", FORMATS)
def test_the_price_is_left_off_when_not_wanted(tmp_path, label_format):
    pdf = labels.render_labels_pdf(
        [(case(), 1)], label_format=label_format, show_price=False
    )
    text = pdf_text(pdf, tmp_path)
    assert "Phone case Galaxy A15" in text
    assert "12.50" not in text


def test_a_name_is_printed_as_typed_not_as_markup(tmp_path):
    product = case(name="<b>Bold</b> & Co")
    pdf = labels.render_labels_pdf(
        [(product, 1)], label_format="58x40", show_price=True
    )
    assert "<b>Bold</b> & Co" in pdf_text(pdf, tmp_path)


def test_a_long_name_is_cut_to_two_lines(tmp_path):
    product = case(name="Screen protector " + "tempered glass " * 12 + "LAST-WORD")
    pdf = labels.render_labels_pdf(
        [(product, 1)], label_format="a4-3x8", show_price=True
    )
    text = pdf_text(pdf, tmp_path)
    assert "Screen protector" in text
    assert "LAST-WORD" not in text


@pytest.mark.parametrize(("count", "pages"), [(24, 1), (25, 2), (48, 2), (49, 3)])
def test_an_a4_sheet_holds_24_labels(tmp_path, count, pages):
    pdf = labels.render_labels_pdf(
        [(case(), count)], label_format="a4-3x8", show_price=True
    )
    assert page_count(pdf, tmp_path) == pages
    assert pdf_text(pdf, tmp_path).count("CASE-A15") == count


def test_an_a4_sheet_is_the_size_of_a4(tmp_path):
    pdf = labels.render_labels_pdf(
        [(case(), 1)], label_format="a4-3x8", show_price=True
    )
    assert "595.276 x 841.89 pts (A4)" in run_poppler("pdfinfo", pdf, tmp_path)


def test_each_copy_is_a_58_by_40_mm_page_on_the_label_printer(tmp_path):
    pdf = labels.render_labels_pdf([(case(), 3)], label_format="58x40", show_price=True)
    assert page_count(pdf, tmp_path) == 3
    # 58 × 40 mm in points.
    assert "164.409 x 113.386 pts" in run_poppler("pdfinfo", pdf, tmp_path)


def test_copies_of_several_products_follow_one_another(tmp_path):
    items = [(case(), 2), (case(name="Charger 20W", sku="CHG-20W", barcode=""), 1)]
    pdf = labels.render_labels_pdf(items, label_format="58x40", show_price=True)
    assert page_count(pdf, tmp_path) == 3
    assert pdf_text(pdf, tmp_path).count("Charger 20W") == 1


def test_more_than_1000_labels_are_refused():
    with pytest.raises(ValidationError) as refused:
        labels.render_labels_pdf(
            [(case(), 600), (case(sku="OTHER"), 401)],
            label_format="a4-3x8",
            show_price=True,
        )
    assert refused.value.messages == ["At most 1,000 labels at a time."]


def test_1000_labels_are_allowed():
    labels.check_label_count([(case(), 600), (case(sku="OTHER"), 400)])


# The barcode.


@pytest.mark.parametrize(
    ("code", "symbology", "digits"),
    [
        ("5901234123457", "EAN-13", "901234"),
        ("96385074", "EAN-8", "9638"),
        ("036000291452", "UPC-A", "036000291452"),
        ("5901234123458", "Code 128", "5901234123458"),  # wrong check digit
        ("590123412345", "Code 128", "590123412345"),  # wrong check digit
        ("ABC-123", "Code 128", "ABC-123"),
    ],
)
def test_a_valid_ean_or_upc_is_printed_as_such_anything_else_as_code_128(
    code, symbology, digits
):
    svg, chosen = labels.barcode_svg(case(barcode=code))
    assert chosen == symbology
    assert svg.startswith("<svg")
    assert f">{digits}</text>" in svg


def test_a_product_without_a_barcode_gets_one_of_its_sku():
    svg, chosen = labels.barcode_svg(case(barcode="", sku="CASE-A15"))
    assert chosen == "Code 128"
    assert ">CASE-A15</text>" in svg


def test_a_barcode_that_code_128_cannot_hold_falls_back_to_the_sku():
    svg, chosen = labels.barcode_svg(case(barcode="Größe-XL", sku="CASE-XL"))
    assert chosen == "Code 128"
    assert ">CASE-XL</text>" in svg


@pytest.mark.parametrize("width", [60, 52])
def test_a_long_code_is_narrowed_to_fit_the_label(width):
    long_code = "THIS-IS-A-VERY-LONG-BARCODE-0123456789-ABCDEFGHIJ"
    svg, _chosen = labels.barcode_svg(case(barcode=long_code), width=width)
    assert f'width="{width:.3f}mm"' in svg


def test_a_short_code_keeps_the_nominal_bar_width():
    svg, _chosen = labels.barcode_svg(case(barcode="5901234123457"), width=60)
    # 95 modules and 2 × 11 of quiet zone at 0.33 mm.
    assert 'width="38.610mm"' in svg


# The view.


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(LABELS, {"selection": "1", "print": "1"})
    assert response.status_code == 302
    assert response.url.startswith(f"{SIGN_IN}?next=")


def test_a_user_prints_labels_as_a_pdf(cashier_client):
    product = ProductFactory(name="Phone case Galaxy A15")
    response = cashier_client.get(
        LABELS,
        {
            "selection": [product.pk],
            "label_format": "58x40",
            "copies": "1",
            "show_price": "on",
            "print": "1",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_coming_from_the_product_list_shows_the_choices_at_their_defaults(
    cashier_client,
):
    product = ProductFactory(name="Phone case Galaxy A15")
    response = cashier_client.get(LABELS, {"selection": [product.pk]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Phone case Galaxy A15" in page
    assert "This field is required" not in page
    assert f'name="selection" value="{product.pk}"' in page
    assert response.context["form"].is_valid()
    assert response.context["label_count"] == 1


def test_one_label_per_unit_in_stock_counts_the_stock(cashier_client, manager):
    product = ProductFactory()
    receive_stock(
        [StockLine(product, 7, Decimal("8.00"))], by=manager, supplier=product.supplier
    )
    response = cashier_client.get(
        LABELS,
        {"selection": [product.pk], "label_format": "a4-3x8", "copies": "stock"},
    )
    assert response.context["items"] == [(product, 7)]


def test_no_product_ticked_shows_the_form_with_its_message(cashier_client):
    response = cashier_client.get(LABELS, {"print": "1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Tick at least one product on the product list." in response.content.decode()


def test_more_than_1000_labels_show_the_message_not_an_error(cashier_client, manager):
    product = ProductFactory()
    receive_stock(
        [StockLine(product, 1001, Decimal("8.00"))],
        by=manager,
        supplier=product.supplier,
    )
    response = cashier_client.get(
        LABELS,
        {
            "selection": [product.pk],
            "label_format": "a4-3x8",
            "copies": "stock",
            "print": "1",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].non_field_errors() == [
        "At most 1,000 labels at a time."
    ]
    assert "At most 1,000 labels at a time." in response.content.decode()
