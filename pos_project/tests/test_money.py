from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from pos_project.money import (
    allocate,
    document_totals,
    format_money,
    line_totals,
    to_money,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1.005", Decimal("1.01")),
        ("1.004", Decimal("1.00")),
        ("-1.005", Decimal("-1.01")),
        ("2.5", Decimal("2.50")),
        (3, Decimal("3.00")),
        (Decimal("0.125"), Decimal("0.13")),
    ],
)
def test_to_money_rounds_half_up_to_cents(value, expected):
    assert to_money(value) == expected
    assert to_money(value).as_tuple().exponent == -2


def test_to_money_refuses_floats():
    with pytest.raises(TypeError):
        to_money(0.1)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", None])
def test_to_money_refuses_what_is_not_an_amount(value):
    with pytest.raises(ValueError):
        to_money(value)


def test_currency_places_follow_the_settings(settings):
    settings.CURRENCY_DECIMAL_PLACES = 0
    settings.CURRENCY_SYMBOL = "¥"
    assert to_money("1234.5") == Decimal("1235")
    assert format_money("1234.5") == "¥1,235"


def test_format_money_groups_thousands_and_puts_the_sign_first():
    assert format_money(Decimal("1234567.891")) == "$1,234,567.89"
    assert format_money("-12.5") == "-$12.50"
    assert format_money("7", symbol=False) == "7.00"


def test_money_filter_is_available_in_every_template():
    rendered = Template("{{ amount|money }}|{{ missing|money }}").render(
        Context({"amount": Decimal("19.9"), "missing": None})
    )
    assert rendered == "$19.90|"


# Document arithmetic.

RATES = [Decimal("0"), Decimal("5"), Decimal("12.5"), Decimal("20"), Decimal("21")]


def test_tax_is_added_to_net_prices():
    line = line_totals(2, "10.00", "20", prices_include_tax=False)
    assert (line.net, line.tax, line.gross) == (
        Decimal("20.00"),
        Decimal("4.00"),
        Decimal("24.00"),
    )


def test_tax_is_taken_out_of_prices_that_include_it():
    line = line_totals(1, "12.00", "20", prices_include_tax=True)
    assert (line.net, line.tax, line.gross) == (
        Decimal("10.00"),
        Decimal("2.00"),
        Decimal("12.00"),
    )


def test_a_line_is_rounded_half_up_once_at_each_rounding_point():
    # 3 x 0.335 = 1.005 -> 1.01; tax 20% of 1.01 = 0.202 -> 0.20.
    line = line_totals(3, "0.335", "20", prices_include_tax=False)
    assert (line.amount, line.tax, line.gross) == (
        Decimal("1.01"),
        Decimal("0.20"),
        Decimal("1.21"),
    )


def test_a_discount_comes_off_before_tax():
    line = line_totals(1, "100.00", "20", discount="10.00", prices_include_tax=False)
    assert (line.net, line.tax, line.gross) == (
        Decimal("90.00"),
        Decimal("18.00"),
        Decimal("108.00"),
    )


@pytest.mark.parametrize("discount", ["-1.00", "100.01"])
def test_a_discount_cannot_be_negative_or_exceed_the_line(discount):
    with pytest.raises(ValueError):
        line_totals(1, "100.00", "20", discount=discount, prices_include_tax=True)


def test_document_totals_break_tax_down_by_rate():
    lines = [
        line_totals(1, "12.00", "20", prices_include_tax=True),
        line_totals(2, "10.50", "5", prices_include_tax=True),
        line_totals(1, "6.00", "20", prices_include_tax=True),
    ]
    totals = document_totals(lines)
    assert totals.total == Decimal("39.00")
    assert totals.tax_by_rate == {
        Decimal("5"): (Decimal("20.00"), Decimal("1.00")),
        Decimal("20"): (Decimal("15.00"), Decimal("3.00")),
    }


def test_allocate_splits_a_cart_discount_to_the_cent():
    assert allocate("10.00", ["1", "1", "1"]) == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    assert allocate("0.05", ["70.00", "30.00"]) == [Decimal("0.04"), Decimal("0.01")]


amounts = st.decimals(min_value="0", max_value="9999.99", places=2)
quantities = st.integers(min_value=1, max_value=50)
lines_strategy = st.lists(
    st.tuples(quantities, amounts, st.sampled_from(RATES), st.floats(0, 1)),
    min_size=1,
    max_size=12,
)


def _line(quantity, price, rate, discount_share, include):
    amount = to_money(quantity * price)
    discount = to_money(amount * Decimal(str(round(discount_share, 4))))
    return line_totals(
        quantity, price, rate, discount=discount, prices_include_tax=include
    )


@given(lines_strategy, st.booleans())
def test_every_document_equals_the_sum_of_its_lines_to_the_cent(raw, include):
    lines = [_line(*values, include) for values in raw]
    totals = document_totals(lines)
    assert totals.total == sum(line.gross for line in lines)
    assert totals.tax == sum(line.tax for line in lines)
    assert totals.subtotal + totals.tax == totals.total
    assert sum(net for net, _ in totals.tax_by_rate.values()) == totals.subtotal
    for line in lines:
        assert line.net + line.tax == line.gross
        assert line.amount - line.discount == (line.gross if include else line.net)
    for figure in [totals.total, totals.tax, totals.subtotal, totals.discount]:
        assert figure.as_tuple().exponent == -2


@given(amounts, st.lists(amounts.filter(lambda a: a > 0), min_size=1, max_size=10))
def test_allocated_shares_always_add_up_to_the_amount(amount, weights):
    shares = allocate(amount, weights)
    assert sum(shares) == amount
    assert all(share >= 0 and share.as_tuple().exponent == -2 for share in shares)
