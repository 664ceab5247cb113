"""Repair tickets for tests, booked in through the services like real ones."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory
from repairs import services
from repairs.models import DeviceType

# A real-looking IMEI whose check digit is right.
IMEI = "490154203237518"


def make_ticket(*, by=None, customer=None, **fields):
    """A phone booked in now; pass any create_ticket field to change it."""
    by = by or UserFactory(username="front-desk", role=Role.USER)
    values = {
        "device_type": DeviceType.PHONE,
        "brand": "Apple",
        "model": "iPhone 12",
        "imei": IMEI,
        "problem": "Cracked screen, touch works",
        **fields,
    }
    return services.create_ticket(
        by=by, customer=customer or CustomerFactory(), **values
    )


def stocked_part(*, by, quantity=5, **fields):
    """A part with `quantity` in stock, received through the stock services."""
    values = {"name": "iPhone 12 screen", "sale_price": Decimal("89.00"), **fields}
    product = ProductFactory(**values)
    stock.receive_stock(
        [stock.StockLine(product, quantity, Decimal("40.00"))],
        by=by,
        supplier=product.supplier,
    )
    product.refresh_from_db()
    return product


def ready_ticket(*, by, labour="50.00", **fields):
    """A ticket with one labour line, marked ready: its invoice is issued."""
    ticket = make_ticket(by=by, **fields)
    services.add_labour(ticket, by=by, description="Screen fitting", unit_price=labour)
    services.change_status(ticket, "in_repair", by=by)
    return services.change_status(ticket, "ready", by=by)


def long_ago(days):
    return timezone.now() - timedelta(days=days)
