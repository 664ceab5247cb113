"""Database helpers shared by the apps."""

import functools
from decimal import Decimal

from django.db import transaction
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


def first_of(queryset):
    """The row a unique condition selects, or None.

    `.first()` orders by the model's ordering (or the key), which the ORM must
    build and the database sort by, for a condition that picks one row anyway:
    here there is no ORDER BY, only LIMIT 1. For the hot paths (the till).
    """
    return next(iter(queryset.order_by()[:1]), None)


def one_transaction(service):
    """A service that runs in one transaction (`transaction.atomic`) and can
    also join its caller's: `service.joining(...)` runs its body in the
    transaction already open, without a savepoint of its own.

    For one business action made of several services (a checkout makes the
    invoice, takes the stock and records the payments): their savepoints would
    cost two statements each and buy nothing, as a refusal from any of them
    fails the whole action. The caller must therefore let the refusal through
    its own `atomic` block, never catch it and go on.
    """
    atomic = transaction.atomic(service)

    @functools.wraps(service)
    def joining(*args, **kwargs):
        if not transaction.get_connection().in_atomic_block:
            raise transaction.TransactionManagementError(
                f"{service.__name__}.joining runs in the caller's transaction."
            )
        return service(*args, **kwargs)

    atomic.joining = joining
    return atomic
