"""SQL expressions the reports share: amounts, ratios, periods, people, choices.

Each function returns an expression for `.values()`, `.annotate()` or
`.aggregate()`; nothing here runs a query.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    NullIf,
    Round,
    Substr,
    Trim,
    Trunc,
    TruncDay,
    TruncMinute,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone

from pos_project.money import ZERO, to_money

# The type of a computed amount. Nothing casts to it, so its digits only name
# the type: they never limit or round a value.
AMOUNT = DecimalField(max_digits=14, decimal_places=2)
TEXT_FIELD = CharField()
TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


# Amounts.


def as_money(expression):
    """`expression` typed as an amount (arithmetic Django cannot type itself)."""
    return ExpressionWrapper(expression, output_field=AMOUNT)


def times(quantity, price):
    """quantity × price, as an amount."""
    return as_money(quantity * price)


def round_cents(expression):
    """An amount rounded to the cent in SQL.

    SQLite adds decimals in floating point (12.3099999…); PostgreSQL's sums are
    exact and stay as they are. On SQLite the Decimal can come back with fewer
    places (Decimal("40"), Decimal("12.5")): use `Cents` for two places always.
    """
    return Round(expression, 2, output_field=AMOUNT)


class Cents(Func):
    """Money rounded to the cent as it leaves the database.

    PostgreSQL adds numeric amounts exactly; SQLite adds them in floating
    point and hands back Decimal("40") or Decimal("0.300000000000000"), so
    every computed amount is rounded half-up to cents on the way out and both
    backends give the same Decimal("40.00").
    """

    template = "%(expressions)s"
    output_field = AMOUNT

    def convert_value(self, value, expression, connection):
        return None if value is None else to_money(value)


class PerGroup(ExpressionWrapper):
    """An expression of the columns a query groups by (a subquery on its
    key), computed once per group: Django would otherwise group by it too,
    which computes it for every row grouped."""

    def get_group_by_cols(self):
        return []


def money_sum(expression, *, filter=None, rounding=Cents):
    """Σ `expression` as an amount, 0.00 when no row matches, rounded to cents
    by `rounding`: `Cents` (two places on every database) or `round_cents`."""
    return rounding(Sum(expression, filter=filter, default=ZERO, output_field=AMOUNT))


def ratio(numerator, denominator):
    """numerator / denominator as a float; empty (NULL) when the denominator is 0.

    Divided as floats: SQLite keeps 50.00 as the integer 50 and would divide
    two such amounts as integers. The denominator is an amount, so it is
    rounded to the cent first: SQLite's floating-point sums leave 441.94 −
    441.94 at about 1e-13, not 0, and the ratio at about 1e15.
    """
    return ExpressionWrapper(
        Cast(numerator, FloatField())
        / NullIf(Cast(Round(denominator, 2), FloatField()), Value(0.0)),
        output_field=FloatField(),
    )


# Periods, people and choices.


def period_of(path, group_by, *, within=None):
    """The local day, or the Monday of its week, or the 1st of its month, as a
    date; by day for any other `group_by`. `within`: the period counted, as
    aware datetimes (first moment, moment after), where the day must be right
    (see `LocalDate`)."""
    kind = group_by if group_by in TRUNCATE else "day"
    return LocalDate(path, kind, within=within)


def local_day(path, *, within=None):
    """The local date of a date and time."""
    return LocalDate(path, "day", within=within)


def local_minute(path, *, within=None):
    """A date and time as local "YYYY-MM-DD HH:MM" text (a string on every
    backend, so no export meets a time-zone-aware datetime)."""
    return LocalText(path, "minute", within=within)


def local_time(path, *, within=None):
    """The local "HH:MM" of a date and time."""
    return LocalText(path, "time", within=within)


# Local dates in SQL. PostgreSQL converts with AT TIME ZONE. Django's date
# functions on SQLite call a Python function for every row (80% of the time of
# a query grouped by day), so on SQLite the shop's UTC offset is added with
# SQLite's own date functions instead. The offset changes with daylight saving
# time: the SQL picks it with a CASE over the intervals of one offset that meet
# the period counted (a handful per year), so a day is right on both sides of a
# change. Moments outside that period take the offset of the nearest interval.

# Without a period: from ten years back (the longest period offered) to a
# year ahead.
YEARS_BACK, YEARS_AHEAD = 10, 1
SQLITE_FORMAT = {"minute": "%Y-%m-%d %H:%M", "time": "%H:%M"}
SQLITE_TRUNCATE = {
    "day": (),
    "week": ("weekday 0", "-6 days"),  # on to Sunday, back to its Monday
    "month": ("start of month",),
}


@lru_cache(maxsize=64)
def offset_intervals(zone, since, until):
    """[(first moment, UTC offset in seconds)] of `zone` from `since` to
    `until` (aware datetimes), in order: the offset at `since`, then each
    change of offset before `until`, to the second."""
    day = 24 * 3600  # offsets change months apart, never twice a day

    def offset(second):
        moment = datetime.fromtimestamp(second, UTC).astimezone(zone)
        return int(moment.utcoffset().total_seconds())

    first, last = int(since.timestamp()), int(until.timestamp())
    intervals = [(first, offset(first))]
    for low in range(first, last, day):
        high = min(low + day, last)
        if offset(high) == intervals[-1][1]:
            continue
        while high - low > 1:  # the first second of the new offset
            middle = (low + high) // 2
            if offset(middle) == intervals[-1][1]:
                low = middle
            else:
                high = middle
        intervals.append((high, offset(high)))
    return [(datetime.fromtimestamp(second, UTC), off) for second, off in intervals]


def _intervals(within):
    zone = timezone.get_current_timezone()
    if within:
        since, until = within
    else:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        since = now - timedelta(days=366 * YEARS_BACK)
        until = now + timedelta(days=366 * YEARS_AHEAD)
    return offset_intervals(zone, since, until)


def _sqlite_local(
    compiler, connection, expression, within, *, modifiers=(), format=None
):
    """SQLite: the local time of `expression` (its stored UTC text moved by the
    UTC offset of its interval), then `modifiers`, as a date, or as text in
    `format` (strftime's)."""
    sql, params = compiler.compile(expression)
    function = "strftime" if format else "date"
    leading = (format,) if format else ()
    head = "%s, " if format else ""
    tail = "".join(", %s" for _ in modifiers)
    if not isinstance(expression.output_field, DateTimeField):  # a date already
        return f"{function}({head}{sql}{tail})", (*leading, *params, *modifiers)

    def moved(seconds):
        # Whole seconds: SQLite keeps times to the millisecond, and would round
        # 23:59:59.9999 up to the next day.
        return (
            f"{function}({head}SUBSTR({sql}, 1, 19), %s{tail})",
            [*leading, *params, f"{seconds:+d} seconds", *modifiers],
        )

    first, *changes = _intervals(within)
    if not changes:
        return moved(first[1])
    # The latest interval first: reports mostly read recent records.
    parts, parts_params = [], []
    for start, seconds in reversed(changes):
        moved_sql, moved_params = moved(seconds)
        parts.append(f"WHEN {sql} >= %s THEN {moved_sql}")
        parts_params += [
            *params,
            connection.ops.adapt_datetimefield_value(start),
            *moved_params,
        ]
    else_sql, else_params = moved(first[1])
    return (
        f"CASE {' '.join(parts)} ELSE {else_sql} END",
        (*parts_params, *else_params),
    )


class LocalDate(Trunc):
    """The local date of a date and time (or of a date), truncated to its day,
    the Monday of its week or the 1st of its month (`kind`).

    `within`: the period counted, as aware datetimes [first, after), whose
    offset changes SQLite's SQL follows; by default ten years back to a year
    ahead."""

    def __init__(self, expression, kind="day", *, within=None):
        self.within = within
        super().__init__(expression, kind, output_field=DateField())

    def as_sql(self, compiler, connection, **extra_context):
        # A date in SQL too (DATE_TRUNC gives a timestamp), so that it stays a
        # date inside another expression (Min, a subquery's value).
        sql, params = super().as_sql(compiler, connection)
        return f"CAST({sql} AS DATE)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        return _sqlite_local(
            compiler, connection, self.lhs, self.within,
            modifiers=SQLITE_TRUNCATE[self.kind],
        )  # fmt: skip


