"""Read-only figures for shifts and Z reports. Nothing here writes."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import PaymentMethod
from invoices.models import Payment
from pos_project.money import ZERO

from .models import CashMovementKind, SaleStatus


def shift_payments(shift, until=None):
    """Payments the shift's cashier took or gave back during the shift."""
    until = until or shift.closed_at or timezone.now()
    return Payment.objects.filter(
        received_by=shift.cashier_id,
        received_at__gte=shift.opened_at,
        received_at__lt=until,
    )


def expected_takings(shift, until=None):
    """{method: what should be in the drawer or on the terminal}, cash with float."""
    by_method = dict(
        shift_payments(shift, until)
        .values_list("method")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    moved = shift.movements.aggregate(total=Sum("amount", default=ZERO))["total"]
    cash = shift.opening_float + by_method.get(PaymentMethod.CASH, ZERO) + moved
    return {**by_method, PaymentMethod.CASH: cash}


@dataclass
class ShiftSummary:
    """Everything on a Z report."""

    sales_count: int = 0
    voided_count: int = 0
    gross_sales: Decimal = ZERO
    discounts: Decimal = ZERO
    tax: Decimal = ZERO
    returns_count: int = 0
    returns_total: Decimal = ZERO
    payments_by_method: dict = field(default_factory=dict)
    refunds_by_method: dict = field(default_factory=dict)
    movements: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    counts: list = field(default_factory=list)

    @property
    def net_sales(self):
        return self.gross_sales - self.returns_total


def summarise_shift(shift):
    """The Z report of a shift: a handful of aggregate queries, whatever its size."""
    summary = ShiftSummary()
    sales = shift.sales.filter(status=SaleStatus.COMPLETED).aggregate(
        n=Count("pk"),
        total=Sum("total", default=ZERO),
        discount=Sum("discount_total", default=ZERO),
        tax=Sum("tax_total", default=ZERO),
    )
    summary.sales_count = sales["n"]
    summary.gross_sales = sales["total"]
    summary.discounts = sales["discount"]
    summary.tax = sales["tax"]
    summary.voided_count = shift.sales.filter(status=SaleStatus.VOIDED).count()
    returns = shift.returns.aggregate(n=Count("pk"), total=Sum("total", default=ZERO))
    summary.returns_count, summary.returns_total = returns["n"], returns["total"]
    payments = shift_payments(shift)
    summary.payments_by_method = dict(
        payments.received().values_list("method").annotate(t=Sum("amount")).order_by()
    )
    summary.refunds_by_method = dict(
        payments.refunds().values_list("method").annotate(t=Sum("amount")).order_by()
    )
    summary.movements = {
        CashMovementKind(kind).label: total
        for kind, total in shift.movements.values_list("kind")
        .annotate(t=Sum("amount"))
        .order_by()
    }
    summary.expected = expected_takings(shift)
    summary.counts = list(shift.counts.all())
    return summary
