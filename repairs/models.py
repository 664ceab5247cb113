import secrets

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from customers.models import Customer
from inventory.models import Product
from invoices.models import Invoice
from pos_project.money import MONEY
from pos_project.validators import refuse_card_number


class DeviceType(models.TextChoices):
    PHONE = "phone", "Phone"
    TABLET = "tablet", "Tablet"
    LAPTOP = "laptop", "Laptop"
    DESKTOP = "desktop", "Desktop"
    CONSOLE = "console", "Games console"
    WATCH = "watch", "Watch"
    OTHER = "other", "Other"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    DIAGNOSING = "diagnosing", "Diagnosing"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting customer approval"
    AWAITING_PARTS = "awaiting_parts", "Awaiting parts"
    IN_REPAIR = "in_repair", "In repair"
    READY = "ready", "Ready for collection"
    COLLECTED = "collected", "Collected"
    CANCELLED = "cancelled", "Cancelled"
    RETURNED = "returned", "Returned unrepaired"


# The workflow: which status may follow which. Anything else is refused.
TRANSITIONS = {
    Status.RECEIVED: {Status.DIAGNOSING, Status.IN_REPAIR, Status.CANCELLED},
    Status.DIAGNOSING: {
        Status.AWAITING_APPROVAL,
        Status.AWAITING_PARTS,
        Status.IN_REPAIR,
        Status.RETURNED,
        Status.CANCELLED,
    },
    Status.AWAITING_APPROVAL: {
        Status.DIAGNOSING,
        Status.AWAITING_PARTS,
        Status.IN_REPAIR,
        Status.RETURNED,
        Status.CANCELLED,
    },
    Status.AWAITING_PARTS: {
        Status.IN_REPAIR,
        Status.AWAITING_APPROVAL,
        Status.RETURNED,
        Status.CANCELLED,
    },
    Status.IN_REPAIR: {
        Status.AWAITING_PARTS,
        Status.AWAITING_APPROVAL,
        Status.READY,
        Status.RETURNED,
    },
    # Ready means billed: the invoice is issued and never changes, so the
    # device can only leave the shop.
    Status.READY: {Status.COLLECTED},
    Status.COLLECTED: set(),
    Status.CANCELLED: set(),
    Status.RETURNED: set(),
}

# The device is back with its owner (or never will be worked on): the
# passcode is erased and nothing on the ticket changes any more.
CLOSED_STATUSES = (Status.COLLECTED, Status.CANCELLED, Status.RETURNED)
# The estimate and the parts can change only while the device is being worked on.
WORKING_STATUSES = (
    Status.RECEIVED,
    Status.DIAGNOSING,
    Status.AWAITING_APPROVAL,
    Status.AWAITING_PARTS,
    Status.IN_REPAIR,
)
OPEN_STATUSES = (*WORKING_STATUSES, Status.READY)


class ApprovalMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    STATUS_PAGE = "status_page", "On the status page"


def new_public_token():
    return secrets.token_urlsafe(24)


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today=None):
        return self.filter(
            status__in=WORKING_STATUSES,
            promised_date__lt=today or timezone.localdate(),
        )

    def for_lists(self):
        return self.select_related("customer", "technician")

    def counts_by_status(self):
        """{status: number of tickets}, one query."""
        return dict(
            self.values_list("status").annotate(n=Count("pk")).order_by("status")
        )

    def search(self, text):
        """By ticket number, customer name or phone, IMEI or serial number."""
        text = text.strip()
        if not text:
            return self
        query = (
            Q(number__iexact=text)
            | Q(number__iendswith=text.lstrip("0") or text)
            | Q(customer__name__icontains=text)
            | Q(serial__iexact=text)
            | Q(model__icontains=text)
        )
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 3:
            query |= Q(customer__phone_digits__contains=digits)
            query |= Q(imei__contains=digits)
        return self.filter(query)

    def same_device(self, *, imei="", serial=""):
        match = Q(pk__in=[])
        if imei:
            match |= Q(imei=imei)
        if serial:
            match |= Q(serial__iexact=serial)
        return self.filter(match)


