"""Money: Decimal amounts in the shop's currency, rounded half-up to its cents.

Every document (cart, receipt, invoice, report, API) goes through this module so
that they agree to the cent. Amounts are never floats: build them from strings.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

# Every money column: DecimalField(**MONEY).
MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")
# The smallest amount a money column holds (cents() is the currency's).
CENT = Decimal("0.01")


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


# Document arithmetic: every cart, receipt, invoice and report adds up this way.
#
# Rounding points: a line's amount (quantity x unit price) is rounded to cents,
# then its discount is taken off, then its tax is rounded to cents. Document
# totals are sums of rounded lines, so a document always equals the sum of the
# lines printed on it.

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineTotals:
    """A priced line: net + tax == gross, every figure in cents."""

    amount: Decimal  # quantity x unit price, before discount
    discount: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_rate: Decimal


def line_totals(
    quantity, unit_price, tax_rate, *, discount="0", prices_include_tax: bool
) -> LineTotals:
    """The totals of one line; `discount` is an amount off the line.

    With prices including tax the gross is what the customer pays and the tax
    is the part of it that is tax; otherwise tax is added to the net.
    """
    if any(isinstance(v, float) for v in (quantity, unit_price, tax_rate, discount)):
        raise TypeError("Money is never a float; pass a str or Decimal.")
    quantity, rate = Decimal(quantity), Decimal(tax_rate)
    amount = to_money(quantity * Decimal(unit_price))
    discount = to_money(discount)
    if not Decimal(0) <= discount <= abs(amount):
        raise ValueError("A discount cannot be negative or exceed the line.")
    discounted = amount - discount if amount >= 0 else amount + discount
    if prices_include_tax:
        gross = discounted
        tax = to_money(gross * rate / (HUNDRED + rate))
        net = gross - tax
    else:
        net = discounted
        tax = to_money(net * rate / HUNDRED)
        gross = net + tax
    return LineTotals(amount, discount, net, tax, gross, rate)


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal  # sum of net
    discount: Decimal
    tax: Decimal
    total: Decimal  # sum of gross
    tax_by_rate: dict  # {rate: (net, tax)}, rates ascending


def document_totals(lines) -> DocumentTotals:
    """The totals of a document made of `lines` (LineTotals)."""
    zero = to_money(0)
    by_rate = {}
    for line in lines:
        net, tax = by_rate.get(line.tax_rate, (zero, zero))
        by_rate[line.tax_rate] = (net + line.net, tax + line.tax)
    return DocumentTotals(
        subtotal=sum((line.net for line in lines), zero),
        discount=sum((line.discount for line in lines), zero),
        tax=sum((line.tax for line in lines), zero),
        total=sum((line.gross for line in lines), zero),
        tax_by_rate=dict(sorted(by_rate.items())),
    )


def allocate(amount, weights) -> list[Decimal]:
    """Split `amount` over `weights` in proportion, to the cent, adding up exactly.

    Used to spread a whole-cart discount over its lines: each share is rounded
    down, and the cents left over go to the largest remainders.
    """
    amount = to_money(amount)
    weights = [Decimal(w) for w in weights]
    total_weight = sum(weights)
    if amount < 0 or not weights or total_weight <= 0 or min(weights) < 0:
        raise ValueError("Allocate splits an amount of zero or more over weights.")
    unit = cents()
    exact = [amount * w / total_weight for w in weights]
    shares = [(e / unit).to_integral_value(rounding=ROUND_FLOOR) * unit for e in exact]
    leftover = int((amount - sum(shares)) / unit)
    by_remainder = sorted(
        range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True
    )
    for i in by_remainder[:leftover]:
        shares[i] += unit
    return shares
