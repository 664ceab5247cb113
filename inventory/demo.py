"""Demo data for inventory: a phone and computer repair shop's catalogue and stock."""

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Notification, Role, TaxRate, User
from pos_project.money import CENT

from . import services
from .models import Category, GoodsReceipt, Product, StockMove, Supplier

CHUNK = 10_000  # rows per statement where the values go in a list

PHONE_MODELS = [
    "iPhone 11",
    "iPhone 12",
    "iPhone 12 Pro",
    "iPhone 13",
    "iPhone 13 Pro",
    "iPhone 14",
    "iPhone 14 Pro",
    "iPhone 15",
    "iPhone SE (2022)",
    "Galaxy S21",
    "Galaxy S22",
    "Galaxy S23",
    "Galaxy A14",
    "Galaxy A34",
    "Galaxy A54",
    "Pixel 6",
    "Pixel 7",
    "Pixel 7a",
    "Pixel 8",
    "Redmi Note 12",
    "Moto G54",
]
SUPPLIERS = {
    "parts": "Mobile Parts Direct",
    "accessories": "Accessory Hub Wholesale",
    "computer": "PC Components Ltd",
    "devices": "TechDistri Devices",
}


# Parts and accessories stocked for every phone model:
# (category, supplier, name after the model, sale price, cost, reorder level).
PER_MODEL = [
    ("Screens", "parts", "screen assembly", "119.00", "53.55", 2),
    ("Batteries", "parts", "battery", "49.00", "14.50", 3),
    ("Charging ports", "parts", "charging port flex", "39.00", "6.80", 2),
    ("Camera parts", "parts", "rear camera glass", "24.00", "2.60", 2),
    ("Cases & protection", "accessories", "clear case", "14.99", "3.20", 4),
    ("Cases & protection", "accessories", "tempered glass", "9.99", "1.10", 6),
]
PREMIUM_SCREEN = ("189.00", "85.05")
DEVICES = [
    ("iPhone 15 128GB (refurbished, grade A)", "649.00", "520.00"),
    ("iPhone 13 128GB (refurbished, grade A)", "429.00", "330.00"),
    ("Galaxy A54 128GB", "349.00", "275.00"),
    ("Galaxy A14 64GB", "159.00", "118.00"),
    ("Pixel 7a 128GB", "399.00", "310.00"),
    ("Moto G54 128GB", "199.00", "148.00"),
]


