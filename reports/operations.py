"""Reports on payments and balances, cash shifts and stock.

Every figure is aggregated in SQL from the filtered base queryset; the class
docstrings define each one as the manager's manual quotes it. Dates and times
are the shop's local ones (settings.TIME_ZONE).
"""

from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
)
from django.utils import timezone

from accounts.models import PaymentMethod
from inventory.models import Product, StockMove, StockReason
from invoices.models import Invoice, Payment
from invoices.receivables import BUCKETS
from sales.models import Sale, SaleStatus, Shift, ShiftStatus

from .base import (
    DATE,
    INT,
    MONEY,
    TEXT,
    Chart,
    Column,
    Params,
    Report,
    register,
)
from .expressions import (
    AMOUNT,
    TEXT_FIELD,
    ZERO,
    Cents,
    label_of,
    local_day,
    local_minute,
    local_time,
    money_sum,
    period_of,
    person,
    times,
)
from .filters import window

WALK_IN = "No customer (walk-in)"


# Expressions shared by the reports below.


def aggregate(queryset, **figures):
    """queryset.aggregate(), under names that cannot shadow the fields the
    figures add up (a total named "quantity" summing the field "quantity")."""
    totals = queryset.aggregate(**{f"total_{key}": e for key, e in figures.items()})
    return {key: totals[f"total_{key}"] for key in figures}


# Payments and balances.

RECEIVED = Q(amount__gt=0)
REFUNDED = Q(amount__lt=0)


@register
class PaymentsReceived(Report):
    """Money taken and given back, by day, week or month and payment method.

    Counts every payment record by the local day it was received
    (`Payment.received_at`), whatever the invoice: sales, repairs, deposits and
    account repayments alike, taken at the till or recorded on an invoice.
    Floats and cash paid in or out of a drawer are not payments (see Cash
    shifts).

    - Payments: the number of payments taken (positive amounts).
    - Received: the sum of those payments.
    - Refunded: the sum of the refunds (negative payments: refunds of returns,
      of voided sales and of overpayments), shown as a positive amount, by the
      day the money was given back and the method it was given back in.
    - Net: received less refunded.

    Store credit is not money: spending it shows as received under "Store
    credit", and the same amount taken off the overpaid invoice that held the
    credit shows as refunded under "Store credit", so that method nets to zero.
    A return refunded as store credit moves no money and shows nothing.

    Filters: the cashier is who took or gave back the money (`received_by`);
    the customer is the invoice's customer. The chart shows the net of all
    methods per period.
    """

    slug = "payments-received"
    title = "Payments received"
    description = "Money taken and refunded per payment method, by day, week or month."
    group = "Payments and balances"
    columns = (
        Column("period", "Period", DATE),
        Column("method_name", "Method", TEXT, width=18),
        Column("payments", "Payments", INT, total=True),
        Column("received", "Received", MONEY, total=True),
        Column("refunded", "Refunded", MONEY, total=True),
        Column("net", "Net", MONEY, total=True),
    )
    filter_paths = {
        "period": "received_at",
        "method": "method",
        "cashier": "received_by",
        "customer": "invoice__customer",
    }
    group_by = True
    chart = Chart("bar", "period", ("net",))
    totals_add_up = True

    def base(self):
        return Payment.objects.all()

    def figures(self):
        return {
            "payments": Count("pk", filter=RECEIVED),
            "received": money_sum("amount", filter=RECEIVED),
            "refunded": money_sum(-F("amount"), filter=REFUNDED),
            "net": money_sum("amount"),
        }

    def rows(self, queryset, params: Params):
        return (
            queryset.values(
                "method",
                period=period_of("received_at", params.group_by, within=window(params)),
                method_name=label_of("method", PaymentMethod.choices),
            )
            .annotate(**self.figures())
            .order_by("period", "method")
        )

    def totals(self, queryset, params: Params):
        return aggregate(queryset, **self.figures())

    def chart_rows(self, rows):
        """One bar per period: the net of all methods (rows are per method)."""
        net = {}
        for row in rows:  # aggregated rows, at most periods × methods
            net[row["period"]] = net.get(row["period"], ZERO) + row["net"]
        plotted = [{"period": period, "net": amount} for period, amount in net.items()]
        return plotted[: self.chart.limit]


