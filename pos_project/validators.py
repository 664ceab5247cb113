"""Card numbers are never stored: the one check, for every free-text field.

A full payment card number in a note, a name or an address is data the shop
must not hold (PCI DSS). Staff write one down meaning well ("paid with card
4111 1111 1111 1111"); the app refuses it and asks for the last four digits.

A number looks like a card's when it is 13 to 19 digits (single spaces or
dashes allowed between them), passes the Luhn check, and begins with a card
brand's prefix at a length that brand issues. The lengths keep IMEIs out:
an IMEI is 15 digits and passes the Luhn check too, and most begin with 35
(JCB's prefix, but JCB numbers have 16 to 19 digits), 01, 86 or 99 (no
brand's). The ones that do collide, 15 digits beginning 300-305 (Diners),
50 or 56-69 (Maestro), belong in the ticket's IMEI field, which is not
checked; written into free text they are refused like a card.

`refuse_card_number` is the validator: on model fields (so ModelForms and
ModelSerializers use it), on the other forms' and serializers' free-text
fields, and, for whatever reaches the database by another way, run on every
save of a model by `check_instance` (accounts/apps.py connects it).
"""

import functools
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CARD_NUMBER_MESSAGE = _(
    "This looks like a payment card number; card numbers must never be stored. "
    "Write only the last four digits."
)

# Digits with at most one space or dash between two of them.
DIGIT_RUN = re.compile(r"(?<![\d])\d(?:[ -]?\d)+(?![\d])")

# (first digits from, to, lengths): the prefixes card brands issue numbers
# under, with the lengths they issue.
BRANDS = [
    ("4", "4", (13, 16, 19)),  # Visa
    ("51", "55", (16,)),  # Mastercard
    ("2221", "2720", (16,)),  # Mastercard
    ("34", "34", (15,)),  # American Express
    ("37", "37", (15,)),  # American Express
    ("6011", "6011", range(16, 20)),  # Discover
    ("644", "649", range(16, 20)),  # Discover
    ("65", "65", range(16, 20)),  # Discover
    ("300", "305", range(14, 20)),  # Diners Club
    ("36", "36", range(14, 20)),  # Diners Club
    ("38", "39", range(16, 20)),  # Diners Club
    ("3528", "3589", range(16, 20)),  # JCB
    ("62", "62", range(16, 20)),  # UnionPay
    ("50", "50", range(13, 20)),  # Maestro
    ("56", "69", range(13, 20)),  # Maestro
]


def passes_luhn(digits: str) -> bool:
    """The Luhn check digit is right (card numbers, IMEIs)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """`digits` (digits only) could be a payment card's number."""
    if not 13 <= len(digits) <= 19 or not passes_luhn(digits):
        return False
    for low, high, lengths in BRANDS:
        start = digits[: len(low)]
        if low <= start <= high and len(digits) in lengths:
            return True
    return False


def find_card_number(text) -> str | None:
    """The first number in `text` that looks like a payment card's, or None."""
    if not text or not isinstance(text, str):
        return None
    for match in DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if is_card_number(digits):
            return match.group()
    return None


def refuse_card_number(value):
    """Validator: refuses text holding a payment card number."""
    if find_card_number(value):
        raise ValidationError(CARD_NUMBER_MESSAGE, code="card_number")


def check_texts(**values):
    """Refuse any of `values` holding a card number, by name (for services)."""
    errors = {
        name: CARD_NUMBER_MESSAGE for name, v in values.items() if find_card_number(v)
    }
    if errors:
        raise ValidationError(errors)


@functools.cache
def card_checked_fields(model):
    """The names of `model`'s fields that refuse card numbers."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if refuse_card_number in getattr(field, "validators", ())
    ]


def check_instance(instance):
    """Refuse to save `instance` with a card number in a checked field."""
    check_texts(
        **{
            name: getattr(instance, name)
            for name in card_checked_fields(type(instance))
        }
    )


def checked(objects):
    """`objects` as a list, each refused if it holds a card number: for
    `bulk_create`, which saves without sending pre_save."""
    objects = list(objects)
    for instance in objects:
        check_instance(instance)
    return objects


def check_before_save(sender, instance, raw=False, **kwargs):
    """pre_save receiver: the last line for writes that no form checked (a
    service called from a command, the shell, a future code path)."""
    if not raw:
        check_instance(instance)
