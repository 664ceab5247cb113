"""The till: shifts, carts, checkout, returns and voids.

Checkout is one transaction: a gapless receipt number, the sale and its lines,
the stock taken (inventory.services), the invoice and payments (invoices.services)
and the cart closed, all of it or none of it. The cart row is locked first, so
a double click with two tokens still makes one sale; the checkout token makes a
retry return the sale it already made. `sell` takes a program's lines (the REST
API) through the same code path without a cart, its key in the token's place.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import (
    APPROVE_DISCOUNTS,
    APPROVE_RETURNS,
    MANAGE_SHIFTS,
    VOID_SALES,
)
from accounts.models import PaymentMethod, ShopSettings, User
from accounts.services import next_number
from customers.services import create_customer
from inventory import services as stock
from inventory.models import Product, StockReason
from invoices import services as billing
from invoices.models import Invoice, InvoiceSource
from pos_project import idempotency
from pos_project.db import first_of
from pos_project.idempotency import Made
from pos_project.money import ZERO, to_money

from . import totals as daily_totals
from .models import (
    Cart,
    CartLine,
    CartStatus,
    CashMovement,
    CashMovementKind,
    DiscountKind,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
    SaleStatus,
    Shift,
    ShiftCount,
    ShiftStatus,
)
from .pricing import price_cart
from .queries import expected_takings

MAX_QUANTITY = 9999


# Shifts.


def current_shift(user, *, lock=False):
    """The cashier's open shift, or None (at most one: a unique index).

    `lock` holds it for the caller's transaction (FOR NO KEY UPDATE on
    PostgreSQL), so that it cannot close while a sale goes into it: close_shift
    locks it too, and a sale that waited for a close finds no open shift.
    """
    shifts = Shift.objects.filter(cashier=user, status=ShiftStatus.OPEN)
    return first_of(shifts.select_for_update(no_key=True) if lock else shifts)


@transaction.atomic
def open_shift(*, by: User, opening_float) -> Shift:
    """Start a cashier's shift with the cash counted into the drawer."""
    opening_float = _amount_or_zero(opening_float, "The opening float")
    try:
        with transaction.atomic():
            return Shift.objects.create(cashier=by, opening_float=opening_float)
    except IntegrityError as exc:
        raise ValidationError(
            "You already have an open shift; close it first."
        ) from exc


@transaction.atomic
def record_cash_movement(
    shift: Shift, *, by: User, kind: str, amount, reason: str
) -> CashMovement:
    """Cash into the drawer (pay in) or out of it (payout, drop), with a reason."""
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if not shift.is_open:
        raise ValidationError("The shift is closed; a closed shift never changes.")
    if kind not in CashMovementKind.values:
        raise ValidationError("Choose cash in, a payout or a drop.")
    if not reason.strip():
        raise ValidationError("Say what the cash is for.")
    amount = billing.amount_of_money(amount)
    signed = amount if kind == CashMovementKind.PAY_IN else -amount
    return CashMovement.objects.create(
        shift=shift, kind=kind, amount=signed, reason=reason.strip()[:255], by=by
    )


@transaction.atomic
def close_shift(
    shift: Shift,
    *,
    by: User,
    counted: dict,
    note: str = "",
    approver: User | None = None,
) -> Shift:
    """Close a shift with what was counted per payment method (a blind count).

    A cash difference above the shop's threshold needs an Admin: the cashier's
    own role if they are one, or an Admin who signs the close at the till.
    """
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if not shift.is_open:
        raise ValidationError("This shift is already closed.")
    if shift.cashier_id != by.pk and not by.has_perm(MANAGE_SHIFTS):
        raise ValidationError("Only the shift's cashier or an Admin can close it.")
    now = timezone.now()
    expected = expected_takings(shift, until=now)
    counts = []
    for method in sorted(set(expected) | set(counted)):
        count = _amount_or_zero(counted.get(method, ZERO), f"The {method} count")
        counts.append(
            ShiftCount(
                shift=shift,
                method=method,
                expected=expected.get(method, ZERO),
                counted=count,
                difference=count - expected.get(method, ZERO),
            )
        )
    cash = next((c for c in counts if c.method == PaymentMethod.CASH), None)
    threshold = ShopSettings.load().cash_difference_threshold
    if cash and abs(cash.difference) > threshold:
        signer = approver or by
        if not signer.has_perm(MANAGE_SHIFTS):
            raise ValidationError(
                f"The cash is {abs(cash.difference)} "
                f"{'over' if cash.difference > 0 else 'short'}: more than "
                f"{threshold}, so an Admin must approve the close."
            )
        shift.difference_approved_by = signer
    ShiftCount.objects.bulk_create(counts)
    shift.status = ShiftStatus.CLOSED
    shift.closed_at = now
    shift.closing_note = note.strip()[:255]
    shift.save()
    return shift


