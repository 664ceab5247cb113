"""Money: Decimal amounts in the shop's currency, rounded half-up to its cents.

Every document (cart, receipt, invoice, report, API) goes through this module so
that they agree to the cent. Amounts are never floats: build them from strings.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings


def cents() -> Decimal:
    """The smallest unit of the shop's currency, e.g. Decimal("0.01")."""
    return Decimal(1).scaleb(-settings.CURRENCY_DECIMAL_PLACES)


def to_money(value) -> Decimal:
    """`value` as a Decimal rounded half-up to the currency's decimals.

    Accepts Decimal, int or str; a float is refused because it is not exact.
    """
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a str or Decimal.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an amount of money.") from exc
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money.")
    return amount.quantize(cents(), rounding=ROUND_HALF_UP)


def format_money(value, *, symbol: bool = True) -> str:
    """`value` rounded and written with thousands separators: "$1,234.50"."""
    amount = to_money(value)
    places = settings.CURRENCY_DECIMAL_PLACES
    text = f"{abs(amount):,.{places}f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{settings.CURRENCY_SYMBOL}{text}" if symbol else f"{sign}{text}"
