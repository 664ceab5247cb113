"""Database helpers shared by the apps."""

from decimal import Decimal

from django.db.models import DecimalField, Value
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan

HALF_A_CENT = Value(Decimal("0.005"), output_field=DecimalField())


def equal_to_the_cent(left, right):
    """A constraint condition: two money expressions agree to the cent.

    PostgreSQL's numeric is exact, but SQLite does decimal arithmetic in
    floating point (74.00 - 44.40 is not exactly 29.60 there), so amounts are
    compared within half a cent: any real difference is at least a cent.
    """
    return LessThan(Abs(left - right), HALF_A_CENT)