def _amount_or_zero(value, what):
    """Zero, or a positive amount of money (an opening float, a counted total)."""
    if value in (None, ""):
        return ZERO
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError(f"{what} is not an amount of money.") from exc
    return ZERO if amount == 0 else billing.amount_of_money(amount, what)


# The cart.


def active_cart(cashier: User) -> Cart:
    """The cashier's cart at the till, made when first needed."""
    cart = first_of(Cart.objects.filter(cashier=cashier, status=CartStatus.ACTIVE))
    if cart:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(cashier=cashier)
    except IntegrityError:
        # Two tabs of the same till asked at once; the other made it.
        return Cart.objects.get(cashier=cashier, status=CartStatus.ACTIVE)


def _lock_cart(cart, by):
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    if cart.status != CartStatus.ACTIVE or cart.cashier_id != by.pk:
        raise ValidationError("This sale is no longer open at your till; reload it.")
    return cart


def _quantity(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("The quantity must be a whole number.")
    if not 0 <= value <= MAX_QUANTITY:
        raise ValidationError(f"The quantity must be between 0 and {MAX_QUANTITY}.")
    return value


# What a scan needs of the product it adds: whether it is sold, and its name
# for "Added ... (now 2)". The cart is priced from its lines, read afresh.
SCAN_FIELDS = ("name", "barcode", "active")


def find_product(code: str, *, fields=None):
    """The active product a scanner or cashier typed: barcode first, then SKU.

    With `fields`, only those columns (and the key): the till's scans, where
    reading and building the whole product and its tax rate was the costliest
    query of a scan. Otherwise the whole product, with its tax rate.
    """
    code = (code or "").strip()
    if not code:
        return None
    products = Product.objects.active()
    products = products.only(*fields) if fields else products.select_related("tax_rate")
    # One query; lower(sku) is what the unique index on SKUs is built on. Both
    # codes are unique, so at most two rows match: no ORDER BY needed.
    found = list(
        products.alias(sku_lower=Lower("sku"))
        .filter(Q(barcode=code) | Q(sku_lower=Lower(Value(code))))
        .order_by()[:2]
    )
    by_barcode = [product for product in found if product.barcode == code]
    return (by_barcode or found or [None])[0]


def add_to_cart(
    cart: Cart | None,
    *,
    by: User,
    product=None,
    code: str = "",
    quantity: int = 1,
):
    """Add a product (or one more of it). A scanned code finds it by barcode or SKU.

    `cart` None is the cashier's active cart, made in the same transaction if
    they have none (the first scan after a sale): the till's scans use it.
    """
    # Looked up before the transaction, which on SQLite holds the write lock.
    found = find_product(code, fields=SCAN_FIELDS) if product is None else product
    try:
        return _add_to_cart(cart, by=by, product=found, code=code, quantity=quantity)
    except IntegrityError:
        if cart is not None:
            raise
        # Two tabs of the same till made the cashier's cart at the same
        # instant (PostgreSQL): the other one's is there now.
        return _add_to_cart(None, by=by, product=found, code=code, quantity=quantity)


@transaction.atomic
def _add_to_cart(cart, *, by, product, code, quantity):
    if product is None:
        raise ValidationError(f"No product has the barcode or SKU {code.strip()!r}.")
    if not product.active:
        raise ValidationError(f"{product.name} is no longer sold.")
    quantity = _quantity(quantity)
    if quantity == 0:
        raise ValidationError("Add at least one.")
    if cart is None:
        cart = first_of(
            Cart.objects.select_for_update().filter(
                cashier=by, status=CartStatus.ACTIVE
            )
        )
        if cart is None:
            cart = Cart.objects.create(cashier=by)
            return CartLine.objects.create(
                cart=cart, product=product, quantity=quantity
            )
    else:
        cart = _lock_cart(cart, by)
    line = first_of(CartLine.objects.filter(cart=cart, product=product))
    if line:
        line.product = product  # the caller names it ("Added … (now 2)")
        line.quantity = _quantity(line.quantity + quantity)
        line.save(update_fields=["quantity"])
    else:
        line = CartLine.objects.create(cart=cart, product=product, quantity=quantity)
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def set_line_quantity(cart: Cart, line_id: int, *, by: User, quantity: int) -> None:
    """Change a line's quantity; zero removes it."""
    cart = _lock_cart(cart, by)
    quantity = _quantity(quantity)
    line = CartLine.objects.filter(cart=cart, pk=line_id).first()
    if line is None:
        raise ValidationError("That line is no longer in the cart.")
    if quantity == 0:
        line.delete()
    else:
        line.quantity = quantity
        line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])