def _catalogue():
    """(category, supplier key, name, sale price, cost price, reorder level)."""
    rows = []
    for model in PHONE_MODELS:
        premium = "Pro" in model or model.endswith(("14", "15", "S23"))
        for category, supplier, part, sale, cost, reorder in PER_MODEL:
            if premium and part == "screen assembly":
                sale, cost = PREMIUM_SCREEN
            rows.append(
                (
                    category,
                    supplier,
                    f"{model} {part}",
                    Decimal(sale),
                    Decimal(cost),
                    reorder,
                )
            )
        if model.startswith(("iPhone", "Galaxy S")):
            rows.append(
                ("Cases & protection", "accessories", f"{model} silicone case",
                 Decimal("19.99"), Decimal("4.10"), 3)
            )  # fmt: skip
    rows += [("Phones", "devices", n, Decimal(p), Decimal(c), 1) for n, p, c in DEVICES]
    accessories = [
        ("USB-C to USB-C cable 1 m", "12.99", "2.10"),
        ("USB-C to USB-C cable 2 m", "15.99", "2.90"),
        ("USB-C to Lightning cable 1 m", "17.99", "3.40"),
        ("Micro-USB cable 1 m", "7.99", "1.20"),
        ("20W USB-C wall charger", "19.99", "5.60"),
        ("65W GaN USB-C charger", "44.99", "17.80"),
        ("Dual USB car charger", "14.99", "3.90"),
        ("15W wireless charging pad", "29.99", "9.40"),
        ("Power bank 10,000 mAh", "34.99", "12.50"),
        ("Power bank 20,000 mAh", "49.99", "19.20"),
    ]
    rows += [
        ("Chargers & cables", "accessories", n, Decimal(p), Decimal(c), 5)
        for n, p, c in accessories
    ]
    audio = [
        ("Wireless earbuds", "39.99", "14.00"),
        ("Wired earphones USB-C", "12.99", "3.10"),
        ("Over-ear Bluetooth headphones", "79.99", "31.00"),
        ("Bluetooth speaker", "49.99", "19.90"),
    ]
    rows += [
        ("Audio", "accessories", n, Decimal(p), Decimal(c), 2) for n, p, c in audio
    ]
    computer = [
        ("SSD 2.5in SATA 500GB", "54.99", "31.00"),
        ("SSD 2.5in SATA 1TB", "89.99", "55.00"),
        ("SSD NVMe M.2 512GB", "59.99", "34.00"),
        ("SSD NVMe M.2 1TB", "94.99", "58.00"),
        ("SSD NVMe M.2 2TB", "169.99", "112.00"),
        ("RAM DDR4 SO-DIMM 8GB", "29.99", "15.50"),
        ("RAM DDR4 SO-DIMM 16GB", "54.99", "29.00"),
        ("RAM DDR5 SO-DIMM 16GB", "69.99", "38.00"),
        ("USB flash drive 64GB", "12.99", "4.10"),
        ("USB flash drive 128GB", "19.99", "6.90"),
        ("microSD card 128GB", "19.99", "7.40"),
        ("microSD card 256GB", "32.99", "13.10"),
        ("Laptop charger 65W USB-C", "39.99", "14.20"),
        ("Laptop charger 90W universal", "49.99", "18.60"),
        ("Dell laptop battery 56Wh", "79.99", "33.00"),
        ("HP laptop battery 41Wh", "69.99", "28.50"),
        ("Lenovo laptop battery 57Wh", "84.99", "35.40"),
        ("MacBook Air M1 battery", "129.00", "58.00"),
        ("Laptop keyboard UK layout (HP)", "49.00", "17.00"),
        ("Wireless mouse", "17.99", "5.30"),
        ("USB keyboard", "19.99", "6.80"),
        ("Thermal paste 4g", "8.99", "2.40"),
        ("Laptop screen 15.6in FHD IPS", "119.00", "58.00"),
        ("Laptop screen 14in FHD IPS", "109.00", "52.00"),
    ]
    rows += [
        ("Computer parts", "computer", n, Decimal(p), Decimal(c), 2)
        for n, p, c in computer
    ]
    return rows


SERVICES = [
    ("Screen fitting (phone)", "35.00"),
    ("Battery fitting (phone)", "25.00"),
    ("Charging port repair", "30.00"),
    ("Diagnostic", "20.00"),
    ("Water damage treatment", "45.00"),
    ("Data recovery", "79.00"),
    ("Virus and malware removal", "49.00"),
    ("Windows reinstall with data backup", "69.00"),
    ("Laptop screen fitting", "45.00"),
    ("Laptop internal clean and repaste", "39.00"),
    ("SSD upgrade with cloning", "35.00"),
    ("Phone set-up and data transfer", "25.00"),
]


def add_arguments(parser):
    parser.add_argument(
        "--products",
        type=int,
        default=None,
        help="How many products (default: the demo catalogue, about 200). "
        "More are generated as numbered spare parts, for benchmarks.",
    )


def ean13(number):
    """A valid EAN-13 in the in-store range 20x from a running number."""
    digits = f"200{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def load(options, out):
    if Product.objects.exists():
        out("Products exist; inventory demo data not loaded.")
        return
    rng = random.Random(2026)
    owner = User.objects.filter(role=Role.SUPER_ADMIN).order_by("pk").first()
    manager = User.objects.filter(username="manager").first() or owner
    rates = _tax_rates()
    suppliers = {
        key: Supplier.objects.get_or_create(
            name=name,
            defaults={"email": f"orders@{key}.example", "phone": "+1 555 0100"},
        )[0]
        for key, name in SUPPLIERS.items()
    }
    categories = {}

    def category(name):
        if name not in categories:
            categories[name] = Category.objects.get_or_create(name=name)[0]
        return categories[name]

    rows = _catalogue()
    wanted = options.get("products") or len(rows) + len(SERVICES)
    extra = max(wanted - len(rows) - len(SERVICES), 0)
    for n in range(extra):
        price = Decimal(rng.randrange(499, 19999)) / 100
        cost = (price * Decimal("0.4")).quantize(CENT)
        rows.append(("Spare parts", "parts", f"Spare part {n + 1:05d}", price, cost, 2))
    products = [
        Product(
            name=name,
            sku=f"{cat[:3].upper()}-{index:05d}",
            barcode=ean13(index),
            category=category(cat),
            supplier=suppliers[supplier],
            sale_price=sale,
            cost_price=cost,
            tax_rate=rates["Standard"],
            reorder_level=reorder,
        )
        for index, (cat, supplier, name, sale, cost, reorder) in enumerate(
            rows, start=1
        )
    ]
    products += [
        Product(
            name=name,
            sku=f"SRV-{index:03d}",
            category=category("Repair services"),
            sale_price=Decimal(price),
            tax_rate=rates["Standard"],
            tracks_stock=False,
        )
        for index, (name, price) in enumerate(SERVICES, start=1)
    ]
    Product.objects.bulk_create(products[:wanted], batch_size=2000)

    # Opening stock 90 days ago: most products well stocked, some low, a few out.
    stocked = Product.objects.filter(tracks_stock=True).order_by("pk")
    lines = []
    for product in stocked:
        roll = rng.random()
        if roll < 0.05:
            continue
        quantity = (
            rng.randint(1, max(product.reorder_level, 1))
            if roll < 0.15
            else rng.randint(5, 30)
        )
        lines.append(services.StockLine(product.pk, quantity))
    moves = services.record_opening_stock(lines, by=owner)
    opened = timezone.now() - timedelta(days=90)
    for start in range(0, len(moves), CHUNK):  # values per statement are limited
        chunk = [move.pk for move in moves[start : start + CHUNK]]
        StockMove.objects.filter(pk__in=chunk).update(created_at=opened)
    _receive_some(rng, suppliers, manager)
    out(f"Products: {Product.objects.count()} in {len(categories)} categories.")


