from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import PaymentMethod
from customers.models import Customer
from inventory.models import Product
from invoices.models import Invoice
from pos_project.money import MONEY, ZERO
from pos_project.validators import refuse_card_number


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "%"
    AMOUNT = "amount", "Amount"


# Cash shifts.


class ShiftStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Shift(models.Model):
    """A cashier's session at a till, from opening float to counted cash."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts"
    )
    status = models.CharField(
        max_length=6, choices=ShiftStatus.choices, default=ShiftStatus.OPEN
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    opening_float = models.DecimalField(**MONEY, validators=[MinValueValidator(ZERO)])
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.CharField(
        validators=[refuse_card_number], max_length=255, blank=True
    )
    # An Admin who accepted a cash difference above the shop's threshold.
    difference_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier"],
                condition=Q(status="open"),
                name="one_open_shift_per_cashier",
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0), name="shift_float_not_negative"
            ),
        ]

    def __str__(self):
        return f"Shift #{self.pk} of {self.cashier}"

    def get_absolute_url(self):
        return reverse("sales:shift_detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status == ShiftStatus.OPEN


class CashMovementKind(models.TextChoices):
    PAY_IN = "pay_in", "Cash in"
    PAYOUT = "payout", "Payout"
    DROP = "drop", "Cash drop to safe"


class CashMovement(models.Model):
    """Cash put into or taken out of the drawer other than by a sale."""

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=CashMovementKind.choices)
    # Positive into the drawer, negative out of it.
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(validators=[refuse_card_number], max_length=255)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="cash_movement_not_zero"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class ShiftCount(models.Model):
    """At closing: what the system expected per payment method and what was counted."""

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="counts")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    expected = models.DecimalField(**MONEY)
    counted = models.DecimalField(**MONEY)
    difference = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["shift", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "method"], name="one_count_per_method"
            ),
        ]

    def __str__(self):
        method = self.get_method_display()
        return f"{method}: {self.counted} counted, {self.expected} expected"


# The cart: a sale being rung up, kept on the server.


class CartStatus(models.TextChoices):
    ACTIVE = "active", "At the till"
    PARKED = "parked", "Parked"
    CHECKED_OUT = "checked_out", "Checked out"


class Cart(models.Model):
    """A cashier's sale in progress. It survives a reload or a crashed browser."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="carts"
    )
    status = models.CharField(
        max_length=12, choices=CartStatus.choices, default=CartStatus.ACTIVE
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discount_kind = models.CharField(
        max_length=8, choices=DiscountKind.choices, default=DiscountKind.PERCENT
    )
    discount_value = models.DecimalField(**MONEY, default=ZERO)
    # The largest discount (as a percent of the cart) an Admin approved for it.
    discount_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    discount_approved_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=ZERO
    )
    park_note = models.CharField(
        validators=[refuse_card_number], max_length=100, blank=True
    )
    parked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier"],
                condition=Q(status="active"),
                name="one_active_cart_per_cashier",
            ),
            models.CheckConstraint(
                condition=Q(discount_value__gte=0), name="cart_discount_not_negative"
            ),
        ]
        indexes = [
            # The few parked carts among one per sale ever made: the till
            # counts them after every cart action, the parked list reads them.
            models.Index(
                fields=["-parked_at"],
                condition=Q(status="parked"),
                name="cart_parked",
            ),
        ]

    def __str__(self):
        return f"Cart #{self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    discount_kind = models.CharField(
        max_length=8, choices=DiscountKind.choices, default=DiscountKind.PERCENT
    )
    discount_value = models.DecimalField(**MONEY, default=ZERO)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "product"], name="one_line_per_product"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="cart_line_quantity"
            ),
            models.CheckConstraint(
                condition=Q(discount_value__gte=0),
                name="cart_line_discount_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}"


# Sales.


class SaleStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    VOIDED = "voided", "Voided"


class Sale(models.Model):
    """A completed checkout: what was sold, at what price, paid how."""

    number = models.CharField(max_length=20, unique=True)
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="sales")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="sales"
    )
    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="sale"
    )
    status = models.CharField(
        max_length=10, choices=SaleStatus.choices, default=SaleStatus.COMPLETED
    )
    subtotal = models.DecimalField(**MONEY)
    discount_total = models.DecimalField(**MONEY)
    tax_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    tendered = models.DecimalField(
        **MONEY, help_text="All tenders, cash before change."
    )
    change_given = models.DecimalField(**MONEY, default=ZERO)
    # The checkout form's one-time token: a resubmit returns this sale.
    checkout_token = models.CharField(max_length=64, unique=True)
    discount_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(
        validators=[refuse_card_number], max_length=255, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0), name="sale_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(change_given__gte=0), name="sale_change_not_negative"
            ),
        ]

    def __str__(self):
        return f"Sale {self.number}"

    def get_absolute_url(self):
        return reverse("sales:receipt", args=[self.pk])


