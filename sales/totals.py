"""Sales totals kept as sales happen: one `DailyTotal` row per local day and
cashier, for the sales reports that add up long periods.

The checkout adds its sale, a return adds what its credit note took off (on
the day the goods came back, against the sale's cashier), and a void takes
its sale back out, each in the transaction that records it, with one
`INSERT ... ON CONFLICT DO UPDATE` that adds to the day's row, never a read
then a write. Two writers of one row wait for each other rather than fail
(today the gapless numbers of sales and returns already make them take
turns). The row is the last thing each of them locks, after the number, the
products and the invoice, so none lock in opposite orders.

Days are local days in the time zone the shop ran in when the sale was made
(`DailyTotal.time_zone`). The reports read the totals only while every row is
in the current zone (`DailyTotal.objects.kept`); after the shop's zone
changes, or an import that wrote sales directly, `manage.py
rebuild_sales_totals` (`rebuild`) computes them again from the sales.
"""

from collections import defaultdict
from decimal import Decimal

from django.apps import apps as installed_apps
from django.db import connection, transaction
from django.db.models import DecimalField, F, Q, Sum
from django.utils import timezone

from .models import DailyTotal, SaleStatus

ZERO = Decimal("0.00")
KEY = ("time_zone", "day", "cashier_id")
COUNTS = ("sales", "units_sold", "units_returned")
AMOUNTS = (
    "sold_gross",
    "sold_discount",
    "sold_net",
    "sold_tax",
    "sold_cost",
    "back_gross",
    "back_net",
    "back_tax",
    "back_cost",
)
FIGURES = COUNTS + AMOUNTS


def zone_name():
    """The time zone whose local days the totals are kept in: the shop's."""
    return timezone.get_current_timezone_name()


def kept():
    """Whether the reports can read the totals (see `DailyTotal.objects.kept`)."""
    return DailyTotal.objects.kept(zone_name())


def of_sale(lines):
    """The figures a sale adds: its lines (SaleLine objects) as sold."""
    return {
        "sales": 1,
        "units_sold": sum(line.quantity for line in lines),
        "sold_gross": sum((line.gross for line in lines), ZERO),
        "sold_discount": sum((line.discount for line in lines), ZERO),
        "sold_net": sum((line.net for line in lines), ZERO),
        "sold_tax": sum((line.tax for line in lines), ZERO),
        "sold_cost": _cost((line.quantity, line.unit_cost) for line in lines),
    }


def _cost(pairs):
    # A line without a cost (sold before lines recorded it) adds none, as
    # SQL's SUM leaves out a missing product.
    return sum((units * cost for units, cost in pairs if cost is not None), ZERO)


def add_sale(sale, lines):
    """Count a completed sale (in the checkout's transaction)."""
    _add(sale.created_at, sale.cashier_id, of_sale(lines))


def remove_sale(sale, lines):
    """Take a voided sale back out of the day it was made."""
    _add(
        sale.created_at,
        sale.cashier_id,
        {name: -value for name, value in of_sale(lines).items()},
    )


def add_return(sale_return, sale, returned):
    """Count a return on its day, against the cashier who made the sale.

    `returned`: (sale line, units, restocked) of each line that came back.
    The amounts are the credit note's lines, as the reports read them.
    """
    credited = sale_return.credit_note.lines.aggregate(
        gross=Sum("gross", default=ZERO),
        net=Sum("net", default=ZERO),
        tax=Sum("tax", default=ZERO),
    )
    _add(
        sale_return.created_at,
        sale.cashier_id,
        {
            "units_returned": sum(units for _, units, _ in returned),
            "back_gross": credited["gross"],
            "back_net": credited["net"],
            "back_tax": credited["tax"],
            "back_cost": _cost(
                (units, line.unit_cost) for line, units, restock in returned if restock
            ),
        },
    )


def _add(when, cashier_id, figures):
    """Add `figures` to the row of `when`'s local day and the cashier: one
    statement, which makes the row or adds to it (SQLite and PostgreSQL both
    have `ON CONFLICT ... DO UPDATE`; the ORM's upsert can only overwrite)."""
    name = zone_name()
    day = timezone.localtime(when, timezone.get_current_timezone()).date()
    ops = connection.ops
    table = ops.quote_name(DailyTotal._meta.db_table)
    columns = [ops.quote_name(column) for column in (*KEY, *FIGURES)]
    values = [
        name,
        ops.adapt_datefield_value(day),
        cashier_id,
        *(figures.get(figure, 0) for figure in COUNTS),
        *(
            ops.adapt_decimalfield_value(Decimal(figures.get(figure, ZERO)), 14, 2)
            for figure in AMOUNTS
        ),
    ]
    added = ", ".join(
        f"{column} = {table}.{column} + excluded.{column}"
        for column in columns[len(KEY) :]
    )
    # Names from the model, every value a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(values))}) "
        f"ON CONFLICT ({', '.join(columns[: len(KEY)])}) DO UPDATE SET {added}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


