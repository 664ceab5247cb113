from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.models import TaxRate
from pos_project.money import MONEY, ZERO
from pos_project.validators import refuse_card_number

# The most units one stock action (a delivery line, an adjustment, a count, an
# opening stock) may move, and the highest reorder level: far above any
# shop's shelf, far below the 2**31 an integer column holds.
MAX_STOCK_QUANTITY = 1_000_000
MAX_REORDER_LEVEL = 1_000_000


class Category(models.Model):
    name = models.CharField(
        validators=[refuse_card_number], max_length=100, unique=True
    )
    description = models.TextField(validators=[refuse_card_number], blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Supplier(models.Model):
    name = models.CharField(
        validators=[refuse_card_number], max_length=150, unique=True
    )
    contact_name = models.CharField(
        validators=[refuse_card_number], max_length=100, blank=True
    )
    phone = models.CharField(validators=[refuse_card_number], max_length=40, blank=True)
    email = models.EmailField(validators=[refuse_card_number], blank=True)
    address = models.TextField(validators=[refuse_card_number], blank=True)
    notes = models.TextField(validators=[refuse_card_number], blank=True)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class StockState(models.TextChoices):
    IN_STOCK = "in", "In stock"
    LOW = "low", "Low"
    OUT = "out", "Out of stock"


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def tracked(self):
        return self.filter(tracks_stock=True)

    def low_stock(self):
        """Tracked products at or below their reorder level (out of stock too)."""
        return self.tracked().filter(on_hand__lte=F("reorder_level"))

    def out_of_stock(self):
        return self.tracked().filter(on_hand__lte=0)

    def in_state(self, state):
        if state == StockState.OUT:
            return self.out_of_stock()
        if state == StockState.LOW:
            return self.low_stock().filter(on_hand__gt=0)
        if state == StockState.IN_STOCK:
            return self.tracked().filter(on_hand__gt=F("reorder_level"))
        return self

    def search(self, text):
        text = text.strip()
        return self.filter(
            Q(name__icontains=text)
            | Q(sku__iexact=text)
            | Q(sku__icontains=text)
            | Q(barcode=text)
        )

    def with_stock_value(self):
        return self.annotate(
            stock_value=ExpressionWrapper(
                F("on_hand") * F("cost_price"), output_field=DecimalField(**MONEY)
            )
        )

    def for_lists(self):
        return self.select_related("category", "supplier", "tax_rate")


class Product(models.Model):
    """Something the shop sells: a stocked item, or a service that holds no stock.

    `on_hand` is the sum of the product's stock moves, kept in step by
    inventory.services in the same transaction as each move. Serial or IMEI
    tracking can be added as a table of units per product, each linked to the
    moves that took it in and out; moves stay the source of the counts.
    """

    name = models.CharField(validators=[refuse_card_number], max_length=200)
    sku = models.CharField("SKU", max_length=64)
    barcode = models.CharField(
        max_length=64,
        blank=True,
        help_text="EAN/UPC or any code a scanner types. Leave empty if none.",
    )
    description = models.TextField(validators=[refuse_card_number], blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    sale_price = models.DecimalField(**MONEY, validators=[MinValueValidator(ZERO)])
    cost_price = models.DecimalField(
        **MONEY,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text="Average cost per unit; receiving stock updates it.",
    )
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")
    tracks_stock = models.BooleanField(
        default=True, help_text="Off for services and labour, which hold no stock."
    )
    reorder_level = models.PositiveIntegerField(
        default=0,
        validators=[
            MaxValueValidator(
                MAX_REORDER_LEVEL,
                message="The reorder level can be at most %(limit_value)s.",
            )
        ],
        help_text="Alert when stock falls to this many or fewer.",
    )
    on_hand = models.IntegerField(default=0, editable=False)
    # Set when a sale went through on too little stock (allowed by the shop
    # setting); a stock count clears it.
    needs_count = models.BooleanField(default=False, editable=False)
    # Set once the low-stock alert for the current dip has gone out, so staff
    # get one alert, not one per sale; cleared when stock is back above the level.
    low_stock_alerted = models.BooleanField(default=False, editable=False)
    active = models.BooleanField(default=True)
    image = models.ImageField(upload_to="products/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["on_hand", "needs_count", "low_stock_alerted", "updated_at"]
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # Case-insensitive, as scanners and staff type codes either way.
            models.UniqueConstraint(
                Lower("sku"),
                name="product_sku_unique",
                violation_error_message="Another product already has this SKU.",
            ),
            models.UniqueConstraint(
                fields=["barcode"],
                condition=~Q(barcode=""),
                name="product_barcode_unique",
                violation_error_message="Another product already has this barcode.",
            ),
            models.CheckConstraint(
                condition=Q(sale_price__gte=0), name="product_sale_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0), name="product_cost_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(tracks_stock=True) | Q(on_hand=0),
                name="product_untracked_holds_no_stock",
            ),
        ]
        indexes = [models.Index(fields=["active", "name"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inventory:product_detail", args=[self.pk])

    @property
    def stock_state(self):
        if not self.tracks_stock:
            return None
        if self.on_hand <= 0:
            return StockState.OUT
        if self.on_hand <= self.reorder_level:
            return StockState.LOW
        return StockState.IN_STOCK


class StockReason(models.TextChoices):
    OPENING = "opening", "Opening stock"
    RECEIVE = "receive", "Received"
    SALE = "sale", "Sale"
    RETURN = "return", "Customer return"
    REPAIR_PART = "repair_part", "Repair part"
    REPAIR_PART_RETURN = "repair_part_return", "Repair part returned"
    ADJUSTMENT = "adjustment", "Adjustment"
    COUNT = "count", "Stock count"


class StockMoveQuerySet(models.QuerySet):
    def for_document(self, document):
        """The moves a document (a goods receipt, a sale, ...) caused."""
        return self.filter(
            reference_type=ContentType.objects.get_for_model(document),
            reference_id=document.pk,
        ).order_by("product__name", "pk")


class StockMove(models.Model):
    """One change of a product's on-hand quantity. Never edited or deleted."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="moves")
    quantity = models.IntegerField(help_text="Positive in, negative out.")
    reason = models.CharField(max_length=20, choices=StockReason.choices)
    # On hand after this move: the ledger's running balance, written under the
    # product's row lock.
    balance_after = models.IntegerField()
    unit_cost = models.DecimalField(**MONEY, null=True, blank=True)
    reference_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference = GenericForeignKey("reference_type", "reference_id")
    # What the reference was called when the move was made ("Sale R-000123").
    reference_label = models.CharField(max_length=100, blank=True)
    note = models.CharField(validators=[refuse_card_number], max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stock_moves"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = StockMoveQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0), name="stock_move_not_zero"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"]),
            models.Index(fields=["reference_type", "reference_id"]),
            models.Index(fields=["reason", "created_at"]),
        ]

    def __str__(self):
        return f"{self.quantity:+d} {self.product} ({self.get_reason_display()})"


class GoodsReceipt(models.Model):
    """Stock received from a supplier: its moves reference this document."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="receipts"
    )
    supplier_reference = models.CharField(
        validators=[refuse_card_number],
        max_length=100,
        blank=True,
        help_text="The supplier's invoice or delivery note.",
    )
    note = models.CharField(validators=[refuse_card_number], max_length=255, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Goods received GR-{self.pk:06d}"

    def get_absolute_url(self):
        return reverse("inventory:receipt_detail", args=[self.pk])


class StockCount(models.Model):
    """A stock count: its moves are the differences found."""

    note = models.CharField(validators=[refuse_card_number], max_length=255, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    products_counted = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Stock count SC-{self.pk:06d}"

    def get_absolute_url(self):
        return reverse("inventory:count_detail", args=[self.pk])


class ProductImport(models.Model):
    """An uploaded product file, checked and previewed before it is applied."""

    filename = models.CharField(validators=[refuse_card_number], max_length=255)
    columns = models.JSONField(default=list, help_text="The columns read, in order.")
    notices = models.JSONField(default=list, help_text="Notes about the whole file.")
    rows = models.JSONField(help_text="The parsed rows, as shown in the preview.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import of {self.filename}"

    def get_absolute_url(self):
        return reverse("inventory:product_import_preview", args=[self.pk])
