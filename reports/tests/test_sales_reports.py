"""The sales and tax reports, figure by figure, on a small shop's March.

The shop (prices include tax) sells a case and a charger at 20% tax and
earbuds at 5%, in two categories, at two tills:

    27 Feb  S5  Bob    2 chargers                       cash 50.00
     2 Mar  S1  Chloe  2 cases (10% off), 1 charger     card 30.00 + cash 16.60
     3 Mar  S2  Bob    1 earbuds, 1 case, 5.00 off all  card 49.00
    10 Mar  S3  Chloe  3 earbuds                        card 126.00
    10 Mar  S4  Chloe  1 charger, voided                cash 25.00, refunded
    11 Mar  R1  1 charger of S5 back on the shelf       cash 25.00 refunded
    12 Mar  R2  1 earbuds of S3, damaged                card 42.00 refunded
    15 Mar  a manual invoice of 100.00 at 20%; a draft and a void one

The lines as sold (gross = net + tax, discounts included):

    S1  cases    21.60 = 18.00 + 3.60, off 2.40, cost 2 × 4.00
        charger  25.00 = 20.83 + 4.17,           cost 10.00
    S2  earbuds  38.11 = 36.30 + 1.81, off 3.89, cost 21.00
        case     10.89 =  9.07 + 1.82, off 1.11, cost 4.00
    S3  earbuds 126.00 = 120.00 + 6.00,          cost 3 × 21.00
    S5  chargers 50.00 = 41.67 + 8.33,           cost 2 × 10.00
    R1  charger  25.00 = 20.83 + 4.17 credited, 10.00 of cost back on the shelf
    R2  earbuds  42.00 = 40.00 + 2.00 credited, damaged: its cost stays
"""

import random
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.db.models import Max, Sum
from django.http import QueryDict
from django.utils import timezone

import reports.sales  # noqa: F401 (registers the reports)
from accounts.models import Role, ShopSettings, User
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.models import Product
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ServiceFactory,
    TaxRateFactory,
)
from invoices import services as billing
from invoices.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from invoices.tests.factories import line, make_invoice
from reports.base import REPORTS
from reports.filters import filterset_for
from sales import services, totals
from sales.models import (
    DailyTotal,
    ProductTotal,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
    SaleStatus,
)
from sales.pricing import price_cart
from sales.services import ReturnInput, Tender

D = Decimal


def moment(text):
    """An aware datetime in the shop's time zone: moment("2026-03-02 10:00")."""
    return timezone.make_aware(datetime.fromisoformat(text))


@contextmanager
def dated(when):
    """What is made inside happened at `when`: sales, returns, invoices, payments."""
    models = (Sale, Return, Invoice, Payment)
    last = {m: m.objects.aggregate(last=Max("pk"))["last"] or 0 for m in models}
    yield
    # The totals the services kept as they went agree with the sales (unless
    # the test moved the shop to another time zone)...
    assert not totals.kept() or totals.differences() == []
    Sale.objects.filter(pk__gt=last[Sale]).update(created_at=when)
    Return.objects.filter(pk__gt=last[Return]).update(created_at=when)
    Invoice.objects.filter(pk__gt=last[Invoice]).update(created_at=when)
    Invoice.objects.filter(pk__gt=last[Invoice], issue_date__isnull=False).update(
        issue_date=timezone.localdate(when)
    )
    Payment.objects.filter(pk__gt=last[Payment]).update(received_at=when)
    # ... and, the sales moved as an import would write them, are made again.
    totals.rebuild()


def sell(cashier, items, *, tenders, line_discounts=None, cart_discount=None):
    """Check out [(product, quantity)] at `cashier`'s till, as a cashier does.

    `line_discounts` {product: percent}; `cart_discount` an amount off it all.
    """
    if services.current_shift(cashier) is None:
        services.open_shift(by=cashier, opening_float="50.00")
    cart = services.active_cart(cashier)
    for product, quantity in items:
        services.add_to_cart(cart, by=cashier, product=product, quantity=quantity)
    for cart_line in cart.lines.all():
        percent = (line_discounts or {}).get(cart_line.product)
        if percent:
            services.set_line_discount(
                cart, cart_line.pk, by=cashier, kind="percent", value=percent
            )
    if cart_discount:
        services.set_cart_discount(cart, by=cashier, kind="amount", value=cart_discount)
    return services.checkout(
        cart,
        by=cashier,
        tenders=[Tender(method, amount) for method, amount in tenders],
        token=uuid.uuid4().hex,
    )


def give_back(sale, product, quantity, *, by, approver, restock=True, method=None):
    sale_line = sale.lines.get(product=product)
    return services.return_items(
        sale,
        [ReturnInput(sale_line, quantity, restock=restock)],
        by=by,
        approver=approver,
        reason="Changed their mind" if restock else "Broken in the box",
        refund_method=method or services.REFUND_TO_ORIGINAL,
    )


SALES_REPORTS = {
    "sales-by-period", "sales-by-product", "sales-by-category", "sales-by-cashier",
    "top-products", "slow-movers", "sales-by-method", "tax-by-rate",
}  # fmt: skip


def run(slug, start="2026-03-01", end="2026-03-31", **filters):
    """(rows, totals) of a report as its page computes them."""
    report = REPORTS[slug]
    query = QueryDict(mutable=True)
    query.update({"period": "custom", "start": start, "end": end})
    for key, value in filters.items():
        query[key] = str(getattr(value, "pk", value))
    filterset = filterset_for(report, query)
    assert filterset.is_valid(), filterset.errors
    params = filterset.params()
    rows = report.rows(filterset.qs, params)
    return list(rows), report.totals(filterset.qs, params)


def by(rows, key):
    return {row[key]: row for row in rows}


def pct(value):
    return None if value is None else round(value, 4)