@register
class PaymentHistory(Report):
    """Every payment and refund, one row each, newest first.

    - Date and time: when it was received or given back (local time).
    - Invoice: the invoice it was paid on (a draft's deposit has no number yet).
    - Customer: the invoice's customer; "Walk-in" when it has none.
    - Amount: positive for money taken, negative for money given back
      (refunds, and store credit taken off the invoice that held it).
    - Taken by: the staff member who took or handed over the money.
    The total is the net of the amounts listed.
    """

    slug = "payment-history"
    title = "Payment history"
    description = "Every payment and refund with its invoice, method and reference."
    group = "Payments and balances"
    columns = (
        Column("day", "Date", DATE),
        Column("time", "Time", TEXT, width=7),
        Column("invoice_number", "Invoice", TEXT, width=12),
        Column("customer_name", "Customer", TEXT, width=24),
        Column("method_name", "Method", TEXT, width=16),
        Column("reference", "Reference", TEXT, width=16),
        Column("amount", "Amount", MONEY, total=True),
        Column("taken_by", "Taken by", TEXT, width=18),
        Column("note", "Note", TEXT, width=30),
    )
    filter_paths = PaymentsReceived.filter_paths
    landscape = True

    def base(self):
        return Payment.objects.all()

    def rows(self, queryset, params: Params):
        return queryset.values(
            "pk",
            "invoice_id",
            "reference",
            "amount",
            "note",
            day=local_day("received_at", within=window(params)),
            time=local_time("received_at", within=window(params)),
            invoice_number=Coalesce(F("invoice__number"), Value("Draft")),
            customer_name=Coalesce(F("invoice__customer__name"), Value("Walk-in")),
            method_name=label_of("method", PaymentMethod.choices),
            taken_by=person("received_by"),
        ).order_by("-received_at", "-pk")

    def totals(self, queryset, params: Params):
        return aggregate(queryset, amount=money_sum("amount"))


@register
class Balances(Report):
    """What customers owe, by how long it is overdue, as of the end date.

    Counts open invoices: issued or part paid, with a balance left to pay
    (`Invoice.objects.open()`; credit notes, drafts, void and paid invoices
    never count). The figures are the receivables page's ageing
    (invoices.receivables.ageing) to the cent:

    - Balances are today's balances (total less credit notes less payments,
      refunds added back); the end date of the period only moves the day the
      days overdue are counted from, so the default (today) ages them now.
    - Current: not yet due on that day (due that day counts as current).
    - 1–30, 31–60, 61–90, Over 90: the balance of invoices that many days past
      their due date on that day.
    - Invoices: how many open invoices the customer has; Oldest due: the
      earliest due date among them.
    - Total: the customer's open balance (the sum of the buckets).
    Open invoices with no customer (walk-in) share one row. Largest total first.
    """

    slug = "balances"
    period = False
    title = "Outstanding balances and ageing"
    description = "What each customer owes on open invoices, by days overdue."
    group = "Payments and balances"
    columns = (
        Column("customer_name", "Customer", TEXT, width=28),
        Column("invoices", "Invoices", INT, total=True),
        Column("oldest_due", "Oldest due", DATE),
        *[Column(bucket.key, bucket.label, MONEY, total=True) for bucket in BUCKETS],
        Column("total", "Total", MONEY, total=True),
    )
    filter_paths = {"customer": "customer"}
    default_preset = "today"
    landscape = True
    chart = Chart("bar", "customer_name", ("total",), limit=15)
    totals_add_up = True

    def base(self):
        return Invoice.objects.open()

    def figures(self, params):
        on = params.end or timezone.localdate()
        return {
            bucket.key: money_sum(
                Case(
                    When(bucket.condition(on), then="balance"),
                    default=Value(ZERO),
                    output_field=AMOUNT,
                )
            )
            for bucket in BUCKETS
        } | {"invoices": Count("pk"), "total": money_sum("balance")}

    def rows(self, queryset, params: Params):
        return (
            queryset.values(
                "customer_id",
                customer_name=Coalesce(F("customer__name"), Value(WALK_IN)),
            )
            .annotate(**self.figures(params), oldest_due=Min("due_date"))
            .order_by("-total", "customer_name", "customer_id")
        )

    def totals(self, queryset, params: Params):
        return aggregate(queryset, **self.figures(params))


