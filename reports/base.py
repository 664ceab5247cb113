"""What a report is: a filtered base queryset, aggregated in SQL into rows.

A report names its base queryset (the records it counts), which of the shared
filters it offers and on which field each one works (`filter_paths`), its
columns, and two aggregations over the filtered queryset: the rows and the
totals. The page, the Excel and PDF exports and the background export job all
use the same three calls, so they always agree.

    class SalesByDay(Report):
        slug = "sales-by-period"
        base() -> SaleLine.objects.filter(...)
        filter_paths = {"period": "sale__created_at", "cashier": "sale__cashier"}
        rows(qs, params) -> qs.values(day=...).annotate(...).order_by(...)
        totals(qs, params) -> qs.aggregate(...)

Rows are dicts (usually a `.values()` queryset, so exports can stream them),
keyed by the columns' keys. Nothing here writes.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# How a column's values are shown on the page and formatted in Excel.
TEXT, INT, MONEY, PERCENT, DATE, DECIMAL = (
    "text",
    "int",
    "money",
    "percent",
    "date",
    "decimal",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    total: bool = False  # shown in the totals row (taken from `totals()`)
    width: int | None = None  # Excel width in characters; a default by kind


@dataclass(frozen=True)
class Chart:
    """A Chart.js chart of some of the rows: one label column, value columns."""

    kind: str  # "bar", "line" or "doughnut"
    label: str  # the column key whose values label the x axis (or the slices)
    values: tuple[str, ...]  # the column keys plotted, one dataset each
    limit: int = 400  # at most this many rows are plotted (the first ones)
    stacked: bool = False


@dataclass
class Params:
    """The filters as cleaned from the URL, for a report's aggregations."""

    show_period: bool = True  # False: the report is "as of today", not a period
    start: date | None = None
    end: date | None = None
    preset: str = ""
    group_by: str = "day"  # day, week or month, where a report groups by time
    chosen: dict = field(default_factory=dict)  # filter label -> value shown
    values: dict = field(default_factory=dict)  # filter name -> cleaned value

    def describe(self):
        """[(label, value)] of the filters in use, for exports."""
        pairs = []
        if self.show_period and (self.start or self.end):
            pairs.append(("Period", f"{_day(self.start)} to {_day(self.end)}".strip()))
        pairs += [(label, str(value)) for label, value in self.chosen.items()]
        return pairs


def _day(value):
    return value.strftime("%d %b %Y") if value else "…"


class Report:
    """Subclass it, set the attributes, implement `base`, `rows` and `totals`."""

    slug: str = ""
    title: str = ""
    description: str = ""
    group: str = ""  # the heading it is listed under: Sales, Payments, ...
    columns: tuple[Column, ...] = ()
    # The shared filters it offers (see reports.filters.FILTERS), each with the
    # field path it filters in `base()`; "period" is a date or datetime field.
    filter_paths: dict = {}
    # Counts a period (offers the period filter). The framework applies it to
    # `base()` when "period" is in `filter_paths`; a report that dates two
    # kinds of records differently (sales and returns) applies it itself from
    # `params`. False: the report is as of now (stock on hand, balances).
    period: bool = True
    group_by: bool = False  # offers day / week / month grouping
    chart: Chart | None = None
    landscape: bool = False  # the PDF on A4 landscape (wide tables)
    default_preset: str = "this_month"
    # The totals row is the sum of the rows: every record counted falls in
    # one row (a sale in one day, one cashier), and the total columns are
    # counts and amounts, or ratios of them (`with_ratios`). A page that has
    # read every row then adds them up (`totals_of`) instead of reading the
    # records again.
    totals_add_up: bool = False
    # The page reads all the grouped rows in one go rather than the first
    # ones: for a query that computes every row to order them anyway, and
    # whose planner picks a slower plan when asked for the first rows only
    # (Slow movers on PostgreSQL: 1.4 s for its first 1,000 rows, 0.6 s for
    # all 20,000).
    read_whole: bool = False

    def base(self):
        """The records counted, before filters (a QuerySet)."""
        raise NotImplementedError

    def rows(self, queryset, params: Params):
        """The table's rows: dicts keyed by column, aggregated in SQL."""
        raise NotImplementedError

    def totals(self, queryset, params: Params) -> dict:
        """The totals row: {column key: value} for the columns with total=True."""
        return {}

    def totals_of(self, rows) -> dict:
        """The totals row from all the table's rows, for a report whose totals
        add up (`totals_add_up`): what `totals()` gives, without a query."""
        totals = {}
        for column in self.columns:
            if column.total and column.kind in (INT, MONEY):
                zero = Decimal("0.00") if column.kind == MONEY else 0
                totals[column.key] = sum((row[column.key] for row in rows), zero)
        return self.with_ratios(totals)

    def with_ratios(self, totals) -> dict:
        """`totals` (the sums of `totals_of`) with the ratio columns added."""
        return totals

    def chart_rows(self, rows):
        """The rows plotted (rows are already ordered the way they read)."""
        return list(rows[: self.chart.limit]) if self.chart else []

    def __str__(self):
        return self.title


REPORTS: dict[str, Report] = {}


def register(report_class):
    """Class decorator: list the report on the reports page, by its slug."""
    report = report_class()
    assert report.slug and report.slug not in REPORTS, report.slug
    REPORTS[report.slug] = report
    return report_class
