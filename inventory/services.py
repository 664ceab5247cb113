"""Products and stock. The only code that changes a product's on-hand quantity.

Every change is a StockMove written in the same transaction as the product's new
`on_hand`. Products are locked with SELECT ... FOR UPDATE in id order first, so
two tills selling the same last unit queue on the lock and the second one sees
the first one's sale; locking in one order means they never deadlock.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.deletion import ProtectedError

from accounts import live
from accounts.models import ShopSettings, User
from pos_project.db import one_transaction
from pos_project.money import to_money
from pos_project.tasks import enqueue_on_commit
from pos_project.validators import checked as without_card_numbers

from .models import (
    MAX_STOCK_QUANTITY,
    GoodsReceipt,
    Product,
    StockCount,
    StockMove,
    StockReason,
)
from .tasks import alert_low_stock

OUT_REASONS = {StockReason.SALE, StockReason.REPAIR_PART}
IN_REASONS = {StockReason.RETURN, StockReason.REPAIR_PART_RETURN}
PRODUCT_FIELDS_SET_BY_STAFF = {
    "name",
    "sku",
    "barcode",
    "description",
    "category",
    "supplier",
    "sale_price",
    "cost_price",
    "tax_rate",
    "tracks_stock",
    "reorder_level",
    "active",
    "image",
}


@dataclass(frozen=True)
class StockLine:
    """A product and a quantity to move; the unit cost only when receiving."""

    product: Product | int
    quantity: int
    unit_cost: Decimal | None = None

    @property
    def product_id(self):
        return self.product if isinstance(self.product, int) else self.product.pk


# Moving stock.


def _positive_quantity(quantity, product_name=""):
    where = f" of {product_name}" if product_name else ""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError(f"The quantity{where} must be a whole number above zero.")
    _within_limit(quantity, where)
    return quantity


def _within_limit(quantity, where=""):
    if abs(quantity) > MAX_STOCK_QUANTITY:
        raise ValidationError(
            f"The quantity{where} can be at most {MAX_STOCK_QUANTITY:,} at a time."
        )


def _lock_products(product_ids, fields=None):
    """The products, locked for this transaction, in id order (see module doc).

    FOR NO KEY UPDATE on PostgreSQL (`no_key`): the stock changes, never the
    key, so rows that only refer to the product (a sale line, a kept sales
    total) can still be written meanwhile; FOR UPDATE would make them wait,
    and a rebuild of the sales totals deadlock with a checkout.

    With `fields`, only those columns are read (take_stock, at every sale)."""
    products = Product.objects.select_for_update(no_key=True).filter(
        pk__in=set(product_ids)
    )
    if fields:
        products = products.only(*fields)
    locked = {product.pk: product for product in products.order_by("pk")}
    missing = set(product_ids) - set(locked)
    if missing:
        raise ValidationError("A product in this list no longer exists.")
    return locked


class _Ledger:
    """Collects the moves of one business action and writes them at once."""

    # The product columns a move can change; a ledger writes only what it may.
    FIELDS = ("on_hand", "needs_count", "low_stock_alerted", "cost_price")

    def __init__(
        self, *, by, reason, reference=None, reference_label="", note="", fields=FIELDS
    ):
        self.by = by
        self.fields = list(fields)
        self.reason = reason
        self.note = note
        self.reference_label = reference_label or (str(reference) if reference else "")
        self.reference_type = (
            ContentType.objects.get_for_model(reference) if reference else None
        )
        self.reference_id = reference.pk if reference else None
        self.moves = []
        self.products = {}
        self.newly_low = []

    def touch(self, product):
        """Save this product's flags with the moves, even if it does not move."""
        self.products[product.pk] = product

    def move(self, product, quantity, unit_cost=None):
        product.on_hand += quantity
        if product.on_hand > product.reorder_level:
            if product.low_stock_alerted:
                product.low_stock_alerted = False
                self.also_write("low_stock_alerted")
        elif self.reason in OUT_REASONS and not product.low_stock_alerted:
            product.low_stock_alerted = True
            self.also_write("low_stock_alerted")
            self.newly_low.append(product.pk)
        self.touch(product)
        self.moves.append(
            StockMove(
                product=product,
                quantity=quantity,
                reason=self.reason,
                balance_after=product.on_hand,
                unit_cost=unit_cost,
                reference_type=self.reference_type,
                reference_id=self.reference_id,
                reference_label=self.reference_label[:100],
                note=self.note[:255],
                user=self.by,
            )
        )

    def also_write(self, field):
        if field not in self.fields:
            self.fields.append(field)

    def save(self):
        StockMove.objects.bulk_create(without_card_numbers(self.moves))
        live.changed("stock")
        products = list(self.products.values())
        if len(products) == 1:
            # One product (the usual sale): a plain UPDATE, no CASE per column.
            product = products[0]
            Product.objects.filter(pk=product.pk).update(
                **{field: getattr(product, field) for field in self.fields}
            )
        elif products:
            Product.objects.bulk_update(products, self.fields)
        if self.newly_low:
            enqueue_on_commit(alert_low_stock, self.newly_low)
        return self.moves