@pytest.fixture
def march(db):
    """The shop's March (see the module docstring)."""
    shop = ShopSettings.load()
    assert shop.prices_include_tax
    manager = UserFactory(username="boss", first_name="Mara", role=Role.ADMIN)
    chloe = UserFactory(username="chloe", first_name="Chloe", last_name="Till")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Counter")
    standard = TaxRateFactory(name="Standard", rate=D("20.00"))
    reduced = TaxRateFactory(name="Reduced", rate=D("5.00"))
    accessories = CategoryFactory(name="Accessories")
    audio = CategoryFactory(name="Audio")

    def product(name, sku, price, cost, rate, category, **extra):
        return ProductFactory(
            name=name,
            sku=sku,
            sale_price=D(price),
            cost_price=D(cost),
            tax_rate=rate,
            category=category,
            **extra,
        )

    case = product("Clear case", "CASE-1", "12.00", "4.00", standard, accessories)
    charger = product("USB-C charger", "CHG-1", "25.00", "10.00", standard, accessories)
    earbuds = product("Earbuds", "EAR-1", "42.00", "21.00", reduced, audio)
    cable = product("Braided cable", "CAB-1", "9.00", "2.50", standard, accessories)
    old = product("Old phone", "OLD-1", "99.00", "50.00", standard, accessories)
    labour = ServiceFactory(name="Labour", sku="LAB-1", tax_rate=standard)
    stock.record_opening_stock(
        [
            stock.StockLine(case, 20),
            stock.StockLine(charger, 20),
            stock.StockLine(earbuds, 20),
            stock.StockLine(cable, 10),
            stock.StockLine(old, 5),
        ],
        by=manager,
    )
    stock.set_product_active(old, by=manager, active=False)

    with dated(moment("2026-02-27 10:00")):
        s5 = sell(bob, [(charger, 2)], tenders=[("cash", "50.00")])
    with dated(moment("2026-03-02 10:00")):
        s1 = sell(
            chloe,
            [(case, 2), (charger, 1)],
            line_discounts={case: "10"},
            tenders=[("card", "30.00"), ("cash", "16.60")],
        )
    with dated(moment("2026-03-03 15:30")):
        s2 = sell(
            bob,
            [(earbuds, 1), (case, 1)],
            cart_discount="5.00",
            tenders=[("card", "49.00")],
        )
    with dated(moment("2026-03-10 11:00")):
        s3 = sell(chloe, [(earbuds, 3)], tenders=[("card", "126.00")])
    with dated(moment("2026-03-10 11:05")):
        s4 = sell(chloe, [(charger, 1)], tenders=[("cash", "25.00")])
        services.void_sale(s4, by=manager, reason="Rang up twice")
    with dated(moment("2026-03-11 09:00")):
        r1 = give_back(s5, charger, 1, by=chloe, approver=manager)
    with dated(moment("2026-03-12 16:00")):
        r2 = give_back(s3, earbuds, 1, by=chloe, approver=manager, restock=False)
    with dated(moment("2026-03-15 14:00")):
        make_invoice(by=manager, lines=[line("Screen repair", 1, "100.00", "20.00")])
        make_invoice(by=manager, lines=[line("Quote", 1, "50.00")], issue=False)
        mistake = make_invoice(by=manager, lines=[line("Wrong", 1, "30.00")])
        billing.void_invoice(mistake, by=manager, reason="Wrong customer")
    # Costs change later; what was sold keeps the cost it had.
    Product.objects.filter(pk=case.pk).update(cost_price=D("5.00"))
    return SimpleNamespace(**locals())


# The data set itself, as the reports read it.


def test_each_sale_line_keeps_the_cost_price_it_was_sold_at(march):
    assert march.s1.lines.get(product=march.case).unit_cost == D("4.00")
    assert march.s2.lines.get(product=march.earbuds).unit_cost == D("21.00")
    assert Sale.objects.get(pk=march.s4.pk).status == SaleStatus.VOIDED
    assert [r.total for r in (march.r1, march.r2)] == [D("25.00"), D("42.00")]


# Sales by day, week or month.

FIGURES = (
    "sales",
    "gross_sales",
    "discounts",
    "returns",
    "net_sales",
    "tax_collected",
    "net_ex_tax",
    "cost",
    "margin",
)
NOTHING = (0, *[D("0.00")] * 8)


def figures(row, keys=FIGURES):
    return tuple(row[key] for key in keys)


def test_sales_by_period_shows_each_days_sales_and_returns(march):
    rows, _ = run("sales-by-period", group_by="day")
    days = by(rows, "period")
    assert list(days) == [date(2026, 3, 1) + timedelta(n) for n in range(31)]
    # sales, gross, discounts, returns, net, tax, net ex tax, cost, margin
    assert figures(days[date(2026, 3, 2)]) == (
        1, D("46.60"), D("2.40"), D("0.00"), D("46.60"),
        D("7.77"), D("38.83"), D("18.00"), D("20.83"),
    )  # fmt: skip
    assert figures(days[date(2026, 3, 3)]) == (
        1, D("49.00"), D("5.00"), D("0.00"), D("49.00"),
        D("3.63"), D("45.37"), D("25.00"), D("20.37"),
    )  # fmt: skip
    # S4 that day was voided: only S3 counts.
    assert figures(days[date(2026, 3, 10)]) == (
        1, D("126.00"), D("0.00"), D("0.00"), D("126.00"),
        D("6.00"), D("120.00"), D("63.00"), D("57.00"),
    )  # fmt: skip
    # A February sale's return counts on the day it came back; its charger
    # went back on the shelf, so its cost comes off.
    assert figures(days[date(2026, 3, 11)]) == (
        0, D("0.00"), D("0.00"), D("25.00"), D("-25.00"),
        D("-4.17"), D("-20.83"), D("-10.00"), D("-10.83"),
    )  # fmt: skip
    # Damaged earbuds: the money goes back, the cost stays.
    assert figures(days[date(2026, 3, 12)]) == (
        0, D("0.00"), D("0.00"), D("42.00"), D("-42.00"),
        D("-2.00"), D("-40.00"), D("0.00"), D("-40.00"),
    )  # fmt: skip
    assert pct(days[date(2026, 3, 2)]["margin_pct"]) == 0.5364
    assert pct(days[date(2026, 3, 10)]["margin_pct"]) == 0.475
    quiet = [d for d in days if d.day not in (2, 3, 10, 11, 12)]
    assert all(figures(days[d]) == NOTHING for d in quiet)
    assert all(days[d]["margin_pct"] is None for d in quiet)


