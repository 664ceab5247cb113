"""Demo data for repairs: about 500 past repairs and current tickets in every status.

Past repairs come from `repairs.catalogue` (realistic devices, faults, parts,
prices and bench times) and go through the same services as the front desk:
parts are fitted from stock, bills issued and paid. Their dates are then moved
back to when they happened, so the board, the reports and the price suggestions
have a history to work from.
"""

import random
from collections import Counter
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import PaymentMethod, Role, TaxRate, User
from customers.models import Customer
from inventory import services as stock
from inventory.demo import restock_low
from inventory.models import Category, Product, StockMove, Supplier
from invoices.models import Invoice, Payment
from invoices.services import record_payment

from . import catalogue, services
from .history import forget_index
from .models import ApprovalMethod, MessageTemplate, Priority, StatusChange, Ticket

DEFAULT_PAST = 500
HISTORY_DAYS = 540


def add_arguments(parser):
    parser.add_argument(
        "--repairs",
        type=int,
        default=DEFAULT_PAST,
        help=f"How many past repairs (default {DEFAULT_PAST}).",
    )


def load(options, out):
    if Ticket.objects.exists():
        out("Repair tickets exist; repairs demo data not loaded.")
        return
    staff = {u.username: u for u in User.objects.filter(is_active=True)}
    technician = staff.get("technician")
    front_desk = staff.get("cashier")
    manager = (
        User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    )
    customers = list(Customer.objects.active().order_by("pk")[:150])
    if not (technician and front_desk and manager and customers):
        out("No demo staff or customers; repairs demo data not loaded.")
        return
    # Demo customers get no emails: the shop's chosen emails pause meanwhile.
    chosen = list(
        MessageTemplate.objects.filter(active=True).values_list("pk", flat=True)
    )
    MessageTemplate.objects.filter(pk__in=chosen).update(active=False)
    try:
        _load(options, out, technician, front_desk, manager, customers)
    finally:
        MessageTemplate.objects.filter(pk__in=chosen).update(active=True)


def _load(options, out, technician, front_desk, manager, customers):
    rng = random.Random(2027)
    today = timezone.localdate()
    past = catalogue.generate(
        rng,
        options.get("repairs") or DEFAULT_PAST,
        start=today - timedelta(days=HISTORY_DAYS),
        end=today - timedelta(days=3),
    )
    fresh = catalogue.generate(rng, 30, start=today - timedelta(days=6), end=today)
    parts = _parts(past + fresh, rng, by=manager)
    for repair in past:
        _past_repair(repair, rng, parts, customers, technician=technician, desk=manager)
    _current_tickets(fresh, rng, parts, customers, technician, front_desk, manager)
    # This morning's delivery of the parts the repairs used up; a few are still
    # to be ordered, so the alerts have something to show.
    restock_low(rng, manager, leave=4)
    forget_index()
    out(f"Repairs: {len(past)} past repairs, {Ticket.objects.open().count()} open.")


def _parts(past, rng, *, by):
    """A stocked product for every part the history uses, enough of it in stock."""
    used = Counter()
    for repair in past:
        for name, quantity, _ in repair.parts:
            used[name] += quantity
    category, _ = Category.objects.get_or_create(name="Repair parts")
    supplier, _ = Supplier.objects.get_or_create(name="Mobile Parts Direct")
    rate = TaxRate.default()
    known = set(Product.objects.values_list("name", flat=True))
    products = [
        Product(
            name=name,
            sku=f"PRT-{index:04d}",
            category=category,
            supplier=supplier,
            sale_price=price,
            cost_price=cost,
            tax_rate=rate,
            tracks_stock=True,
            reorder_level=1,
        )
        for index, (name, cost, price) in enumerate(catalogue.part_names(), start=1)
        if name in used and name not in known
    ]
    Product.objects.bulk_create(products, batch_size=1000)
    # Some parts are in the catalogue already (the shop sells them over the counter).
    by_name = {
        p.name: p
        for p in Product.objects.filter(
            name__in=[name for name, _, _ in catalogue.part_names()], tracks_stock=True
        )
    }
    # Parts the history never used stay at zero: "order when needed".
    lines = [
        stock.StockLine(by_name[name], used[name] + rng.randint(1, 6))
        for name in sorted(used)
    ]
    new = [line for line in lines if line.product.category_id == category.pk]
    stock.record_opening_stock(new, by=by)
    for line in lines:
        if line not in new:  # sold at the counter too: a delivery for the bench
            stock.receive_stock(
                [stock.StockLine(line.product, line.quantity, line.product.cost_price)],
                by=by,
                supplier=supplier,
                note="Stock for the repair bench",
            )
    StockMove.objects.filter(product__category=category).update(
        created_at=_moment(timezone.localdate() - timedelta(days=HISTORY_DAYS + 1), 8)
    )
    return by_name


