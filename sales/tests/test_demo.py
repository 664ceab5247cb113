from io import StringIO

from django.core.management import call_command

from invoices.models import Invoice, InvoiceStatus
from sales.models import Return, Sale, Shift, ShiftStatus


def test_the_full_demo_shop_loads_with_sales_shifts_returns_and_invoices(db):
    out = StringIO()
    call_command("demo_data", "--repairs", "20", stdout=out)
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
    assert "Demo logins" in out.getvalue()
