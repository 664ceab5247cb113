"""SQL expressions the reports share: amounts, ratios, periods, people, choices.

Each function returns an expression for `.values()`, `.annotate()` or
`.aggregate()`; nothing here runs a query.
"""

from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    DateField,
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
    Trim,
    TruncDay,
    TruncMonth,
    TruncWeek,
)

from pos_project.money import to_money

ZERO = Decimal("0.00")
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


def money_sum(expression, *, filter=None, rounding=Cents):
    """Σ `expression` as an amount, 0.00 when no row matches, rounded to cents
    by `rounding`: `Cents` (two places on every database) or `round_cents`."""
    return rounding(Sum(expression, filter=filter, default=ZERO, output_field=AMOUNT))


def ratio(numerator, denominator):
    """numerator / denominator as a float; empty (NULL) when the denominator is 0.

    Divided as floats: SQLite keeps 50.00 as the integer 50 and would divide
    two such amounts as integers.
    """
    return ExpressionWrapper(
        Cast(numerator, FloatField())
        / NullIf(Cast(denominator, FloatField()), Value(0.0)),
        output_field=FloatField(),
    )


# Periods, people and choices.


def period_of(path, group_by):
    """The local day, or the Monday of its week, or the 1st of its month, as a
    date; by day for any other `group_by`."""
    return TRUNCATE.get(group_by, TruncDay)(path, output_field=DateField())


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
