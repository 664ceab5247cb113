"""The app under its Content-Security-Policy, in Debian's Chromium.

Every browser test fails on a policy violation or a console error (the
`browser_errors` fixture in conftest.py); these walk what the policy could
break: the till's htmx and scripts, charts, filters swapped in by htmx, the
receipt preview in its frame, printable pages, Django admin and the API docs.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from accounts.models import Role, ShopSettings
from accounts.tests.factories import PASSWORD, UserFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory, TaxRateFactory
from pos_project.tests.browser import sign_in
from sales.models import Sale

pytestmark = pytest.mark.browser

POLICY = "content-security-policy"


@pytest.fixture
def shop(transactional_db):
    shop = ShopSettings.load()
    shop.name = "FixIt Phone & PC Repair"
    shop.receipt_header = "Phones · Computers · Repairs"
    shop.save()
    return shop


@pytest.fixture
def charger(shop):
    manager = UserFactory(username="csp-manager", first_name="Marcus", role=Role.ADMIN)
    charger = ProductFactory(
        name="20W USB-C wall charger",
        sku="CHA-20W",
        barcode="4006381333931",
        sale_price=Decimal("19.99"),
        tax_rate=TaxRateFactory(name="Standard", rate=Decimal("20.00")),
    )
    stock.record_opening_stock([stock.StockLine(charger, 20)], by=manager)
    return charger


def assert_strict_policy(response):
    policy = response.headers[POLICY]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy or "frame-ancestors 'self'" in policy


def test_the_till_scans_and_sells_under_the_policy(
    open_page, live_server, charger, artifacts
):
    from sales import services

    cashier = UserFactory(username="csp-cashier", role=Role.USER)
    services.open_shift(by=cashier, opening_float="50.00")
    page = open_page("till")
    sign_in(page, live_server, "csp-cashier")
    assert_strict_policy(page.goto(f"{live_server.url}/till/"))

    box = page.locator("#scan-box")
    box.fill("4006381333931")
    box.press("Enter")
    line = page.locator("[data-cart-lines] [data-line-id]")
    expect(line).to_have_count(1)
    line.locator("[data-step='1']").click()  # an htmx post with hx-vals
    expect(line.locator("[data-quantity]")).to_have_value("2")
    expect(page.locator("[data-cart-total]")).to_have_text("$39.98")
    page.screenshot(path=artifacts / "csp-till.png")

    page.keyboard.press("F9")
    page.locator("[data-tender-row]").first.locator("[data-amount]").fill("40.00")
    expect(page.locator("[data-change]")).to_have_text("$0.02")
    page.click("[data-pay]")
    page.wait_for_url(re.compile(r"/sales/\d+/receipt/$"))
    assert Sale.objects.get().total == Decimal("39.98")
    expect(page.locator("[data-receipt]")).to_contain_text("$39.98")
    # till.js gave the printed page the receipt's length, in the page's own
    # <style> (the one with the nonce) through the CSSOM.
    rules = page.evaluate(
        "() => Array.from(document.getElementById('receipt-page-size').sheet"
        ".cssRules, (rule) => rule.cssText).join(' ')"
    )
    assert re.search(r"size: 80mm \d+mm", rules), rules
    page.screenshot(path=artifacts / "csp-receipt.png", full_page=True)


def test_a_report_draws_its_chart_and_swaps_in_a_new_period_under_the_policy(
    open_page, live_server, charger, artifacts
):
    from sales.tests.factories import make_sale

    make_sale(UserFactory(username="csp-seller", role=Role.USER), [(charger, 2)])
    page = open_page("till")
    sign_in(page, live_server, "csp-manager")
    # The home page's dashboard charts.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('dashboard-sales-chart')"
    )
    response = page.goto(f"{live_server.url}/reports/sales-by-period/")
    assert_strict_policy(response)
    page.wait_for_function("() => window.Chart && Chart.getChart('report-chart')")
    first = page.evaluate("() => Chart.getChart('report-chart').id")

    # A filter changed: htmx swaps the report in, and the chart is drawn again.
    page.select_option("#id_period", "this_year")
    page.wait_for_url(re.compile(r".*period=this_year.*"))
    page.wait_for_function(
        f"() => Chart.getChart('report-chart') && "
        f"Chart.getChart('report-chart').id !== {first}"
    )
    expect(page.locator("[data-testid=report-table]")).to_contain_text("$39.98")
    # The dates only matter for a custom period (static/js/report-filters.js).
    expect(page.locator("[data-custom-dates]").first).to_be_hidden()
    page.select_option("#id_period", "custom")
    expect(page.locator("[data-custom-dates]").first).to_be_visible()
    page.screenshot(path=artifacts / "csp-report-chart.png", full_page=True)


def test_the_receipt_preview_follows_the_settings_in_its_frame_under_the_policy(
    open_page, live_server, shop, artifacts
):
    UserFactory(username="csp-owner", role=Role.SUPER_ADMIN)
    page = open_page("till")
    sign_in(page, live_server, "csp-owner")
    assert_strict_policy(page.goto(f"{live_server.url}/settings/"))
    preview = page.frame_locator("[data-receipt-preview]")
    expect(preview.locator("[data-receipt-header]")).to_have_text(
        "Phones · Computers · Repairs"
    )
    # The receipt's look comes from static/css/receipt.css: an 80 mm roll.
    width = preview.locator("[data-receipt]").evaluate(
        "(receipt) => receipt.getBoundingClientRect().width"
    )
    assert round(width * 25.4 / 96) == 80

    page.fill("#id_receipt_header", "Open every day")
    expect(preview.locator("[data-receipt-header]")).to_have_text("Open every day")
    page.locator("[data-receipt-preview]").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "csp-receipt-preview.png", full_page=True)


def test_printable_repair_pages_work_under_the_policy(
    open_page, live_server, shop, artifacts
):
    from repairs.tests.factories import make_ticket

    clerk = UserFactory(username="csp-clerk", role=Role.USER)
    ticket = make_ticket(by=clerk)
    page = open_page("till")
    sign_in(page, live_server, "csp-clerk")
    for paper, millimetres in [("80mm", 80), ("58mm", 58)]:
        response = page.goto(
            f"{live_server.url}/repairs/{ticket.pk}/slip/?paper={paper}"
        )
        assert "'nonce-" in response.headers[POLICY]
        width = page.locator("[data-testid=slip]").evaluate(
            "(slip) => slip.getBoundingClientRect().width"
        )
        assert round(width * 25.4 / 96) == millimetres
    page.screenshot(path=artifacts / "csp-claim-slip.png", full_page=True)
    page.goto(f"{live_server.url}/repairs/{ticket.pk}/label/")
    height = page.locator("[data-testid=label]").evaluate(
        "(label) => label.getBoundingClientRect().height"
    )
    assert round(height * 25.4 / 96) == 40


def test_django_admin_works_under_the_policy(
    open_page, live_server, charger, artifacts
):
    page = open_page("till")
    # Signing in to Django admin goes through the app's sign-in page.
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "csp-manager")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.locator("#site-name")).to_contain_text("POS administration")

    # A change list, searched and filtered.
    response = page.goto(f"{live_server.url}/admin/inventory/product/")
    assert_strict_policy(response)
    page.fill("#searchbar", "charger")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.screenshot(path=artifacts / "csp-admin-changelist.png", full_page=True)

    # A change form, saved.
    page.click("#result_list tbody tr a")
    page.wait_for_url(re.compile(r"/admin/inventory/product/\d+/change/"))
    page.fill("#id_name", "20W USB-C charger")
    page.screenshot(path=artifacts / "csp-admin-changeform.png", full_page=True)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    charger.refresh_from_db()
    assert charger.name == "20W USB-C charger"

    # Stock moves: a read-only list with a date hierarchy and filters.
    page.goto(f"{live_server.url}/admin/inventory/stockmove/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)


def test_the_api_docs_load_under_the_policy(open_page, live_server, shop, artifacts):
    page = open_page("till")
    response = page.goto(f"{live_server.url}/api/docs/")
    assert_strict_policy(response)
    expect(page.locator(".opblock").first).to_be_visible()
    page.screenshot(path=artifacts / "csp-api-docs.png")


def test_a_violation_an_error_or_a_request_outside_fails_a_browser_test(
    open_page, live_server, shop, browser_errors
):
    page = open_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
          document.body.setAttribute("style", "color: red");
          console.error("Something broke");
        }"""
    )
    assert page.evaluate("() => window.injected") is None
    with pytest.raises(PlaywrightError):
        page.context.new_page().goto("http://example.com/")
    found = "\n".join(browser_errors.problems)
    assert "CSP: enforce script-src-elem refused inline" in found
    assert "CSP: enforce style-src-attr refused inline" in found
    assert "console error: Something broke" in found
    assert "request outside: http://example.com/" in found
    browser_errors.problems.clear()