class LocalText(Func):
    """A date and time as local text: "YYYY-MM-DD HH:MM" (`kind` "minute") or
    "HH:MM" (`kind` "time"). `within` as for `LocalDate`."""

    output_field = TEXT_FIELD

    def __init__(self, expression, kind, *, within=None):
        self.kind = kind
        self.within = within
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        start, length = (1, 16) if self.kind == "minute" else (12, 5)
        text = Substr(
            Cast(TruncMinute(self.source_expressions[0]), TEXT_FIELD), start, length
        )
        return compiler.compile(text.resolve_expression(compiler.query))

    def as_sqlite(self, compiler, connection, **extra_context):
        return _sqlite_local(
            compiler, connection, self.source_expressions[0], self.within,
            format=SQLITE_FORMAT[self.kind],
        )  # fmt: skip


def person(path, *, default=""):
    """A user's full name, else their username (as User.get_full_name shows);
    `default` when the user is not set."""
    full_name = Trim(
        Concat(
            F(f"{path}__first_name"),
            Value(" "),
            F(f"{path}__last_name"),
            output_field=TEXT_FIELD,
        )
    )
    return Coalesce(
        NullIf(full_name, Value("")),
        F(f"{path}__username"),
        Value(default),
        output_field=TEXT_FIELD,
    )


def label_of(field, choices, *, default=None):
    """A choice field's display label; for a value not among the choices, the
    value itself, or `default` when given."""
    return Case(
        *[When(**{field: value}, then=Value(label)) for value, label in choices],
        default=F(field) if default is None else Value(default),
        output_field=TEXT_FIELD,
    )


def rank(field, choices):
    """A choice field's position in its choices (the workflow or list order);
    a value not among them comes last."""
    return Case(
        *[
            When(**{field: value}, then=Value(i))
            for i, (value, _) in enumerate(choices)
        ],
        default=Value(len(choices)),
        output_field=IntegerField(),
    )
