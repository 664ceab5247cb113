"""Document numbers a scanner reads at the till, and the page each leads to.

A receipt's barcode (R-000123) and a repair's claim slip (RP-000045) are
scanned into the same box as products. An app registers how to find its
documents in its `AppConfig.ready()` with `register_document(pattern, find)`;
the till asks `page_of(code, user)` when a code is no product. This keeps the
till from importing the apps whose documents it recognises.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finder:
    pattern: re.Pattern
    # (the number as scanned, upper case; the member of staff) -> the URL of
    # the document's page, or None when there is none they may open.
    find: Callable


FINDERS: list[Finder] = []


def register_document(pattern: str, find: Callable) -> None:
    """Numbers matching `pattern` (whole, any case) are looked up by `find`."""
    compiled = re.compile(pattern, re.IGNORECASE)
    if not any(finder.pattern.pattern == compiled.pattern for finder in FINDERS):
        FINDERS.append(Finder(compiled, find))


def page_of(code: str, user) -> str | None:
    """The page a scanned document number opens for `user`, or None."""
    number = (code or "").strip().upper()
    for finder in FINDERS:
        if finder.pattern.fullmatch(number):
            page = finder.find(number, user)
            if page:
                return page
    return None