def _discount(kind, value):
    if kind not in DiscountKind.values:
        raise ValidationError("Choose a percent or an amount.")
    try:
        value = Decimal(str(value or "0"))
    except ArithmeticError as exc:
        raise ValidationError("The discount is not a number.") from exc
    if not value.is_finite() or value < 0 or value != to_money(value):
        raise ValidationError("The discount must be zero or more, in cents.")
    if kind == DiscountKind.PERCENT and value > 100:
        raise ValidationError("A discount cannot be more than 100%.")
    return value


@dataclass(frozen=True)
class Discount:
    """A discount asked for at the till: off one line (`target`, its id) or
    off the whole cart (`target` "cart"), a percent or an amount."""

    target: int | str
    kind: str
    value: Decimal | str


class DiscountNeedsApproval(ValidationError):
    """A discount past what staff may give, which was not kept: an Admin can
    approve it at the till (approve_discount)."""

    def __init__(self, percent, limit):
        super().__init__(
            gettext(
                "That makes %(percent)s%% off the sale, more than the %(limit)s%% "
                "staff may give. An Admin can approve it here."
            )
            % {"percent": percent, "limit": limit}
        )
        self.percent = percent


@transaction.atomic
def set_line_discount(cart: Cart, line_id: int, *, by: User, kind: str, value) -> None:
    _apply_discount(_lock_cart(cart, by), Discount(line_id, kind, value))


@transaction.atomic
def set_cart_discount(cart: Cart, *, by: User, kind: str, value) -> None:
    _apply_discount(_lock_cart(cart, by), Discount("cart", kind, value))


@transaction.atomic
def set_discount(
    cart: Cart, *, by: User, discount: Discount, shop: ShopSettings | None = None
) -> None:
    """Give a line or the cart a discount, as far as staff may on their own:
    past the shop's limit (and any approval the cart has) nothing is kept and
    DiscountNeedsApproval says so."""
    shop = shop or ShopSettings.load()
    cart = _lock_cart(cart, by)
    _apply_discount(cart, discount)
    priced = price_cart(
        cart, cart_lines(cart), prices_include_tax=shop.prices_include_tax
    )
    if needs_discount_approval(cart, priced, by, shop):
        raise DiscountNeedsApproval(
            priced.discount_percent, shop.max_staff_discount_percent
        )


def _apply_discount(cart, discount):
    """Set a discount on a cart the caller has locked."""
    kind, value = discount.kind, _discount(discount.kind, discount.value)
    if discount.target == "cart":
        cart.discount_kind = kind
        cart.discount_value = value
        cart.save(update_fields=["discount_kind", "discount_value", "updated_at"])
        return
    updated = CartLine.objects.filter(cart=cart, pk=discount.target).update(
        discount_kind=kind, discount_value=value
    )
    if not updated:
        raise ValidationError("That line is no longer in the cart.")
    cart.save(update_fields=["updated_at"])


def needs_discount_approval(cart: Cart, priced, user: User, shop: ShopSettings) -> bool:
    """Whether the cart's discounts (`priced`) are more than `user` may give
    without an Admin's approval of them."""
    if priced.discount_percent <= shop.max_staff_discount_percent:
        return False
    if user.has_perm(APPROVE_DISCOUNTS):
        return False
    return not (
        cart.discount_approved_by_id
        and priced.discount_percent <= cart.discount_approved_percent
    )


@transaction.atomic
def approve_discount(
    cart: Cart,
    *,
    by: User,
    approver: User,
    discount: Discount | None = None,
    shop: ShopSettings | None = None,
) -> User:
    """An Admin signs off the cart's discounts at the cashier's till, with the
    `discount` they were asked for: the approval covers the sale's discount as
    it now stands. `approver` comes from accounts' authenticate_approver."""
    if not approver.has_perm(APPROVE_DISCOUNTS):
        raise ValidationError(gettext("Only an Admin can approve a discount."))
    shop = shop or ShopSettings.load()
    cart = _lock_cart(cart, by)
    if discount is not None:
        _apply_discount(cart, discount)
    priced = price_cart(
        cart, cart_lines(cart), prices_include_tax=shop.prices_include_tax
    )
    cart.discount_approved_by = approver
    cart.discount_approved_percent = priced.discount_percent
    cart.save(update_fields=["discount_approved_by", "discount_approved_percent"])
    return approver


@transaction.atomic
def set_cart_customer(cart: Cart, *, by: User, customer) -> None:
    cart = _lock_cart(cart, by)
    if customer is not None and not customer.active:
        raise ValidationError(f"{customer} is deactivated.")
    cart.customer = customer
    cart.save(update_fields=["customer", "updated_at"])


@transaction.atomic
def attach_new_customer(cart: Cart, *, by: User, **details):
    """Add a customer typed in at the till and put them on the cart: both or
    neither. `details` as customers' create_customer takes them."""
    cart = _lock_cart(cart, by)
    customer = create_customer(by=by, **details)
    cart.customer = customer
    cart.save(update_fields=["customer", "updated_at"])
    return customer


