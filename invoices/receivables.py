"""What customers owe: ageing of open invoices, and customer statements.

Read-only. Ageing is one grouped query whatever the number of customers; a
statement is six queries whatever the length of the customer's history.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from pos_project.money import ZERO

from .models import Invoice, InvoiceKind, InvoiceStatus, Payment

AMOUNT = DecimalField(max_digits=12, decimal_places=2)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    # Days past the due date: `first` to `last` inclusive; None is open-ended.
    first: int | None
    last: int | None

    def condition(self, on: date) -> Q:
        """Invoices whose due date puts them in this bucket on `on`."""
        query = Q()
        if self.first is not None:
            query &= Q(due_date__lte=on - timedelta(days=self.first))
        if self.last is not None:
            query &= Q(due_date__gte=on - timedelta(days=self.last))
        return query


# Due today is not yet overdue, as Invoice.is_overdue has it.
BUCKETS = [
    Bucket("current", "Current", None, 0),
    Bucket("days_1_30", "1–30 days", 1, 30),
    Bucket("days_31_60", "31–60 days", 31, 60),
    Bucket("days_61_90", "61–90 days", 61, 90),
    Bucket("over_90", "Over 90 days", 91, None),
]
BUCKET_KEYS = [bucket.key for bucket in BUCKETS]


@dataclass
class AgeingRow:
    customer_id: int | None  # None: open invoices with no customer (walk-in)
    name: str
    invoices: int
    oldest_due: date | None
    buckets: dict  # {bucket key: Decimal}
    total: Decimal

    @property
    def amounts(self):
        """The bucket amounts in BUCKETS order."""
        return [self.buckets[key] for key in BUCKET_KEYS]


@dataclass
class Ageing:
    on: date
    min_balance: Decimal | None
    rows: list[AgeingRow]
    totals: dict = field(default_factory=dict)  # {bucket key: Decimal}
    total: Decimal = ZERO

    @property
    def total_amounts(self):
        return [self.totals[key] for key in BUCKET_KEYS]

    @property
    def invoices(self):
        return sum(row.invoices for row in self.rows)


def ageing(*, on: date | None = None, min_balance: Decimal | None = None) -> Ageing:
    """Open invoices' balances by customer, in buckets by days past due on `on`.

    Balances are today's: `on` only moves the day the ages are counted from.
    Rows owing at least `min_balance`, largest total first.
    """
    on = on or timezone.localdate()
    sums = {
        bucket.key: Sum(
            Case(
                When(bucket.condition(on), then="balance"),
                default=Value(ZERO),
                output_field=AMOUNT,
            )
        )
        for bucket in BUCKETS
    }
    grouped = (
        Invoice.objects.open()
        .values("customer_id", "customer__name")
        .annotate(
            **sums,
            total=Sum("balance"),
            invoices=Count("pk"),
            oldest_due=Min("due_date"),
        )
        .order_by("-total", "customer__name", "customer_id")
    )
    if min_balance is not None:
        grouped = grouped.filter(total__gte=min_balance)
    rows = [
        AgeingRow(
            customer_id=row["customer_id"],
            name=row["customer__name"] or "No customer (walk-in)",
            invoices=row["invoices"],
            oldest_due=row["oldest_due"],
            buckets={key: row[key] for key in BUCKET_KEYS},
            total=row["total"],
        )
        for row in grouped
    ]
    totals = {key: sum((row.buckets[key] for row in rows), ZERO) for key in BUCKET_KEYS}
    return Ageing(
        on=on,
        min_balance=min_balance,
        rows=rows,
        totals=totals,
        total=sum((row.total for row in rows), ZERO),
    )


# Statements.
#
# A customer's balance is the sum of their issued invoices' balances, each
# being total - credited - paid. Dated, that is: every invoice adds its total
# on its issue date, every credit note takes its total off on its issue date,
# every payment takes its amount off the day it was received and every refund
# (a negative payment) adds it back. Void invoices never count: they were
# issued by mistake and carry nothing (no payment, no credit note).

COUNTED = ~Q(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])


@dataclass(frozen=True)
class StatementEntry:
    day: date
    kind: str  # invoice, credit_note, payment, refund
    description: str
    reference: str  # the invoice the entry belongs to
    amount: Decimal  # what it adds to the balance (a payment is negative)
    balance: Decimal  # the running balance after it
    # Orders entries of one day: invoices are created before they are paid.
    at: datetime | None = None

    @property
    def charge(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None


@dataclass
class Statement:
    customer: object
    start: date
    end: date
    opening: Decimal
    entries: list[StatementEntry]
    closing: Decimal

    @property
    def charges(self):
        return sum((e.amount for e in self.entries if e.amount > 0), ZERO)

    @property
    def credits(self):
        return -sum((e.amount for e in self.entries if e.amount < 0), ZERO)


def _customer_ledger(customer):
    """(invoices, credit notes, payments) querysets that move `customer`'s balance."""
    invoices = Invoice.objects.filter(
        COUNTED, customer=customer, kind=InvoiceKind.INVOICE
    )
    credit_notes = Invoice.objects.filter(
        COUNTED, kind=InvoiceKind.CREDIT_NOTE, credited_invoice__customer=customer
    )
    payments = Payment.objects.filter(
        invoice__customer=customer, invoice__kind=InvoiceKind.INVOICE
    ).exclude(invoice__status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
    return invoices, credit_notes, payments


def _sum(queryset, name):
    return queryset.aggregate(s=Sum(name, default=ZERO))["s"]


def balance_before(customer, day: date) -> Decimal:
    """What `customer` owed at the start of `day`."""
    invoices, credit_notes, payments = _customer_ledger(customer)
    return (
        _sum(invoices.filter(issue_date__lt=day), "total")
        - _sum(credit_notes.filter(issue_date__lt=day), "total")
        - _sum(payments.filter(received_at__date__lt=day), "amount")
    )


def statement(customer, *, start: date, end: date) -> Statement:
    """`customer`'s account from `start` to `end` inclusive, with running balances."""
    opening = balance_before(customer, start)
    invoices, credit_notes, payments = _customer_ledger(customer)
    moves = []
    for invoice in invoices.filter(issue_date__range=(start, end)):
        moves.append(
            (
                invoice.issue_date,
                invoice.created_at,
                0,
                invoice.pk,
                "invoice",
                f"Invoice {invoice.number}",
                invoice.number,
                invoice.total,
            )
        )
    for note in credit_notes.filter(issue_date__range=(start, end)).select_related(
        "credited_invoice"
    ):
        moves.append(
            (
                note.issue_date,
                note.created_at,
                1,
                note.pk,
                "credit_note",
                f"Credit note {note.number}",
                note.credited_invoice.number,
                -note.total,
            )
        )
    for payment in payments.filter(
        received_at__date__range=(start, end)
    ).select_related("invoice"):
        refund = payment.amount < 0
        method = payment.get_method_display()
        reference = f", {payment.reference}" if payment.reference else ""
        moves.append(
            (
                timezone.localdate(payment.received_at),
                payment.received_at,
                2,
                payment.pk,
                "refund" if refund else "payment",
                f"{'Refund' if refund else 'Payment'} ({method}{reference})",
                payment.invoice.number,
                -payment.amount,
            )
        )
    moves.sort(key=lambda move: move[:4])
    balance = opening
    entries = []
    for day, at, _order, _pk, kind, description, reference, amount in moves:
        balance += amount
        entries.append(
            StatementEntry(day, kind, description, reference, amount, balance, at)
        )
    return Statement(customer, start, end, opening, entries, balance)
