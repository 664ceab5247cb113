"""Sales totals kept as sales happen, for the sales reports that add up long
periods: per local day and cashier (`DailyTotal`), and per product and local
month and year (`ProductTotal`).

The checkout adds its sale, a return adds what its credit note took off (in
the day, month and year the goods came back, against the sale's cashier),
and a void takes its sale back out, each in the transaction that records it,
with one `INSERT ... ON CONFLICT DO UPDATE` per table that adds to the rows,
never a read then a write. Two writers of one row wait for each other rather
than fail (today the gapless numbers of sales and returns already make them
take turns). The rows are the last thing each of them locks, after the
number, the products and the invoice, and always the day's row first, then
the products' rows in id order, so no two writers lock in opposite orders
(a return of damaged goods locks no product before them).

Days, months and years are local, in the time zone the shop ran in when the
sale was made (the rows' `time_zone`). The reports read the totals only while
every row is in the current zone (`KeptTotalQuerySet.kept`); after the shop's
zone changes, or an import that wrote sales directly, `manage.py
rebuild_sales_totals` (`rebuild`) computes them again from the sales.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps as installed_apps
from django.db import connection, transaction
from django.db.models import DecimalField, F, Min, Q, Sum
from django.utils import timezone

from pos_project.money import ZERO

from .models import DailyTotal, PeriodKind, ProductTotal, SaleStatus

COUNTS = ("units_sold", "units_returned")
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
FIGURES = COUNTS + AMOUNTS  # of both tables; a day also counts its `sales`
DAY_FIGURES = ("sales", *FIGURES)
LINE_SUMS = {
    "units_sold": "quantity",
    "sold_gross": "gross",
    "sold_discount": "discount",
    "sold_net": "net",
    "sold_tax": "tax",
}


def zone_name():
    """The time zone whose local days the totals are kept in: the shop's."""
    return timezone.get_current_timezone_name()


def kept():
    """Whether the reports can read the totals (see `KeptTotalQuerySet.kept`)."""
    zone = zone_name()
    return DailyTotal.objects.kept(zone) and ProductTotal.objects.kept(zone)


def _local(when):
    return timezone.localtime(when, timezone.get_current_timezone()).date()


def periods_of(day):
    """The (kind, first day) of the month and the year of a local day."""
    return [
        (PeriodKind.MONTH, day.replace(day=1)),
        (PeriodKind.YEAR, day.replace(month=1, day=1)),
    ]


def _zeros(names):
    return {name: (ZERO if name in AMOUNTS else 0) for name in names}


def _cost(pairs):
    # A line without a cost (sold before lines recorded it) adds none, as
    # SQL's SUM leaves out a missing product.
    return sum((units * cost for units, cost in pairs if cost is not None), ZERO)


def _of_line(line):
    return {
        **{figure: getattr(line, field) for figure, field in LINE_SUMS.items()},
        "sold_cost": _cost([(line.quantity, line.unit_cost)]),
    }


def _sale_figures(lines, sign=1):
    """({day figures}, {product id: figures}) a sale's lines add (or, with
    sign -1, take away)."""
    day, products = _zeros(DAY_FIGURES) | {"sales": sign}, {}
    for line in lines:
        product = products.setdefault(line.product_id, _zeros(FIGURES))
        for figure, value in _of_line(line).items():
            day[figure] += sign * value
            product[figure] += sign * value
    return day, products


def add_sale(sale, lines):
    """Count a completed sale (in the checkout's transaction)."""
    _add(sale.created_at, sale.cashier_id, *_sale_figures(lines))


def remove_sale(sale, lines):
    """Take a voided sale back out of the day, month and year it was made."""
    _add(sale.created_at, sale.cashier_id, *_sale_figures(lines, sign=-1))


def add_return(sale_return, sale, returned):
    """Count a return on its day, against the cashier who made the sale, and
    in its month and year against each product returned.

    `returned`: (sale line, units, restocked) of each line that came back.
    The amounts are the credit note's lines (one per sale line returned,
    with its SKU, as the reports match them).
    """
    product_of_sku = {line.sku: line.product_id for line, _, _ in returned}
    day, products = _zeros(DAY_FIGURES), {}
    for line, units, restocked in returned:
        product = products.setdefault(line.product_id, _zeros(FIGURES))
        cost = _cost([(units, line.unit_cost)]) if restocked else ZERO
        for target in (day, product):
            target["units_returned"] += units
            target["back_cost"] += cost
    for sku, gross, net, tax in sale_return.credit_note.lines.values_list(
        "sku", "gross", "net", "tax"
    ):
        product = products[product_of_sku[sku]]
        for target in (day, product):
            target["back_gross"] += gross
            target["back_net"] += net
            target["back_tax"] += tax
    _add(sale_return.created_at, sale.cashier_id, day, products)


