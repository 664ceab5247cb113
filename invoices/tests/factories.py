"""Invoices for tests, made through the billing services like real ones."""

from decimal import Decimal

from accounts.models import Role
from accounts.tests.factories import UserFactory
from invoices import services
from invoices.services import LineInput


def line(description="Screen repair", quantity=1, unit_price="100.00", tax_rate="20.00",
         discount="0.00", sku=""):  # fmt: skip
    return LineInput(
        description=description,
        quantity=quantity,
        unit_price=Decimal(unit_price),
        tax_rate=Decimal(tax_rate),
        discount=Decimal(discount),
        sku=sku,
    )


def make_invoice(*, by=None, customer=None, lines=None, issue=True, **kwargs):
    """An issued invoice (a draft with issue=False); one 100.00 line by default."""
    by = by or UserFactory(username="invoicer", role=Role.ADMIN)
    return services.create_invoice(
        lines or [line()], by=by, customer=customer, issue=issue, **kwargs
    )