def test_sales_by_period_totals_are_the_months_figures(march):
    _, totals = run("sales-by-period")
    assert figures(totals) == (
        3, D("221.60"), D("7.40"), D("67.00"), D("154.60"),
        D("11.23"), D("143.37"), D("96.00"), D("47.37"),
    )  # fmt: skip
    assert pct(totals["margin_pct"]) == 0.3304  # 47.37 / 143.37
    # Gross is the total of the completed sales; net is net ex tax plus tax.
    assert totals["gross_sales"] == sum(s.total for s in (march.s1, march.s2, march.s3))
    assert totals["net_sales"] == totals["net_ex_tax"] + totals["tax_collected"]


def test_sales_by_week_puts_returns_in_the_week_they_came_back(march):
    rows, _ = run("sales-by-period", group_by="week")
    weeks = by(rows, "period")
    mondays = [date(2026, 2, 23) + timedelta(weeks=n) for n in range(6)]
    assert list(weeks) == mondays
    # The week of 23 Feb starts the range (1 Mar is a Sunday); S5 on 27 Feb
    # is in that week but before the period.
    assert figures(weeks[date(2026, 2, 23)]) == NOTHING
    assert figures(weeks[date(2026, 3, 2)]) == (
        2, D("95.60"), D("7.40"), D("0.00"), D("95.60"),
        D("11.40"), D("84.20"), D("43.00"), D("41.20"),
    )  # fmt: skip
    assert figures(weeks[date(2026, 3, 9)]) == (
        1, D("126.00"), D("0.00"), D("67.00"), D("59.00"),
        D("-0.17"), D("59.17"), D("53.00"), D("6.17"),
    )  # fmt: skip
    assert all(figures(weeks[m]) == NOTHING for m in mondays[3:])


def test_sales_by_month_separates_a_sale_from_its_later_return(march):
    rows, totals = run("sales-by-period", start="2026-02-01", group_by="month")
    months = by(rows, "period")
    assert list(months) == [date(2026, 2, 1), date(2026, 3, 1)]
    assert figures(months[date(2026, 2, 1)]) == (
        1, D("50.00"), D("0.00"), D("0.00"), D("50.00"),
        D("8.33"), D("41.67"), D("20.00"), D("21.67"),
    )  # fmt: skip
    assert figures(months[date(2026, 3, 1)]) == (
        3, D("221.60"), D("7.40"), D("67.00"), D("154.60"),
        D("11.23"), D("143.37"), D("96.00"), D("47.37"),
    )  # fmt: skip
    assert figures(totals) == (
        4, D("271.60"), D("7.40"), D("67.00"), D("204.60"),
        D("19.56"), D("185.04"), D("116.00"), D("69.04"),
    )  # fmt: skip


def test_sales_by_period_counts_returns_against_the_cashier_who_made_the_sale(march):
    # Chloe took the charger back, but Bob sold it.
    _, bob = run("sales-by-period", cashier=march.bob)
    assert figures(bob) == (
        1, D("49.00"), D("5.00"), D("25.00"), D("24.00"),
        D("-0.54"), D("24.54"), D("15.00"), D("9.54"),
    )  # fmt: skip
    rows, chloe = run("sales-by-period", cashier=march.chloe)
    assert figures(chloe) == (
        2, D("172.60"), D("2.40"), D("42.00"), D("130.60"),
        D("11.77"), D("118.83"), D("81.00"), D("37.83"),
    )  # fmt: skip
    assert by(rows, "period")[date(2026, 3, 11)]["returns"] == D("0.00")


def test_sales_by_period_filters_by_category(march):
    _, accessories = run("sales-by-period", category=march.accessories)
    assert figures(accessories) == (
        2, D("57.49"), D("3.51"), D("25.00"), D("32.49"),
        D("5.42"), D("27.07"), D("12.00"), D("15.07"),
    )  # fmt: skip
    rows, audio = run("sales-by-period", category=march.audio)
    assert figures(audio) == (
        2, D("164.11"), D("3.89"), D("42.00"), D("122.11"),
        D("5.81"), D("116.30"), D("84.00"), D("32.30"),
    )  # fmt: skip
    days = by(rows, "period")
    assert figures(days[date(2026, 3, 11)]) == NOTHING  # a charger came back
    assert days[date(2026, 3, 12)]["returns"] == D("42.00")


def test_sales_by_period_filters_by_product_sku_or_name(march):
    _, by_sku = run("sales-by-period", product="ear-1")
    _, audio = run("sales-by-period", category=march.audio)
    assert by_sku == audio
    _, charger = run("sales-by-period", product="charger")
    assert figures(charger) == (
        1, D("25.00"), D("0.00"), D("25.00"), D("0.00"),
        D("0.00"), D("0.00"), D("0.00"), D("0.00"),
    )  # fmt: skip
    assert charger["margin_pct"] is None


def test_a_period_without_sales_lists_its_days_with_zeros(march):
    rows, totals = run("sales-by-period", start="2026-04-01", end="2026-04-03")
    assert [row["period"] for row in rows] == [
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
    ]
    assert all(figures(row) == NOTHING for row in rows)
    assert figures(totals) == NOTHING
    assert totals["margin_pct"] is None
    for slug in ("sales-by-product", "sales-by-category", "sales-by-cashier"):
        rows, totals = run(slug, start="2026-04-01", end="2026-04-03")
        assert rows == []
        assert totals["gross_sales"] == D("0.00")
    assert run("top-products", start="2026-04-01", end="2026-04-03") == ([], {})
    assert run("sales-by-method", start="2026-04-01", end="2026-04-03")[0] == []
    assert run("tax-by-rate", start="2026-04-01", end="2026-04-03")[0] == []