@transaction.atomic
def clear_cart(cart: Cart, *, by: User) -> None:
    cart = _lock_cart(cart, by)
    cart.lines.all().delete()
    cart.customer = None
    cart.discount_value = ZERO
    cart.discount_approved_by = None
    cart.discount_approved_percent = ZERO
    cart.save()


@transaction.atomic
def park_cart(cart: Cart, *, by: User, note: str = "") -> Cart:
    """Set the sale aside (the customer went to fetch something); the till is free."""
    cart = _lock_cart(cart, by)
    if not cart.lines.exists():
        raise ValidationError("There is nothing to park.")
    cart.status = CartStatus.PARKED
    cart.park_note = note.strip()[:100]
    cart.parked_at = timezone.now()
    cart.save()
    return cart


@transaction.atomic
def resume_cart(cart: Cart, *, by: User) -> Cart:
    """Bring a parked sale back to this till; what was on it is parked instead."""
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    if cart.status != CartStatus.PARKED:
        raise ValidationError("That sale is no longer parked.")
    current = (
        Cart.objects.select_for_update()
        .filter(cashier=by, status=CartStatus.ACTIVE)
        .first()
    )
    if current is not None:
        if current.lines.exists():
            park_cart(current, by=by, note="Set aside to resume another sale")
        else:
            current.delete()
    cart.status = CartStatus.ACTIVE
    cart.cashier = by
    cart.parked_at = None
    cart.save()
    return cart


def _priced_lines(lines):
    """Cart lines as they are priced: with their products and tax rates, in
    the order they were added.

    Sorted here rather than by the database: a cart holds a handful of lines,
    and for ORDER BY the ORM compares every selected column of the three or
    four joined tables with the ordering's, which cost more than the query.
    """
    return sorted(
        lines.select_related("product", "product__tax_rate").order_by(),
        key=_added,
    )


def _added(line):
    return (line.added_at, line.pk)


def cart_lines(cart):
    return _priced_lines(cart.lines)


def active_cart_and_lines(cashier: User):
    """The cashier's active cart and its lines as cart_lines reads them: one
    query when the cart has lines (the checkout), active_cart's otherwise."""
    lines = _priced_lines(
        CartLine.objects.filter(
            cart__cashier=cashier, cart__status=CartStatus.ACTIVE
        ).select_related("cart")
    )
    if not lines:
        return active_cart(cashier), []
    cart = lines[0].cart
    for line in lines:
        line.cart = cart
    return cart, lines


# Checkout.


@dataclass(frozen=True)
class Tender:
    method: str
    amount: Decimal | str
    reference: str = ""


def checkout(
    cart: Cart,
    *,
    by: User,
    tenders,
    token: str,
    shop: ShopSettings | None = None,
    lines=None,
) -> Sale:
    """Sell what is in the cart, all or nothing; a repeated token returns the sale.

    `shop` and `lines` (the cart's, as cart_lines reads them) save reading
    them again when the caller has them.
    """
    if not token or len(token) > 64:
        raise ValidationError("This checkout form has expired; reload the till.")
    shop = shop or ShopSettings.load()
    tenders = list(tenders)
    # Read and priced before the transaction, which on SQLite holds the
    # database's write lock from its first statement; checked under the cart lock.
    plan = _plan(cart, tenders, shop, lines=lines)
    try:
        return _checkout(
            cart, by=by, tenders=tenders, token=token, shop=shop, plan=plan
        )
    except (IntegrityError, ValidationError):
        # Perhaps a resubmit of a sale already made: a double click finds its
        # cart checked out (or, the till having made the next one, empty); a
        # retry after a timeout may come onto the next customer's cart, where
        # it is refused (its payments do not fit that cart) or fails on the
        # token's unique index when the sale is written. Whichever, the attempt
        # was rolled back whole: hand back the sale the token made. Looked up
        # only here, so a checkout that goes through never reads it.
        existing = first_of(Sale.objects.filter(checkout_token=token))
        if existing:
            return existing
        raise


@dataclass
class _Plan:
    """A cart's lines priced and its tenders planned, or why it cannot be sold."""

    cart: Cart
    lines: list
    priced: object = None
    payments: list = None
    change: Decimal = ZERO
    tendered: Decimal = ZERO
    refusal: ValidationError | None = None  # of the cart
    tender_refusal: ValidationError | None = None


def _plan(cart, tenders, shop, lines=None):
    plan = _Plan(cart, cart_lines(cart) if lines is None else lines)
    try:
        if not plan.lines:
            raise ValidationError("The cart is empty.")
        inactive = [line.product.name for line in plan.lines if not line.product.active]
        if inactive:
            raise ValidationError(f"No longer sold: {', '.join(inactive)}. Remove it.")
        plan.priced = price_cart(
            cart, plan.lines, prices_include_tax=shop.prices_include_tax
        )
    except ValidationError as exc:
        # Told only under the cart lock: a resubmit of a sale already made
        # (its cart now empty) gets that sale, not a refusal.
        plan.refusal = exc
        return plan
    try:
        plan.payments, plan.change, plan.tendered = _plan_tenders(
            tenders, plan.priced.totals.total, shop
        )
    except ValidationError as exc:
        plan.tender_refusal = exc
    return plan