@transaction.atomic
def rebuild(apps=installed_apps):
    """Compute every day's totals again from the completed sales and their
    returns, by local day in the current time zone. Returns the rows made.

    Migration 0006 runs it with its historical models (`apps`) to fill the
    totals of a shop that already traded; should a later change to the fields
    read here break that, freeze a copy of this function in that migration.
    """
    model = apps.get_model("sales", "DailyTotal")
    rows = computed(apps)
    model.objects.all().delete()
    name = zone_name()
    model.objects.bulk_create(
        (
            model(time_zone=name, day=day, cashier_id=cashier, **figures)
            for (day, cashier), figures in rows.items()
        ),
        batch_size=1000,
    )
    return len(rows)


def differences():
    """[(day, cashier id, figure, kept, computed)] where the kept totals differ
    from the sales (empty when they agree), in the current time zone."""
    rows = computed()
    kept_rows = {
        (row["day"], row["cashier_id"]): row
        for row in DailyTotal.objects.filter(time_zone=zone_name()).values()
    }
    found = []
    for key in sorted(rows.keys() | kept_rows.keys()):
        should = rows.get(key, {})
        have = kept_rows.get(key, {})
        for figure in FIGURES:
            if have.get(figure, 0) != should.get(figure, 0):
                found.append((*key, figure, have.get(figure), should.get(figure)))
    return found


def computed(apps=installed_apps):
    """{(local day, cashier id): figures} of every completed sale and return."""
    sale_line = apps.get_model("sales", "SaleLine")
    return_line = apps.get_model("sales", "ReturnLine")
    invoice_line = apps.get_model("invoices", "InvoiceLine")
    zone = timezone.get_current_timezone()
    rows = defaultdict(lambda: dict.fromkeys(COUNTS, 0) | dict.fromkeys(AMOUNTS, ZERO))

    def add(when, cashier_id, figures):
        row = rows[timezone.localtime(when, zone).date(), cashier_id]
        for figure, value in figures.items():
            row[figure] += value or 0

    cost = Sum(
        F("quantity") * F("unit_cost"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    # Per sale (its lines added up in SQL), then per day in Python: the local
    # day of a moment is the one thing SQL cannot be trusted to compute the
    # same way on both databases.
    sold = (
        sale_line.objects.filter(sale__status=SaleStatus.COMPLETED)
        .values("sale_id", "sale__created_at", "sale__cashier_id")
        .annotate(
            units_sold=Sum("quantity"),
            sold_gross=Sum("gross"),
            sold_discount=Sum("discount"),
            sold_net=Sum("net"),
            sold_tax=Sum("tax"),
            sold_cost=cost,
        )
        .order_by()
    )
    for sale in sold.iterator(chunk_size=5000):
        when, cashier = sale.pop("sale__created_at"), sale.pop("sale__cashier_id")
        del sale["sale_id"]
        add(when, cashier, {"sales": 1, **sale})
    completed = Q(sale_return__sale__status=SaleStatus.COMPLETED)
    back = (
        return_line.objects.filter(completed)
        .values("sale_return_id", "sale_return__created_at")
        .annotate(
            cashier=F("sale_return__sale__cashier_id"),
            units_returned=Sum("quantity"),
            back_cost=Sum(
                F("quantity") * F("sale_line__unit_cost"),
                filter=Q(restocked=True),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by()
    )
    for row in back:
        add(
            row["sale_return__created_at"],
            row["cashier"],
            {key: row[key] for key in ("units_returned", "back_cost")},
        )
    credited = (
        invoice_line.objects.filter(
            invoice__sale_return__sale__status=SaleStatus.COMPLETED
        )
        .values("invoice_id")
        .annotate(
            when=F("invoice__sale_return__created_at"),
            cashier=F("invoice__sale_return__sale__cashier_id"),
            back_gross=Sum("gross"),
            back_net=Sum("net"),
            back_tax=Sum("tax"),
        )
        .order_by()
    )
    for row in credited:
        add(
            row["when"],
            row["cashier"],
            {key: row[key] for key in ("back_gross", "back_net", "back_tax")},
        )
    return rows