def test_the_period_ends_at_midnight_after_its_last_day(march):
    with dated(moment("2026-03-31 23:59:59")):
        sell(march.chloe, [(march.case, 1)], tenders=[("cash", "12.00")])
    with dated(moment("2026-04-01 00:00")):
        sell(march.chloe, [(march.case, 2)], tenders=[("cash", "24.00")])
    assert run("sales-by-period")[1]["gross_sales"] == D("233.60")
    rows, totals = run("sales-by-period", start="2026-04-01", end="2026-04-01")
    assert [row["gross_sales"] for row in rows] == [D("24.00")]
    assert totals["gross_sales"] == D("24.00")


def test_days_are_the_shops_local_days(march, settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in March
    with dated(datetime(2026, 3, 31, 12, 0, tzinfo=UTC)):  # 1 Apr, 01:00
        sell(march.chloe, [(march.case, 1)], tenders=[("cash", "12.00")])
    rows, totals = run("sales-by-period", start="2026-04-01", end="2026-04-01")
    assert [(row["period"], row["gross_sales"]) for row in rows] == [
        (date(2026, 4, 1), D("12.00"))
    ]
    assert totals["sales"] == 1
    assert run("sales-by-product", start="2026-04-01", end="2026-04-01")[1][
        "gross_sales"
    ] == D("12.00")


# Sales by product, category and cashier; top products; slow movers.

PER_LINE = (
    "sold",
    "returned",
    "gross_sales",
    "discounts",
    "returns",
    "net_ex_tax",
    "tax_collected",
    "cost",
    "margin",
)


def test_sales_by_product_shows_each_products_sales_returns_and_margin(march):
    rows, totals = run("sales-by-product")
    assert [(r["product_name"], r["product_sku"]) for r in rows] == [
        ("Earbuds", "EAR-1"),
        ("Clear case", "CASE-1"),
        ("USB-C charger", "CHG-1"),
    ]
    earbuds, case, charger = rows
    # sold, returned, gross, discounts, returns, net ex tax, tax, cost, margin
    assert figures(earbuds, PER_LINE) == (
        4, 1, D("164.11"), D("3.89"), D("42.00"),
        D("116.30"), D("5.81"), D("84.00"), D("32.30"),
    )  # fmt: skip
    # Sold at a cost of 4.00; the cost price is 5.00 now.
    assert figures(case, PER_LINE) == (
        3, 0, D("32.49"), D("3.51"), D("0.00"),
        D("27.07"), D("5.42"), D("12.00"), D("15.07"),
    )  # fmt: skip
    assert figures(charger, PER_LINE) == (
        1, 1, D("25.00"), D("0.00"), D("25.00"),
        D("0.00"), D("0.00"), D("0.00"), D("0.00"),
    )  # fmt: skip
    assert [pct(r["margin_pct"]) for r in rows] == [0.2777, 0.5567, None]
    assert figures(totals, PER_LINE) == (
        8, 2, D("221.60"), D("7.40"), D("67.00"),
        D("143.37"), D("11.23"), D("96.00"), D("47.37"),
    )  # fmt: skip
    assert pct(totals["margin_pct"]) == 0.3304


def test_sales_by_product_of_a_cashier_lists_returns_of_their_earlier_sales(march):
    rows, _ = run("sales-by-product", cashier=march.bob)
    assert [(r["product_name"], *figures(r, PER_LINE)) for r in rows] == [
        ("Earbuds", 1, 0, D("38.11"), D("3.89"), D("0.00"),
         D("36.30"), D("1.81"), D("21.00"), D("15.30")),
        ("Clear case", 1, 0, D("10.89"), D("1.11"), D("0.00"),
         D("9.07"), D("1.82"), D("4.00"), D("5.07")),
        ("USB-C charger", 0, 1, D("0.00"), D("0.00"), D("25.00"),
         D("-20.83"), D("-4.17"), D("-10.00"), D("-10.83")),
    ]  # fmt: skip


def test_sales_by_product_filters_by_category_and_product(march):
    rows, _ = run("sales-by-product", category=march.accessories)
    assert [r["product_name"] for r in rows] == ["Clear case", "USB-C charger"]
    rows, totals = run("sales-by-product", product="CASE-1")
    assert [r["product_name"] for r in rows] == ["Clear case"]
    assert totals["gross_sales"] == D("32.49")


def test_sales_by_category_adds_up_its_products(march):
    rows, totals = run("sales-by-category")
    assert [(r["category_name"], *figures(r, PER_LINE)) for r in rows] == [
        ("Audio", 4, 1, D("164.11"), D("3.89"), D("42.00"),
         D("116.30"), D("5.81"), D("84.00"), D("32.30")),
        ("Accessories", 4, 1, D("57.49"), D("3.51"), D("25.00"),
         D("27.07"), D("5.42"), D("12.00"), D("15.07")),
    ]  # fmt: skip
    assert totals["margin"] == D("47.37")
    rows, _ = run("sales-by-category", cashier=march.bob)
    assert [(r["category_name"], r["net_ex_tax"]) for r in rows] == [
        ("Audio", D("36.30")),
        ("Accessories", D("-11.76")),  # 9.07 sold, 20.83 returned
    ]


def test_a_product_without_a_category_is_listed_as_such(march):
    Product.objects.filter(pk=march.earbuds.pk).update(category=None)
    rows, _ = run("sales-by-category")
    assert [r["category_name"] for r in rows] == ["No category", "Accessories"]


def test_sales_by_cashier_shows_what_each_sold_and_what_came_back_of_it(march):
    rows, totals = run("sales-by-cashier")
    assert [(r["cashier"], *figures(r)) for r in rows] == [
        ("Chloe Till", 2, D("172.60"), D("2.40"), D("42.00"), D("130.60"),
         D("11.77"), D("118.83"), D("81.00"), D("37.83")),
        ("Bob Counter", 1, D("49.00"), D("5.00"), D("25.00"), D("24.00"),
         D("-0.54"), D("24.54"), D("15.00"), D("9.54")),
    ]  # fmt: skip
    assert figures(totals) == (
        3, D("221.60"), D("7.40"), D("67.00"), D("154.60"),
        D("11.23"), D("143.37"), D("96.00"), D("47.37"),
    )  # fmt: skip
    rows, _ = run("sales-by-cashier", category=march.audio)
    assert [(r["cashier"], r["sales"], r["net_sales"]) for r in rows] == [
        ("Chloe Till", 1, D("84.00")),
        ("Bob Counter", 1, D("38.11")),
    ]


def test_a_cashier_without_a_name_is_shown_by_username(march):
    type(march.bob).objects.filter(pk=march.bob.pk).update(first_name="", last_name="")
    rows, _ = run("sales-by-cashier")
    assert [r["cashier"] for r in rows] == ["Chloe Till", "bob"]


def test_top_products_ranks_by_net_sales_with_their_share(march):
    rows, totals = run("top-products")
    assert [
        (r["product_name"], r["units"], r["net_ex_tax"], pct(r["share"])) for r in rows
    ] == [
        ("Earbuds", 3, D("116.30"), 0.8112),  # 116.30 / 143.37
        ("Clear case", 3, D("27.07"), 0.1888),
        ("USB-C charger", 0, D("0.00"), 0.0),
    ]
    assert totals == {}
    rows, _ = run("top-products", category=march.accessories, cashier=march.chloe)
    assert [(r["product_name"], pct(r["share"])) for r in rows] == [
        ("USB-C charger", 0.5364),  # 20.83 of Chloe's 38.83 in accessories
        ("Clear case", 0.4636),
    ]


def test_top_products_lists_fifty_pages_them_and_charts_fifteen(db):
    shop = ShopSettings.load()
    boss = UserFactory(username="boss", role=Role.ADMIN)
    products = [
        ProductFactory(name=f"Item {n:02d}", sale_price=D(n)) for n in range(1, 56)
    ]
    stock.record_opening_stock([stock.StockLine(p, 1) for p in products], by=boss)
    with dated(moment("2026-03-05 12:00")):
        sell(boss, [(p, 1) for p in products], tenders=[("cash", "1540.00")])
    assert shop.prices_include_tax
    report = REPORTS["top-products"]
    query = QueryDict("period=custom&start=2026-03-01&end=2026-03-31")
    filterset = filterset_for(report, query)
    rows = report.rows(filterset.qs, filterset.params())
    assert rows.count() == 50
    names = [row["product_name"] for row in rows]
    assert names[0] == "Item 55" and names[-1] == "Item 06"
    pages = Paginator(rows, 20)
    assert pages.num_pages == 3
    assert [r["product_name"] for r in pages.page(3)] == names[40:]
    assert len(report.chart_rows(rows)) == 15


def test_slow_movers_lists_stocked_products_least_sold_first(march):
    rows, totals = run("slow-movers")
    assert [
        (r["product_name"], r["units"], r["stock_on_hand"], r["stock_value"],
         r["last_sold"]) for r in rows
    ] == [
        ("Braided cable", 0, 10, D("25.00"), None),
        # Sold 1 and got 1 back; the voided sale on 10 March does not count.
        ("USB-C charger", 0, 18, D("180.00"), date(2026, 3, 2)),
        ("Clear case", 3, 17, D("85.00"), date(2026, 3, 3)),  # at 5.00 now
        ("Earbuds", 3, 16, D("336.00"), date(2026, 3, 10)),
    ]  # fmt: skip
    assert totals == {"units": 6, "stock_on_hand": 61, "stock_value": D("626.00")}
    assert [r["category_name"] for r in rows] == ["Accessories"] * 3 + ["Audio"]


def test_slow_movers_of_another_period_and_category(march):
    rows, totals = run("slow-movers", start="2026-02-01", end="2026-02-28")
    assert [(r["product_name"], r["units"]) for r in rows] == [
        ("Braided cable", 0),  # never sold
        ("Clear case", 0),  # last sold 3 March
        ("Earbuds", 0),  # last sold 10 March
        ("USB-C charger", 2),
    ]
    assert totals["units"] == 2
    rows, totals = run("slow-movers", category=march.audio)
    assert [r["product_name"] for r in rows] == ["Earbuds"]
    assert totals == {"units": 3, "stock_on_hand": 16, "stock_value": D("336.00")}


# Sales by payment method.

METHOD = ("method_name", "payment_count", "received", "refund_count", "refunded",
          "net_received")  # fmt: skip


def test_sales_by_method_shows_money_taken_and_given_back(march):
    rows, totals = run("sales-by-method")
    # The voided sale's cash and its refund are left out; February's sale is
    # too, but its refund on 11 March is in.
    assert [figures(r, METHOD) for r in rows] == [
        ("Cash", 1, D("16.60"), 1, D("25.00"), D("-8.40")),
        ("Card", 3, D("205.00"), 1, D("42.00"), D("163.00")),
    ]
    assert figures(totals, METHOD[1:]) == (4, D("221.60"), 2, D("67.00"), D("154.60"))


def test_sales_by_method_filters_by_who_handled_the_money_and_method(march):
    rows, _ = run("sales-by-method", cashier=march.bob)
    assert [figures(r, METHOD) for r in rows] == [
        ("Card", 1, D("49.00"), 0, D("0.00"), D("49.00"))
    ]
    rows, _ = run("sales-by-method", cashier=march.chloe)
    assert [figures(r, METHOD) for r in rows] == [
        ("Cash", 1, D("16.60"), 1, D("25.00"), D("-8.40")),
        ("Card", 2, D("156.00"), 1, D("42.00"), D("114.00")),
    ]
    rows, totals = run("sales-by-method", method="card")
    assert [r["method_name"] for r in rows] == ["Card"]
    assert totals["net_received"] == D("163.00")
    rows, _ = run("sales-by-method", start="2026-02-01", end="2026-02-28")
    assert [figures(r, METHOD) for r in rows] == [
        ("Cash", 1, D("50.00"), 0, D("0.00"), D("50.00"))
    ]


def test_sales_by_method_leaves_out_invoice_payments_that_are_not_sales(march):
    repair = make_invoice(by=march.manager, lines=[line("Repair", 1, "80.00")])
    billing.record_payment(repair, by=march.manager, amount="80.00", method="cash")
    Payment.objects.filter(invoice=repair).update(
        received_at=moment("2026-03-20 10:00")
    )
    assert run("sales-by-method")[1]["received"] == D("221.60")


# Tax collected by rate.

TAX = ("rate", "net_ex_tax", "tax_collected", "gross_total")


def test_tax_by_rate_reads_every_issued_invoice_less_credit_notes(march):
    rows, totals = run("tax-by-rate")
    # 20%: S1, S2's case, S4 and its void, R1, the manual invoice; draft and
    # void invoices left out. 5%: S2's and S3's earbuds, R2.
    assert [figures(r, TAX) for r in rows] == [
        (D("5.00"), D("116.30"), D("5.81"), D("122.11")),
        (D("20.00"), D("110.40"), D("22.09"), D("132.49")),
    ]
    assert figures(totals, TAX[1:]) == (D("226.70"), D("27.90"), D("254.60"))
    rows, totals = run("tax-by-rate", start="2026-02-01", end="2026-02-28")
    assert [figures(r, TAX) for r in rows] == [
        (D("20.00"), D("41.67"), D("8.33"), D("50.00"))
    ]


def test_a_credit_note_made_on_an_invoice_is_tax_but_not_a_return(march):
    with dated(moment("2026-03-20 10:00")):
        billing.credit_invoice(
            march.s1.invoice,
            [line("Scratched case", 1, "5.00", "20.00", sku="CASE-1")],
            by=march.manager,
            reason="Goodwill",
        )
    _, tax = run("tax-by-rate")
    assert tax["tax_collected"] == D("27.07")  # 27.90 − 0.83
    assert tax["gross_total"] == D("249.60")
    _, sales = run("sales-by-period")
    assert sales["returns"] == D("67.00")
    assert run("sales-by-product")[1]["returns"] == D("67.00")


# Totals added up from the rows (a page that read them all) are the records'.


def assert_totals_add_up(slug, rows, totals):
    added = REPORTS[slug].totals_of(rows)
    assert added.keys() == totals.keys(), slug
    for key, value in totals.items():
        if isinstance(value, float):
            assert added[key] == pytest.approx(value, rel=1e-9), (slug, key)
        else:
            assert added[key] == value, (slug, key)


ADDING_UP = [slug for slug in sorted(REPORTS) if REPORTS[slug].totals_add_up]


@pytest.mark.parametrize(
    "filters",
    [{}, {"group_by": "week"}, {"start": "2026-02-01"}, {"product": "charger"}],
)
def test_totals_that_add_up_are_the_sums_of_the_rows(march, filters):
    assert {"sales-by-period", "sales-by-product", "sales-by-method"} <= set(ADDING_UP)
    assert "top-products" not in ADDING_UP
    for slug in ADDING_UP:
        if slug in SALES_REPORTS:
            assert_totals_add_up(slug, *run(slug, **filters))
    nothing = run("sales-by-cashier", start="2026-04-01", end="2026-04-03")
    assert_totals_add_up("sales-by-cashier", *nothing)
    assert REPORTS["sales-by-cashier"].totals_of([])["margin_pct"] is None


# Cross-checks on random data: the reports against the documents themselves.


def random_shop(rng, *, prices_include_tax):
    """A random month of trading around March: sales with discounts and split
    tenders, voids, partial returns, manual invoices and credit notes."""
    shop = ShopSettings.load()
    shop.prices_include_tax = prices_include_tax
    shop.save()
    tills = [
        UserFactory(username=f"till{n}", first_name=f"Till {n}", role=Role.ADMIN)
        for n in range(3)
    ]
    rates = [TaxRateFactory(name=f"Rate {r}", rate=D(r)) for r in ("0", "5", "20")]
    categories = [CategoryFactory(name=f"Shelf {n}") for n in range(3)]
    products = [
        ProductFactory(
            sale_price=D(rng.randint(99, 9999)) / 100,
            cost_price=D(rng.randint(10, 5000)) / 100,
            tax_rate=rng.choice(rates),
            category=rng.choice(categories),
        )
        for _ in range(8)
    ]
    stock.record_opening_stock([stock.StockLine(p, 500) for p in products], by=tills[0])
    start = moment("2026-02-20 08:00")
    sales = []
    for _ in range(24):
        when = start + timedelta(minutes=rng.randint(0, 50 * 24 * 60))
        till = rng.choice(tills)
        items = [
            (p, rng.randint(1, 3)) for p in rng.sample(products, rng.randint(1, 4))
        ]
        with dated(when):
            cart = services.active_cart(till)
            if services.current_shift(till) is None:
                services.open_shift(by=till, opening_float="50.00")
            for product, quantity in items:
                services.add_to_cart(cart, by=till, product=product, quantity=quantity)
            for cart_line in cart.lines.all():
                if rng.random() < 0.4:
                    services.set_line_discount(
                        cart, cart_line.pk, by=till, kind="percent",
                        value=rng.choice(["5", "12.5", "33"]),
                    )  # fmt: skip
            if rng.random() < 0.3:
                kind, value = rng.choice([("percent", "10"), ("amount", "1.37")])
                services.set_cart_discount(cart, by=till, kind=kind, value=value)
            cart.refresh_from_db()  # the cart discount was set on another copy
            total = price_cart(
                cart, services.cart_lines(cart), prices_include_tax=prices_include_tax
            ).totals.total
            card = (total * D(rng.randint(0, 100)) / 100).quantize(D("0.01"))
            tenders = [Tender("card", str(card))] if card else []
            if card < total:
                tenders.append(Tender("cash", str(total - card + rng.choice([0, 5]))))
            sale = services.checkout(
                cart, by=till, tenders=tenders, token=uuid.uuid4().hex
            )
            if rng.random() < 0.1:
                services.void_sale(sale, by=till, reason="Mistake")
                continue
        sales.append((sale, when))
    for sale, when in rng.sample(sales, 10):
        for _ in range(rng.randint(1, 2)):
            lines = [
                sale_line
                for sale_line in sale.lines.all()
                if sale_line.quantity > sale_line.returned_quantity
            ]
            if not lines:
                break
            sale_line = rng.choice(lines)
            back = sale_line.quantity - sale_line.returned_quantity
            when = when + timedelta(days=rng.randint(0, 12), minutes=1)
            with dated(when):
                services.return_items(
                    sale,
                    [ReturnInput(sale_line, rng.randint(1, back), rng.random() < 0.6)],
                    by=rng.choice(tills),
                    approver=tills[0],
                    reason="Random return",
                )
    for n in range(4):
        when = start + timedelta(days=rng.randint(0, 45))
        with dated(when):
            invoice = make_invoice(
                by=tills[0],
                lines=[
                    line(f"Job {n}", rng.randint(1, 3), str(rng.randint(5, 300)),
                         str(rng.choice(rates).rate))
                    for _ in range(rng.randint(1, 3))
                ],
            )  # fmt: skip
        if n % 2:
            with dated(when + timedelta(days=rng.randint(0, 10))):
                billing.credit_invoice(
                    invoice,
                    [line("Correction", 1, "4.99", "20.00")],
                    by=tills[0],
                    reason="Correction",
                )


def in_march(field):
    return {
        f"{field}__gte": moment("2026-03-01 00:00"),
        f"{field}__lt": moment("2026-04-01 00:00"),
    }


MONEY_KEYS = ("gross_sales", "discounts", "returns", "net_ex_tax", "tax_collected",
              "cost", "margin")  # fmt: skip


@pytest.mark.parametrize(
    "seed, prices_include_tax", [(2026, True), (7, False), (99, True)]
)
def test_the_reports_agree_with_the_documents_on_random_trading(
    db, seed, prices_include_tax
):
    rng = random.Random(seed)
    random_shop(rng, prices_include_tax=prices_include_tax)
    totals = run("sales-by-period")[1]

    # Sales by period against the sales, returns and their credit notes.
    sales = Sale.objects.filter(status=SaleStatus.COMPLETED, **in_march("created_at"))
    returns = Return.objects.filter(**in_march("created_at"))
    sold = sales.aggregate(
        total=Sum("total"), tax=Sum("tax_total"), net=Sum("subtotal"),
        discount=Sum("discount_total"),
    )  # fmt: skip
    back = returns.aggregate(
        total=Sum("total"), tax=Sum("credit_note__tax_total"),
        net=Sum("credit_note__subtotal"),
    )  # fmt: skip
    back = {key: value or D("0.00") for key, value in back.items()}
    cost_sold = sum(
        (line.quantity * line.unit_cost for line in
         SaleLine.objects.filter(sale__in=sales)), D("0.00"),
    )  # fmt: skip
    cost_back = sum(
        (r.quantity * r.sale_line.unit_cost for r in
         ReturnLine.objects.filter(sale_return__in=returns, restocked=True)),
        D("0.00"),
    )  # fmt: skip
    assert totals["sales"] == sales.count() > 0
    assert totals["gross_sales"] == sold["total"]
    assert totals["discounts"] == sold["discount"]
    assert totals["returns"] == back["total"]
    assert totals["net_sales"] == sold["total"] - back["total"]
    assert totals["tax_collected"] == sold["tax"] - back["tax"]
    assert totals["net_ex_tax"] == sold["net"] - back["net"]
    assert totals["cost"] == cost_sold - cost_back
    assert totals["margin"] == totals["net_ex_tax"] - totals["cost"]
    for group_by in ("day", "week", "month"):
        rows, _ = run("sales-by-period", group_by=group_by)
        for key in ("sales", "net_sales", *MONEY_KEYS):
            assert sum(row[key] for row in rows) == totals[key], (group_by, key)

    # Products, categories and cashiers split the same figures.
    for slug in ("sales-by-product", "sales-by-category", "sales-by-cashier"):
        split, split_totals = run(slug)
        for key in MONEY_KEYS:
            assert split_totals[key] == totals[key], (slug, key)
            assert sum(row[key] for row in split) == totals[key], (slug, key)
    cashiers = by(run("sales-by-cashier")[0], "cashier_id")
    for till in User.objects.filter(sales__isnull=False).distinct():
        one, one_totals = run("sales-by-period", cashier=till, group_by="week")
        if till.pk in cashiers:
            assert one_totals["margin"] == cashiers[till.pk]["margin"]
        else:
            assert one_totals["margin"] == D("0.00")
        assert sum(row["margin"] for row in one) == one_totals["margin"]

    # Tax by rate against the invoices and credit notes issued in March.
    tax_rows, tax = run("tax-by-rate")
    issued = Invoice.objects.filter(
        status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID,
                    InvoiceStatus.PAID],
        issue_date__gte=date(2026, 3, 1), issue_date__lte=date(2026, 3, 31),
    )  # fmt: skip
    invoiced = issued.filter(kind=InvoiceKind.INVOICE).aggregate(t=Sum("tax_total"))
    credited = issued.filter(kind=InvoiceKind.CREDIT_NOTE).aggregate(t=Sum("tax_total"))
    assert tax["tax_collected"] == invoiced["t"] - (credited["t"] or 0)
    assert sum(row["tax_collected"] for row in tax_rows) == tax["tax_collected"]

    for slug in ADDING_UP:
        if slug in SALES_REPORTS:
            assert_totals_add_up(slug, *run(slug))

    # Payment methods against the payments of the sales.
    method_rows, methods = run("sales-by-method")
    paid = Payment.objects.filter(
        invoice__sale__status=SaleStatus.COMPLETED, **in_march("received_at")
    ).aggregate(t=Sum("amount"))
    assert methods["net_received"] == paid["t"]
    assert sum(row["net_received"] for row in method_rows) == paid["t"]


