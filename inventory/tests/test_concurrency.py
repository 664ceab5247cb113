"""Races between tills, on PostgreSQL (SQLite has no row locks to test)."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Role
from accounts.tests.factories import UserFactory
from inventory import services
from inventory.models import Product, StockMove
from inventory.services import StockLine
from inventory.tests.factories import ProductFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_tills_cannot_sell_more_than_the_last_five_units(race):
    cashier = UserFactory(username="racer", role=Role.USER)
    product = ProductFactory(name="Last iPhone 13 screen", reorder_level=0)
    services.record_opening_stock([StockLine(product, 5)], by=cashier)

    results = race(
        20, lambda i: services.take_stock([StockLine(product.pk, 1)], by=cashier)
    )

    sold = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(sold) + len(refused) == 20, results
    assert len(sold) == 5
    assert len(refused) == 15
    assert all(
        "Not enough stock of Last iPhone 13 screen" in r.messages[0] for r in refused
    )
    assert Product.objects.get(pk=product.pk).on_hand == 0
    assert StockMove.objects.filter(product=product, reason="sale").count() == 5
    balances = sorted(
        StockMove.objects.filter(product=product, reason="sale").values_list(
            "balance_after", flat=True
        )
    )
    assert balances == [0, 1, 2, 3, 4]
    call_command("check_stock", stdout=StringIO())


def test_crossing_sales_of_two_products_never_deadlock(race):
    cashier = UserFactory(username="crosser", role=Role.USER)
    first, second = ProductFactory(), ProductFactory()
    services.record_opening_stock(
        [StockLine(first, 100), StockLine(second, 100)], by=cashier
    )

    def sell(i):
        # Half the tills list the products one way round, half the other.
        lines = [StockLine(first.pk, 1), StockLine(second.pk, 1)]
        return services.take_stock(lines if i % 2 else lines[::-1], by=cashier)

    results = race(16, sell)

    assert all(isinstance(r, list) for r in results), results
    assert Product.objects.get(pk=first.pk).on_hand == 84
    assert Product.objects.get(pk=second.pk).on_hand == 84
    call_command("check_stock", stdout=StringIO())
