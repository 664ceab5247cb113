"""A manager reads the sales report in Debian's Chromium and downloads it."""

import io
import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory
from pos_project.tests.browser import sign_in
from sales.models import Sale
from sales.tests.factories import make_sale

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(transactional_db):
    shop = ShopSettings.load()
    shop.name = "FixIt Phone & PC Repair"
    shop.save()
    manager = UserFactory(username="report-manager", role=Role.ADMIN)
    cashier = UserFactory(username="report-cashier", role=Role.USER)
    phone = ProductFactory(name="Phone", sale_price=Decimal("250.00"))
    case = ProductFactory(name="Case", sale_price=Decimal("15.00"))
    stock.record_opening_stock(
        [stock.StockLine(phone, 50), stock.StockLine(case, 50)], by=manager
    )
    # This month, and three sales on earlier days of the year.
    make_sale(cashier, [(phone, 1), (case, 2)])
    for days_ago, lines in [(40, [(case, 3)]), (70, [(phone, 2)]), (100, [(case, 1)])]:
        sale = make_sale(cashier, lines)
        Sale.objects.filter(pk=sale.pk).update(
            created_at=sale.created_at - timedelta(days=days_ago)
        )
    return manager


def money(text):
    return Decimal(text.strip().replace("$", "").replace(",", "") or "0")


def test_a_manager_reads_the_sales_report_and_downloads_it(
    open_page, live_server, shop, artifacts
):
    page = open_page("till")
    sign_in(page, live_server, "report-manager")

    page.goto(f"{live_server.url}/reports/")
    page.click("text=Sales by day, week or month")
    # A function, not an expression: Playwright evaluates an expression with
    # eval, which the Content-Security-Policy refuses.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('report-chart'))"
    )
    labels_before = page.evaluate(
        "Chart.getChart(document.getElementById('report-chart')).data.labels.length"
    )

    # A longer period: the table and the chart are redrawn in place.
    page.select_option("#id_period", "this_year")
    page.wait_for_url(re.compile(r".*period=this_year.*"))
    page.select_option("#id_group_by", "month")
    page.wait_for_url(re.compile(r".*group_by=month.*"))
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('report-chart'))"
        f".data.labels.length != {labels_before}"
    )
    months = page.evaluate(
        "Chart.getChart(document.getElementById('report-chart')).data.labels"
    )
    assert months[0] == "Jan " + months[-1][-4:] and len(months) <= 12
    page.screenshot(path=artifacts / "report-sales-by-period.png", full_page=True)

    header = page.locator("[data-testid=report-table] thead th").all_inner_texts()
    totals = page.locator("[data-testid=totals] td").all_inner_texts()
    assert len(header) == len(totals)
    shown = {h: t for h, t in zip(header, totals, strict=True) if t.startswith("$")}
    assert shown, totals

    with page.expect_download() as excel:
        page.click("[data-export=xlsx]")
    workbook = load_workbook(io.BytesIO(excel.value.path().read_bytes()))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    names, last = rows[0], rows[-1]
    assert last[0] == "Total"
    for label, text in shown.items():
        assert Decimal(str(last[names.index(label)])) == money(text), label

    with page.expect_download() as pdf:
        page.click("[data-export=pdf]")
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf.value.path()), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Sales by day, week or month" in text and "Page 1 of 1" in text
    for label, amount in shown.items():
        assert amount in text, label