@pytest.mark.parametrize("seed", [5, 11])
def test_the_kept_totals_give_what_the_sale_lines_give(db, seed):
    """The sales reports read the totals kept per day and cashier, or per
    product and month or year; with them out of use (kept in another time
    zone) the same reports read the sale lines, to the same cent."""
    random_shop(random.Random(seed), prices_include_tax=seed == 5)
    cashier = User.objects.filter(sales__isnull=False).first()
    category = Product.objects.exclude(category=None).first().category
    whole = {"start": "2026-02-01", "end": "2026-03-31"}
    asked = [
        ("sales-by-period", {"group_by": "day"}),
        ("sales-by-period", {"group_by": "week"}),
        ("sales-by-period", {"group_by": "month", "start": "2026-01-01"}),
        ("sales-by-period", {"cashier": cashier}),
        ("sales-by-cashier", {}),
        ("sales-by-cashier", {"cashier": cashier}),
        *(
            (slug, filters)
            for slug in (
                "sales-by-product", "sales-by-category", "top-products",
                "slow-movers",
            )
            for filters in ({}, whole, {"category": category})
        ),
        ("sales-by-product", {"product": "a"}),
        ("sales-by-category", {"start": "2025-01-01", "end": "2026-11-21"}),
        ("slow-movers", {"start": "2026-03-01", "end": "2026-12-31"}),
        # Whole months and the days around them, added up from both.
        *(
            (slug, {**around, **extra})
            for slug in ("sales-by-product", "sales-by-category", "top-products")
            for around in (
                {"start": "2026-02-10", "end": "2026-04-10"},
                {"start": "2026-01-15", "end": "2026-11-21"},  # the year less Jan
                {"start": "2026-03-01", "end": "2026-04-05"},
                {"start": "2026-03-01", "end": "2026-12-31"},  # less Jan and Feb
            )
            for extra in ({}, {"category": category})
        ),
    ]  # fmt: skip
    from_totals = [run(slug, **filters) for slug, filters in asked]
    assert from_totals[0][1]["sales"] > 0
    assert ProductTotal.objects.filter(period__lt=date(2026, 3, 1)).exists()
    DailyTotal.objects.update(time_zone="Europe/Elsewhere")
    ProductTotal.objects.update(time_zone="Europe/Elsewhere")

    from_lines = [run(slug, **filters) for slug, filters in asked]

    def exact(results):
        # Margin % is a ratio of floats: the last digit may differ.
        def rounded(row):
            return {
                key: pct(value) if key in ("margin_pct", "share") else value
                for key, value in row.items()
            }

        return [
            ([rounded(row) for row in rows], rounded(totals))
            for rows, totals in results
        ]

    assert exact(from_lines) == exact(from_totals)


