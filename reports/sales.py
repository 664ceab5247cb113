"""The sales and tax reports: what was sold, brought back, earned and taxed.

Definitions every sales report shares (the manual quotes them):

- Only completed sales count. A voided sale never counts, nor do its payments.
- A sale belongs to the period of its date and time (in the shop's time zone).
  Its figures come from its lines as sold: `gross` is what the customer was
  charged for a line, tax included, after the line's discount and its share of
  a whole-cart discount; `discount` is both discounts; `net` is the gross
  without tax; `tax` is the tax in it. A sale's total is the sum of its lines'
  gross, so the gross of a period is the total of its sales.
- A return belongs to the period in which the goods came back, not to the
  period of the sale. Its value is what its credit note took off the sale's
  invoice, tax included, whether the customer got money back or store credit;
  the credit note's lines give its tax. Returns are counted against the sale's
  cashier, the product returned and that product's category.
- Cost is the product's cost price when it was sold (the sale line's
  `unit_cost`) times the quantity sold, less the cost of returned units put
  back on the shelf. Units returned damaged stay in the cost: the goods are
  lost. Sales made before lines recorded their cost carry the product's cost
  price of the day that was added, an estimate.
- Margin is measured without tax: net ex tax (net of sales less net of
  returns) minus cost. Margin % is margin over net ex tax, empty when that is 0.
- Filters: the cashier is the one who made the sale; the category is the
  product's category now; the product matches by SKU or part of its name.
- Credit notes made on an invoice's page (not a return at the till) and
  repair or manual invoices are not sales here; Tax collected by rate
  includes them, being read from the invoices themselves.

Reports that count returns take the period themselves (from `params`), because
sales and returns are dated differently: "period" is not in their
`filter_paths`, and the framework hands them the sale lines of every date with
the other filters applied.
"""

from datetime import date, timedelta
from functools import reduce
from operator import itemgetter, or_

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Trunc
from django.utils import timezone

