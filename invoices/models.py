from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import PaymentMethod
from customers.models import Customer
from pos_project.db import equal_to_the_cent
from pos_project.money import MONEY, ZERO
from pos_project.validators import refuse_card_number


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class InvoiceSource(models.TextChoices):
    SALE = "sale", "Sale"
    REPAIR = "repair", "Repair"
    MANUAL = "manual", "Manual"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class InvoiceQuerySet(models.QuerySet):
    def invoices(self):
        return self.filter(kind=InvoiceKind.INVOICE)

    def open(self):
        """Issued invoices with something left to pay."""
        return self.invoices().filter(status__in=OPEN_STATUSES, balance__gt=0)

    def overdue(self, today=None):
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def for_lists(self):
        return self.select_related("customer")

    def total_balance(self):
        return self.exclude(
            status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID]
        ).aggregate(balance=Sum("balance", default=ZERO))["balance"]


class Invoice(models.Model):
    """A bill (or a credit note correcting one). Once issued it never changes;
    its payments and credit notes move its balance.
    """

    kind = models.CharField(
        max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    # Given when issued, from a gapless sequence: INV-000123, CN-000012.
    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    # The customer's details as they were when the invoice was issued.
    bill_to_name = models.CharField(
        validators=[refuse_card_number], max_length=200, blank=True
    )
    bill_to_address = models.TextField(validators=[refuse_card_number], blank=True)
    bill_to_tax_id = models.CharField(
        validators=[refuse_card_number], max_length=40, blank=True
    )
    source = models.CharField(max_length=10, choices=InvoiceSource.choices)
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # Days to pay, counted from the day the invoice is issued.
    payment_terms_days = models.PositiveSmallIntegerField()
    prices_include_tax = models.BooleanField()
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    discount_total = models.DecimalField(**MONEY, default=ZERO)
    tax_total = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    amount_paid = models.DecimalField(**MONEY, default=ZERO)
    amount_credited = models.DecimalField(**MONEY, default=ZERO)
    balance = models.DecimalField(**MONEY, default=ZERO)
    credited_invoice = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        help_text="For a credit note: the invoice it corrects.",
    )
    notes = models.TextField(validators=[refuse_card_number], blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    void_reason = models.CharField(
        validators=[refuse_card_number], max_length=255, blank=True
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voided_at = models.DateTimeField(null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=equal_to_the_cent(
                    F("balance"), F("total") - F("amount_credited") - F("amount_paid")
                ),
                name="invoice_balance_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0), name="invoice_total_not_negative"
            ),
            models.CheckConstraint(
                # A draft discarded before it was issued is void without a number.
                condition=Q(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
                | Q(number__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE)
                | Q(credited_invoice__isnull=False),
                name="credit_note_has_invoice",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["issue_date"]),
        ]

    def __str__(self):
        label = self.get_kind_display()
        return f"{label} {self.number}" if self.number else f"Draft {label.lower()}"

    def get_absolute_url(self):
        return reverse("invoices:invoice_detail", args=[self.pk])

    @property
    def is_overdue(self):
        return (
            self.status in OPEN_STATUSES
            and self.balance > 0
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )

    @property
    def is_credit_note(self):
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(models.Model):
    """What was billed, as it was: description, price and tax at the time."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(validators=[refuse_card_number], max_length=255)
    sku = models.CharField("SKU", max_length=64, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=ZERO)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    gross = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.CheckConstraint(
                condition=equal_to_the_cent(F("gross"), F("net") + F("tax")),
                name="invoice_line_adds_up",
            ),
            models.UniqueConstraint(
                fields=["invoice", "position"], name="invoice_line_position_unique"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.description}"


class PaymentQuerySet(models.QuerySet):
    def for_lists(self):
        return self.select_related("invoice", "invoice__customer", "received_by")

    def received(self):
        return self.filter(amount__gt=0)

    def refunds(self):
        return self.filter(amount__lt=0)


class Payment(models.Model):
    """Money taken for an invoice, or given back (a negative refund). Append-only."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(
        validators=[refuse_card_number],
        max_length=40,
        blank=True,
        help_text="Terminal reference or the card's last four digits, "
        "never a card number.",
    )
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    note = models.CharField(validators=[refuse_card_number], max_length=255, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The one-time token of the form or API call that made it: a resubmit
    # finds this payment instead of taking the money twice.
    idempotency_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_not_zero"),
            models.CheckConstraint(
                condition=Q(refund_of__isnull=True) | Q(amount__lt=0),
                name="refund_is_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["method", "received_at"]),
            # A cashier's payments in a period: shift takings, reports by cashier.
            models.Index(fields=["received_by", "received_at"]),
        ]

    def __str__(self):
        kind = "Refund" if self.amount < 0 else "Payment"
        return f"{kind} of {abs(self.amount)} on {self.invoice}"

    @property
    def is_refund(self):
        return self.amount < 0
