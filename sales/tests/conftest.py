"""Fixtures the till's view tests and the sales API tests share."""

from decimal import Decimal

import pytest
from axes.backends import AxesStandaloneBackend

from inventory import services as stock
from inventory.tests.factories import ProductFactory, TaxRateFactory


@pytest.fixture
def password_checks(monkeypatch):
    """Each time a password is checked, the name it was checked for: every
    check is an attempt that django-axes counts towards a lockout."""
    checked = []
    check = AxesStandaloneBackend.authenticate

    def counted(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return check(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(AxesStandaloneBackend, "authenticate", counted)
    return checked


@pytest.fixture
def standard(db):
    return TaxRateFactory(name="Standard", rate=Decimal("20.00"))


@pytest.fixture
def case(manager, standard):
    """A phone case at 12.00 (20% tax included) with 10 in stock."""
    product = ProductFactory(
        name="Clear case",
        sku="CASE-1",
        barcode="5012345678900",
        sale_price=Decimal("12.00"),
        tax_rate=standard,
    )
    stock.record_opening_stock([stock.StockLine(product, 10)], by=manager)
    return product


@pytest.fixture
def charger(manager, standard):
    """A charger at 25.00 with 5 in stock."""
    product = ProductFactory(
        name="USB-C charger",
        sku="CHG-20W",
        barcode="5012345678917",
        sale_price=Decimal("25.00"),
        tax_rate=standard,
    )
    stock.record_opening_stock([stock.StockLine(product, 5)], by=manager)
    return product