@pytest.mark.parametrize(
    "start, end, periods",
    [
        ("2026-01-01", "2026-11-21", ["year 2026-01-01"]),  # this year
        ("2026-01-01", "2026-12-31", ["year 2026-01-01"]),  # nothing sold later
        ("2026-10-01", "2026-10-31", ["month 2026-10-01"]),  # last month
        ("2026-11-01", "2026-11-21", ["month 2026-11-01"]),  # this month
        ("2025-12-01", "2026-02-28",
         ["month 2025-12-01", "month 2026-01-01", "month 2026-02-01"]),
        ("2024-03-01", "2026-06-30",  # 2024 less January and February
         ["year 2024-01-01", "less month 2024-01-01", "less month 2024-02-01",
          "year 2025-01-01", *(f"month 2026-{m:02}-01" for m in range(1, 7))]),
        ("2025-08-01", "2026-11-21",
         [*(f"month 2025-{m:02}-01" for m in range(8, 13)), "year 2026-01-01"]),
        ("2026-03-02", "2026-03-31", None),  # starts inside a month
        ("2026-03-01", "2026-03-30", None),  # ends inside a month
        ("2026-12-01", "2026-12-31", None),  # nothing up to today
    ],
)  # fmt: skip
def test_whole_periods_cover_exactly_the_days_asked(start, end, periods):
    found = reports.sales.whole_periods(
        date.fromisoformat(start), date.fromisoformat(end), date(2026, 11, 21)
    )
    assert periods == (None if found is None else described(found))