class SaleLine(models.Model):
    """A sold product as it was sold: name, SKU, price, discount and tax."""

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="sale_lines"
    )
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    gross = models.DecimalField(**MONEY)
    returned_quantity = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="The product's cost price when sold, for margins.",
    )

    class Meta:
        ordering = ["sale", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=models.F("quantity")),
                name="sale_line_returns_at_most_sold",
            ),
        ]
        indexes = [
            # A product's sales, newest last: slow movers and product reports.
            models.Index(fields=["product", "sale"], name="sale_line_product_sale"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.name}"

    @property
    def returnable(self):
        return self.quantity - self.returned_quantity


class Return(models.Model):
    """Goods brought back from a sale: stock, a credit note and a refund."""

    number = models.CharField(max_length=20, unique=True)
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="returns")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="returns")
    credit_note = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="sale_return"
    )
    refund_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    total = models.DecimalField(**MONEY)
    reason = models.CharField(validators=[refuse_card_number], max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Returns in a period: the sales reports and Z reports.
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"Return {self.number}"

    def get_absolute_url(self):
        return reverse("sales:return_detail", args=[self.pk])


class ReturnLine(models.Model):
    sale_return = models.ForeignKey(
        Return, on_delete=models.PROTECT, related_name="lines"
    )
    sale_line = models.ForeignKey(SaleLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    restocked = models.BooleanField(help_text="Back on the shelf; off when damaged.")
    # What the credit note took off for these units (tax included if prices do).
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["sale_return", "pk"]

    def __str__(self):
        return f"{self.quantity} × {self.sale_line.name}"


# Totals kept as sales happen.

TOTAL = {"max_digits": 14, "decimal_places": 2, "default": ZERO}


class KeptTotalQuerySet(models.QuerySet):
    def kept(self, time_zone):
        """Whether the totals hold every completed sale and return, by local
        day in `time_zone`: none were kept in another zone (a database moved
        to another zone, or not built yet after an upgrade, until
        `rebuild_sales_totals` runs). One query, which reads the first and
        the last zone from the index that starts with it (excluding the zone
        instead would read every row of a table that holds 400,000)."""
        zones = self.order_by().values_list("time_zone", flat=True)
        ends = self.order_by().values(
            first=models.Subquery(zones.order_by("time_zone")[:1]),
            last=models.Subquery(zones.order_by("-time_zone")[:1]),
        )[:1]
        return all(zone == time_zone for row in ends for zone in row.values())


class KeptFigures(models.Model):
    """The figures of the sales reports, added up as sales happen: what was
    sold and what its returns' credit notes took off (with the cost of the
    units put back on sale)."""

    units_sold = models.IntegerField(default=0)
    sold_gross = models.DecimalField(**TOTAL)
    sold_discount = models.DecimalField(**TOTAL)
    sold_net = models.DecimalField(**TOTAL)
    sold_tax = models.DecimalField(**TOTAL)
    sold_cost = models.DecimalField(**TOTAL)
    units_returned = models.IntegerField(default=0)
    back_gross = models.DecimalField(**TOTAL)
    back_net = models.DecimalField(**TOTAL)
    back_tax = models.DecimalField(**TOTAL)
    back_cost = models.DecimalField(**TOTAL)

    class Meta:
        abstract = True


class DailyTotal(KeptFigures):
    """What one cashier's completed sales and the returns of them came to on
    one local day: the figures of the sales reports, added up as sales happen.

    The checkout, a return and a void add to their day's row in their own
    transaction (`sales.totals`), so the sales reports read a few thousand
    rows for a year instead of every sale line. A sale counts on the day it
    was made; a return on the day the goods came back, against the cashier
    who made the sale. `time_zone` is the zone whose local day `day` is.
    """

    time_zone = models.CharField(max_length=64)
    day = models.DateField()
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sales = models.IntegerField(default=0)

    objects = KeptTotalQuerySet.as_manager()

    class Meta:
        ordering = ["day", "cashier"]
        constraints = [
            models.UniqueConstraint(
                fields=["time_zone", "day", "cashier"], name="daily_total_key"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.cashier_id}"


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class ProductTotal(KeptFigures):
    """What one product's sales and returns came to in one local month, and
    in one local year: the sales reports per product and category, top
    products and slow movers add up the periods they are asked for from
    these (20,000 rows for a year of 20,000 products) instead of every sale
    line. Kept like `DailyTotal`: a sale in the month and year it was made,
    a return in those it came back in; `period` is the month's or the year's
    first day."""

    time_zone = models.CharField(max_length=64)
    kind = models.CharField(max_length=5, choices=PeriodKind.choices)
    period = models.DateField()
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="kept_totals"
    )

    objects = KeptTotalQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "period", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["time_zone", "kind", "period", "product"],
                name="product_total_key",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.period} {self.product_id}"
