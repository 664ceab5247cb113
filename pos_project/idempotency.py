"""One-time keys: a client's retry gets what its first request made.

A program that makes something through the app (a sale, a payment, a repair
ticket) sends a key of its own with the request. When the answer is lost (a
timeout, a dropped connection) it sends the same request again with the same
key, and gets what the first one made instead of a second one. The rules, for
every action that takes a key:

- A key belongs to the member of staff who sends it and to the action (its
  `Action.name`): another member of staff's same key, or the same key for
  another kind of action, is another key.
- With the key goes a fingerprint of what the request asks (`content`). The
  key again with the same content returns what the first request made, with
  `created` False; with different content it is refused with `KeyReused` (the
  REST API's 409, `pos_project.api.exception_handler`), and nothing is made.
- Requests racing with one key make one thing: the key is claimed (a row of
  `accounts.IdempotencyKey`, unique per key) in the transaction that makes it,
  so the second request waits for the first to commit, then finds the key.
- A refused request (a ValidationError) rolls its claim back with everything
  else: it uses up no key.

A service that takes a key declares its action once and returns `Made`::

    PAYMENTS = idempotency.Action(
        "pay", Payment, "idempotency_key", reused=lambda payment: "..."
    )

    def record_payment_once(invoice, *, by, key, amount, method) -> Made:
        claim = PAYMENTS.claim(key, by=by, content={"invoice": invoice, ...})
        return claim.once(lambda: _pay(..., idempotency_key=claim.token))

`claim.earlier()` and `claim.make(...)`, which `once` chains, can also be
called apart, for work between them outside the transaction (the sale prices
its lines after finding no earlier sale, before it takes any lock).
"""

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from accounts.models import IdempotencyKey
from pos_project.db import first_of

MAX_KEY_LENGTH = 64
FINGERPRINT_LENGTH = 16
SCOPE_HASH_LENGTH = 40


class Made(NamedTuple):
    """What a service made for a key, and whether it made it now (False: a
    retry, answered with what the key made before)."""

    obj: Any
    created: bool


class KeyReused(ValidationError):
    """A key that already made something, sent again for a different request."""

    code = "idempotency_key_reused"

    def __init__(self, message, *, made):
        super().__init__(message, code=self.code)
        self.made = made


def number(value) -> str:
    """A number as one string however it was written ("10", "10.00", 10), for
    a fingerprint; anything else as its text."""
    if isinstance(value, bool):
        return str(value)
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return format(amount.normalize(), "f") if amount.is_finite() else str(value)


def _plain(value):
    """A value JSON does not write by itself, as a fingerprint reads it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def fingerprint(content) -> str:
    """A short hash of what a request asks: dicts, lists, text, numbers (any
    Decimal by its value), dates, records (by their key) and dataclasses."""
    text = json.dumps(content, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:FINGERPRINT_LENGTH]


@dataclasses.dataclass(frozen=True)
class Action:
    """A kind of request that takes keys. `name` scopes its keys (actions with
    one name share them); `model` is what it makes, which keeps the key that
    made it in its unique column `field`; `reused(made)` is KeyReused's
    message, saying what the key made."""

    name: str
    model: type[models.Model]
    field: str
    reused: Callable[[Any], str]

    def __post_init__(self):
        longest = len(self.name) + 1 + SCOPE_HASH_LENGTH + 1 + FINGERPRINT_LENGTH
        if longest > self.model._meta.get_field(self.field).max_length:
            raise ValueError(
                f"The keys of {self.name!r} do not fit {self.model.__name__}."
                f"{self.field}: {longest} characters."
            )

    def claim(self, key, *, by, content) -> "Claim":
        """`by`'s key for this action, with what their request asks."""
        if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
            raise ValidationError(
                _("A one-time key is 1 to %(max)d characters.")
                % {"max": MAX_KEY_LENGTH}
            )
        digest = hashlib.sha256(f"{by.pk}:{key}".encode()).hexdigest()
        return Claim(
            self, f"{self.name}-{digest[:SCOPE_HASH_LENGTH]}", fingerprint(content)
        )


@dataclasses.dataclass(frozen=True)
class Claim:
    """One request's key: what the key made before, or what it makes now."""

    action: Action
    scope: str
    fingerprint: str

    @property
    def token(self) -> str:
        """What the made object keeps in its key column."""
        return f"{self.scope}-{self.fingerprint}"

    def earlier(self) -> Made | None:
        """What the key made before (not now), or None; KeyReused if it made
        it for a different request."""
        claimed = first_of(IdempotencyKey.objects.filter(scope=self.scope))
        if claimed is None:
            return None
        token = (
            f"{claimed.scope}-{claimed.fingerprint}"
            if claimed.fingerprint
            else claimed.scope
        )
        made = self.action.model._default_manager.get(**{self.action.field: token})
        if claimed.fingerprint not in ("", self.fingerprint):
            raise KeyReused(self.action.reused(made), made=made)
        return Made(made, False)

    def make(self, make: Callable[[], Any]) -> Made:
        """`make()`, in one transaction with the key's claim; or, if a request
        with the key got there first, what that one made."""
        try:
            with transaction.atomic():
                # First: a request racing with this key waits here until this
                # one commits (then fails on the unique scope) or rolls back.
                IdempotencyKey.objects.create(
                    scope=self.scope, fingerprint=self.fingerprint
                )
                return Made(make(), True)
        except IntegrityError:
            earlier = self.earlier()
            if earlier is None:
                raise
            return earlier

    def once(self, make: Callable[[], Any]) -> Made:
        """What the key made before, or `make()` now."""
        return self.earlier() or self.make(make)