def _moment(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _identity(rng, device_type):
    if device_type in ("phone", "tablet", "watch") and rng.random() < 0.85:
        digits = "35" + "".join(str(rng.randint(0, 9)) for _ in range(12))
        return {"imei": digits + _check_digit(digits), "serial": ""}
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return {"imei": "", "serial": "".join(rng.choice(letters) for _ in range(10))}


def _check_digit(digits):
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def _book(repair, rng, customers, *, by, **fields):
    return services.create_ticket(
        by=by,
        customer=rng.choice(customers),
        device_type=repair.device_type,
        brand=repair.brand,
        model=repair.model,
        problem=repair.problem,
        accessories=rng.choice(["", "", "Case", "Charger", "SIM card", "Case, SIM"]),
        priority=rng.choices(list(Priority.values), [1, 8, 2, 1])[0],
        **_identity(rng, repair.device_type),
        **fields,
    )


def _estimate(ticket, repair, parts, *, by, fit):
    for name, quantity, price in repair.parts:
        services.add_part(
            ticket,
            by=by,
            product=parts[name],
            quantity=quantity,
            unit_price=price,
            fit=fit,
        )
    labour = f"{repair.category.replace('_', ' ').capitalize()} repair labour"
    services.add_labour(ticket, by=by, description=labour, unit_price=repair.labour)


def _past_repair(repair, rng, parts, customers, *, technician, desk):
    ticket = _book(repair, rng, customers, by=desk, technician=technician)
    _estimate(ticket, repair, parts, by=technician, fit=True)
    services.change_status(ticket, "in_repair", by=technician)
    ticket = services.change_status(
        ticket, "ready", by=technician, minutes_spent=repair.minutes
    )
    method = rng.choice([PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CARD])
    record_payment(
        ticket.invoice, by=desk, amount=ticket.invoice.balance, method=method
    )
    services.change_status(ticket, "collected", by=desk)
    _backdate(ticket, repair, rng)


def _backdate(ticket, repair, rng):
    """Move a finished repair's records back to the days it really took."""
    collected = _moment(repair.finished, rng.randint(10, 17), rng.randint(0, 59))
    ready = collected - timedelta(hours=rng.randint(2, 30))
    booked = ready - timedelta(hours=rng.randint(3, 24 * 6))
    steps = list(ticket.history.order_by("at", "pk").values_list("pk", flat=True))
    span = (ready - booked) / max(len(steps) - 2, 1)
    for position, pk in enumerate(steps):
        at = collected if position == len(steps) - 1 else booked + span * position
        StatusChange.objects.filter(pk=pk).update(at=min(at, ready))
    StatusChange.objects.filter(pk=steps[-1]).update(at=collected)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=booked,
        status_changed_at=collected,
        ready_at=ready,
        closed_at=collected,
        promised_date=(booked + timedelta(days=3)).date(),
    )
    Invoice.objects.filter(pk=ticket.invoice_id).update(
        created_at=booked,
        issue_date=ready.date(),
        due_date=ready.date() + timedelta(days=14),
    )
    Payment.objects.filter(invoice_id=ticket.invoice_id).update(received_at=collected)
    StockMove.objects.filter(
        Q(reference_label=ticket.number), reference_id=ticket.pk
    ).update(created_at=booked + timedelta(hours=2))


def _current_tickets(fresh, rng, parts, customers, technician, desk, manager):
    """A working board: tickets in every status, some overdue, some urgent."""
    today = timezone.localdate()
    plan = (
        ["received"] * 4
        + ["diagnosing"] * 4
        + ["awaiting_approval"] * 4
        + ["awaiting_parts"] * 3
        + ["in_repair"] * 5
        + ["ready"] * 5
        + ["collected", "cancelled", "returned", "in_repair", "received"]
    )
    for repair, status in zip(fresh, plan, strict=False):
        deposit = None
        if rng.random() < 0.4:
            deposit = services.Deposit(
                rng.choice(["20.00", "30.00", "50.00"]), PaymentMethod.CASH
            )
        ticket = _book(
            repair,
            rng,
            customers,
            by=desk,
            technician=technician if rng.random() < 0.8 else None,
            promised_date=today + timedelta(days=rng.randint(0, 5)),
            deposit=deposit if status != "cancelled" else None,
            passcode=rng.choice(["", "1234", "0852", "pattern L"]),
        )
        _advance(ticket, repair, status, parts, technician, desk, manager)
        booked = timezone.now() - timedelta(hours=rng.randint(4, 24 * 6))
        Ticket.objects.filter(pk=ticket.pk).update(created_at=booked)
        StatusChange.objects.filter(ticket=ticket, from_status="").update(at=booked)
        if status in ("diagnosing", "in_repair") and rng.random() < 0.5:
            # Promised for a day that has passed: it shows as overdue.
            Ticket.objects.filter(pk=ticket.pk).update(
                promised_date=today - timedelta(days=rng.randint(1, 3))
            )


def _advance(ticket, repair, status, parts, technician, desk, manager):
    if status in ("received", "cancelled"):
        if status == "cancelled":
            services.change_status(ticket, "cancelled", by=desk, note="Changed mind")
        return
    services.change_status(ticket, "diagnosing", by=technician)
    if status == "diagnosing":
        return
    _estimate(ticket, repair, parts, by=technician, fit=False)
    if status == "returned":
        services.change_status(
            ticket, "returned", by=manager, note="Not economical to repair",
            on_account=True,
        )  # fmt: skip
        return
    services.change_status(ticket, "awaiting_approval", by=technician)
    if status == "awaiting_approval":
        return
    services.approve_estimate(ticket, method=ApprovalMethod.PHONE, by=desk)
    if status == "awaiting_parts":
        services.change_status(
            ticket, "awaiting_parts", by=technician, note="Ordered from supplier"
        )
        return
    for line in ticket.lines.filter(kind="part"):
        services.fit_part(line, by=technician)
    if status == "in_repair":
        return
    ticket = services.change_status(
        ticket, "ready", by=technician, minutes_spent=repair.minutes
    )
    if status == "collected":
        if ticket.invoice.balance > 0:
            record_payment(
                ticket.invoice,
                by=manager,
                amount=ticket.invoice.balance,
                method=PaymentMethod.CARD,
            )
        services.change_status(ticket, "collected", by=manager)