@transaction.atomic
def _checkout(cart, *, by, tenders, token, shop, plan):
    # First, the cart is closed if it is still open at this till as it was
    # priced: one statement that also takes its lock, so a double click's
    # second request queues here, then finds it checked out. Every change to
    # a cart or its lines stamps the cart (updated_at).
    closed = Cart.objects.filter(
        pk=cart.pk,
        cashier=by,
        status=CartStatus.ACTIVE,
        updated_at=plan.cart.updated_at,
    ).update(status=CartStatus.CHECKED_OUT, updated_at=timezone.now())
    if not closed:
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        if cart.status != CartStatus.ACTIVE or cart.cashier_id != by.pk:
            # `checkout` then looks for the sale of a resubmit.
            raise ValidationError(
                "This sale was already completed or moved to another till."
            )
        # It changed after it was priced (another tab of this till): price it
        # again, as it is now.
        plan = _plan(cart, tenders, shop)
        cart.status = CartStatus.CHECKED_OUT
        cart.save(update_fields=["status", "updated_at"])
    return _make_sale(
        plan.cart,
        plan,
        by=by,
        shift=current_shift(by, lock=True),
        token=token,
        shop=shop,
    )


def _make_sale(cart, plan, *, by, shift, token, shop):
    """The sale of a planned cart, under the caller's lock: the one code path
    from priced lines to receipt number, invoice, stock and payments."""
    if shift is None:
        raise ValidationError("Open a shift before taking money.")
    if plan.refusal:
        raise plan.refusal
    priced, lines = plan.priced, plan.lines
    _check_discount(cart, priced, by, shop)
    if plan.tender_refusal:
        raise plan.tender_refusal
    total = priced.totals.total
    on_account = total - sum(amount for _, amount, _ in plan.payments)
    customer = plan.cart.customer
    if on_account > 0:
        _check_on_account(customer, on_account)

    # The services below join this transaction (no savepoint each): a refusal
    # from any of them fails the whole sale.
    invoice = billing.create_invoice.joining(
        [
            billing.LineInput(
                description=p.line.product.name,
                quantity=p.line.quantity,
                unit_price=p.unit_price,
                tax_rate=p.line.product.tax_rate.rate,
                discount=p.line_discount + p.cart_discount,
                sku=p.line.product.sku,
            )
            for p in priced.lines
        ],
        by=by,
        customer=customer,
        source=InvoiceSource.SALE,
        shop=shop,
        # All tenders written with the invoice, which counts them as it is made.
        payments=[
            billing.PaymentInput(
                method, amount, reference, idempotency_key=f"{token}:{index}"
            )
            for index, (method, amount, reference) in enumerate(plan.payments)
        ],
    )
    sale = Sale.objects.create(
        number=f"R-{next_number('sale'):06d}",
        shift=shift,
        cashier=by,
        customer=customer,
        invoice=invoice,
        subtotal=priced.totals.subtotal,
        discount_total=priced.totals.discount,
        tax_total=priced.totals.tax,
        total=total,
        tendered=plan.tendered,
        change_given=plan.change,
        checkout_token=token,
        discount_approved_by_id=cart.discount_approved_by_id,
    )
    sale_lines = SaleLine.objects.bulk_create(
        SaleLine(
            sale=sale,
            product=p.line.product,
            name=p.line.product.name,
            sku=p.line.product.sku,
            quantity=p.line.quantity,
            unit_price=p.unit_price,
            discount=p.totals.discount,
            tax_rate=p.totals.tax_rate,
            net=p.totals.net,
            tax=p.totals.tax,
            gross=p.totals.gross,
            unit_cost=p.line.product.cost_price,
        )
        for p in priced.lines
    )
    stock.take_stock.joining(
        [stock.StockLine(line.product, line.quantity) for line in lines],
        by=by,
        reason=StockReason.SALE,
        reference=sale,
        shop=shop,
    )
    # Last, after the products and the invoice: see sales.totals.
    daily_totals.add_sale(sale, sale_lines)
    return sale


def _check_discount(cart, priced, by, shop):
    if needs_discount_approval(cart, priced, by, shop):
        raise ValidationError(
            f"A discount of {priced.discount_percent}% is more than the "
            f"{shop.max_staff_discount_percent}% staff may give: an Admin must "
            "approve it."
        )


