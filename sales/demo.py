"""Demo data for the till: shifts and sales over the last 90 days, with returns."""

import random
import uuid
from datetime import datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

from accounts.models import Role, ShopSettings, User
from customers.models import Customer
from inventory.models import Product, StockMove
from invoices.models import Invoice, Payment

from . import services
from .models import Return, Sale, Shift
from .pricing import price_cart
from .queries import expected_takings
from .services import ReturnInput, Tender

DAYS = 90


def add_arguments(parser):
    parser.add_argument(
        "--sales",
        type=int,
        default=600,
        help="How many till sales over the last 90 days (default 600).",
    )


def load(options, out):
    if Sale.objects.exists():
        out("Sales exist; till demo data not loaded.")
        return
    cashiers = list(User.objects.filter(username__in=["cashier", "technician"]))
    manager = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    products = list(
        Product.objects.active().filter(sale_price__gt=0).select_related("tax_rate")
    )
    if not cashiers or manager is None or not products:
        out("No cashiers, Admin or products; till demo data not loaded.")
        return
    rng = random.Random(2026)
    customers = list(Customer.objects.active()[:80])
    total = options.get("sales") or 600
    per_day = max(total // DAYS, 1)
    made = 0
    for days_ago in range(DAYS, 0, -1):
        if made >= total:
            break
        cashier = rng.choice(cashiers)
        day = timezone.localdate() - timedelta(days=days_ago)
        shift = services.open_shift(by=cashier, opening_float="100.00")
        sales = []
        for _ in range(min(per_day + rng.randint(-2, 3), total - made)):
            sale = _sell(rng, cashier, products, customers)
            if sale:
                sales.append(sale)
        made += len(sales)
        if sales and rng.random() < 0.25:
            _return_something(rng, sales, cashier, manager)
        _close(rng, shift, cashier, manager)
        _backdate(shift, sales, day)
    out(f"Sales: {made} over {DAYS} days.")


def _sell(rng, cashier, products, customers):
    cart = services.active_cart(cashier)
    for product in rng.sample(products, k=rng.choice([1, 1, 1, 2, 2, 3])):
        if product.tracks_stock and product.on_hand < 3:
            continue
        services.add_to_cart(cart, by=cashier, product=product, quantity=1)
        product.on_hand -= 1
    if not cart.lines.exists():
        return None
    customer = rng.choice(customers) if customers and rng.random() < 0.2 else None
    if customer:
        services.set_cart_customer(cart, by=cashier, customer=customer)
    if rng.random() < 0.1:
        services.set_cart_discount(cart, by=cashier, kind="percent", value="5")
    due = _due(cart)
    method = rng.choice(["cash", "cash", "card", "card", "card", "mobile_money"])
    if method == "cash":
        rounded_up = (due / 5).to_integral_value(rounding=ROUND_CEILING) * 5
        tenders = [Tender("cash", str(rounded_up))]
    elif customer and rng.random() < 0.3:
        tenders = [Tender("card", str((due / 2).quantize(Decimal("0.01"))), "4242")]
    else:
        tenders = [Tender(method, str(due), str(rng.randint(1000, 9999)))]
    return services.checkout(cart, by=cashier, tenders=tenders, token=uuid.uuid4().hex)


def _due(cart):
    cart.refresh_from_db()  # the discount was saved on a locked copy
    lines = services.cart_lines(cart)
    shop = ShopSettings.load()
    return price_cart(
        cart, lines, prices_include_tax=shop.prices_include_tax
    ).totals.total


def _return_something(rng, sales, cashier, manager):
    sale = rng.choice(sales)
    line = sale.lines.first()
    services.return_items(
        sale,
        [ReturnInput(line, 1, restock=rng.random() < 0.8)],
        by=cashier,
        approver=manager,
        reason=rng.choice(["Wrong model", "Changed their mind", "Faulty"]),
    )


def _close(rng, shift, cashier, manager):
    """Count up: card and mobile money agree; the cash drawer is sometimes off."""
    counted = expected_takings(shift)
    counted["cash"] += Decimal(rng.choice(["0", "0", "0", "-0.50", "1.00", "-7.00"]))
    services.close_shift(shift, by=cashier, counted=counted, approver=manager)


def _backdate(shift, sales, day):
    """Move a day's shift, sales, payments and stock moves to that day."""
    tz = timezone.get_current_timezone()
    opened = datetime.combine(day, time(9, 0), tzinfo=tz)
    Shift.objects.filter(pk=shift.pk).update(
        opened_at=opened, closed_at=opened + timedelta(hours=9)
    )
    for index, sale in enumerate(sales):
        when = opened + timedelta(minutes=30 + index * (480 // max(len(sales), 1)))
        Sale.objects.filter(pk=sale.pk).update(created_at=when)
        Invoice.objects.filter(pk=sale.invoice_id).update(
            created_at=when, issue_date=day, due_date=day + timedelta(days=14)
        )
        payments = Payment.objects.filter(invoice=sale.invoice_id)
        payments.filter(amount__gt=0).update(received_at=when)
        StockMove.objects.for_document(sale).update(created_at=when)
        later = when + timedelta(hours=2)
        payments.filter(amount__lt=0).update(received_at=later)
        for sale_return in sale.returns.all():
            Return.objects.filter(pk=sale_return.pk).update(created_at=later)
            StockMove.objects.for_document(sale_return).update(created_at=later)
