"""Demo data for billing: invoices in every state over the last 90 days."""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role, TaxRate, User
from customers.models import Customer
from pos_project.money import CENT

from . import services
from .models import Invoice, Payment
from .services import LineInput

# What a phone and computer repair shop bills outside the till.
WORK = [
    ("Screen replacement, iPhone 13", "119.00"),
    ("Battery replacement, Galaxy S22", "74.00"),
    ("Laptop SSD upgrade 1TB with cloning", "129.99"),
    ("Data recovery from failed drive", "149.00"),
    ("Business IT support, monthly contract", "250.00"),
    ("Office network health check", "180.00"),
    ("Water damage treatment", "45.00"),
    ("Windows reinstall with data backup", "69.00"),
    ("Charging port repair", "39.00"),
    ("Refurbished iPhone 13 128GB", "429.00"),
    ("Laptop screen replacement 15.6in", "164.00"),
    ("On-site visit, per hour", "60.00"),
]


def add_arguments(parser):
    parser.add_argument(
        "--invoices",
        type=int,
        default=150,
        help="How many invoices to bill outside the till (default 150).",
    )


def load(options, out):
    if Invoice.objects.exists():
        out("Invoices exist; billing demo data not loaded.")
        return
    customers = list(Customer.objects.active().order_by("pk")[:120])
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    staff = list(User.objects.active().order_by("pk"))
    if not customers or admin is None:
        out("No customers or Admin; billing demo data not loaded.")
        return
    rng = random.Random(2026)
    rate = (TaxRate.default() or TaxRate.objects.first()).rate
    today = timezone.localdate()
    for n in range(options.get("invoices") or 150):
        days_ago = rng.randint(0, 90)
        lines = [
            LineInput(description, rng.choice([1, 1, 1, 2]), Decimal(price), rate)
            for description, price in rng.sample(WORK, k=rng.randint(1, 3))
        ]
        customer = rng.choice(customers)
        draft = n % 40 == 0
        invoice = services.create_invoice(
            lines,
            by=admin,
            customer=customer,
            issue=not draft,
            due_days=rng.choice([7, 14, 30]),
        )
        if draft:
            continue
        _settle(invoice, rng, admin, staff, days_ago)
        issued = today - timedelta(days=days_ago)
        Invoice.objects.filter(pk=invoice.pk).update(
            issue_date=issued,
            due_date=issued + (invoice.due_date - invoice.issue_date),
            created_at=timezone.now() - timedelta(days=days_ago),
        )
    out(
        f"Invoices: {Invoice.objects.invoices().count()}, "
        f"payments: {Payment.objects.count()}."
    )


def _settle(invoice, rng, admin, staff, days_ago):
    """Pay, part-pay, credit, refund or void the invoice, like real customers do."""
    roll = rng.random()
    if roll < 0.04:
        services.void_invoice(
            invoice, by=admin, reason="Raised against the wrong customer"
        )
        return
    if roll < 0.35:
        return  # not paid yet: issued, some overdue by now
    methods = ["cash", "card", "card", "bank_transfer", "mobile_money"]
    if roll < 0.6:
        amount = (
            invoice.balance * Decimal(rng.choice(["0.25", "0.5", "0.6"]))
        ).quantize(CENT)
        payments = [amount]
    else:
        payments = [invoice.balance]
    for amount in payments:
        payment = services.record_payment(
            invoice,
            by=rng.choice(staff),
            amount=amount,
            method=rng.choice(methods),
            reference=str(rng.randint(1000, 9999)),
        )
        when = timezone.now() - timedelta(days=max(days_ago - rng.randint(0, 10), 0))
        Payment.objects.filter(pk=payment.pk).update(received_at=when)
    if roll > 0.97:
        services.credit_invoice(
            invoice,
            [LineInput("Goodwill discount", 1, Decimal("10.00"), Decimal("0"))],
            by=admin,
            reason="Goodwill for the delay",
        )
        services.refund_payment(payment, by=admin, amount="10.00", reason="Goodwill")