def _plan_tenders(tenders, total, shop):
    """[(method, amount applied, reference)], change, and all that was tendered.

    Only cash can be more than what is due: the rest is handed back as change.
    """
    payments, tendered, cash_in = [], ZERO, ZERO
    for tender in tenders:
        amount = billing.amount_of_money(tender.amount, "Each payment")
        method = billing.check_method(tender.method, shop=shop)
        if method == PaymentMethod.STORE_CREDIT:
            raise ValidationError("Store credit is taken from the customer's page.")
        reference = billing.check_reference(tender.reference)
        tendered += amount
        if method == PaymentMethod.CASH:
            cash_in += amount
        payments.append([method, amount, reference])
    change = max(tendered - total, ZERO)
    if change > cash_in:
        raise ValidationError(
            "Only cash can be more than the total; check the card amounts."
        )
    # The change comes out of the cash tenders, last first.
    left = change
    for payment in reversed(payments):
        if left and payment[0] == PaymentMethod.CASH:
            taken = min(left, payment[1])
            payment[1] -= taken
            left -= taken
    return [tuple(p) for p in payments if p[1] > 0], change, tendered


def _check_on_account(customer, amount):
    if customer is None:
        raise ValidationError(
            f"{amount} is still to pay. Take the rest, or attach a customer to put "
            "it on their account."
        )
    if customer.credit_limit is not None:
        owed = Invoice.objects.filter(customer=customer).total_balance()
        if owed + amount > customer.credit_limit:
            raise ValidationError(
                f"{customer} would owe {owed + amount}, over their credit limit of "
                f"{customer.credit_limit}."
            )


# Selling without the till's cart: programs such as a web shop (the REST API).


@dataclass(frozen=True)
class SaleItem:
    """A line a program sells: a product (or its id), or the barcode or SKU a
    scanner read. The price always comes from the product."""

    product: Product | int | None = None
    code: str = ""
    quantity: int = 1
    discount_kind: str = DiscountKind.PERCENT
    discount_value: Decimal | str = ZERO


SALES = idempotency.Action(
    "sale",
    Sale,
    "checkout_token",
    reused=lambda sale: (
        f"This key already made sale {sale.number}, for a different order. "
        "Use a new key for a new sale."
    ),
)


def sell(
    items,
    *,
    by: User,
    tenders,
    key: str,
    customer=None,
    discount_kind: str = DiscountKind.PERCENT,
    discount_value=ZERO,
    shop: ShopSettings | None = None,
) -> Made:
    """Sell `items` (SaleItem) as checkout sells a cart, without `by`'s till cart.

    `key` is the caller's one-time key (pos_project.idempotency): a retry with
    the key and the same order returns the sale it made (not made now); the
    key with a different order is refused (KeyReused) and sells nothing. A
    refused order uses up no key.
    """
    items, tenders = list(items), list(tenders)
    claim = SALES.claim(
        key,
        by=by,
        content=_order_content(items, tenders, customer, discount_kind, discount_value),
    )
    earlier = claim.earlier()
    if earlier:
        return earlier
    shop = shop or ShopSettings.load()
    # Read and priced before the transaction, as checkout does.
    cart, lines = _order(
        items,
        by=by,
        customer=customer,
        discount_kind=discount_kind,
        discount_value=discount_value,
    )
    plan = _plan(cart, tenders, shop, lines=lines)
    return claim.make(
        lambda: _make_sale(
            cart,
            plan,
            by=by,
            shift=current_shift(by, lock=True),
            token=claim.token,
            shop=shop,
        )
    )


def _order_content(items, tenders, customer, discount_kind, discount_value):
    """What a program's sale asks, for its key's fingerprint: numbers written
    any way ("10", "10.00") are one number."""
    number = idempotency.number
    return {
        "items": [
            [
                getattr(item.product, "pk", item.product),
                str(item.code).strip(),
                number(item.quantity),
                item.discount_kind,
                number(item.discount_value),
            ]
            for item in items
        ],
        "tenders": [
            [t.method, number(t.amount), str(t.reference or "").strip()]
            for t in tenders
        ],
        "customer": getattr(customer, "pk", customer),
        "discount": [discount_kind, number(discount_value)],
    }


def _order(items, *, by, customer, discount_kind, discount_value):
    """An unsaved cart and lines for `items`, for checkout to price and sell."""
    if not items:
        raise ValidationError("The sale has no lines.")
    if customer is not None and not customer.active:
        raise ValidationError(f"{customer} is deactivated.")
    cart = Cart(
        cashier=by,
        customer=customer,
        discount_kind=discount_kind,
        discount_value=_discount(discount_kind, discount_value),
    )
    ids = {
        item.product
        for item in items
        if isinstance(item.product, int) and not isinstance(item.product, bool)
    }
    # Inactive ones too: checkout refuses them by name.
    found = Product.objects.select_related("tax_rate").in_bulk(ids)
    lines = []
    for item in items:
        if isinstance(item.product, Product):
            product = item.product
        elif item.product is not None:
            product = found.get(item.product)
            if product is None:
                raise ValidationError(f"No product has the id {item.product}.")
        else:
            product = find_product(item.code)
            if product is None:
                raise ValidationError(
                    f"No product has the barcode or SKU {str(item.code).strip()!r}."
                )
        quantity = _quantity(item.quantity)
        if quantity == 0:
            raise ValidationError(f"{product.name}: sell at least one.")
        lines.append(
            CartLine(
                cart=cart,
                product=product,
                quantity=quantity,
                discount_kind=item.discount_kind,
                discount_value=_discount(item.discount_kind, item.discount_value),
            )
        )
    return cart, lines


