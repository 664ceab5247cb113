"""Pricing a cart: what the till shows and what checkout charges, computed once.

Prices come from the products on the server. Line discounts come off each line,
then a cart discount is spread over the lines in proportion to what is left of
them, so every line carries its whole discount and the receipt, the invoice and
the reports agree to the cent.
"""

from dataclasses import dataclass
from decimal import Decimal

from pos_project.money import (
    HUNDRED,
    ZERO,
    DocumentTotals,
    LineTotals,
    allocate,
    document_totals,
    to_money,
)
from pos_project.money import line_totals as price_line

from .models import DiscountKind


def discount_amount(kind, value, amount):
    """The money a percent or amount discount takes off `amount` (never more)."""
    value = Decimal(value)
    if kind == DiscountKind.PERCENT:
        return min(to_money(amount * value / HUNDRED), amount)
    return min(to_money(value), amount)


@dataclass(frozen=True)
class PricedLine:
    line: object  # CartLine
    unit_price: Decimal
    line_discount: Decimal
    cart_discount: Decimal
    totals: LineTotals


@dataclass(frozen=True)
class PricedCart:
    lines: list
    totals: DocumentTotals
    amount: Decimal  # before any discount
    discount_percent: Decimal  # all discounts as a share of the amount

    @property
    def is_empty(self):
        return not self.lines


def price_cart(cart, lines, *, prices_include_tax: bool) -> PricedCart:
    """Price `lines` (CartLines with their products) under `cart`'s discount."""
    amounts, line_discounts = [], []
    for line in lines:
        amount = to_money(line.quantity * line.product.sale_price)
        amounts.append(amount)
        line_discounts.append(
            discount_amount(line.discount_kind, line.discount_value, amount)
        )
    remaining = [a - d for a, d in zip(amounts, line_discounts, strict=True)]
    cart_discount = discount_amount(
        cart.discount_kind, cart.discount_value, sum(remaining)
    )
    shares = (
        allocate(cart_discount, remaining)
        if cart_discount and sum(remaining) > 0
        else [ZERO] * len(lines)
    )
    priced = [
        PricedLine(
            line=line,
            unit_price=line.product.sale_price,
            line_discount=line_discount,
            cart_discount=share,
            totals=price_line(
                line.quantity,
                line.product.sale_price,
                line.product.tax_rate.rate,
                discount=line_discount + share,
                prices_include_tax=prices_include_tax,
            ),
        )
        for line, line_discount, share in zip(
            lines, line_discounts, shares, strict=True
        )
    ]
    amount = sum(amounts, ZERO)
    discount = sum(line_discounts, ZERO) + cart_discount
    percent = (
        (discount * HUNDRED / amount).quantize(Decimal("0.01"))
        if amount
        else Decimal("0")
    )
    return PricedCart(
        lines=priced,
        totals=document_totals([p.totals for p in priced]),
        amount=amount,
        discount_percent=percent,
    )
