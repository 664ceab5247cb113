"""Sales totals kept per local day and cashier as sales happen (sales.totals)."""

from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory, TaxRateFactory
from sales import services, totals
from sales.models import DailyTotal, PeriodKind, ProductTotal, Sale
from sales.services import ReturnInput
from sales.tests.factories import make_sale

D = Decimal


@pytest.fixture
def products(manager):
    """A case at 12.00 (cost 4.00) and a charger at 25.00 (cost 10.00), 20% tax
    included, 20 of each in stock."""
    rate = TaxRateFactory(name="Standard", rate=D("20.00"))
    case = ProductFactory(
        name="Clear case", sku="CASE-1", sale_price=D("12.00"),
        cost_price=D("4.00"), tax_rate=rate,
    )  # fmt: skip
    charger = ProductFactory(
        name="USB-C charger", sku="CHG-1", sale_price=D("25.00"),
        cost_price=D("10.00"), tax_rate=rate,
    )  # fmt: skip
    stock.record_opening_stock(
        [stock.StockLine(case, 20), stock.StockLine(charger, 20)], by=manager
    )
    return case, charger


def today_of(cashier):
    return DailyTotal.objects.get(cashier=cashier, day=timezone.localdate())


def figures(row, *names):
    return tuple(getattr(row, name) for name in names)


SOLD = ("sales", "units_sold", "sold_gross", "sold_net", "sold_tax", "sold_cost")
BACK = ("units_returned", "back_gross", "back_net", "back_tax", "back_cost")


def test_sales_add_up_on_their_cashiers_day(cashier, products):
    case, charger = products
    make_sale(cashier, [(case, 2), (charger, 1)])
    make_sale(cashier, [(case, 1)])

    day = today_of(cashier)
    # 36.00 of cases (30.00 + 6.00 tax), a charger 25.00 (20.83 + 4.17).
    assert figures(day, *SOLD) == (2, 4, D("61.00"), D("50.83"), D("10.17"), D("22.00"))
    assert day.sold_discount == D("0.00")
    assert figures(day, *BACK) == (0, D("0.00"), D("0.00"), D("0.00"), D("0.00"))
    assert day.time_zone == timezone.get_current_timezone_name()
    assert totals.kept()
    assert totals.differences() == []


def test_each_cashier_has_a_row_of_their_own(cashier, products):
    case, charger = products
    other = UserFactory(username="bob", role=Role.USER)
    make_sale(cashier, [(case, 1)])
    make_sale(other, [(charger, 2)])

    assert figures(today_of(cashier), "sales", "sold_gross") == (1, D("12.00"))
    assert figures(today_of(other), "sales", "sold_gross") == (1, D("50.00"))
    assert DailyTotal.objects.count() == 2


def test_a_discount_is_counted_as_sold(cashier, products):
    case, _ = products
    cart = services.active_cart(cashier)
    services.open_shift(by=cashier, opening_float="0")
    services.add_to_cart(cart, by=cashier, product=case, quantity=2)
    services.set_cart_discount(cart, by=cashier, kind="amount", value="2.40")
    services.checkout(
        cart, by=cashier, tenders=[services.Tender("cash", "21.60")], token="t-1"
    )

    day = today_of(cashier)
    assert figures(day, "sold_gross", "sold_discount") == (D("21.60"), D("2.40"))
    assert totals.differences() == []


def return_from_an_older_sale(cashier, manager, products, *, days_ago):
    """Sell 2 cases and a charger `days_ago` (moved there as an import would
    write it); today an Admin takes back the charger (restocked) and a case
    (damaged)."""
    case, charger = products
    sale = make_sale(cashier, [(case, 2), (charger, 1)])
    Sale.objects.filter(pk=sale.pk).update(
        created_at=sale.created_at - timedelta(days=days_ago)
    )
    totals.rebuild()
    services.open_shift(by=manager, opening_float="0")
    lines = {line.product_id: line for line in sale.lines.all()}
    services.return_items(
        sale,
        [
            ReturnInput(lines[charger.pk], 1, restock=True),
            ReturnInput(lines[case.pk], 1, restock=False),
        ],
        by=manager,
        approver=manager,
        reason="Changed their mind",
    )


def test_a_return_counts_on_its_day_against_the_cashier_of_the_sale(
    cashier, manager, products
):
    return_from_an_older_sale(cashier, manager, products, days_ago=1)

    back = today_of(cashier)
    assert figures(back, "sales", "units_sold", "sold_gross") == (0, 0, D("0.00"))
    # 25.00 (20.83 + 4.17) and 12.00 (10.00 + 2.00) credited; only the
    # charger's cost goes back on the shelf.
    assert figures(back, *BACK) == (2, D("37.00"), D("30.83"), D("6.17"), D("10.00"))
    yesterday = DailyTotal.objects.get(
        cashier=cashier, day=timezone.localdate() - timedelta(days=1)
    )
    assert figures(yesterday, "sales", "sold_gross", "back_gross") == (
        1, D("49.00"), D("0.00"),
    )  # fmt: skip
    assert not DailyTotal.objects.filter(cashier=manager).exists()
    assert totals.differences() == []