class Ticket(models.Model):
    """A device left with the shop, from intake to collection."""

    number = models.CharField(max_length=20, unique=True)
    # The customer's link to the status page: unguessable, never the id.
    public_token = models.CharField(
        max_length=40, unique=True, default=new_public_token, editable=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="repair_tickets"
    )
    device_type = models.CharField(max_length=10, choices=DeviceType.choices)
    brand = models.CharField(validators=[refuse_card_number], max_length=60)
    model = models.CharField("model", validators=[refuse_card_number], max_length=100)
    imei = models.CharField("IMEI", max_length=16, blank=True, db_index=True)
    serial = models.CharField("serial number", max_length=60, blank=True)
    problem = models.TextField("reported problem", validators=[refuse_card_number])
    accessories = models.CharField(
        "accessories left",
        validators=[refuse_card_number],
        max_length=255,
        blank=True,
        help_text="Case, charger, SIM…",
    )
    condition_notes = models.TextField(
        "condition", validators=[refuse_card_number], blank=True
    )
    passcode_encrypted = models.TextField(blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL
    )
    promised_date = models.DateField(null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_tickets",
    )
    warranty_days = models.PositiveSmallIntegerField(default=90)
    # An earlier repair of the same device still under warranty at intake.
    warranty_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warranty_claims",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    # The bill: a draft from intake (it holds deposits), issued when ready.
    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="repair_ticket"
    )
    approval = models.ForeignKey(
        "EstimateApproval",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The customer's approval of the estimate as it stands now.",
    )
    minutes_spent = models.PositiveIntegerField(
        "bench time (minutes)", null=True, blank=True
    )
    ready_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    on_account_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The Admin who let it go with a balance on account.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The intake form's one-time token: a double submit finds this ticket.
    intake_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(imei="") | Q(imei__regex=r"^[0-9]{14,16}$"),
                name="ticket_imei_digits",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "promised_date"]),
            models.Index(fields=["technician", "status"]),
            models.Index(fields=["serial"]),
            models.Index(fields=["ready_at"]),  # turnaround and technician reports
        ]
        permissions = [
            ("allow_on_account", "Can let a repair go with a balance on account"),
            ("edit_message_templates", "Can edit repair message templates"),
        ]

    def __str__(self):
        return f"Repair {self.number}"

    def get_absolute_url(self):
        return reverse("repairs:ticket_detail", args=[self.pk])

    def get_public_url(self):
        return reverse("repairs:public_status", args=[self.public_token])

    @property
    def device(self):
        return " ".join(part for part in (self.brand, self.model) if part)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_working(self):
        return self.status in WORKING_STATUSES

    @property
    def is_overdue(self):
        return (
            self.status in WORKING_STATUSES
            and self.promised_date is not None
            and self.promised_date < timezone.localdate()
        )

    @property
    def has_passcode(self):
        return bool(self.passcode_encrypted)

    @property
    def warranty_until(self):
        if self.closed_at is None or self.status != Status.COLLECTED:
            return None
        return timezone.localdate(self.closed_at) + timezone.timedelta(
            days=self.warranty_days
        )

    def allowed_statuses(self):
        """The statuses this ticket may move to, in workflow order."""
        following = TRANSITIONS[Status(self.status)]
        return [status for status in Status if status in following]


class StatusChange(models.Model):
    """One step of a ticket's history. Append-only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    # Empty when the customer did it on the status page.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(validators=[refuse_card_number], max_length=255, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self):
        return f"{self.ticket}: {self.get_to_status_display()}"


class LineKind(models.TextChoices):
    LABOUR = "labour", "Labour / service"
    PART = "part", "Part"


class TicketLineQuerySet(models.QuerySet):
    def billable(self):
        """Labour, and the parts actually fitted."""
        return self.filter(Q(kind=LineKind.LABOUR) | Q(fitted_at__isnull=False))


class TicketLine(models.Model):
    """A line of the estimate: labour or a service, or a part from stock.

    A part takes stock when it is fitted, not when it is estimated. Changes of
    price or quantity keep their history.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(validators=[refuse_card_number], max_length=255)
    quantity = models.DecimalField(max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    fitted_at = models.DateTimeField(null=True, blank=True)
    fitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    objects = TicketLineQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["ticket", "added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="ticket_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="ticket_line_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind=LineKind.LABOUR) | Q(product__isnull=False),
                name="ticket_part_has_product",
            ),
            models.CheckConstraint(
                condition=Q(kind=LineKind.PART) | Q(fitted_at__isnull=True),
                name="ticket_only_parts_are_fitted",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.description}"

    @property
    def is_part(self):
        return self.kind == LineKind.PART

    @property
    def is_fitted(self):
        return self.fitted_at is not None


class EstimateApproval(models.Model):
    """The customer said yes to the estimate as it stood. Append-only."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="approvals"
    )
    total = models.DecimalField(**MONEY)
    method = models.CharField(max_length=20, choices=ApprovalMethod.choices)
    # Staff who took the approval in person or by phone; empty on the status page.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(validators=[refuse_card_number], max_length=255, blank=True)
    at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="When the estimate changed after it."
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.ticket} approved {self.get_method_display().lower()}"


class MessageTemplate(models.Model):
    """The email a customer gets when their ticket reaches a status."""

    status = models.CharField(max_length=20, choices=Status.choices, unique=True)
    subject = models.CharField(validators=[refuse_card_number], max_length=200)
    body = models.TextField(
        validators=[refuse_card_number],
        help_text="Placeholders: {customer}, {number}, {device}, {status}, "
        "{balance}, {link}, {shop}, {shop_phone}.",
    )
    active = models.BooleanField(
        "send it", default=True, help_text="Email customers at this status."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["status"]

    def __str__(self):
        return f"Message when {Status(self.status).label.lower()}"