def test_every_page_of_the_menu_loads_cleanly_and_its_scripts_work(
    open_page, live_server, charger, artifacts
):
    from customers.tests.factories import CustomerFactory
    from invoices.tests.factories import make_invoice
    from repairs.tests.factories import make_ticket
    from sales.tests.factories import make_sale

    owner = UserFactory(username="csp-walker", role=Role.SUPER_ADMIN)
    customer = CustomerFactory(name="Jane Doe")
    invoice = make_invoice(by=owner, customer=customer)
    ticket = make_ticket(by=owner, customer=customer)
    make_sale(owner, [(charger, 1)], customer=customer)
    page = open_page("till")
    sign_in(page, live_server, "csp-walker")

    # Every page the menu leads to (dropdowns too), and a customer's page,
    # whose panels htmx loads.
    links = page.eval_on_selector_all(
        "[data-testid=nav] a[href^='/']", "(links) => links.map((a) => a.pathname)"
    )
    links = [*dict.fromkeys(links), customer.get_absolute_url()]
    assert len(links) > 10
    for link in links:
        response = page.goto(f"{live_server.url}{link}")
        assert response.ok, link
        assert "'unsafe" not in response.headers[POLICY], link
        page.wait_for_load_state("networkidle")

    # Scripts moved out of the pages: "Add a line" on a new invoice
    # (static/js/invoices.js) ...
    page.goto(f"{live_server.url}/billing/invoices/new/")
    rows = page.locator("#line-rows > *")
    before = rows.count()
    page.click("[data-add-line]")
    expect(rows).to_have_count(before + 1)
    # ... an invoice chosen for a customer's payment fills in its balance ...
    page.goto(f"{live_server.url}/billing/customers/{customer.pk}/pay/")
    page.check(f"input[name=invoice][value='{invoice.pk}']")
    expect(page.locator("[data-payment-form] [data-amount]")).to_have_value("100.00")
    # ... a stock count's category sends its form (static/js/actions.js) ...
    page.goto(f"{live_server.url}/inventory/stock/count/")
    page.select_option("#count-category", index=1)
    page.wait_for_url(re.compile(r"category=\d+"))
    # ... and deleting a product asks first.
    fresh = ProductFactory(name="Never sold cable")
    page.goto(f"{live_server.url}/inventory/products/{fresh.pk}/")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog), dialog.dismiss()))
    page.click("form[data-confirm] button[type=submit]")
    assert "Delete Never sold cable for good?" in questions[0].message
    assert page.url.endswith(f"/inventory/products/{fresh.pk}/")
    page.screenshot(path=artifacts / "csp-product-detail.png")

    # The customer's status page stands alone, styled by the app's own CSS.
    page.goto(f"{live_server.url}{ticket.get_public_url()}")
    width = page.evaluate(
        "() => getComputedStyle(document.querySelector('main')).maxWidth"
    )
    assert width == "640px"