# Paying an invoice at the till (a repair at collection, an account repayment).


@transaction.atomic
def pay_invoice(
    invoice: Invoice,
    *,
    by: User,
    amount,
    method: str,
    reference: str = "",
    tendered=None,
    idempotency_key: str | None = None,
) -> tuple:
    """Take a payment for an issued invoice into the cashier's open shift, so the
    drawer count includes it; with the cash `tendered`, the change due.

    Returns (payment, change).
    """
    if current_shift(by, lock=True) is None:
        raise ValidationError(
            "Open your shift first: the till takes money only during a shift."
        )
    if method == PaymentMethod.STORE_CREDIT:
        raise ValidationError(
            "Store credit is used from the customer's page, not at the till."
        )
    amount = billing.amount_of_money(amount)
    change = ZERO
    if tendered not in (None, ""):
        if method != PaymentMethod.CASH:
            raise ValidationError("Only cash is handed over with change.")
        tendered = billing.amount_of_money(tendered, "The cash received")
        if tendered < amount:
            raise ValidationError(
                f"The cash received ({tendered}) is less than the payment ({amount})."
            )
        change = tendered - amount
    payment = billing.record_payment(
        invoice,
        by=by,
        amount=amount,
        method=method,
        reference=reference,
        note="Paid at the till",
        idempotency_key=idempotency_key,
    )
    return payment, change


# Returns and voids.


@dataclass(frozen=True)
class ReturnInput:
    sale_line: SaleLine | int
    quantity: int
    restock: bool = True


REFUND_TO_ORIGINAL = "original"


@transaction.atomic
def return_items(
    sale: Sale,
    lines,
    *,
    by: User,
    approver: User,
    reason: str,
    refund_method: str = REFUND_TO_ORIGINAL,
) -> Return:
    """Take back items of a past sale: stock back (unless damaged), a credit note,
    and the money back to the original methods, in cash, or as store credit.
    """
    if not approver.has_perm(APPROVE_RETURNS):
        raise ValidationError("A return needs an Admin's approval.")
    if not reason.strip():
        raise ValidationError("Say why the items came back.")
    shift = current_shift(by, lock=True)
    if shift is None:
        raise ValidationError("Open a shift before giving money back.")
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    if sale.status != SaleStatus.COMPLETED:
        raise ValidationError(f"{sale} was voided; nothing can be returned.")
    if refund_method == PaymentMethod.STORE_CREDIT and sale.customer is None:
        raise ValidationError("Store credit needs a customer: this was a walk-in sale.")
    if refund_method not in (REFUND_TO_ORIGINAL, PaymentMethod.STORE_CREDIT):
        billing.check_method(refund_method)
    sale_lines = {line.pk: line for line in sale.lines.select_for_update()}
    chosen = []
    for item in lines:
        line_id = (
            item.sale_line if isinstance(item.sale_line, int) else item.sale_line.pk
        )
        line = sale_lines.get(line_id)
        if line is None:
            raise ValidationError("That item is not on this sale.")
        quantity = _quantity(item.quantity)
        if quantity == 0:
            continue
        if quantity > line.returnable:
            raise ValidationError(
                f"{line.name}: {line.returnable} can still be returned, not {quantity}."
            )
        chosen.append((line, quantity, item.restock))
    if not chosen:
        raise ValidationError("Choose what comes back.")

    basis = "gross" if sale.invoice.prices_include_tax else "net"
    credited = _credited_so_far([line for line, _, _ in chosen])
    amounts = [
        _credit_amount(line, quantity, basis, credited.get(line.pk, ZERO))
        for line, quantity, _ in chosen
    ]
    note = billing.credit_invoice(
        sale.invoice,
        [
            billing.LineInput(
                f"{quantity} × {line.name} returned",
                1,
                amount,
                line.tax_rate,
                sku=line.sku,
            )
            for (line, quantity, _), amount in zip(chosen, amounts, strict=True)
        ],
        by=approver,
        reason=reason,
    )
    sale_return = Return.objects.create(
        number=f"RET-{next_number('return'):06d}",
        sale=sale,
        shift=shift,
        credit_note=note,
        refund_method=refund_method,
        total=note.total,
        reason=reason.strip()[:255],
        created_by=by,
        approved_by=approver,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(
            sale_return=sale_return,
            sale_line=line,
            quantity=quantity,
            restocked=restock,
            amount=amount,
        )
        for (line, quantity, restock), amount in zip(chosen, amounts, strict=True)
    )
    for line, quantity, _ in chosen:
        line.returned_quantity += quantity
        line.save(update_fields=["returned_quantity"])
    restock_lines = [
        stock.StockLine(line.product_id, quantity)
        for line, quantity, restock in chosen
        if restock
    ]
    if restock_lines:
        stock.return_stock(
            restock_lines, by=by, reason=StockReason.RETURN, reference=sale_return
        )
    if refund_method != PaymentMethod.STORE_CREDIT:
        _refund_overpayment(
            sale.invoice, by=by, approver=approver, method=refund_method, reason=reason
        )
    daily_totals.add_return(sale_return, sale, chosen)
    return sale_return