def _merge(lines):
    """Quantities per product id, in id order, for lines that may repeat one."""
    totals = defaultdict(int)
    for line in lines:
        totals[line.product_id] += _positive_quantity(line.quantity)
    return dict(sorted(totals.items()))


# What take_stock reads of a product: the ledger's columns and what it decides on.
TAKE_FIELDS = (*_Ledger.FIELDS, "name", "tracks_stock", "reorder_level")


@one_transaction
def take_stock(
    lines,
    *,
    by: User,
    reason: str = StockReason.SALE,
    reference=None,
    reference_label: str = "",
    note: str = "",
    shop: ShopSettings | None = None,
) -> list[StockMove]:
    """Take products out for a sale or a repair; refuse if stock is short.

    Each move records the product's cost price of the moment as its unit cost.
    Products that track no stock (services) are skipped. With the shop setting
    "allow negative stock" a shortfall goes through and flags the product for a
    count. When stock falls to its reorder level Admins are alerted once.
    `shop` saves reading the settings again when the caller has them.
    """
    if reason not in OUT_REASONS:
        raise ValueError(f"take_stock does not take stock for {reason!r}.")
    wanted = _merge(lines)
    locked = _lock_products(wanted, fields=TAKE_FIELDS)
    allow_negative = (shop or ShopSettings.load()).allow_negative_stock
    ledger = _Ledger(
        by=by,
        reason=reason,
        reference=reference,
        reference_label=reference_label,
        note=note,
        fields=["on_hand"],
    )
    short = []
    for product_id, quantity in wanted.items():
        product = locked[product_id]
        if not product.tracks_stock:
            continue
        if product.on_hand < quantity:
            if not allow_negative:
                short.append(
                    f"Not enough stock of {product.name}: "
                    f"{max(product.on_hand, 0)} in stock, {quantity} wanted."
                )
                continue
            product.needs_count = True
            ledger.also_write("needs_count")
        # What the units cost the shop as they leave: reports value the sale
        # or the repair part at it, whatever the cost price becomes later.
        ledger.move(product, -quantity, unit_cost=product.cost_price)
    if short:
        raise ValidationError(short)
    return ledger.save()


@transaction.atomic
def return_stock(
    lines,
    *,
    by: User,
    reason: str = StockReason.RETURN,
    reference=None,
    reference_label: str = "",
    note: str = "",
) -> list[StockMove]:
    """Put products back: a customer return or a repair part not fitted after all."""
    if reason not in IN_REASONS:
        raise ValueError(f"return_stock does not return stock for {reason!r}.")
    wanted = _merge(lines)
    locked = _lock_products(wanted)
    ledger = _Ledger(
        by=by,
        reason=reason,
        reference=reference,
        reference_label=reference_label,
        note=note,
    )
    for product_id, quantity in wanted.items():
        if locked[product_id].tracks_stock:
            ledger.move(locked[product_id], quantity)
    return ledger.save()


def _unit_cost(value, product_name):
    try:
        cost = to_money(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"The unit cost of {product_name} is not an amount."
        ) from exc
    if cost < 0 or cost != Decimal(str(value)):
        raise ValidationError(
            f"The unit cost of {product_name} must be zero or more, with at most "
            "two decimals."
        )
    return cost


@transaction.atomic
def receive_stock(
    lines,
    *,
    by: User,
    supplier,
    supplier_reference: str = "",
    note: str = "",
) -> GoodsReceipt:
    """Book stock delivered by a supplier at its unit cost.

    The product's cost price becomes the average cost of what is on hand and
    what arrived, rounded to cents.
    """
    if not lines:
        raise ValidationError("Add at least one product to receive.")
    locked = _lock_products([line.product_id for line in lines])
    receipt = GoodsReceipt.objects.create(
        supplier=supplier,
        supplier_reference=supplier_reference,
        note=note,
        received_by=by,
    )
    ledger = _Ledger(by=by, reason=StockReason.RECEIVE, reference=receipt, note=note)
    for line in lines:
        product = locked[line.product_id]
        quantity = _positive_quantity(line.quantity, product.name)
        if not product.tracks_stock:
            raise ValidationError(f"{product.name} is a service and holds no stock.")
        cost = _unit_cost(line.unit_cost, product.name)
        held = max(product.on_hand, 0)
        product.cost_price = to_money(
            (held * product.cost_price + quantity * cost) / (held + quantity)
        )
        ledger.move(product, quantity, unit_cost=cost)
    ledger.save()
    return receipt


