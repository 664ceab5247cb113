"""A sale in Debian's Chromium: scan, change, discount, split tender, receipt."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from conftest import VIEWPORTS
from inventory import services as stock
from inventory.tests.factories import ProductFactory, ServiceFactory, TaxRateFactory
from invoices.models import Payment
from pos_project.tests.browser import sign_in
from sales.models import Sale

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(transactional_db):
    shop = ShopSettings.load()
    shop.name = "FixIt Phone & PC Repair"
    shop.address = "12 Market Street\nSpringfield"
    shop.phone = "+1 555 0134"
    shop.tax_id = "TX-4821-0093"
    shop.receipt_header = "Phones · Computers · Repairs"
    shop.receipt_footer = "Repairs carry a 90-day warranty.\nThank you!"
    shop.save()
    return shop


@pytest.fixture
def products(shop):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    rate = TaxRateFactory(name="Standard", rate=Decimal("20.00"))
    charger = ProductFactory(
        name="20W USB-C wall charger",
        sku="CHA-20W",
        barcode="4006381333931",
        sale_price=Decimal("19.99"),
        tax_rate=rate,
    )
    gan = ProductFactory(
        name="65W GaN USB-C charger",
        sku="CHA-65W",
        barcode="5901234123457",
        sale_price=Decimal("44.99"),
        tax_rate=rate,
    )
    glass = ProductFactory(
        name="Tempered glass screen protector",
        sku="GLS-14",
        barcode="4711234567892",
        sale_price=Decimal("9.99"),
        tax_rate=rate,
    )
    stock.record_opening_stock(
        [stock.StockLine(p, 20) for p in (charger, gan, glass)], by=manager
    )
    ServiceFactory(name="Screen fitting", sku="LAB-FIT", sale_price="30.00")
    return charger, gan, glass


def scan(page, code, lines):
    box = page.locator("#scan-box")
    box.fill(code)
    box.press("Enter")
    expect(page.locator("[data-cart-lines] [data-line-id]")).to_have_count(lines)
    # The scan box is cleared and keeps the focus for the next scan.
    expect(box).to_have_value("")
    expect(box).to_be_focused()


def test_a_cashier_rings_up_a_sale_and_prints_the_receipt(
    open_page, live_server, shop, products, artifacts
):
    UserFactory(username="till-cashier", first_name="Chloe", role=Role.USER)
    page = open_page("till")
    sign_in(page, live_server, "till-cashier")

    # No shift yet: the till sends the cashier to open one.
    page.goto(f"{live_server.url}/till/")
    page.click("[data-open-shift]")
    page.fill("#id_opening_float", "100.00")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/till/")

    # Two products scanned, the first one twice.
    scan(page, "4006381333931", 1)
    scan(page, "5901234123457", 2)
    scan(page, "4006381333931", 2)
    charger_line = page.locator("[data-line-id]").first
    expect(charger_line.locator("[data-quantity]")).to_have_value("2")

    # A quantity typed in; the scan box gets the focus back after the update.
    quantity = charger_line.locator("[data-quantity]")
    quantity.fill("3")
    quantity.press("Enter")
    expect(
        page.locator("[data-line-id]").first.locator("[data-quantity]")
    ).to_have_value("3")
    expect(page.locator("#scan-box")).to_be_focused()

    # 5% off the sale from the keyboard (F6), within what staff may give.
    page.keyboard.press("F6")
    expect(page.locator("#cart-discount-value")).to_be_focused()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(page.locator("#till-alert")).to_contain_text("Discount applied")
    # 3 × 19.99 + 44.99 = 104.96, less 5.25.
    expect(page.locator("[data-cart-total]")).to_have_text("$99.71")

    # Part card, part cash: the change due shows as the cash is typed.
    page.keyboard.press("F9")
    first = page.locator("[data-tender-row]").nth(0)
    expect(first.locator("[data-amount]")).to_be_focused()
    first.locator("[data-method]").select_option("card")
    first.locator("[data-amount]").fill("50.00")
    first.locator("[data-reference]").fill("4242")
    page.click("[data-add-tender]")
    second = page.locator("[data-tender-row]").nth(1)
    second.locator("[data-method]").select_option("cash")
    second.locator("[data-amount]").fill("60.00")
    expect(page.locator("[data-change]")).to_have_text("$10.29")
    page.screenshot(path=artifacts / "till-payment-1366.png")

    page.click("[data-pay]")
    page.wait_for_url(re.compile(r"/sales/\d+/receipt/$"))
    sale = Sale.objects.get()
    assert sale.total == Decimal("99.71")
    assert sale.change_given == Decimal("10.29")
    assert sorted((p.method, p.amount, p.reference) for p in Payment.objects.all()) == [
        ("card", Decimal("50.00"), "4242"),
        ("cash", Decimal("49.71"), ""),
    ]

    # The receipt, with "New sale" ready for the next customer.
    expect(page.locator("[data-new-sale]")).to_be_focused()
    receipt = page.locator("[data-receipt]")
    expect(receipt).to_contain_text(sale.number)
    expect(receipt).to_contain_text("$99.71")
    expect(receipt).to_contain_text("Change")
    expect(receipt).to_contain_text("$10.29")
    box = receipt.bounding_box()
    assert round(box["width"] * 25.4 / 96) == 80  # an 80 mm roll
    receipt.screenshot(path=artifacts / "receipt-80mm.png")
    page.emulate_media(media="print")
    page.screenshot(path=artifacts / "receipt-80mm-print.png", full_page=True)
    assert page.locator("nav.navbar").is_hidden()
    assert page.locator("[data-print]").is_hidden()

    # Back on screen (print preview hid the button, so the page is reloaded to
    # be as it is after printing): Enter on "New sale" opens an empty till.
    page.emulate_media(media="screen")
    page.reload()
    expect(page.locator("[data-new-sale]")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/till/")
    expect(page.locator("[data-cart-empty]")).to_be_visible()
    expect(page.locator("#scan-box")).to_be_focused()


def test_the_till_fits_each_screen(open_page, live_server, shop, products, artifacts):
    from sales import services

    cashier = UserFactory(username="till-looks", first_name="Sam", role=Role.USER)
    services.open_shift(by=cashier, opening_float="50.00")
    cart = services.active_cart(cashier)
    for product, quantity in zip(products, (2, 1, 3), strict=True):
        services.add_to_cart(cart, by=cashier, product=product, quantity=quantity)
    for device, viewport in VIEWPORTS.items():
        page = open_page(device)
        sign_in(page, live_server, "till-looks")
        page.goto(f"{live_server.url}/till/")
        expect(page.locator("[data-line-id]")).to_have_count(3)
        # Nothing sticks out sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"]
        if device == "till":
            # On the till's screen the total and the pay button need no scrolling.
            for selector in ("[data-cart-total]", "[data-pay]", "#scan-box"):
                box = page.locator(selector).bounding_box()
                assert box["y"] + box["height"] <= viewport["height"], selector
        page.screenshot(path=artifacts / f"till-{device}.png", full_page=True)


def test_a_receipt_or_a_claim_slip_scanned_at_the_till_opens_its_page(
    open_page, live_server, products, artifacts
):
    from repairs.tests.factories import make_ticket
    from sales.tests.factories import make_sale

    cashier = UserFactory(username="scanner", role=Role.USER)
    sale = make_sale(cashier, [(products[0], 1)])
    ticket = make_ticket(by=cashier)
    page = open_page("till")
    sign_in(page, live_server, "scanner")

    for code, lands_on in (
        (sale.number, rf"/sales/{sale.pk}/return/$"),
        (ticket.number, rf"/repairs/{ticket.pk}/$"),
    ):
        page.goto(f"{live_server.url}/till/")
        page.locator("#scan-box").fill(code)
        page.locator("#scan-box").press("Enter")
        page.wait_for_url(re.compile(lands_on))
    expect(page.locator("main h1")).to_contain_text(ticket.number)