from accounts.models import PaymentMethod
from inventory.models import Product
from invoices.models import (
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from sales import totals as kept_totals
from sales.models import (
    DailyTotal,
    PeriodKind,
    ProductTotal,
    ReturnLine,
    Sale,
    SaleLine,
    SaleStatus,
)

from .base import (
    DATE,
    DECIMAL,
    INT,
    MONEY,
    PERCENT,
    TEXT,
    Chart,
    Column,
    Report,
    register,
)
from .expressions import (
    AMOUNT,
    ZERO,
    PerGroup,
    as_money,
    label_of,
    local_day,
    money_sum,
    period_of,
    person,
    rank,
    ratio,
    round_cents,
    times,
)
from .filters import FILTERS, start_of, window

NO_CATEGORY = "No category"


# Building blocks: sale lines, their returns in the period, and the figures.


def sold_in(since, until, prefix=""):
    return Q(
        **{
            f"{prefix}sale__created_at__gte": since,
            f"{prefix}sale__created_at__lt": until,
        }
    )


def returned_in(since, until, prefix="sale_return__"):
    return Q(**{f"{prefix}created_at__gte": since, f"{prefix}created_at__lt": until})


def completed_lines():
    return SaleLine.objects.filter(sale__status=SaleStatus.COMPLETED)


def sale_numbers(since, until):
    """The first and last numbers (ids) of the sales made in [since, until),
    or None when there are none: one small query.

    Every sale made in the period is numbered in that range, whatever the
    order of numbers and times; as sales are numbered as they are made, the
    range holds little else. The index on a sale line's sale finds the
    range's lines, where a join of every line with the period's sales (or
    one scan per product) reads far more.
    """
    # The count keeps PostgreSQL from looking for the least id along the
    # primary key (its plan for a lone MIN), which reads every older sale.
    numbers = (
        Sale.objects.filter(created_at__gte=since, created_at__lt=until)
        .order_by()
        .aggregate(first=Min("pk"), last=Max("pk"), sales=Count("pk"))
    )
    return (numbers["first"], numbers["last"]) if numbers["sales"] else None


def reach(since, until):
    """What the sale lines touched in [since, until) reach: (when the oldest
    sale with units returned in the period was made, if before `since`, else
    None; `sale_numbers` from then to `until`). Two small queries."""
    oldest = (
        ReturnLine.objects.filter(returned_in(since, until))
        .order_by()
        .aggregate(oldest=Min("sale_line__sale__created_at"))["oldest"]
    )
    oldest = oldest if oldest and oldest < since else None
    return oldest, sale_numbers(oldest or since, until)


def touched(lines, since, until, *, found=None):
    """The sale lines sold in the period, or with units returned in it;
    `found`: what `reach(since, until)` found, to read fewer lines."""
    oldest, numbers = found or (None, None)
    if numbers:
        lines = lines.filter(sale_id__gte=numbers[0], sale_id__lte=numbers[1])
    if oldest is None:
        return lines.filter(sold_in(since, until))
    # Bounding the sale's date by the oldest sale returned (a date, not a
    # subquery, so the planner knows how many sales that is) lets the index
    # on it limit the scan, which the "or" below alone would not.
    returns = ReturnLine.objects.filter(returned_in(since, until))
    return lines.filter(
        sale__created_at__gte=oldest, sale__created_at__lt=until
    ).filter(sold_in(since, until) | Q(pk__in=returns.values("sale_line")))


def touched_and_figures(lines, since, until):
    """(`touched` lines, `sales_figures` for them)."""
    found = reach(since, until)
    # With no earlier sale's return among them, every line touched was sold in
    # the period: no figure needs to test it.
    sold = sold_in(since, until) if found[0] else None
    return (
        touched(lines, since, until, found=found),
        sales_figures(since, until, sold=sold),
    )


def _units_returned(since, until, **only):
    """Per sale line (outer row): units of it returned in the period."""
    return Subquery(
        ReturnLine.objects.filter(
            returned_in(since, until), sale_line=OuterRef("pk"), **only
        )
        .order_by()
        .values("sale_line")
        .annotate(units=Sum("quantity"))
        .values("units"),
        output_field=IntegerField(),
    )


def _credited(field, since, until):
    """Per sale line (outer row): `field` of the credit-note lines of its returns
    in the period.

    A return's credit note has one line per returned sale line, with that
    line's SKU; a sale has one line per product, so the SKU and the sale's
    invoice find them.
    """
    return Subquery(
        InvoiceLine.objects.filter(
            returned_in(since, until, prefix="invoice__sale_return__"),
            invoice__credited_invoice=OuterRef("sale__invoice"),
            sku=OuterRef("sku"),
        )
        .order_by()
        .values("invoice__credited_invoice")
        .annotate(amount=Sum(field))
        .values("amount"),
        output_field=AMOUNT,
    )


def _if_returned(expression, output_field):
    # Most lines were never returned: their subqueries are skipped.
    return Case(
        When(returned_quantity__gt=0, then=expression),
        default=Value(0, output_field=output_field),
        output_field=output_field,
    )


SOLD_IN_PERIOD = object()


def sales_figures(since, until, *, sold=SOLD_IN_PERIOD):
    """Aggregates over sale lines (`touched` ones): the figures of the module
    docstring, for the lines' sales and returns in [since, until). `sold`:
    which lines were sold in the period (a Q); None when all were."""
    if sold is SOLD_IN_PERIOD:
        sold = sold_in(since, until)
    cost_sold = Sum(times(F("quantity"), F("unit_cost")), filter=sold, default=ZERO)
    net_sold = Sum("net", filter=sold, default=ZERO)
    tax_sold = Sum("tax", filter=sold, default=ZERO)
    gross = Sum("gross", filter=sold, default=ZERO)

    def returned(expression):
        return Sum(_if_returned(expression, AMOUNT), default=ZERO)

    returns = returned(_credited("gross", since, until))
    net_ex_tax = as_money(net_sold - returned(_credited("net", since, until)))
    cost = as_money(
        cost_sold
        - returned(times(_units_returned(since, until, restocked=True), F("unit_cost")))
    )
    margin = as_money(net_ex_tax - cost)
    return {
        "sales": Count("sale", filter=sold, distinct=True),
        "sold": Sum("quantity", filter=sold, default=0),
        "returned": Sum(
            _if_returned(_units_returned(since, until), IntegerField()), default=0
        ),
        "gross_sales": round_cents(gross),
        "discounts": money_sum("discount", filter=sold, rounding=round_cents),
        "returns": round_cents(returns),
        "net_sales": round_cents(gross - returns),
        "tax_collected": round_cents(
            tax_sold - returned(_credited("tax", since, until))
        ),
        "net_ex_tax": round_cents(net_ex_tax),
        "cost": round_cents(cost),
        "margin": round_cents(margin),
        "margin_pct": ratio(margin, net_ex_tax),
    }


def pick(figures, *keys):
    return {key: figures[key] for key in keys}


# The totals kept as sales happen (sales.totals): per day and cashier, and per
# product and month or year. The same figures from a few thousand rows (or
# one per product) for a year instead of every sale line.


def kept_days(params):
    """The kept day totals (DailyTotal) of the period, filtered as asked,
    where they can answer: None when a filter needs the sale lines (a
    category or a product) or the totals are not kept in the shop's time zone
    (`rebuild_sales_totals` puts that right). One small query to know."""
    if set(params.values) - {"cashier"} or not (params.start and params.end):
        return None
    zone = kept_totals.zone_name()
    if not DailyTotal.objects.kept(zone):
        return None
    days = DailyTotal.objects.filter(
        time_zone=zone, day__gte=params.start, day__lte=params.end
    )
    if "cashier" in params.values:
        days = days.filter(cashier=params.values["cashier"])
    return days


def whole_periods(start, end, today):
    """The kept product periods, [(kind, first day, sign)], whose rows add up
    (sign 1) or take away (sign -1) to exactly the sales and returns of
    [start, end]: whole years and months, the last one up to today (nothing
    is sold later than now). Where the months asked run to the end of their
    year, that year less its earlier months is fewer rows (February to
    December: the year less January). None when the period starts or ends
    inside a month (its days are the sale lines' to count) or holds no day up
    to today."""
    end = min(end, today)
    if start.day != 1 or start > end:
        return None
    if end != today and (end + timedelta(days=1)).day != 1:
        return None
    chosen, day = [], start
    while day <= end:
        year_end = min(date(day.year, 12, 31), today)
        # The rest of the year as the year less the months before `day`,
        # where that is fewer months' rows to read.
        if end >= year_end and (day.month == 1 or 2 * day.month <= year_end.month):
            chosen.append((PeriodKind.YEAR, day.replace(month=1), 1))
            chosen += [
                (PeriodKind.MONTH, date(day.year, month, 1), -1)
                for month in range(1, day.month)
            ]
            day = date(day.year + 1, 1, 1)
        else:
            chosen.append((PeriodKind.MONTH, day, 1))
            day = next_month(day)
    return chosen


def split_period(start, end, today):
    """The period [start, end] as (kept product periods, [(first day, last
    day)] of the days around them, for the sale lines): the whole months and
    years inside it (see `whole_periods`) and the days before and after them.
    None when no whole month lies inside it (the sale lines answer all of
    it)."""
    end = min(end, today)
    if start > end:
        return None
    first = start if start.day == 1 else next_month(start)
    if end == today or (end + timedelta(days=1)).day == 1:
        last = end
    else:
        last = end.replace(day=1) - timedelta(days=1)
    if first > last:
        return None
    edges = [(start, first - timedelta(days=1))] if start < first else []
    if last < end:
        edges.append((last + timedelta(days=1), end))
    return whole_periods(first, last, today), edges


def next_month(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def in_periods(chosen, prefix="", sign=None):
    """A Q matching the kept product totals of `chosen` (see whole_periods);
    with `sign` (1 or -1), those of that sign only."""
    return reduce(
        or_,
        (
            Q(**{f"{prefix}kind": kind, f"{prefix}period": first})
            for kind, first, of in chosen
            if sign in (None, of)
        ),
    ) & Q(**{f"{prefix}time_zone": kept_totals.zone_name()})


def signed(field, chosen, prefix=""):
    """`field` of a kept product total, negative on the rows `chosen` takes
    away (see whole_periods)."""
    if all(sign == 1 for _, _, sign in chosen):
        return F(f"{prefix}{field}")
    return Case(
        When(in_periods(chosen, prefix, sign=-1), then=-F(f"{prefix}{field}")),
        default=F(f"{prefix}{field}"),
    )


def kept_split(params, allowed):
    """`split_period` of the period where the kept product totals can help,
    else None: a filter not `allowed` (the cashier), no whole month in the
    period, or totals not kept in the shop's time zone. One small query to
    know."""
    if set(params.values) - set(allowed) or not (params.start and params.end):
        return None
    cover = split_period(params.start, params.end, timezone.localdate())
    if cover is None or not ProductTotal.objects.kept(kept_totals.zone_name()):
        return None
    return cover


def kept_cover(report, params):
    """(kept product totals of the whole months and years in the period, with
    the report's filters applied, the periods chosen, [(first day, last day)]
    of the days around them), or None (see `kept_split`). The filters' paths
    start at the product, on the kept totals as on the sale lines."""
    cover = kept_split(params, allowed=("category", "product"))
    if cover is None:
        return None
    chosen, edges = cover
    rows = ProductTotal.objects.filter(in_periods(chosen))
    for name, value in params.values.items():
        rows = FILTERS[name](report.filter_paths[name]).filter(rows, value)
    return rows, chosen, edges


def add_up(parts, keys):
    """The rows of several grouped queries merged into one row per value of
    `keys`, their other (additive) values added up; margin % and share are
    left to the caller."""
    merged = {}
    for rows in parts:
        for row in rows:
            key = tuple(row[name] for name in keys)
            if key not in merged:
                merged[key] = dict(row)
                continue
            into = merged[key]
            for name, value in row.items():
                if name not in keys and name not in RATIOS:
                    into[name] += value
    return list(merged.values())


RATIOS = ("margin_pct", "share")


def margin_pct(margin, net_ex_tax):
    """Margin % (as a fraction) in Python, as `ratio` computes it in SQL."""
    return float(margin) / float(net_ex_tax) if net_ex_tax else None


def ordered(rows, order):
    """`rows` (dicts) sorted as `QuerySet.order_by(*order)` would."""
    for name in reversed(order):
        descending = name.startswith("-")
        rows.sort(key=itemgetter(name.lstrip("-")), reverse=descending)
    return rows


def kept_figures(chosen=None):
    """Aggregates over kept totals (days, or products of the periods
    `chosen`, some of which may count negative): the figures of
    `sales_figures` ("sales" only over days)."""

    def value(field):
        return signed(field, chosen) if chosen else F(field)

    def total(field):
        return money_sum(value(field), rounding=round_cents)

    net_ex_tax = as_money(total("sold_net") - total("back_net"))
    cost = as_money(total("sold_cost") - total("back_cost"))
    margin = as_money(net_ex_tax - cost)
    return {
        "sales": Sum("sales", default=0),
        "sold": Sum(value("units_sold"), default=0),
        "returned": Sum(value("units_returned"), default=0),
        "gross_sales": total("sold_gross"),
        "discounts": total("sold_discount"),
        "returns": total("back_gross"),
        "net_sales": round_cents(total("sold_gross") - total("back_gross")),
        "tax_collected": round_cents(total("sold_tax") - total("back_tax")),
        "net_ex_tax": round_cents(net_ex_tax),
        "cost": round_cents(cost),
        "margin": round_cents(margin),
        "margin_pct": ratio(margin, net_ex_tax),
    }


# Sales.

SALES_FILTERS = {
    "cashier": "sale__cashier",
    "category": "product__category",
    "product": "product",
}
MONEY_COLUMNS = {
    "gross_sales": Column("gross_sales", "Gross", MONEY, total=True),
    "discounts": Column("discounts", "Discounts", MONEY, total=True),
    "returns": Column("returns", "Returns", MONEY, total=True),
    "net_sales": Column("net_sales", "Net", MONEY, total=True),
    "tax_collected": Column("tax_collected", "Tax", MONEY, total=True),
    "net_ex_tax": Column("net_ex_tax", "Net ex tax", MONEY, total=True),
    "cost": Column("cost", "Cost", MONEY, total=True),
    "margin": Column("margin", "Margin", MONEY, total=True),
    "margin_pct": Column("margin_pct", "Margin %", PERCENT, total=True),
}


class SalesReport(Report):
    """Sale lines of completed sales, the period applied by the report itself."""

    group = "Sales"
    filter_paths = SALES_FILTERS
    landscape = True
    figures: tuple[str, ...] = ()
    totals_add_up = True

    def with_ratios(self, totals):
        if "margin_pct" in totals or "margin" not in totals:
            return totals
        net = totals["net_ex_tax"]
        return totals | {"margin_pct": margin_pct(totals["margin"], net)}

    def base(self):
        return completed_lines()

    # Reads the totals kept per product for the whole months and years of
    # the period, and the sale lines of the days around them (`kept_cover`).
    by_product = False

    def kept(self, params):
        """The kept day totals that answer the report for `params` (a
        QuerySet), or None: it reads the sale lines."""
        return

    def parts(self, queryset, params):
        """[(records, their figures)] whose figures add up to the report's:
        the kept totals and/or the sale lines of the days they do not hold."""
        if self.by_product:
            cover = kept_cover(self, params)
            if cover is not None:
                rows, chosen, edges = cover
                return [(rows, kept_figures(chosen))] + [
                    touched_and_figures(
                        queryset, start_of(first), start_of(last + timedelta(days=1))
                    )
                    for first, last in edges
                ]
        kept = self.kept(params)
        if kept is not None:
            return [(kept, kept_figures())]
        return [touched_and_figures(queryset, *window(params))]

    def source(self, queryset, params):
        """(records, figures) of a report that reads one part only."""
        (part,) = self.parts(queryset, params)
        return part

    def totals(self, queryset, params):
        keys = [c.key for c in self.columns if c.total]
        sums = [
            records.aggregate(**pick(figures, *keys))
            for records, figures in self.parts(queryset, params)
        ]
        if len(sums) == 1:
            return sums[0]
        return self.with_ratios(
            {key: sum(part[key] for part in sums) for key in keys if key not in RATIOS}
        )

    def grouped(self, queryset, params, *fields, order, parts=None, **expressions):
        """The figures of `self.figures` per group of records, ordered by
        `order`; `fields` and `expressions` name paths from the product, which
        the kept product totals and the sale lines share. A QuerySet from one
        part; from several, their rows added up per group (a list). `parts`:
        `self.parts(queryset, params)` when the caller has them."""
        parts = [
            records.values(*fields, **expressions).annotate(
                **pick(figures, *self.figures)
            )
            for records, figures in parts or self.parts(queryset, params)
        ]
        if len(parts) == 1:
            return parts[0].order_by(*order)
        rows = add_up(parts, [*fields, *expressions])
        if "margin_pct" in self.figures:
            for row in rows:
                row["margin_pct"] = margin_pct(row["margin"], row["net_ex_tax"])
        return ordered(rows, order)


def periods(params):
    """Every period start (day, Monday or 1st) from the first day to the last."""
    day = params.start
    if params.group_by == "week":
        day -= timedelta(days=day.weekday())
    elif params.group_by == "month":
        day = day.replace(day=1)
    while day <= params.end:
        yield day
        if params.group_by == "week":
            day += timedelta(days=7)
        elif params.group_by == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=1)


@register
class SalesByPeriod(SalesReport):
    """Completed sales and returns per day, week or month.

    - Period: the day, the week (from Monday) or the month; every period of
      the range is listed, empty ones with zeros. Sales fall in the period of
      the sale, returns in the period of the return.
    - Sales: completed sales with a line that matches the filters.
    - Gross: Σ line gross of those sales (tax included, after all discounts);
      without filters, the sum of the sales' totals.
    - Discounts: Σ line discounts (line and cart discounts), in the prices'
      terms (tax included when prices include tax).
    - Returns: Σ what returns made in the period credited, tax included.
    - Net: gross − returns, tax included.
    - Tax: tax of the sales − tax of the returns' credit notes.
    - Net ex tax: Σ line net of the sales − Σ net of the returns' credit notes
      (net + tax = Net).
    - Cost: Σ quantity × unit cost of lines sold − Σ restocked units returned ×
      their unit cost (damaged returns keep their cost).
    - Margin: net ex tax − cost; Margin %: margin / net ex tax.

    Rows are a list (one per period), not a QuerySet: from the kept day
    totals (one grouped query) unless a category or product is chosen, else
    from three grouped queries (sales, returns' credit-note lines, restocked
    units).
    """

    slug = "sales-by-period"
    title = "Sales by day, week or month"
    description = (
        "Sales, returns, tax, cost and margin per day, week or month; returns "
        "count on the day they came back."
    )
    group_by = True
    columns = (
        Column("period", "Period", DATE),
        Column("sales", "Sales", INT, total=True),
        *MONEY_COLUMNS.values(),
    )
    chart = Chart("bar", "period", ("net_sales", "margin"))

    SOLD = ("sold_gross", "sold_discount", "sold_net", "sold_tax", "sold_cost")
    BACK = ("back_gross", "back_net", "back_tax", "back_cost")

    def kept(self, params):
        return kept_days(params)

    def rows(self, queryset, params):
        days = self.kept(params)
        if days is not None:
            by_period = self.kept_by_period(days, params.group_by)
        else:
            by_period = self.lines_by_period(queryset, params)
        nothing = {"n_sales": 0, **dict.fromkeys(self.SOLD + self.BACK, ZERO)}
        rows = []
        for period in periods(params):
            row = nothing | by_period.get(period, {})
            net_ex_tax = row["sold_net"] - row["back_net"]
            cost = row["sold_cost"] - row["back_cost"]
            margin = net_ex_tax - cost
            rows.append(
                {
                    "period": period,
                    "sales": row["n_sales"],
                    "gross_sales": row["sold_gross"],
                    "discounts": row["sold_discount"],
                    "returns": row["back_gross"],
                    "net_sales": row["sold_gross"] - row["back_gross"],
                    "tax_collected": row["sold_tax"] - row["back_tax"],
                    "net_ex_tax": net_ex_tax,
                    "cost": cost,
                    "margin": margin,
                    "margin_pct": margin_pct(margin, net_ex_tax),
                }
            )
        return rows

    def kept_by_period(self, days, group_by):
        """{period: figures} from the kept day totals: one grouped query."""
        if group_by in ("week", "month"):
            period = Trunc("day", group_by, output_field=DateField())
        else:
            period = F("day")
        grouped = (
            days.values(period=period)
            .annotate(
                n_sales=Sum("sales", default=0),
                **{
                    figure: money_sum(figure, rounding=round_cents)
                    for figure in self.SOLD + self.BACK
                },
            )
            .order_by()
        )
        return {row.pop("period"): row for row in grouped}

    def lines_by_period(self, queryset, params):
        """{period: figures} from the sale lines and the returns' credit
        notes: three grouped queries (sales, credit-note lines, restocked
        units)."""
        since, until = within = window(params)
        group_by = params.group_by

        sold = touched(queryset, since, until, found=(None, sale_numbers(*within)))
        sales = (
            sold.annotate(period=period_of("sale__created_at", group_by, within=within))
            .order_by()
            .values("period")
            .annotate(
                n_sales=Count("sale", distinct=True),
                sold_gross=round_cents(Sum("gross")),
                sold_discount=round_cents(Sum("discount")),
                sold_net=round_cents(Sum("net")),
                sold_tax=round_cents(Sum("tax")),
                sold_cost=money_sum(
                    times(F("quantity"), F("unit_cost")), rounding=round_cents
                ),
            )
        )
        # The credit-note lines of returns in the period, of the lines filtered
        # (the same match as `_credited`: the sale's invoice and the SKU).
        credited = (
            InvoiceLine.objects.filter(
                returned_in(since, until, prefix="invoice__sale_return__"),
                Exists(
                    queryset.filter(
                        sale__invoice=OuterRef("invoice__credited_invoice"),
                        sku=OuterRef("sku"),
                    )
                ),
            )
            .annotate(
                period=period_of(
                    "invoice__sale_return__created_at", group_by, within=within
                )
            )
            .order_by()
            .values("period")
            .annotate(
                back_gross=round_cents(Sum("gross")),
                back_net=round_cents(Sum("net")),
                back_tax=round_cents(Sum("tax")),
            )
        )
        restocked = (
            ReturnLine.objects.filter(
                returned_in(since, until),
                # Exists, not "in": the few lines returned are looked up, not
                # every sale line listed.
                Exists(queryset.filter(pk=OuterRef("sale_line"))),
                restocked=True,
            )
            .annotate(
                period=period_of("sale_return__created_at", group_by, within=within)
            )
            .order_by()
            .values("period")
            .annotate(
                back_cost=money_sum(
                    times(F("quantity"), F("sale_line__unit_cost")),
                    rounding=round_cents,
                )
            )
        )
        by_period = {}
        for grouped in (sales, credited, restocked):
            for row in grouped:
                by_period.setdefault(row.pop("period"), {}).update(row)
        return by_period


PER_LINE = (
    "sold",
    "returned",
    "gross_sales",
    "discounts",
    "returns",
    "net_ex_tax",
    "tax_collected",
    "cost",
    "margin",
    "margin_pct",
)
PER_LINE_COLUMNS = (
    Column("sold", "Sold", INT, total=True),
    Column("returned", "Returned", INT, total=True),
    *(MONEY_COLUMNS[key] for key in PER_LINE[2:]),
)


@register
class SalesByProduct(SalesReport):
    """Sales and returns in the period per product.

    - Sold: units on completed sales in the period; Returned: units brought
      back in the period (from sales of any date).
    - Gross, Discounts, Returns, Net ex tax, Tax, Cost, Margin, Margin %: as in
      Sales by day, week or month, for the product's lines. The gross of all
      rows is the gross of that report for the same filters.
    - Ordered by net ex tax, largest first; the chart shows the first 15.
    """

    slug = "sales-by-product"
    title = "Sales by product"
    description = (
        "Units, sales, returns, tax, cost and margin of each product, best "
        "selling first."
    )
    figures = PER_LINE
    columns = (
        Column("product_name", "Product", TEXT, width=32),
        Column("product_sku", "SKU", TEXT, width=14),
        *PER_LINE_COLUMNS,
    )
    chart = Chart("bar", "product_name", ("net_ex_tax",), limit=15)

    by_product = True

    def rows(self, queryset, params):
        return self.grouped(
            queryset,
            params,
            "product",
            order=("-net_ex_tax", "product_name", "product"),
            product_name=F("product__name"),
            product_sku=F("product__sku"),
        )


@register
class SalesByCategory(SalesReport):
    """Sales and returns in the period per product category.

    Figures as in Sales by product; the category is the product's category
    today ("No category" for products without one). Ordered by net ex tax.
    """

    slug = "sales-by-category"
    title = "Sales by category"
    description = "Units, sales, returns, tax, cost and margin of each category."
    figures = PER_LINE
    columns = (Column("category_name", "Category", TEXT), *PER_LINE_COLUMNS)
    chart = Chart("bar", "category_name", ("net_ex_tax", "margin"), limit=20)

    by_product = True

    def rows(self, queryset, params):
        return self.grouped(
            queryset,
            params,
            order=("-net_ex_tax", "category_name"),
            category_name=Coalesce("product__category__name", Value(NO_CATEGORY)),
        )


@register
class SalesByCashier(SalesReport):
    """Sales and returns in the period per cashier who made the sale.

    - Sales: completed sales they made in the period.
    - Returns count against the cashier who made the sale, whoever took the
      goods back. Other figures as in Sales by day, week or month.
    """

    slug = "sales-by-cashier"
    title = "Sales by cashier"
    description = "What each cashier sold, what came back of it, and its margin."
    figures = (
        "sales",
        "gross_sales",
        "discounts",
        "returns",
        "net_sales",
        "tax_collected",
        "net_ex_tax",
        "cost",
        "margin",
        "margin_pct",
    )
    columns = (
        Column("cashier", "Cashier", TEXT),
        Column("sales", "Sales", INT, total=True),
        *(MONEY_COLUMNS[key] for key in figures[1:]),
    )
    chart = Chart("bar", "cashier", ("net_sales",), limit=30)

    def kept(self, params):
        return kept_days(params)

    def rows(self, queryset, params):
        records, figures = self.source(queryset, params)
        # Grouped by the user's id too: two people may share a name.
        if records.model is DailyTotal:
            path, fields, key = "cashier", ["cashier_id"], {}
        else:
            path, fields, key = "sale__cashier", [], {"cashier_id": F("sale__cashier")}
        return (
            records.values(*fields, **key, cashier_name=person(path))
            .annotate(**pick(figures, *self.figures))
            .values("cashier_id", *self.figures, cashier=F("cashier_name"))
            .order_by("-net_sales", "cashier", "cashier_id")
        )


@register
class TopProducts(SalesReport):
    """The 50 products with the largest net sales in the period.

    - Units: units sold in the period − units returned in the period.
    - Net sales: net ex tax of its sales in the period − net ex tax of its
      returns in the period (Net ex tax of Sales by product).
    - Share: its net sales / the net sales of every product in the period
      (with the same filters), so the 50 shares need not add up to 100%.
    Products with no sale in the period are not listed. No totals row: the
    list stops at 50.
    """

    slug = "top-products"
    title = "Top products"
    description = "The 50 best sellers of the period by net sales, with their share."
    filter_paths = {"cashier": "sale__cashier", "category": "product__category"}
    landscape = False
    totals_add_up = False
    limit = 50
    columns = (
        Column("product_name", "Product", TEXT, width=32),
        Column("product_sku", "SKU", TEXT, width=14),
        Column("units", "Units", INT),
        Column("net_ex_tax", "Net sales", MONEY),
        Column("share", "Share of net", PERCENT),
    )
    chart = Chart("bar", "product_name", ("net_ex_tax",), limit=15)

    by_product = True
    figures = ("sold", "returned", "net_ex_tax")
    order = ("-net_ex_tax", "product_name", "product")

    def rows(self, queryset, params):
        parts = self.parts(queryset, params)
        if len(parts) > 1:
            return self.added_up(queryset, params, parts)
        ((lines, figures),) = parts
        everything = lines.aggregate(all_net=figures["net_ex_tax"])["all_net"]
        share = (
            Cast(figures["net_ex_tax"], FloatField()) / Value(float(everything))
            if everything
            else Value(None, output_field=FloatField())
        )
        return (
            lines.values(
                "product",
                product_name=F("product__name"),
                product_sku=F("product__sku"),
            )
            .annotate(
                units=figures["sold"] - figures["returned"],
                net_ex_tax=figures["net_ex_tax"],
                share=ExpressionWrapper(share, output_field=FloatField()),
            )
            .alias(units_sold=figures["sold"])
            .filter(units_sold__gt=0)
            .order_by(*self.order)[: self.limit]
        )

    def added_up(self, queryset, params, parts):
        """The same from the kept totals and the sale lines of the days
        around them (`parts`), added up per product."""
        rows = self.grouped(
            queryset,
            params,
            "product",
            order=self.order,
            parts=parts,
            product_name=F("product__name"),
            product_sku=F("product__sku"),
        )
        everything = sum((row["net_ex_tax"] for row in rows), ZERO)
        top = []
        for row in rows:
            if row["sold"] > 0:
                share = (
                    float(row["net_ex_tax"]) / float(everything) if everything else None
                )
                top.append(
                    {
                        "product": row["product"],
                        "product_name": row["product_name"],
                        "product_sku": row["product_sku"],
                        "units": row["sold"] - row["returned"],
                        "net_ex_tax": row["net_ex_tax"],
                        "share": share,
                    }
                )
        return top[: self.limit]

    def totals(self, queryset, params):
        return {}


@register
class SlowMovers(Report):
    """Active stocked products, the slowest sellers of the period first.

    - Units sold: units sold in the period − units returned in the period;
      products that did not sell are listed with 0.
    - On hand: the stock now; Stock value: on hand × the product's cost price.
    - Last sold: the day of its latest completed sale, at any time (empty if
      it never sold).
    Ordered by units, then the longest unsold first, then name.
    """

    slug = "slow-movers"
    title = "Slow movers"
    description = (
        "Products in stock that sold least in the period, with the money tied "
        "up in them."
    )
    group = "Sales"
    filter_paths = {"category": "category"}
    default_preset = "this_year"
    totals_add_up = True
    read_whole = True
    columns = (
        Column("product_name", "Product", TEXT, width=32),
        Column("product_sku", "SKU", TEXT, width=14),
        Column("category_name", "Category", TEXT, width=18),
        Column("units", "Units sold", INT, total=True),
        Column("stock_on_hand", "On hand", INT, total=True),
        Column("stock_value", "Stock value", MONEY, total=True),
        Column("last_sold", "Last sold", DATE),
    )
    chart = None

    def base(self):
        return Product.objects.active().tracked()

    def returned(self, since, until):
        """Per product (outer row): units of it returned in the period.

        A subquery for the few products with a return in the period; the
        others are 0 at the cost of a lookup in the list of those products
        (the planner cannot narrow the subquery to one product's returns, and
        would read every return line for each product). Used as `PerGroup`,
        so it runs once per product, not once per sale line.
        """
        returns = ReturnLine.objects.filter(returned_in(since, until)).order_by()
        units = Subquery(
            returns.filter(sale_line__product=OuterRef("pk")).values(
                units=Coalesce(Func("quantity", function="SUM"), 0)
            ),
            output_field=IntegerField(),
        )
        return Case(
            When(pk__in=returns.values("sale_line__product"), then=units),
            default=Value(0),
            output_field=IntegerField(),
        )

    def rows(self, queryset, params):
        since, until = window(params)
        chosen = self.whole(params)
        if chosen is not None:
            products = self.with_kept_units(queryset, chosen)
        else:
            products = self.with_sold(queryset, since, until).annotate(
                units=F("sold")
                - PerGroup(self.returned(since, until), output_field=IntegerField())
            )
        return (
            products.annotate(
                last_sold=PerGroup(
                    local_day(self.latest_sale()), output_field=DateField()
                ),
                stock_value=round_cents(times(F("on_hand"), F("cost_price"))),
            )
            .values(
                "units",
                "stock_value",
                "last_sold",
                stock_on_hand=F("on_hand"),
                product_name=F("name"),
                product_sku=F("sku"),
                category_name=Coalesce("category__name", Value(NO_CATEGORY)),
            )
            .order_by(
                "units", F("last_sold").asc(nulls_first=True), "product_name", "pk"
            )
        )

    def whole(self, params):
        """The kept periods of a period of whole months or years, else None
        (the days around whole months are the sale lines' to count)."""
        cover = kept_split(params, allowed=("category",))
        if cover is None or cover[1]:
            return None
        return cover[0]

    @staticmethod
    def with_kept_units(products, chosen):
        """`products` with `units` from their kept totals of the periods
        `chosen` (see `whole_periods`): one or a few rows per product."""
        return products.annotate(
            kept=FilteredRelation(
                "kept_totals", condition=in_periods(chosen, prefix="kept_totals__")
            ),
            units=Sum(signed("units_sold", chosen, "kept__"), default=0)
            - Sum(signed("units_returned", chosen, "kept__"), default=0),
        )

    @staticmethod
    def with_sold(products, since, until):
        """`products` with `sold`: their units on completed sales in the period.

        One pass over the lines of the period's sale numbers (`sale_numbers`)
        joined to the products, grouped by product, not a subquery per
        product, each of which would read its lines from all over the table.
        """
        numbers = sale_numbers(since, until)
        if numbers is None:
            return products.annotate(sold=Value(0))
        first, last = numbers
        completed = Sale.objects.filter(
            created_at__gte=since, created_at__lt=until, status=SaleStatus.COMPLETED
        )
        return products.annotate(
            period_lines=FilteredRelation(
                "sale_lines",
                condition=Q(
                    sale_lines__sale_id__gte=first, sale_lines__sale_id__lte=last
                ),
            ),
            sold=Sum(
                "period_lines__quantity",
                filter=Q(period_lines__sale__in=completed.values("pk")),
                default=0,
            ),
        )

    @staticmethod
    def latest_sale():
        """Per product (outer row): when its latest completed sale was made.

        The sale with the highest number (sales are numbered as they are made),
        from the top of the index on (product, sale): not every line it sold.
        """
        return Subquery(
            completed_lines()
            .filter(product=OuterRef("pk"))
            .order_by("-sale_id")
            .values("sale__created_at")[:1],
            output_field=DateTimeField(),
        )

    def totals(self, queryset, params):
        # The stock from the products; the units from their lines and returns
        # (a join with the products' lines would repeat each product's stock).
        since, until = window(params)
        totals = queryset.aggregate(
            stock_on_hand=Sum("on_hand", default=0),
            stock_value=money_sum(
                times(F("on_hand"), F("cost_price")), rounding=round_cents
            ),
        )
        periods = self.whole(params)
        if periods is not None:
            totals["units"] = ProductTotal.objects.filter(
                in_periods(periods), Exists(queryset.filter(pk=OuterRef("product")))
            ).aggregate(
                units=Sum(signed("units_sold", periods), default=0)
                - Sum(signed("units_returned", periods), default=0)
            )["units"]
            return totals
        # Exists, not "in": SQLite would read every line of each product.
        chosen = Exists(queryset.filter(pk=OuterRef("product")))
        sold = completed_lines().filter(sold_in(since, until), chosen)
        numbers = sale_numbers(since, until)
        if numbers:
            sold = sold.filter(sale_id__gte=numbers[0], sale_id__lte=numbers[1])
        returned = ReturnLine.objects.filter(
            returned_in(since, until),
            Exists(queryset.filter(pk=OuterRef("sale_line__product"))),
        )
        totals["units"] = (
            sold.aggregate(units=Sum("quantity", default=0))["units"]
            - returned.aggregate(units=Sum("quantity", default=0))["units"]
        )
        return totals


@register
class SalesByMethod(Report):
    """Payments taken for sales, per payment method.

    Payments on the invoices of completed sales (voided sales excluded), by
    the date and time each was received, so a refund falls in the period in
    which it was given.
    - Payments / Received: number and sum of money taken.
    - Refunds / Refunded: number and sum (shown positive) of money given back,
      the refunds of returns included; a negative store-credit payment is
      credit a return left on the sale's invoice, moved to another invoice.
    - Net: received − refunded.
    The cashier filter is who took (or gave back) the money.
    """

    slug = "sales-by-method"
    title = "Sales by payment method"
    description = "Money taken and given back for sales, per payment method."
    group = "Sales"
    totals_add_up = True
    filter_paths = {
        "period": "received_at",
        "cashier": "received_by",
        "method": "method",
    }
    columns = (
        Column("method_name", "Method", TEXT),
        Column("payment_count", "Payments", INT, total=True),
        Column("received", "Received", MONEY, total=True),
        Column("refund_count", "Refunds", INT, total=True),
        Column("refunded", "Refunded", MONEY, total=True),
        Column("net_received", "Net", MONEY, total=True),
    )
    chart = Chart("doughnut", "method_name", ("received",))

    def base(self):
        # A completed sale billed by the invoice says that it is a sale's
        # invoice: no join to the invoices is needed to check their source.
        return Payment.objects.filter(
            Exists(
                Sale.objects.filter(
                    invoice=OuterRef("invoice"), status=SaleStatus.COMPLETED
                )
            )
        )

    def figures(self):
        taken, given = Q(amount__gt=0), Q(amount__lt=0)
        return {
            "payment_count": Count("pk", filter=taken),
            "received": money_sum("amount", filter=taken, rounding=round_cents),
            "refund_count": Count("pk", filter=given),
            "refunded": money_sum(
                as_money(Value(0) - F("amount")), filter=given, rounding=round_cents
            ),
            "net_received": money_sum("amount", rounding=round_cents),
        }

    def rows(self, queryset, params):
        return (
            queryset.values(
                "method", method_name=label_of("method", PaymentMethod.choices)
            )
            .annotate(**self.figures())
            .order_by(rank("method", PaymentMethod.choices))
        )

    def totals(self, queryset, params):
        return queryset.aggregate(**self.figures())


# Tax.


@register
class TaxByRate(Report):
    """Tax charged per tax rate, from the invoices: sales, repairs and manual
    invoices together.

    Lines of issued invoices and credit notes, by the invoice's issue date;
    credit notes subtract (a return, a voided sale, a correction). Drafts and
    void invoices never count.
    - Net: Σ line net (without tax); Tax: Σ line tax; Gross: Σ line gross.
    """

    slug = "tax-by-rate"
    title = "Tax collected by rate"
    description = (
        "Net, tax and gross per tax rate, from every issued invoice less credit "
        "notes: sales, repairs and manual invoices."
    )
    group = "Tax"
    filter_paths = {"period": "invoice__issue_date"}
    totals_add_up = True
    columns = (
        Column("rate", "Tax rate %", DECIMAL),
        Column("net_ex_tax", "Net", MONEY, total=True),
        Column("tax_collected", "Tax", MONEY, total=True),
        Column("gross_total", "Gross", MONEY, total=True),
    )
    chart = None

    def base(self):
        return InvoiceLine.objects.filter(
            invoice__status__in=[
                InvoiceStatus.ISSUED,
                InvoiceStatus.PARTIALLY_PAID,
                InvoiceStatus.PAID,
            ]
        )

    def figures(self):
        def signed(field):
            return money_sum(
                Case(
                    When(
                        invoice__kind=InvoiceKind.CREDIT_NOTE,
                        then=as_money(Value(0) - F(field)),
                    ),
                    default=F(field),
                    output_field=AMOUNT,
                ),
                rounding=round_cents,
            )

        return {
            "net_ex_tax": signed("net"),
            "tax_collected": signed("tax"),
            "gross_total": signed("gross"),
        }

    def rows(self, queryset, params):
        return (
            queryset.values(rate=F("tax_rate"))
            .annotate(**self.figures())
            .order_by("rate")
        )

    def totals(self, queryset, params):
        return queryset.aggregate(**self.figures())
