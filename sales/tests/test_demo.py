from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import Sequence
from inventory.models import GoodsReceipt, Product
from invoices.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from sales.demo import DAYS
from sales.models import Return, Sale, SaleLine, SaleStatus, Shift, ShiftStatus
from sales.queries import expected_takings

pytestmark = pytest.mark.slow

BULK_LINES = 2000


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """The full demo shop, with bulk sale lines in the years before it, loaded
    once for the tests of this module (each runs inside it and is rolled back
    to it); what the command printed."""
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "demo_data", "--repairs", "20", "--sale-lines", str(BULK_LINES), stdout=out
        )
        yield out.getvalue()
        transaction.set_rollback(True)


def test_the_full_demo_shop_loads_with_sales_shifts_returns_and_invoices(
    demo_output, db
):
    assert Sale.objects.count() >= 400
    assert Return.objects.exists()
    assert not Shift.objects.filter(status=ShiftStatus.OPEN).exists()
    assert Shift.objects.filter(counts__difference__lt=0).exists()
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert statuses >= {
        InvoiceStatus.DRAFT,
        InvoiceStatus.ISSUED,
        InvoiceStatus.PARTIALLY_PAID,
        InvoiceStatus.PAID,
        InvoiceStatus.VOID,
    }
    methods = set(Sale.objects.values_list("invoice__payments__method", flat=True))
    assert {"cash", "card"} <= methods
    call_command("check_stock", stdout=StringIO())
    assert "Demo logins" in demo_output
    # Weekly deliveries restock what sales and repairs ran low; at most four
    # products are left whose low-stock alert went out and are still to order.
    weeks = GoodsReceipt.objects.filter(
        created_at__gte=timezone.now() - timedelta(days=DAYS)
    ).dates("created_at", "week")
    assert len(weeks) >= 8
    assert 1 <= Product.objects.low_stock().filter(low_stock_alerted=True).count() <= 4


def test_bulk_sale_lines_add_up_to_the_cent_with_gapless_numbers(demo_output, db):
    first_till_day = timezone.localdate() - timedelta(days=DAYS)
    before_the_till_demo = timezone.make_aware(datetime.combine(first_till_day, time()))
    bulk = Sale.objects.filter(created_at__lt=before_the_till_demo)
    lines = SaleLine.objects.filter(sale__in=bulk)
    assert lines.count() == BULK_LINES
    oldest = bulk.earliest("created_at").created_at.date()
    assert oldest < timezone.localdate() - timedelta(days=900)
    assert not lines.filter(unit_cost__isnull=True).exists()

    gross = defaultdict(Decimal)
    for sale_id, amount in lines.values_list("sale_id", "gross"):
        gross[sale_id] += amount
    totals = dict(bulk.values_list("pk", "total"))
    assert totals == gross
    assert sum(totals.values()) == sum(gross.values())

    invoices = Invoice.objects.filter(sale__in=bulk).select_related("sale")
    paid = defaultdict(Decimal)
    for invoice_id, amount in Payment.objects.filter(invoice__in=invoices).values_list(
        "invoice_id", "amount"
    ):
        paid[invoice_id] += amount
    for invoice in invoices:
        assert invoice.balance == Decimal("0.00")
        assert invoice.amount_paid == paid[invoice.pk]
        assert invoice.total == invoice.amount_credited + invoice.amount_paid
        assert invoice.total == totals[invoice.sale.pk]
    voided = bulk.filter(status=SaleStatus.VOIDED)
    assert voided.exists()
    assert Invoice.objects.filter(credited_invoice__sale__in=voided).count() == (
        voided.count()
    )

    for prefix, documents, sequence in [
        ("R-", Sale.objects.all(), "sale"),
        ("INV-", Invoice.objects.filter(kind=InvoiceKind.INVOICE), "invoice"),
        ("CN-", Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE), "credit_note"),
    ]:
        numbers = sorted(
            int(number.removeprefix(prefix))
            for number in documents.exclude(number=None).values_list(
                "number", flat=True
            )
        )
        assert numbers == list(range(1, len(numbers) + 1))
        assert Sequence.objects.get(name=sequence).last_value == len(numbers)

    for shift in Shift.objects.filter(opened_at__lt=before_the_till_demo):
        counted = {count.method: count.expected for count in shift.counts.all()}
        assert counted == expected_takings(shift)
    call_command("check_stock", stdout=StringIO())
