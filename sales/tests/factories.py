"""Sales for tests, rung up and checked out through the till's services."""

import uuid

from sales import services
from sales.services import Tender


def make_sale(cashier, products, *, customer=None, tenders=None, shift=True):
    """Sell [(product, quantity)] at `cashier`'s till (opening a shift if needed)."""
    if shift and services.current_shift(cashier) is None:
        services.open_shift(by=cashier, opening_float="50.00")
    cart = services.active_cart(cashier)
    for product, quantity in products:
        services.add_to_cart(cart, by=cashier, product=product, quantity=quantity)
    if customer is not None:
        services.set_cart_customer(cart, by=cashier, customer=customer)
    if tenders is None:
        total = sum(product.sale_price * quantity for product, quantity in products)
        tenders = [Tender("cash", str(total))]
    return services.checkout(cart, by=cashier, tenders=tenders, token=uuid.uuid4().hex)
