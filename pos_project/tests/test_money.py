from decimal import Decimal

import pytest
from django.template import Context, Template

from pos_project.money import format_money, to_money


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
