"""Every report's Excel export keeps what people typed as text, never a formula,
and its numbers and dates as numbers and dates."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.tests.factories import CategoryFactory, ProductFactory, SupplierFactory
from invoices import services as billing
from invoices.tests.factories import line, make_invoice
from pos_project.spreadsheets import FORMULA_STARTS
from repairs import services as repairs
from repairs.models import Ticket
from repairs.tests.factories import make_ticket
from reports import base
from reports.base import TEXT
from sales import services as till
from sales.tests.factories import make_sale

pytestmark = pytest.mark.django_db

# What an attacker types into a name: each a formula to a spreadsheet.
EVIL = '=HYPERLINK("http://evil.example/c","Customer")'
FORMULAS = [EVIL, "+1+2", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def typed_by_an_attacker(manager):
    """A shop whose every name and note begins like a formula."""
    cashier = UserFactory(
        username="=cashier", first_name="=HYPERLINK(1)", last_name="+2", role=Role.USER
    )
    manager.first_name, manager.last_name = "@SUM(1,2)", "-3"
    manager.save()
    products = [
        ProductFactory(
            name=formula,
            sku=f"-SKU-{index}",
            category=CategoryFactory(name=f"{formula} category"),
            supplier=SupplierFactory(name=f"{formula} supplier"),
            reorder_level=5,
        )
        for index, formula in enumerate(FORMULAS)
    ]
    stock.record_opening_stock(
        [stock.StockLine(product, 3) for product in products[:-1]], by=manager
    )
    stock.adjust_stock(products[0], by=manager, quantity=1, note="=1+1 found")
    customer = CustomerFactory(name=EVIL)
    make_sale(cashier, [(products[0], 1), (products[1], 2)], customer=customer)
    shift = till.current_shift(cashier)
    till.close_shift(shift, by=cashier, counted={"cash": "0.00"}, approver=manager)
    invoice = make_invoice(
        by=manager,
        customer=customer,
        lines=[line(description="+repair"), line(description="=cmd|' /C calc'!A0")],
        due_days=0,
    )
    billing.record_payment(
        invoice,
        by=manager,
        amount="10.00",
        method="card",
        reference="=1+2",
        note="@SUM(1,2)",
    )
    fixed = make_ticket(
        by=cashier, customer=customer, brand="=Apple", model="+iPhone",
        technician=manager,
    )  # fmt: skip
    repairs.add_labour(fixed, by=manager, description="-fit", unit_price="20.00")
    repairs.change_status(fixed, "in_repair", by=manager, note="=1+1")
    repairs.change_status(fixed, "ready", by=manager, minutes_spent=30)
    late = make_ticket(
        by=cashier, customer=customer, brand="@Samsung", model="-S21",
        technician=manager,
    )  # fmt: skip
    Ticket.objects.filter(pk=late.pk).update(
        promised_date=timezone.localdate() - timedelta(days=3)
    )
    return customer


def exported(client, slug):
    path = reverse("reports:report_detail", args=[slug])
    response = client.get(path, {"period": "this_year", "export": "xlsx"})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_attackers_shop_exports_text_in_every_report(
    owner_client, typed_by_an_attacker
):
    workbook = exported(owner_client, "balances")
    names = [row[0] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert "'" + EVIL in names


@pytest.mark.parametrize("slug", sorted(base.REPORTS))
def test_no_cell_of_an_excel_export_is_a_formula(
    owner_client, typed_by_an_attacker, slug
):
    report = base.REPORTS[slug]
    workbook = exported(owner_client, slug)
    sheet = workbook.worksheets[0]
    for sheet_ in workbook.worksheets:
        for row in sheet_.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (slug, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS)
    rows = list(sheet.iter_rows(min_row=2))
    assert any(row[0].value != "Total" for row in rows), (
        f"{slug} exported no rows: the test shop should fill it"
    )
    for position, column in enumerate(report.columns):
        for row in rows:
            value = row[position].value
            if column.kind == TEXT or value is None:
                continue
            if row[0].value == "Total" and not column.total:
                continue
            assert isinstance(value, int | float | Decimal | date | datetime), (
                slug,
                column.key,
                value,
            )