def _credited_so_far(lines):
    """{sale line id: amount already credited for it by earlier returns}."""
    totals = {}
    for line_id, amount in ReturnLine.objects.filter(sale_line__in=lines).values_list(
        "sale_line_id", "amount"
    ):
        totals[line_id] = totals.get(line_id, ZERO) + amount
    return totals


def _credit_amount(line, quantity, basis, already):
    """What `quantity` of a sold line is credited at: its share of the charge.

    The last units returned take what is left, so a line returned bit by bit
    is credited exactly what it cost. `basis` is "gross" when prices include
    tax (the credit note adds no tax on top) and "net" otherwise.
    """
    whole = getattr(line, basis)
    if quantity == line.returnable:
        return whole - already
    return to_money(whole * quantity / line.quantity)


def _refund_overpayment(invoice, *, by, method, reason, approver=None):
    """Give back what the customer paid beyond what they now owe."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    owed_back = -invoice.balance
    if owed_back <= 0:
        return
    for payment in invoice.payments.filter(amount__gt=0, refund_of=None).order_by(
        "-amount"
    ):
        refundable = payment.amount + sum(r.amount for r in payment.refunds.all())
        amount = min(refundable, owed_back)
        if amount <= 0:
            continue
        billing.refund_payment(
            payment,
            by=by,
            amount=amount,
            reason=reason,
            method=None if method == REFUND_TO_ORIGINAL else method,
            approver=approver,
        )
        owed_back -= amount
        if owed_back <= 0:
            break


@transaction.atomic
def void_sale(sale: Sale, *, by: User, reason: str) -> Sale:
    """Undo a sale made by mistake, within its open shift. Nothing is deleted:
    stock comes back, the invoice is credited in full and the money refunded.
    """
    if not by.has_perm(VOID_SALES):
        raise ValidationError("Only an Admin can void a sale.")
    if not reason.strip():
        raise ValidationError("Say why the sale is voided.")
    sale = Sale.objects.select_for_update().select_related("shift").get(pk=sale.pk)
    if sale.status == SaleStatus.VOIDED:
        raise ValidationError(f"{sale} is already voided.")
    if not sale.shift.is_open:
        raise ValidationError(
            f"{sale} belongs to a closed shift; make a return instead."
        )
    if sale.returns.exists():
        raise ValidationError(f"{sale} has returns; return the rest instead.")
    lines = list(sale.lines.all())
    stock.return_stock(
        [stock.StockLine(line.product_id, line.quantity) for line in lines],
        by=by,
        reason=StockReason.RETURN,
        reference=sale,
        note=f"Void: {reason.strip()}",
    )
    basis = "gross" if sale.invoice.prices_include_tax else "net"
    billing.credit_invoice(
        sale.invoice,
        [
            billing.LineInput(
                f"Void: {line.quantity} × {line.name}",
                1,
                getattr(line, basis),
                line.tax_rate,
                sku=line.sku,
            )
            for line in lines
        ],
        by=by,
        reason=f"Sale {sale.number} voided: {reason.strip()}",
    )
    # The money goes back out of the drawer of the sale's (open) shift.
    _refund_overpayment(
        sale.invoice,
        by=sale.shift.cashier,
        approver=by,
        method=REFUND_TO_ORIGINAL,
        reason=reason,
    )
    sale.status = SaleStatus.VOIDED
    sale.voided_by = by
    sale.voided_at = timezone.now()
    sale.void_reason = reason.strip()[:255]
    sale.save()
    daily_totals.remove_sale(sale, lines)
    return sale


def find_sale(text: str):
    """A sale by its receipt number as typed or scanned ("R-000123", "123")."""
    text = (text or "").strip().upper()
    if not text:
        return None
    if text.isdigit():
        text = f"R-{int(text):06d}"
    return (
        Sale.objects.filter(number=text).select_related("customer", "invoice").first()
    )
