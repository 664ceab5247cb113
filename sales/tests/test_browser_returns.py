"""A return at the till in Debian's Chromium: find, pick, an Admin signs, document."""

from decimal import Decimal

import pytest

from accounts.models import Role, ShopSettings
from accounts.tests.factories import PASSWORD, UserFactory
from inventory import services as stock
from inventory.models import Product
from inventory.tests.factories import ProductFactory, TaxRateFactory
from pos_project.tests.browser import sign_in
from sales.models import Return
from sales.tests.factories import make_sale

pytestmark = pytest.mark.browser


@pytest.fixture
def sold(transactional_db):
    """A cashier's sale of 2 cases and a charger, paid in cash, shift still open."""
    shop = ShopSettings.load()
    shop.name = "FixIt Phone & PC Repair"
    shop.save()
    cashier = UserFactory(username="till-cashier", first_name="Chloe", role=Role.USER)
    manager = UserFactory(username="till-manager", first_name="Marcus", role=Role.ADMIN)
    rate = TaxRateFactory(name="Standard", rate=Decimal("20.00"))
    case = ProductFactory(
        name="Clear case", sku="CASE-1", sale_price=Decimal("12.00"), tax_rate=rate
    )
    charger = ProductFactory(
        name="USB-C charger", sku="CHG-1", sale_price=Decimal("25.00"), tax_rate=rate
    )
    stock.record_opening_stock(
        [stock.StockLine(case, 10), stock.StockLine(charger, 10)], by=manager
    )
    sale = make_sale(cashier, [(case, 2), (charger, 1)])
    return {"sale": sale, "case": case, "cashier": cashier, "manager": manager}


def test_a_cashier_returns_an_item_with_an_admins_approval_at_the_till(
    open_page, live_server, sold, artifacts
):
    sale = sold["sale"]
    page = open_page("till")
    sign_in(page, live_server, "till-cashier")
    page.goto(f"{live_server.url}/returns/")

    # The scanner types the receipt's number and presses Enter.
    page.fill("#id_number", sale.number.lower())
    page.press("#id_number", "Enter")
    page.wait_for_url(f"{live_server.url}/sales/{sale.pk}/return/")
    assert sale.number in page.locator("h1").inner_text()

    case_line = page.locator("[data-line='CASE-1']")
    case_line.locator("input[type=number]").fill("1")
    page.fill("#id_reason", "Cracked on arrival")
    page.screenshot(path=artifacts / "return-form-till.png", full_page=True)

    # The manager walks over and signs with their own password.
    approval = page.locator("[data-testid=approval]")
    approval.locator("#id_approver_username").fill("till-manager")
    approval.locator("#id_approver_password").fill(PASSWORD)
    page.click("[data-testid=return-form] button[type=submit]")

    page.wait_for_url(f"{live_server.url}/returns/*/")
    document = page.locator("[data-testid=return-document]")
    assert "RET-000001" in page.locator("h1").inner_text()
    assert "Clear case" in document.inner_text()
    assert page.locator("[data-testid=approved-by]").inner_text() == str(
        sold["manager"]
    )
    assert page.locator("[data-testid=return-total]").inner_text() == "$12.00"
    assert "Back in stock" in document.inner_text()
    page.screenshot(path=artifacts / "return-document-till.png", full_page=True)

    sale_return = Return.objects.get()
    assert (sale_return.created_by, sale_return.approved_by) == (
        sold["cashier"],
        sold["manager"],
    )
    assert Product.objects.get(pk=sold["case"].pk).on_hand == 9


def test_a_wrong_admin_password_at_the_till_is_explained(
    open_page, live_server, sold, artifacts
):
    sale = sold["sale"]
    page = open_page("phone")
    sign_in(page, live_server, "till-cashier")
    page.goto(f"{live_server.url}/sales/{sale.pk}/return/")
    page.locator("[data-line='CHG-1'] input[type=number]").fill("1")
    page.fill("#id_reason", "Does not charge")
    page.fill("#id_approver_username", "till-manager")
    page.fill("#id_approver_password", "not-the-password")
    page.click("[data-testid=return-form] button[type=submit]")
    errors = page.locator("[data-testid=form-errors]")
    assert "not an Admin's username and password" in errors.inner_text()
    # What the cashier picked is still there to try again.
    assert page.locator("[data-line='CHG-1'] input[type=number]").input_value() == "1"
    page.screenshot(path=artifacts / "return-form-phone-refused.png", full_page=True)
    assert not Return.objects.exists()