def test_a_void_takes_the_sale_back_out_of_its_day(cashier, manager, products):
    case, charger = products
    make_sale(cashier, [(case, 1)])
    mistake = make_sale(cashier, [(charger, 2)])

    services.void_sale(mistake, by=manager, reason="Rang up twice")

    day = today_of(cashier)
    assert figures(day, *SOLD) == (1, 1, D("12.00"), D("10.00"), D("2.00"), D("4.00"))
    assert totals.differences() == []


def test_a_refused_checkout_adds_nothing(cashier, products):
    case, _ = products
    cart = services.active_cart(cashier)
    services.open_shift(by=cashier, opening_float="0")
    services.add_to_cart(cart, by=cashier, product=case, quantity=1)
    with pytest.raises(Exception, match="still to pay"):
        services.checkout(
            cart, by=cashier, tenders=[services.Tender("cash", "5.00")], token="t"
        )
    assert not DailyTotal.objects.exists()


def test_a_late_sale_counts_on_the_shops_local_day(settings, cashier, products):
    settings.TIME_ZONE = "America/New_York"
    case, _ = products
    sale = make_sale(cashier, [(case, 1)])
    evening = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    Sale.objects.filter(pk=sale.pk).update(created_at=evening)  # 04:30 UTC, 11th

    totals.rebuild()

    row = DailyTotal.objects.get()
    assert (row.day, row.time_zone) == (evening.date(), "America/New_York")


def test_totals_kept_in_another_zone_are_not_read_until_rebuilt(
    settings, cashier, products
):
    case, _ = products
    make_sale(cashier, [(case, 1)])
    assert totals.kept()

    settings.TIME_ZONE = "Pacific/Auckland"

    assert not totals.kept()
    with pytest.raises(CommandError, match="another time zone"):
        call_command("rebuild_sales_totals", check=True, stdout=StringIO())
    out = StringIO()
    call_command("rebuild_sales_totals", stdout=out)
    assert (
        "Sales totals in Pacific/Auckland: 1 days × cashiers, 2 products × "
        "months and years"
    ) in out.getvalue()
    assert totals.kept()
    assert DailyTotal.objects.get().time_zone == "Pacific/Auckland"
    assert totals.differences() == []


def test_the_check_names_a_day_that_does_not_add_up(cashier, products):
    case, _ = products
    make_sale(cashier, [(case, 1)])
    DailyTotal.objects.update(sold_gross=D("11.00"))

    errors = StringIO()
    with pytest.raises(CommandError, match="1 figures differ"):
        call_command("rebuild_sales_totals", check=True, stderr=errors)
    assert (
        f"day {timezone.localdate()} {cashier.pk}: sold_gross kept 11.00, "
        "the sales add up to 12.00"
    ) in errors.getvalue()

    call_command("rebuild_sales_totals", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_sales_totals", check=True, stdout=out)
    assert "agree with the sales" in out.getvalue()
    assert today_of(cashier).sold_gross == D("12.00")


def kept_product(product, kind):
    first = timezone.localdate().replace(day=1)
    if kind == PeriodKind.YEAR:
        first = first.replace(month=1)
    return ProductTotal.objects.get(product=product, kind=kind, period=first)


PRODUCT_SOLD = ("units_sold", "sold_gross", "sold_net", "sold_tax", "sold_cost")


def test_each_product_adds_up_in_its_month_and_its_year(cashier, manager, products):
    case, charger = products
    make_sale(cashier, [(case, 2), (charger, 1)])
    make_sale(cashier, [(case, 1)])
    mistake = make_sale(cashier, [(charger, 3)])
    services.void_sale(mistake, by=manager, reason="Wrong till")

    for kind in (PeriodKind.MONTH, PeriodKind.YEAR):
        assert figures(kept_product(case, kind), *PRODUCT_SOLD) == (
            3, D("36.00"), D("30.00"), D("6.00"), D("12.00"),
        )  # fmt: skip
        assert figures(kept_product(charger, kind), *PRODUCT_SOLD) == (
            1, D("25.00"), D("20.83"), D("4.17"), D("10.00"),
        )  # fmt: skip
    assert ProductTotal.objects.count() == 4
    assert totals.differences() == []


def test_a_return_counts_against_each_product_in_its_month(cashier, manager, products):
    case, charger = products
    return_from_an_older_sale(cashier, manager, products, days_ago=400)

    for kind in (PeriodKind.MONTH, PeriodKind.YEAR):
        charger_back = kept_product(charger, kind)
        assert figures(charger_back, *BACK) == (
            1, D("25.00"), D("20.83"), D("4.17"), D("10.00"),
        )  # fmt: skip
        assert charger_back.units_sold == 0
        assert figures(kept_product(case, kind), *BACK) == (
            1, D("12.00"), D("10.00"), D("2.00"), D("0.00"),
        )  # fmt: skip
    sold_then = ProductTotal.objects.filter(
        product=case, period__lt=timezone.localdate().replace(month=1, day=1)
    )
    assert [row.units_sold for row in sold_then] == [2, 2]  # its month and year
    assert totals.differences() == []
