import hashlib
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pos_project.validators import refuse_card_number


class Role(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"
    SUPER_ADMIN = "super_admin", "Super Admin"


class UserQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def with_role(self, *roles):
        return self.filter(role__in=roles)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    # Django's versions pass is_staff and is_superuser, which the role decides here.
    def create_user(self, username, email=None, password=None, **extra_fields):
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields["role"] = Role.SUPER_ADMIN
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """A member of staff. The role alone decides what they may do."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER)
    first_name = models.CharField(
        "first name", max_length=150, blank=True, validators=[refuse_card_number]
    )
    last_name = models.CharField(
        "last name", max_length=150, blank=True, validators=[refuse_card_number]
    )
    email = models.EmailField(
        "email address", blank=True, validators=[refuse_card_number]
    )

    # Roles replace Django's groups and per-user permissions, so that one
    # mechanism (accounts.access) decides access everywhere.
    groups = None
    user_permissions = None

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_absolute_url(self):
        return reverse("accounts:staff_detail", args=[self.pk])

    # Derived from the role rather than stored, so they can never disagree with it.
    @property
    def is_superuser(self):
        return self.role == Role.SUPER_ADMIN

    @property
    def is_staff(self):
        """May use Django admin."""
        return self.role in (Role.ADMIN, Role.SUPER_ADMIN)


class PaperWidth(models.TextChoices):
    MM80 = "80mm", "80 mm thermal roll"
    MM58 = "58mm", "58 mm thermal roll"
    A4 = "a4", "A4 sheet"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    MOBILE_MONEY = "mobile_money", "Mobile money"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    STORE_CREDIT = "store_credit", "Store credit"
    CHEQUE = "cheque", "Cheque"


def default_payment_methods():
    return [
        PaymentMethod.CASH,
        PaymentMethod.CARD,
        PaymentMethod.MOBILE_MONEY,
        PaymentMethod.BANK_TRANSFER,
        PaymentMethod.STORE_CREDIT,
    ]


class ShopSettings(models.Model):
    """The shop's details and preferences: one row, edited by Super Admins."""

    SINGLETON_ID = 1

    name = models.CharField(
        validators=[refuse_card_number], max_length=100, default="My Shop"
    )
    address = models.TextField(validators=[refuse_card_number], blank=True)
    phone = models.CharField(validators=[refuse_card_number], max_length=40, blank=True)
    email = models.EmailField(validators=[refuse_card_number], blank=True)
    tax_id = models.CharField(
        "tax ID", validators=[refuse_card_number], max_length=40, blank=True
    )
    # Kept in the database rather than on disk so every app server sees it.
    logo = models.BinaryField(blank=True, default=b"", editable=False)
    logo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    receipt_header = models.TextField(validators=[refuse_card_number], blank=True)
    receipt_footer = models.TextField(
        validators=[refuse_card_number],
        blank=True,
        default="Thank you for your custom!",
    )
    paper_width = models.CharField(
        max_length=8, choices=PaperWidth.choices, default=PaperWidth.MM80
    )
    prices_include_tax = models.BooleanField(
        "prices include tax",
        default=True,
        help_text="On: shelf prices already contain tax. "
        "Off: tax is added at the till.",
    )
    allow_negative_stock = models.BooleanField(
        default=False,
        help_text="Let a sale go through when the system shows too little stock; "
        "the product is flagged for a count.",
    )
    payment_methods = models.JSONField(default=default_payment_methods)
    max_staff_discount_percent = models.DecimalField(
        "largest discount staff may give (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="A larger discount at the till needs an Admin's approval.",
    )
    cash_difference_threshold = models.DecimalField(
        "cash difference needing an Admin",
        max_digits=12,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Closing a shift whose counted cash differs by more needs an Admin.",
    )
    receipt_show_tax = models.BooleanField(
        "receipts show the tax breakdown", default=True
    )
    receipt_show_cashier = models.BooleanField(
        "receipts show the cashier", default=True
    )
    receipt_show_customer = models.BooleanField(
        "receipts show the customer", default=True
    )
    receipt_show_logo = models.BooleanField("receipts show the logo", default=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (days)",
        default=14,
        validators=[
            MaxValueValidator(365, message="Payment terms are at most 365 days.")
        ],
        help_text="Invoices are due this many days after they are issued.",
    )
    repair_terms = models.TextField(
        "repair terms",
        validators=[refuse_card_number],
        blank=True,
        default="Devices not collected within 90 days of our notice may be "
        "disposed of. We are not responsible for data loss; back up your device. "
        "Repairs carry the warranty stated on this slip, covering the same fault.",
        help_text="Printed on the repair claim slip.",
    )
    repair_warranty_days = models.PositiveSmallIntegerField(
        "repair warranty (days)",
        default=90,
        validators=[MaxValueValidator(3650, message="The warranty is 0 to 3650 days.")],
        help_text="Offered on new repair tickets; a technician can change it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["logo"])

    class Meta:
        verbose_name = "shop settings"
        verbose_name_plural = "shop settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="shop_settings_single_row"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:shop_settings")

    def clean(self):
        methods = self.payment_methods
        if not isinstance(methods, list) or not methods:
            raise ValidationError({"payment_methods": "Offer at least one method."})
        unknown = ", ".join(str(m) for m in methods if m not in PaymentMethod.values)
        if unknown:
            raise ValidationError(
                {"payment_methods": f"Unknown payment methods: {unknown}."}
            )

    @classmethod
    def load(cls):
        """The shop's settings, created with defaults on first use."""
        settings, _ = cls.objects.defer("logo").get_or_create(pk=cls.SINGLETON_ID)
        return settings

    @property
    def has_logo(self):
        return bool(self.logo_content_type)

    @property
    def logo_url(self):
        if not self.has_logo:
            return ""
        version = int(self.updated_at.timestamp())
        return reverse("accounts:shop_logo", args=[version])

    def get_payment_methods_display(self):
        labels = dict(PaymentMethod.choices)
        return [labels[code] for code in self.payment_methods if code in labels]


class TaxRate(models.Model):
    """A named tax rate the shop charges, e.g. "Standard 20%"."""

    name = models.CharField(validators=[refuse_card_number], max_length=50, unique=True)
    rate = models.DecimalField(
        "rate (%)",
        max_digits=5,
        decimal_places=2,
        help_text="Percent, e.g. 20 for 20%.",
    )
    is_default = models.BooleanField(
        "default for new products",
        default=False,
    )
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_default", "rate", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="tax_rate_0_to_100"
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="tax_rate_single_default",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.rate.normalize():f}%)"

    @classmethod
    def default(cls):
        return cls.objects.filter(is_default=True).first()


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app alert for one member of staff (e.g. a product running low)."""

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title


class Sequence(models.Model):
    """The last number given out for one kind of document (invoices, receipts)."""

    name = models.CharField(max_length=30, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.last_value}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A named key a member of staff gives a program to use the REST API as them.

    Only a SHA-256 hash of the key is stored: the key is shown once, when the
    token is created, and cannot be recovered, only revoked and replaced.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        validators=[refuse_card_number],
        max_length=100,
        help_text="What the token is for.",
    )
    prefix = models.CharField(
        max_length=PREFIX_LENGTH, help_text="The key's first characters, to tell it."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self):
        if self.revoked_at:
            return "revoked"
        return "expired" if self.is_expired else "active"


class LiveTopic(models.Model):
    """How often one kind of data (stock, billing, repairs...) has changed, and
    when it last did: open screens poll these to know what to redraw
    (accounts/live.py, docs/live.md)."""

    name = models.CharField(max_length=30, primary_key=True)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.FloatField(default=0, help_text="Unix time of the last change.")

    def __str__(self):
        return f"{self.name}: {self.version}"


class IdempotencyKey(models.Model):
    """A client's one-time key, claimed by the request that made something with
    it (pos_project/idempotency.py). What it made keeps `scope-fingerprint` in
    its own key column."""

    # The action's name and a hash of the member of staff and their key: unique,
    # so that two requests racing with one key queue here.
    scope = models.CharField(max_length=64, unique=True)
    # A hash of what the request asked; empty for keys kept before requests
    # were fingerprinted, whose retries are taken for the same request.
    fingerprint = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.scope