@transaction.atomic
def adjust_stock(product: Product, *, by: User, quantity: int, note: str) -> StockMove:
    """Correct one product's stock (damage, loss, found items), with a reason."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
        raise ValidationError("The adjustment must be a whole number other than zero.")
    _within_limit(quantity)
    if not note.strip():
        raise ValidationError("Say why the stock is adjusted (e.g. damaged, found).")
    product = _lock_products([product.pk])[product.pk]
    if not product.tracks_stock:
        raise ValidationError(f"{product.name} is a service and holds no stock.")
    if product.on_hand + quantity < 0:
        raise ValidationError(
            f"{product.name} has {product.on_hand} in stock; it cannot go below zero. "
            "Count it instead."
        )
    ledger = _Ledger(by=by, reason=StockReason.ADJUSTMENT, note=note.strip())
    ledger.move(product, quantity)
    return ledger.save()[0]


@transaction.atomic
def count_stock(counts: dict, *, by: User, note: str = "") -> StockCount:
    """Record counted quantities; each difference from the books becomes a move.

    `counts` maps products (or ids) to the quantity found on the shelf.
    """
    wanted = {}
    for product, counted in counts.items():
        product_id = product if isinstance(product, int) else product.pk
        if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            raise ValidationError(
                "Counted quantities must be whole numbers, zero or more."
            )
        _within_limit(counted)
        wanted[product_id] = counted
    if not wanted:
        raise ValidationError("Enter at least one counted quantity.")
    locked = _lock_products(wanted)
    stock_count = StockCount.objects.create(
        counted_by=by, note=note, products_counted=len(wanted)
    )
    ledger = _Ledger(by=by, reason=StockReason.COUNT, reference=stock_count, note=note)
    for product_id, counted in sorted(wanted.items()):
        product = locked[product_id]
        if not product.tracks_stock:
            raise ValidationError(f"{product.name} is a service and holds no stock.")
        product.needs_count = False
        if counted != product.on_hand:
            ledger.move(product, counted - product.on_hand)
        else:
            ledger.touch(product)
    ledger.save()
    return stock_count


@transaction.atomic
def record_opening_stock(lines, *, by: User) -> list[StockMove]:
    """The first stock of products that have no moves yet (a new shop, a new item).

    Each line's unit cost, when given, becomes the product's cost price.
    """
    locked = _lock_products([line.product_id for line in lines])
    with_history = set(
        StockMove.objects.filter(product__in=locked).values_list(
            "product__name", flat=True
        )
    )
    if with_history:
        names = ", ".join(sorted(with_history))
        raise ValidationError(
            f"Already has stock history; receive it instead: {names}."
        )
    ledger = _Ledger(by=by, reason=StockReason.OPENING)
    for line in lines:
        product = locked[line.product_id]
        quantity = _positive_quantity(line.quantity, product.name)
        if not product.tracks_stock:
            raise ValidationError(f"{product.name} is a service and holds no stock.")
        if line.unit_cost is not None:
            product.cost_price = _unit_cost(line.unit_cost, product.name)
        ledger.move(product, quantity, unit_cost=product.cost_price)
    return ledger.save()


# Products.


def _check_fields(fields):
    unknown = set(fields) - PRODUCT_FIELDS_SET_BY_STAFF
    if unknown:
        raise ValidationError(f"Unknown product fields: {', '.join(sorted(unknown))}.")


@transaction.atomic
def create_product(*, by: User, opening_stock: int = 0, **fields) -> Product:
    """A new product, with the stock on the shelf now as its opening stock."""
    _check_fields(fields)
    product = Product(**fields)
    product.full_clean()
    product._history_user = by
    product.save()
    if opening_stock:
        record_opening_stock([StockLine(product, opening_stock)], by=by)
        product.refresh_from_db()
    return product


@transaction.atomic
def update_product(product: Product, *, by: User, **fields) -> Product:
    """Change a product's details. Past documents keep the prices they sold at."""
    _check_fields(fields)
    product = _lock_products([product.pk])[product.pk]
    if fields.get("tracks_stock") is False and product.tracks_stock and product.on_hand:
        raise ValidationError(
            f"{product.name} has {product.on_hand} in stock; count it down to zero "
            "before it stops tracking stock."
        )
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    product._history_user = by
    product.save()
    return product


@transaction.atomic
def set_product_active(product: Product, *, by: User, active: bool) -> Product:
    """Stop (or resume) selling a product; its history stays."""
    product = _lock_products([product.pk])[product.pk]
    if product.active != active:
        product.active = active
        product._history_user = by
        product.save(update_fields=["active", "updated_at"])
    return product


@transaction.atomic
def delete_product(product: Product, *, by: User) -> None:
    """Delete a product entered by mistake; one with any history is deactivated."""
    if product.moves.exists():
        raise ValidationError(
            f"{product.name} has stock history, so it can only be deactivated."
        )
    try:
        product._history_user = by
        product.delete()
    except ProtectedError as exc:
        raise ValidationError(
            f"{product.name} is used on past documents, so it can only be deactivated."
        ) from exc
