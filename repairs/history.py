"""The shop's repair history as the suggestion engine reads it, and its cache.

The index is built from collected repairs (two queries) and kept in the
process. It is looked at again at most every `RECHECK_SECONDS`: a new batch of
collected repairs shows in suggestions within minutes, and an estimate never
waits for a rebuild more than once per interval per process.
"""

import threading
import time
from collections import defaultdict

from django.db.models import Count, Max

from invoices.models import InvoiceStatus

from .models import LineKind, Status, Ticket, TicketLine
from .suggestions import IndexCache, PartUsed, PastRepair, SuggestionIndex

RECHECK_SECONDS = 300

_cache = IndexCache()
_checked = {"at": float("-inf"), "index": None}
_lock = threading.Lock()


def _history():
    return Ticket.objects.filter(status=Status.COLLECTED).exclude(
        invoice__status=InvoiceStatus.VOID
    )


def past_repairs() -> list[PastRepair]:
    """Every collected repair with its billed price, bench time and fitted parts."""
    parts = defaultdict(list)
    for ticket_id, product_id, name, quantity in (
        TicketLine.objects.filter(
            ticket__in=_history(), kind=LineKind.PART, fitted_at__isnull=False
        )
        .values_list("ticket_id", "product_id", "description", "quantity")
        .order_by()
    ):
        parts[ticket_id].append(PartUsed(product_id, name, int(quantity)))
    return [
        PastRepair(
            ticket_id=pk,
            number=number,
            device_type=device_type,
            brand=brand,
            model=model,
            problem=problem,
            price=total,
            minutes=minutes,
            parts=tuple(parts.get(pk, ())),
            finished=closed_at.date() if closed_at else None,
        )
        for (
            pk,
            number,
            device_type,
            brand,
            model,
            problem,
            total,
            minutes,
            closed_at,
        ) in (
            _history()
            .values_list(
                "pk",
                "number",
                "device_type",
                "brand",
                "model",
                "problem",
                "invoice__total",
                "minutes_spent",
                "closed_at",
            )
            .order_by("closed_at", "pk")
            .iterator(chunk_size=2000)
        )
    ]


def _version():
    latest = _history().aggregate(n=Count("pk"), last=Max("closed_at"))
    return (latest["n"], latest["last"])


def current_index() -> SuggestionIndex:
    """The index of the shop's history, rebuilt when it changed (see the docstring)."""
    with _lock:
        if (
            _checked["index"] is not None
            and time.monotonic() - _checked["at"] < RECHECK_SECONDS
        ):
            return _checked["index"]
        version = _version()
        _checked["at"] = time.monotonic()
    index = _cache.get(version, lambda: SuggestionIndex.build(past_repairs()))
    _checked["index"] = index
    return index


def forget_index():
    """Drop the cached index (tests, and after loading demo data)."""
    with _lock:
        _checked.update(at=float("-inf"), index=None)
    _cache.clear()


def suggest_for(ticket):
    return current_index().suggest(
        device_type=ticket.device_type,
        brand=ticket.brand,
        model=ticket.model,
        problem=ticket.problem,
    )