def _tax_rates():
    TaxRate.objects.filter(is_default=True).update(is_default=False)
    rates = {}
    for name, rate, default in [
        ("Standard", "20.00", True),
        ("Reduced", "5.00", False),
        ("Zero rated", "0.00", False),
    ]:
        rates[name], _ = TaxRate.objects.update_or_create(
            name=name, defaults={"rate": Decimal(rate), "is_default": default}
        )
    return rates


def _receive_some(rng, suppliers, by):
    """A few deliveries over the last weeks, so stock history looks lived in."""
    parts = list(
        Product.objects.filter(supplier=suppliers["parts"]).order_by("pk")[:60]
    )
    for days_ago in (60, 35, 14, 3):
        chosen = rng.sample(parts, k=min(8, len(parts)))
        receipt = services.receive_stock(
            [services.StockLine(p, rng.randint(2, 10), p.cost_price) for p in chosen],
            by=by,
            supplier=suppliers["parts"],
            supplier_reference=f"MPD-{rng.randint(10000, 99999)}",
        )
        _backdate_receipt(receipt, timezone.now() - timedelta(days=days_ago))


def _backdate_receipt(receipt, when):
    """Move a delivery and its stock moves to the moment it came in."""
    GoodsReceipt.objects.filter(pk=receipt.pk).update(created_at=when)
    StockMove.objects.for_document(receipt).update(created_at=when)


def restock_low(rng, by, *, when=None, leave=0):
    """A delivery of what sales and repairs ran low, as a shop that keeps up gets.

    The products whose low-stock alert went out (sold or fitted down to their
    reorder level) come back to about three times that level, and the alerts
    about them count as read; `leave` of them, picked at random, are still to
    be ordered. (The few the catalogue starts with low stay so: the low-stock
    page has something to show.) `when` dates the delivery in the past;
    without it, it arrives now.
    """
    low = list(
        Product.objects.low_stock()
        .filter(low_stock_alerted=True)
        .exclude(supplier=None)
        .order_by("pk")
    )
    kept = set(rng.sample(low, k=min(leave, len(low))))
    by_supplier = defaultdict(list)
    for product in low:
        if product not in kept:
            wanted = 3 * max(product.reorder_level, 1) + rng.randint(0, 5)
            by_supplier[product.supplier].append(
                services.StockLine(
                    product, wanted - product.on_hand, product.cost_price
                )
            )
    for supplier, lines in by_supplier.items():
        receipt = services.receive_stock(
            lines,
            by=by,
            supplier=supplier,
            supplier_reference=f"PO-{rng.randint(10000, 99999)}",
        )
        if when is not None:
            _backdate_receipt(receipt, when)
    # The Admin ordered from the alerts that are out already (those still
    # queued are dropped when they find the product restocked).
    restocked = [
        line.product.get_absolute_url()
        for lines in by_supplier.values()
        for line in lines
    ]
    Notification.objects.unread().filter(kind="low_stock", url__in=restocked).update(
        read_at=timezone.now()
    )