def described(periods):
    return [
        f"{'' if sign == 1 else 'less '}{kind} {first}" for kind, first, sign in periods
    ]


@pytest.mark.parametrize(
    "start, end, periods, edges",
    [
        ("2026-01-01", "2026-11-21", ["year 2026-01-01"], []),
        ("2026-02-10", "2026-04-10", ["month 2026-03-01"],
         ["2026-02-10..2026-02-28", "2026-04-01..2026-04-10"]),
        ("2026-01-15", "2026-12-31",  # nothing is sold after today
         ["year 2026-01-01", "less month 2026-01-01"],
         ["2026-01-15..2026-01-31"]),
        ("2026-07-15", "2026-11-21",
         [*(f"month 2026-{m:02}-01" for m in range(8, 12))],
         ["2026-07-15..2026-07-31"]),
        ("2025-12-31", "2026-02-01", ["month 2026-01-01"],
         ["2025-12-31..2025-12-31", "2026-02-01..2026-02-01"]),
        ("2026-03-02", "2026-03-31", None, None),  # no whole month in it
        ("2026-02-10", "2026-03-30", None, None),
    ],
)  # fmt: skip
def test_a_period_splits_into_kept_months_and_the_days_around_them(
    start, end, periods, edges
):
    found = reports.sales.split_period(
        date.fromisoformat(start), date.fromisoformat(end), date(2026, 11, 21)
    )
    if periods is None:
        assert found is None
        return
    chosen, days = found
    assert described(chosen) == periods
    assert [f"{first}..{last}" for first, last in days] == edges