def _add(when, cashier_id, day, products):
    """Add `day` to the row of `when`'s local day and the cashier, and each
    product's figures to its rows of that month and year."""
    name, local = zone_name(), _local(when)
    _upsert(DailyTotal, ("time_zone", "day", "cashier_id"), DAY_FIGURES,
            [((name, local, cashier_id), day)])  # fmt: skip
    _upsert(
        ProductTotal,
        ("time_zone", "kind", "period", "product_id"),
        FIGURES,
        # In product order, as every writer does: two of them adding to rows
        # of the same products lock them in the same order.
        [
            ((name, kind, first, product), figures)
            for product, figures in sorted(products.items())
            for kind, first in periods_of(local)
        ],
    )


def _upsert(model, key, figures, rows):
    """Add [(key values, {figure: amount})] to `model`'s rows in one
    statement, which makes a row or adds to it (SQLite and PostgreSQL both
    have `ON CONFLICT ... DO UPDATE`; the ORM's upsert can only overwrite)."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    columns = [ops.quote_name(column) for column in (*key, *figures)]

    def adapt(value):
        if isinstance(value, Decimal):
            return ops.adapt_decimalfield_value(value, 14, 2)
        if isinstance(value, date):
            return ops.adapt_datefield_value(value)
        return value

    values = [
        adapt(value)
        for key_values, amounts in rows
        for value in (*key_values, *(amounts[figure] for figure in figures))
    ]
    row = f"({', '.join(['%s'] * len(columns))})"
    added = ", ".join(
        f"{column} = {table}.{column} + excluded.{column}"
        for column in columns[len(key) :]
    )
    # Names from the model, every value a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(rows))} "
        f"ON CONFLICT ({', '.join(columns[: len(key)])}) DO UPDATE SET {added}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


# Computing them again from the sales.


@transaction.atomic
def rebuild():
    """Compute every total again from the completed sales and their returns,
    in the current time zone. Returns (day rows, product rows) made.

    Sales, returns and voids made meanwhile wait until it is done (best run
    while the tills are closed: about 40 s for a million sale lines), so
    none is counted twice or lost between reading the sales and writing the
    totals: on PostgreSQL it first locks both tables against writes (after
    the writers already in progress commit); on SQLite its first statement
    writes, which takes the database's one write lock (a till waiting longer
    than the busy timeout is refused and can try again).
    """
    if connection.vendor == "postgresql":
        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table)
            for model in (DailyTotal, ProductTotal)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    DailyTotal.objects.all().delete()
    ProductTotal.objects.all().delete()
    return rebuild_days(), rebuild_products()


def rebuild_days(apps=installed_apps):
    """Make the day totals again (`computed_days`); the rows made.

    Migration 0006 runs it with its historical models (`apps`) to fill the
    totals of a shop that already traded; should a later change to the fields
    read here break that, freeze a copy of this function in that migration.
    (`rebuild_products` and migration 0007 likewise.)
    """
    return _replace(
        apps.get_model("sales", "DailyTotal"),
        ("day", "cashier_id"),
        computed_days(apps),
    )


def rebuild_products(apps=installed_apps):
    """Make the product totals again (`computed_products`); the rows made."""
    return _replace(
        apps.get_model("sales", "ProductTotal"),
        ("kind", "period", "product_id"),
        computed_products(apps),
    )


def _replace(model, key, rows):
    model.objects.all().delete()
    name = zone_name()
    model.objects.bulk_create(
        (
            model(time_zone=name, **dict(zip(key, values, strict=True)), **figures)
            for values, figures in rows.items()
        ),
        batch_size=1000,
    )
    return len(rows)


def _amount():
    return DecimalField(max_digits=14, decimal_places=2)


def computed_days(apps=installed_apps):
    """{(local day, cashier id): figures} of every completed sale and return."""
    rows = defaultdict(lambda: _zeros(DAY_FIGURES))

    def add(when, cashier_id, figures):
        row = rows[_local(when), cashier_id]
        for figure, value in figures.items():
            row[figure] += value or 0

    # Per sale (its lines added up in SQL), then per day in Python: the local
    # day of a moment is the one thing SQL cannot be trusted to compute the
    # same way on both databases.
    sold = (
        apps.get_model("sales", "SaleLine")
        .objects.filter(sale__status=SaleStatus.COMPLETED)
        .values("sale_id", "sale__created_at", "sale__cashier_id")
        .annotate(
            **{figure: Sum(field) for figure, field in LINE_SUMS.items()},
            sold_cost=Sum(F("quantity") * F("unit_cost"), output_field=_amount()),
        )
        .order_by()
    )
    for sale in sold.iterator(chunk_size=5000):
        when, cashier = sale.pop("sale__created_at"), sale.pop("sale__cashier_id")
        del sale["sale_id"]
        add(when, cashier, {"sales": 1, **sale})
    for row in _returned(apps, "sale_return__sale__cashier_id"):
        add(row.pop("when"), row.pop("key"), row)
    return rows


def computed_products(apps=installed_apps):
    """{(kind, first day, product id): figures} of every completed sale and
    return, per local month and year."""
    rows = defaultdict(lambda: _zeros(FIGURES))

    def add(day, product, figures):
        for kind, first in periods_of(day):
            row = rows[kind, first, product]
            for figure, value in figures.items():
                row[figure] += value or 0

    sale_line = apps.get_model("sales", "SaleLine")
    completed = sale_line.objects.filter(sale__status=SaleStatus.COMPLETED)
    # Per local month, the lines of its sales added up per product in SQL:
    # one query a month, on the index of the sales' dates.
    first = completed.aggregate(first=Min("sale__created_at"))["first"]
    month = _local(first).replace(day=1) if first else None
    today = timezone.localdate()
    while month and month <= today:
        after = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        sold = (
            completed.filter(
                sale__created_at__gte=_start_of(month),
                sale__created_at__lt=_start_of(after),
            )
            .values("product_id")
            .annotate(
                **{figure: Sum(field) for figure, field in LINE_SUMS.items()},
                sold_cost=Sum(F("quantity") * F("unit_cost"), output_field=_amount()),
            )
            .order_by()
        )
        for row in sold:
            add(month, row.pop("product_id"), row)
        month = after
    for row in _returned(apps, "sale_line__product_id"):
        add(_local(row.pop("when")), row.pop("key"), row)
    return rows


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _returned(apps, key):
    """The returns of completed sales: per return and `key` (the sale's
    cashier or the product), {"when", "key", figures}, the credit notes'
    lines matched to the lines returned by SKU, as the reports match them."""
    return_line = apps.get_model("sales", "ReturnLine")
    invoice_line = apps.get_model("invoices", "InvoiceLine")
    completed = Q(sale_return__sale__status=SaleStatus.COMPLETED)
    lines = (
        return_line.objects.filter(completed)
        .values(
            "sale_return_id",
            "sale_line__sku",
            when=F("sale_return__created_at"),
            note=F("sale_return__credit_note_id"),
            key=F(key),
        )
        .annotate(
            units_returned=Sum("quantity"),
            back_cost=Sum(
                F("quantity") * F("sale_line__unit_cost"),
                filter=Q(restocked=True),
                output_field=_amount(),
            ),
        )
        .order_by()
    )
    credited = defaultdict(lambda: _zeros(("back_gross", "back_net", "back_tax")))
    for note, sku, gross, net, tax in invoice_line.objects.filter(
        invoice__sale_return__sale__status=SaleStatus.COMPLETED
    ).values_list("invoice_id", "sku", "gross", "net", "tax"):
        row = credited[note, sku]
        row["back_gross"] += gross
        row["back_net"] += net
        row["back_tax"] += tax
    found = []
    for line in lines:
        del line["sale_return_id"]
        note, sku = line.pop("note"), line.pop("sale_line__sku")
        found.append(line | credited.pop((note, sku), {}))
    return found


def differences():
    """[(table, key, figure, kept, computed)] where the kept totals differ
    from the sales (empty when they agree), in the current time zone."""
    name = zone_name()
    found = []
    for table, model, key, rows in (
        ("day", DailyTotal, ("day", "cashier_id"), computed_days()),
        ("product", ProductTotal, ("kind", "period", "product_id"),
         computed_products()),
    ):  # fmt: skip
        figures = DAY_FIGURES if model is DailyTotal else FIGURES
        kept_rows = {
            tuple(row[part] for part in key): row
            for row in model.objects.filter(time_zone=name).values()
        }
        for at in sorted(rows.keys() | kept_rows.keys()):
            should, have = rows.get(at, {}), kept_rows.get(at, {})
            for figure in figures:
                if have.get(figure, 0) != should.get(figure, 0):
                    found.append(
                        (table, at, figure, have.get(figure), should.get(figure))
                    )
    return found
