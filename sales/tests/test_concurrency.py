"""Tills racing each other, on PostgreSQL."""

import threading
import time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Role
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.models import Product
from inventory.tests.factories import ProductFactory
from invoices.models import Invoice, Payment
from sales import services, totals
from sales.models import Cart, CartStatus, DailyTotal, Sale
from sales.services import Tender

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def till(name, product, quantity):
    """A cashier with an open shift and `quantity` of `product` in the cart."""
    cashier = UserFactory(username=name, role=Role.USER)
    services.open_shift(by=cashier, opening_float="0")
    cart = services.active_cart(cashier)
    services.add_to_cart(cart, by=cashier, product=product, quantity=quantity)
    return cashier, cart


def pausing(function, reached, go):
    """`function`, which once it has run sets `reached`, waits for `go`, then
    half a second more: the other thread is under way meanwhile."""

    def paused(*args, **kwargs):
        result = function(*args, **kwargs)
        reached.set()
        go.wait(5)
        time.sleep(0.5)
        return result

    return paused


def test_competing_tills_never_oversell_and_leave_no_gaps(race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    screen = ProductFactory(
        name="Last screens", sale_price=Decimal("50.00"), reorder_level=0
    )
    stock.record_opening_stock([stock.StockLine(screen, 7)], by=manager)
    tills = [till(f"till{i}", screen, 2) for i in range(8)]

    def sell(i):
        cashier, cart = tills[i]
        return services.checkout(
            cart, by=cashier, tenders=[Tender("cash", "100.00")], token=f"token-{i}"
        )

    results = race(8, sell)

    sales = [r for r in results if isinstance(r, Sale)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(sales), len(refused)) == (3, 5), results
    assert all("Not enough stock of Last screens" in r.messages[0] for r in refused)
    assert Product.objects.get(pk=screen.pk).on_hand == 1
    numbers = sorted(Sale.objects.values_list("number", flat=True))
    assert numbers == ["R-000001", "R-000002", "R-000003"]
    invoices = sorted(Invoice.objects.values_list("number", flat=True))
    assert invoices == ["INV-000001", "INV-000002", "INV-000003"]
    assert Payment.objects.count() == 3
    call_command("check_stock", stdout=StringIO())
    call_command("rebuild_sales_totals", check=True, stdout=StringIO())


def test_ten_submits_with_one_token_make_one_sale(race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    case = ProductFactory(sale_price=Decimal("12.00"))
    stock.record_opening_stock([stock.StockLine(case, 5)], by=manager)
    cashier, cart = till("double-clicker", case, 1)

    results = race(10, lambda i: services.checkout(
        cart, by=cashier, tenders=[Tender("cash", "12.00")], token="one-token"
    ))  # fmt: skip

    assert all(isinstance(r, Sale) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Sale.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Product.objects.get(pk=case.pk).on_hand == 4


def test_scans_from_two_tabs_of_a_till_make_one_cart(race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    case = ProductFactory(sale_price=Decimal("12.00"))
    stock.record_opening_stock([stock.StockLine(case, 20)], by=manager)
    cashier = UserFactory(username="two-tabs", role=Role.USER)

    # No cart yet: every scan makes it or waits for the one that did.
    results = race(6, lambda i: services.add_to_cart(None, by=cashier, product=case))

    assert not [r for r in results if isinstance(r, Exception)], results
    cart = Cart.objects.get(cashier=cashier, status=CartStatus.ACTIVE)
    assert Cart.objects.count() == 1
    assert cart.lines.get().quantity == 6


def test_returns_at_once_on_one_cashiers_day_all_count(race):
    """Four Admins take back items of four sales of one cashier at once: each
    adds to the same row of that cashier's day. (The returns' numbers already
    take turns; this checks that the row, locked last, deadlocks with none of
    the other locks and that every return counts.)"""
    cashier = UserFactory(username="chloe", role=Role.USER)
    admins = [UserFactory(username=f"admin{i}", role=Role.ADMIN) for i in range(4)]
    case = ProductFactory(sale_price=Decimal("12.00"), cost_price=Decimal("4.00"))
    stock.record_opening_stock([stock.StockLine(case, 10)], by=admins[0])
    services.open_shift(by=cashier, opening_float="0")
    sold = []
    for i in range(4):
        cart = services.active_cart(cashier)
        services.add_to_cart(cart, by=cashier, product=case, quantity=2)
        sold.append(
            services.checkout(
                cart, by=cashier, tenders=[Tender("cash", "24.00")], token=f"t{i}"
            )
        )
    for admin in admins:
        services.open_shift(by=admin, opening_float="50.00")

    def give_back(i):
        sale = sold[i]
        return services.return_items(
            sale,
            [services.ReturnInput(sale.lines.get(), 1)],
            by=admins[i],
            approver=admins[i],
            reason="Wrong colour",
        )

    results = race(4, give_back)

    assert not [r for r in results if isinstance(r, Exception)], results
    day = DailyTotal.objects.get(cashier=cashier)
    assert (day.sales, day.units_sold, day.units_returned) == (4, 8, 4)
    assert (day.back_gross, day.back_cost) == (Decimal("48.00"), Decimal("16.00"))
    assert totals.differences() == []


def test_a_sale_made_while_the_totals_are_rebuilt_is_counted_once(race, monkeypatch):
    """The rebuild has read the sales when a till checks out: the sale waits
    for the rebuild to finish, then adds itself to the totals it wrote."""
    manager = UserFactory(username="boss", role=Role.ADMIN)
    case = ProductFactory(sale_price=Decimal("12.00"), cost_price=Decimal("4.00"))
    stock.record_opening_stock([stock.StockLine(case, 10)], by=manager)
    cashier, cart = till("chloe", case, 1)
    services.checkout(cart, by=cashier, tenders=[Tender("cash", "12.00")], token="a")
    services.add_to_cart(None, by=cashier, product=case, quantity=2)
    read, selling = threading.Event(), threading.Event()
    monkeypatch.setattr(
        totals, "computed_days", pausing(totals.computed_days, read, selling)
    )

    def work(i):
        if i == 0:
            return totals.rebuild()
        read.wait(5)
        selling.set()
        cart = services.active_cart(cashier)
        return services.checkout(
            cart, by=cashier, tenders=[Tender("cash", "24.00")], token="b"
        )

    results = race(2, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    monkeypatch.undo()
    assert totals.differences() == []
    day = DailyTotal.objects.get(cashier=cashier)
    assert (day.sales, day.units_sold) == (2, 3)


def test_a_sale_cannot_go_into_a_shift_as_it_closes(race, monkeypatch):
    """The close has locked the shift and summed its takings when the till
    checks out: the sale waits for the close, then finds no open shift,
    rather than landing in a closed shift its Z report does not count."""
    manager = UserFactory(username="boss", role=Role.ADMIN)
    case = ProductFactory(sale_price=Decimal("12.00"))
    stock.record_opening_stock([stock.StockLine(case, 10)], by=manager)
    cashier, cart = till("dana", case, 1)
    shift = services.current_shift(cashier)
    summed, selling = threading.Event(), threading.Event()
    monkeypatch.setattr(
        services,
        "expected_takings",
        pausing(services.expected_takings, summed, selling),
    )

    def work(i):
        if i == 0:
            return services.close_shift(
                shift, by=manager, counted={"cash": "0.00"}, note="end of day"
            )
        summed.wait(5)
        selling.set()
        return services.checkout(
            cart, by=cashier, tenders=[Tender("cash", "12.00")], token="late"
        )

    closed, sold = race(2, work)

    assert not isinstance(closed, Exception), closed
    assert isinstance(sold, ValidationError), sold
    assert "Open a shift" in sold.messages[0]
    assert not Sale.objects.exists()
    assert Product.objects.get(pk=case.pk).on_hand == 10
    assert Cart.objects.get(pk=cart.pk).status == CartStatus.ACTIVE