# Cash.


@register
class CashShifts(Report):
    """Closed shifts, each with its sales and its cash count, newest first.

    One row per shift closed in the period (by the local day it was closed);
    shifts still open are not listed.

    - Sales, Sales total: the number and the total (tax included) of the
      shift's completed sales; voided sales never count, and returns are not
      taken off (the shift's Z report lists them).
    - Expected cash: what the drawer should have held at closing: the opening
      float, plus the cash payments less cash refunds the cashier handled
      during the shift, plus cash paid in, less payouts and drops.
    - Counted cash: what was counted at closing.
    - Cash difference: counted less expected (negative when cash is short).
    - Approved by: the Admin who accepted a difference above the shop's
      threshold; empty when none was needed.
    Rows carry the shift's `pk` for a link to its Z report.
    """

    slug = "cash-shifts"
    title = "Cash shifts and differences"
    description = (
        "Each closed shift's sales, expected and counted cash, and difference."
    )
    group = "Cash"
    columns = (
        Column("shift", "Shift", TEXT, width=12),
        Column("cashier_name", "Cashier", TEXT, width=18),
        Column("opened", "Opened", TEXT, width=17),
        Column("closed", "Closed", TEXT, width=17),
        Column("sales_count", "Sales", INT, total=True),
        Column("sales_total", "Sales total", MONEY, total=True),
        Column("expected_cash", "Expected cash", MONEY),
        Column("counted_cash", "Counted cash", MONEY),
        Column("cash_difference", "Cash difference", MONEY, total=True),
        Column("approved_by", "Approved by", TEXT, width=18),
    )
    filter_paths = {"period": "closed_at", "cashier": "cashier"}
    landscape = True

    def base(self):
        return Shift.objects.filter(status=ShiftStatus.CLOSED)

    def annotated(self, queryset):
        completed = (
            Sale.objects.filter(shift=OuterRef("pk"), status=SaleStatus.COMPLETED)
            .order_by()
            .values("shift")
        )
        return queryset.annotate(
            cash=FilteredRelation(
                "counts", condition=Q(counts__method=PaymentMethod.CASH)
            ),
            sales_count=Coalesce(
                Subquery(
                    completed.annotate(n=Count("pk")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            sales_total=Cents(
                Coalesce(
                    Subquery(
                        completed.annotate(t=Sum("total")).values("t"),
                        output_field=AMOUNT,
                    ),
                    ZERO,
                    output_field=AMOUNT,
                )
            ),
        )

    def rows(self, queryset, params: Params):
        return (
            self.annotated(queryset)
            .values(
                "pk",
                "sales_count",
                "sales_total",
                shift=Concat(Value("Shift #"), Cast("pk", TEXT_FIELD)),
                cashier_name=person("cashier"),
                opened=local_minute("opened_at", within=window(params)),
                closed=local_minute("closed_at", within=window(params)),
                expected_cash=F("cash__expected"),
                counted_cash=F("cash__counted"),
                cash_difference=F("cash__difference"),
                approved_by=person("difference_approved_by"),
            )
            .order_by("-closed_at", "-pk")
        )

    def totals(self, queryset, params: Params):
        return aggregate(
            self.annotated(queryset),
            sales_count=Sum("sales_count", default=0),
            sales_total=money_sum("sales_total"),
            cash_difference=money_sum("cash__difference"),
        )


# Inventory.

HELD = Q(on_hand__gt=0)


@register
class StockOnHand(Report):
    """What is on the shelf now and what it is worth.

    One row per active product that tracks stock (services hold none), as it
    stands now: the period does not apply.

    - On hand: the product's on-hand quantity (the sum of its stock moves);
      it can be negative after a sale on too little stock, until a count.
    - Cost price: the product's average cost per unit.
    - Stock value: on hand × cost price; a product with nothing (or less than
      nothing) on hand is worth 0.00.
    - Sale price: the shelf price (tax included if the shop's prices are).
    - Retail value: on hand × sale price, again 0.00 below one unit.
    Totals: on hand is the sum of the column as shown (negatives included);
    the values are sums of the values shown. The chart shows the ten products
    holding the most value.
    """

    slug = "stock-on-hand"
    period = False
    title = "Stock on hand and value"
    description = "Each stocked product's quantity on hand, at cost and at sale price."
    group = "Inventory"
    columns = (
        Column("sku", "SKU", TEXT, width=14),
        Column("product_name", "Product", TEXT, width=30),
        Column("category_name", "Category", TEXT, width=18),
        Column("on_hand", "On hand", INT, total=True),
        Column("cost_price", "Cost price", MONEY),
        Column("stock_value", "Stock value", MONEY, total=True),
        Column("sale_price", "Sale price", MONEY),
        Column("retail_value", "Retail value", MONEY, total=True),
    )
    # Products have no period; a product filter needs a path to a Product
    # relation, which a Product queryset lacks.
    filter_paths = {"category": "category"}
    landscape = True
    chart = Chart("bar", "product_name", ("stock_value",), limit=10)

    def base(self):
        return Product.objects.active().tracked()

    @staticmethod
    def value_at(price):
        return Case(
            When(HELD, then=times(F("on_hand"), F(price))),
            default=Value(ZERO),
            output_field=AMOUNT,
        )

    def rows(self, queryset, params: Params):
        return queryset.values(
            "pk",
            "sku",
            "on_hand",
            "cost_price",
            "sale_price",
            product_name=F("name"),
            category_name=Coalesce(F("category__name"), Value("")),
            stock_value=Cents(self.value_at("cost_price")),
            retail_value=Cents(self.value_at("sale_price")),
        ).order_by("category_name", "product_name", "pk")

    def totals(self, queryset, params: Params):
        return aggregate(
            queryset,
            on_hand=Sum("on_hand", default=0),
            stock_value=money_sum(self.value_at("cost_price")),
            retail_value=money_sum(self.value_at("sale_price")),
        )

    def chart_rows(self, rows):
        if hasattr(rows, "query") and not rows.query.is_sliced:
            rows = rows.filter(stock_value__gt=0).order_by("-stock_value", "pk")
        return list(rows[: self.chart.limit])


@register
class LowStock(Report):
    """Active stocked products at or below their reorder level, emptiest first.

    The products the dashboard's low-stock panel counts
    (`Product.objects.active().low_stock()`), as they stand now.

    - Status: "Out of stock" at zero or below, "Low" from one unit up to the
      reorder level (inclusive).
    - Supplier: the product's usual supplier, to reorder from.
    """

    slug = "low-stock"
    period = False
    title = "Low and out of stock"
    description = "Products at or below their reorder level, to reorder."
    group = "Inventory"
    columns = (
        Column("sku", "SKU", TEXT, width=14),
        Column("product_name", "Product", TEXT, width=30),
        Column("category_name", "Category", TEXT, width=18),
        Column("supplier_name", "Supplier", TEXT, width=20),
        Column("on_hand", "On hand", INT),
        Column("reorder_level", "Reorder level", INT),
        Column("status", "Status", TEXT, width=13),
    )
    filter_paths = {"category": "category"}
    landscape = True

    def base(self):
        return Product.objects.active().low_stock()

    def rows(self, queryset, params: Params):
        return queryset.values(
            "pk",
            "sku",
            "on_hand",
            "reorder_level",
            product_name=F("name"),
            category_name=Coalesce(F("category__name"), Value("")),
            supplier_name=Coalesce(F("supplier__name"), Value("")),
            status=Case(
                When(on_hand__lte=0, then=Value("Out of stock")),
                default=Value("Low"),
                output_field=TEXT_FIELD,
            ),
        ).order_by("on_hand", "product_name", "pk")


# Stock moves are valued at their own unit cost when they carry one (goods
# received at the supplier's price, opening stock at the cost then, sales and
# repair parts at the cost price when they left); other moves (returns,
# adjustments, counts, and sales and parts recorded before moves kept their
# cost) carry none and are valued at the product's cost price now.
MOVE_COST = Coalesce(F("unit_cost"), F("product__cost_price"), output_field=AMOUNT)
MOVE_VALUE = times(F("quantity"), MOVE_COST)
IN, OUT = Q(quantity__gt=0), Q(quantity__lt=0)


@register
class StockMoves(Report):
    """Stock in and out by reason, by day, week or month.

    Counts the stock ledger's moves by the local day they were made.

    - Quantity in: units added (received, opening stock, customer returns,
      repair parts returned, adjustments and counts that found more).
    - Quantity out: units taken (sales, repair parts, adjustments and counts
      that found less), shown positive.
    - Value in, Value out: those units × unit cost, where the unit cost is the
      move's own (goods received: the price paid; opening stock, sales and
      repair parts: the cost price then) or, for moves that carry none
      (returns, adjustments, counts), the product's cost price now.
    - Moves: how many ledger lines.
    Voided sales show as a sale out and a customer return in.
    """

    slug = "stock-moves"
    title = "Stock moves by reason"
    description = "Units and value in and out of stock, by reason and period."
    group = "Inventory"
    columns = (
        Column("period", "Period", DATE),
        Column("reason_name", "Reason", TEXT, width=20),
        Column("quantity_in", "Quantity in", INT, total=True),
        Column("quantity_out", "Quantity out", INT, total=True),
        Column("value_in", "Value in", MONEY, total=True),
        Column("value_out", "Value out", MONEY, total=True),
        Column("moves", "Moves", INT, total=True),
    )
    filter_paths = {
        "period": "created_at",
        "reason": "reason",
        "category": "product__category",
        "product": "product",
    }
    group_by = True
    chart = Chart("bar", "period", ("quantity_in", "quantity_out"))
    totals_add_up = True

    def base(self):
        return StockMove.objects.all()

    def figures(self):
        return {
            "quantity_in": Sum("quantity", filter=IN, default=0),
            "quantity_out": Sum(-F("quantity"), filter=OUT, default=0),
            "value_in": money_sum(MOVE_VALUE, filter=IN),
            "value_out": money_sum(-MOVE_VALUE, filter=OUT),
            "moves": Count("pk"),
        }

    def rows(self, queryset, params: Params):
        return (
            queryset.values(
                "reason",
                period=period_of("created_at", params.group_by, within=window(params)),
                reason_name=label_of("reason", StockReason.choices),
            )
            .annotate(**self.figures())
            .order_by("period", "reason")
        )

    def totals(self, queryset, params: Params):
        return aggregate(queryset, **self.figures())


@register
class StockAdjustments(Report):
    """Each stock adjustment and stock count difference, newest first.

    One row per stock move with the reason Adjustment (damage, loss, found
    items) or Stock count (the difference a count found), by the local day it
    was made.

    - Quantity: the units added (positive) or written off (negative).
    - Value at cost: quantity × the product's cost price now (these moves
      carry no unit cost of their own); negative for a loss.
    - By: who made the adjustment or the count.
    Totals: the net quantity and the net value.
    """

    slug = "stock-adjustments"
    title = "Adjustments and count differences"
    description = "Every stock adjustment and count difference, with its value at cost."
    group = "Inventory"
    columns = (
        Column("day", "Date", DATE),
        Column("product_name", "Product", TEXT, width=28),
        Column("sku", "SKU", TEXT, width=14),
        Column("reason_name", "Reason", TEXT, width=14),
        Column("quantity", "Quantity", INT, total=True),
        Column("value", "Value at cost", MONEY, total=True),
        Column("by", "By", TEXT, width=18),
        Column("note", "Note", TEXT, width=30),
    )
    filter_paths = {
        "period": "created_at",
        "category": "product__category",
        "product": "product",
    }
    landscape = True

    def base(self):
        return StockMove.objects.filter(
            reason__in=[StockReason.ADJUSTMENT, StockReason.COUNT]
        )

    def rows(self, queryset, params: Params):
        return queryset.values(
            "pk",
            "product_id",
            "quantity",
            "note",
            "reference_label",
            day=local_day("created_at", within=window(params)),
            product_name=F("product__name"),
            sku=F("product__sku"),
            reason_name=label_of("reason", StockReason.choices),
            value=Cents(MOVE_VALUE),
            by=person("user"),
        ).order_by("-created_at", "-pk")

    def totals(self, queryset, params: Params):
        return aggregate(
            queryset, quantity=Sum("quantity", default=0), value=money_sum(MOVE_VALUE)
        )
