"""Demo data for the till: shifts and sales over the last 90 days, with returns.

With `--sale-lines N`, about N more sale lines are bulk-created first, over the
three years before those 90 days, to size reports (see `load_bulk_sales`).
"""

import itertools
import random
import uuid
from datetime import datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from time import monotonic

from django.core.management.color import no_style
from django.db import connection
from django.db.models import DateField, DateTimeField
from django.utils import timezone

from accounts.models import PaymentMethod, Role, Sequence, ShopSettings, User
from customers.models import Customer
from inventory.demo import restock_low
from inventory.models import Product, StockMove
from invoices.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    Payment,
)
from pos_project.money import (
    CENT,
    ZERO,
    allocate,
    document_totals,
    line_totals,
    to_money,
)

from . import services
from .models import Return, Sale, SaleLine, SaleStatus, Shift, ShiftCount, ShiftStatus
from .pricing import discount_amount, price_cart
from .queries import expected_takings
from .services import ReturnInput, Tender
from .totals import rebuild as rebuild_totals

DAYS = 90
RESTOCK_EVERY = 7  # days between the demo shop's deliveries


def add_arguments(parser):
    parser.add_argument(
        "--sales",
        type=int,
        default=600,
        help="How many till sales over the last 90 days (default 600).",
    )
    parser.add_argument(
        "--sale-lines",
        type=int,
        default=0,
        help="Also bulk-create about this many sale lines over the three years "
        "before those 90 days, to size reports (no stock moves; default none).",
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
    if options.get("sale_lines"):
        started = monotonic()
        made = load_bulk_sales(
            options["sale_lines"],
            cashiers=cashiers,
            manager=manager,
            end=timezone.localdate() - timedelta(days=DAYS + 1),
        )
        seconds = monotonic() - started
        out(f"Bulk sales: {made} sale lines over {BULK_DAYS} days in {seconds:.0f} s.")
    rng = random.Random(2026)
    customers = list(Customer.objects.active()[:80])
    total = options.get("sales") or 600
    per_day = max(total // DAYS, 1)
    made = 0
    tz = timezone.get_current_timezone()
    for days_ago in range(DAYS, 0, -1):
        if made >= total:
            break
        cashier = rng.choice(cashiers)
        day = timezone.localdate() - timedelta(days=days_ago)
        if days_ago % RESTOCK_EVERY == 0:
            # The week's delivery, before the shop opens.
            restock_low(rng, manager, when=datetime.combine(day, time(8, 0), tz))
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
    # The bulk sales went in directly and the demo's were moved to past days.
    rebuild_totals()
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
        tenders = [Tender("card", str((due / 2).quantize(CENT)), "4242")]
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


# Bulk history for sizing reports.

BULK_DAYS = 3 * 365 - DAYS
OPEN, CLOSE = time(9, 0), time(18, 0)
CHUNK_LINES = 20_000  # sale lines built in memory between rounds of inserts
# Busier on Fridays and Saturdays, quiet on Sundays; December is the busiest month.
WEEKDAY = [1.0, 0.95, 1.0, 1.05, 1.2, 1.4, 0.6]
MONTH = [0.85, 0.85, 0.95, 1.0, 1.0, 1.0, 1.05, 1.05, 1.0, 1.0, 1.1, 1.35]
LINES_PER_SALE = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4]
QUANTITIES = [1] * 8 + [2, 3]
DRAWER_ERRORS = ["0"] * 12 + ["-0.50", "1.00", "-7.00"]
VOID_REASONS = ["Rang up the wrong item", "Customer changed their mind at the till"]


def load_bulk_sales(lines, *, cashiers, manager, end, seed=2026) -> int:
    """About `lines` sale lines on the BULK_DAYS days up to `end`, to size reports.

    The checkout service would take hours for a million lines, and even
    `bulk_create`, which builds its SQL value by value, is several times slower
    than what follows (docs/performance.md, Reports), so the rows go in per
    table in rounds, with one prepared INSERT and `executemany` on
    SQLite and COPY on PostgreSQL: every column of the model, unset ones at
    their defaults. Money is priced by `pos_project.money` as the till prices it.
    Per cashier and day there is a closed shift whose counts add up; completed
    sales (a few voided the same day, with their credit notes and refunds) with
    gapless receipt numbers; their lines (the product as sold, with its cost);
    an issued, paid invoice per sale with its lines; and payments (cash, card,
    mobile money, sometimes split). It writes no stock moves and leaves on-hand
    alone, so `check_stock` still passes but stock does not follow these sales:
    they are for sizing reports only. Returns the number of lines made.
    """
    rng = random.Random(seed)
    writer = _BulkWriter(rng, ShopSettings.load(), cashiers, manager)
    days = [end - timedelta(days=n) for n in range(BULK_DAYS - 1, -1, -1)]
    # Trade grows by half over the three years.
    weights = [
        WEEKDAY[day.weekday()] * MONTH[day.month - 1] * (0.8 + 0.4 * n / len(days))
        for n, day in enumerate(days)
    ]
    scale = lines / sum(weights)
    wanted = 0.0
    for day, weight in zip(days, weights, strict=True):
        wanted += weight * scale
        writer.day(day, round(wanted) - writer.lines_made)
        if writer.pending_lines >= CHUNK_LINES:
            writer.flush()
    writer.flush()
    writer.finish()
    return writer.lines_made


class _Table:
    """Rows for one model, as dicts of attnames, written in one statement."""

    def __init__(self, model, *, with_id=False):
        self.model = model
        self.fields = [
            f for f in model._meta.concrete_fields if with_id or not f.primary_key
        ]
        self.defaults = {
            f.attname: f.get_default() for f in self.fields if not f.primary_key
        }
        self.rows = []
        self.next_id = None
        if with_id:
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next_id = (last or 0) + 1

    def new_id(self):
        self.next_id += 1
        return self.next_id - 1

    def add(self, **values):
        self.rows.append(values)

    def write(self):
        if not self.rows:
            return
        ops = connection.ops
        # Dates as the ORM hands them to the driver (SQLite: naive UTC text).
        adapt = {f.attname: _same for f in self.fields}
        for f in self.fields:
            if isinstance(f, DateTimeField):
                adapt[f.attname] = ops.adapt_datetimefield_value
            elif isinstance(f, DateField):
                adapt[f.attname] = ops.adapt_datefield_value
        defaults = self.defaults
        values = [
            tuple(
                change(row.get(name, defaults.get(name)))
                for name, change in adapt.items()
            )
            for row in self.rows
        ]
        table = ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY loads rows several times faster than INSERTs there.
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    values,
                )
        self.rows = []


class _BulkWriter:
    """Builds a day's rows in memory and writes them in rounds."""

    def __init__(self, rng, shop, cashiers, manager):
        self.rng, self.shop, self.manager = rng, shop, manager
        self.cashiers = cashiers
        self.include_tax = shop.prices_include_tax
        offered = set(shop.payment_methods)
        self.methods = [
            m for m in ["cash"] * 4 + ["card"] * 5 + ["mobile_money"] if m in offered
        ] or ["cash"]
        self.cash_and_card = {"cash", "card"} <= offered
        self.products = list(
            Product.objects.active()
            .filter(sale_price__gt=0)
            .order_by("pk")
            .values_list(
                "pk", "name", "sku", "sale_price", "cost_price", "tax_rate__rate"
            )
        )
        # A few products sell far more than the rest.
        rng.shuffle(self.products)
        self.cum_weights = list(
            itertools.accumulate(
                1 / (rank + 10) ** 0.8 for rank in range(len(self.products))
            )
        )
        self.customers = list(
            Customer.objects.active().values_list("pk", "name", "address", "tax_id")
        )
        self.numbers = {
            name: _sequence(name)
            for name in ("sale", InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE)
        }
        self.last = {}
        self.priced = {}  # (product index, quantity) -> LineTotals, no discount
        self.shifts = _Table(Shift, with_id=True)
        self.invoices = _Table(Invoice, with_id=True)
        self.sales = _Table(Sale, with_id=True)
        self.payments = _Table(Payment, with_id=True)
        self.sale_lines = _Table(SaleLine)
        self.invoice_lines = _Table(InvoiceLine)
        self.counts = _Table(ShiftCount)
        # Written after the payments they refund, with ids from the same count.
        self.refunds = _Table(Payment, with_id=True)
        self.lines_made = self.pending_lines = 0

    def _number(self, name):
        self.last[name] = next(self.numbers[name])
        return self.last[name]

    def flush(self):
        for table in (
            self.shifts,
            self.invoices,
            self.sales,
            self.sale_lines,
            self.invoice_lines,
            self.payments,
            self.refunds,
            self.counts,
        ):
            table.write()
        self.pending_lines = 0

    def finish(self):
        """Counters past the numbers and ids given out, as if made one by one."""
        for name, value in self.last.items():
            Sequence.objects.filter(name=name).update(last_value=value)
        models = [Shift, Invoice, Sale, Payment]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)

    # Building a day.

    def day(self, day, lines):
        tz = timezone.get_current_timezone()
        opened = datetime.combine(day, OPEN, tzinfo=tz)
        closed = datetime.combine(day, CLOSE, tzinfo=tz)
        span = int((closed - opened).total_seconds()) - 1200
        sales = []
        while lines > 0:
            count = min(self.rng.choice(LINES_PER_SALE), lines)
            lines -= count
            sales.append((self.rng.randrange(span), count))
        sales.sort()
        shifts = {}
        for offset, count in sales:
            cashier = self.rng.choice(self.cashiers)
            if cashier.pk not in shifts:
                shifts[cashier.pk] = _ShiftDay(
                    self.shifts.new_id(), cashier.pk, opened, closed
                )
            when = opened + timedelta(seconds=600 + offset)
            self._sale(shifts[cashier.pk], day, when, count)
        for shift in shifts.values():
            self._close(shift)

    def _sale(self, shift, day, when, count):
        rng = self.rng
        picked = dict.fromkeys(
            rng.choices(
                range(len(self.products)), cum_weights=self.cum_weights, k=count
            )
        )
        items = [(index, rng.choice(QUANTITIES)) for index in picked]
        totals = self._price(items, percent_off=5 if rng.random() < 0.08 else 0)
        document = document_totals(totals)
        customer = (
            rng.choice(self.customers)
            if self.customers and rng.random() < 0.2
            else (None, "", "", "")
        )
        invoice = {
            "id": self.invoices.new_id(),
            "kind": InvoiceKind.INVOICE,
            "number": f"INV-{self._number(InvoiceKind.INVOICE):06d}",
            "customer_id": customer[0],
            "bill_to_name": customer[1],
            "bill_to_address": customer[2],
            "bill_to_tax_id": customer[3],
            "source": InvoiceSource.SALE,
            "status": InvoiceStatus.PAID,
            "issue_date": day,
            "due_date": day + timedelta(days=self.shop.payment_terms_days),
            "payment_terms_days": self.shop.payment_terms_days,
            "prices_include_tax": self.include_tax,
            "subtotal": document.subtotal,
            "discount_total": document.discount,
            "tax_total": document.tax,
            "total": document.total,
            "amount_paid": document.total,
            "amount_credited": ZERO,
            "balance": ZERO,
            "created_by_id": shift.cashier_id,
            "created_at": when,
        }
        token = f"{rng.getrandbits(128):032x}"
        tenders, tendered, change = self._tenders(document.total)
        # As price_cart: all discounts as a share of the lines before discount.
        before = document.discount + (
            document.total if self.include_tax else document.subtotal
        )
        approved = (
            document.discount * 100 / before > self.shop.max_staff_discount_percent
        )
        sale = {
            "id": self.sales.new_id(),
            "number": f"R-{self._number('sale'):06d}",
            "shift_id": shift.pk,
            "cashier_id": shift.cashier_id,
            "customer_id": customer[0],
            "invoice_id": invoice["id"],
            "status": SaleStatus.COMPLETED,
            "subtotal": document.subtotal,
            "discount_total": document.discount,
            "tax_total": document.tax,
            "total": document.total,
            "tendered": tendered,
            "change_given": change,
            "checkout_token": token,
            "discount_approved_by_id": self.manager.pk if approved else None,
            "created_at": when,
        }
        sold = []
        for position, ((index, quantity), line) in enumerate(
            zip(items, totals, strict=True), start=1
        ):
            pk, name, sku, price, cost, _ = self.products[index]
            money = {
                "unit_price": price,
                "discount": line.discount,
                "tax_rate": line.tax_rate,
                "net": line.net,
                "tax": line.tax,
                "gross": line.gross,
            }
            sold.append((name, sku, quantity, money))
            self.sale_lines.add(
                sale_id=sale["id"],
                product_id=pk,
                name=name,
                sku=sku,
                quantity=quantity,
                returned_quantity=0,
                unit_cost=cost,
                **money,
            )
            self.invoice_lines.add(
                invoice_id=invoice["id"],
                position=position,
                description=name,
                sku=sku,
                quantity=Decimal(quantity),
                **money,
            )
        payments = []
        for n, (method, amount, reference) in enumerate(tenders):
            payment = {
                "id": self.payments.new_id(),
                "invoice_id": invoice["id"],
                "amount": amount,
                "method": method,
                "reference": reference,
                "received_by_id": shift.cashier_id,
                "received_at": when,
                "idempotency_key": f"{token}:{n}",
            }
            payments.append(payment)
            self.payments.rows.append(payment)
            shift.take(method, amount)
        if rng.random() < 0.003:
            self._void(shift, sale, invoice, sold, payments, when)
        self.invoices.rows.append(invoice)
        self.sales.rows.append(sale)
        self.lines_made += len(items)
        self.pending_lines += len(items)

    def _price(self, items, *, percent_off):
        """Line totals as the till prices the cart (sales.pricing.price_cart)."""
        if not percent_off:
            totals = []
            for index, quantity in items:
                key = (index, quantity)
                if key not in self.priced:
                    _, _, _, price, _, rate = self.products[index]
                    self.priced[key] = line_totals(
                        quantity, price, rate, prices_include_tax=self.include_tax
                    )
                totals.append(self.priced[key])
            return totals
        amounts = [to_money(q * self.products[i][3]) for i, q in items]
        shares = allocate(
            discount_amount("percent", percent_off, sum(amounts)), amounts
        )
        return [
            line_totals(
                quantity,
                self.products[index][3],
                self.products[index][5],
                discount=share,
                prices_include_tax=self.include_tax,
            )
            for (index, quantity), share in zip(items, shares, strict=True)
        ]

    def _tenders(self, total):
        """[(method, amount applied, reference)], all tendered, change: as checkout."""
        rng = self.rng
        reference = str(rng.randint(1000, 9999))
        if self.cash_and_card and total >= Decimal("20.00") and rng.random() < 0.05:
            card = to_money(total / 2)
            cash_due = total - card
            cash = _round_up_to_five(cash_due)
            return (
                [("card", card, reference), ("cash", cash_due, "")],
                card + cash,
                cash - cash_due,
            )
        method = rng.choice(self.methods)
        if method == PaymentMethod.CASH:
            cash = _round_up_to_five(total)
            return [("cash", total, "")], cash, cash - total
        return [(method, total, reference)], total, ZERO

    def _void(self, shift, sale, invoice, sold, payments, when):
        """Voided within its shift (as sales.services.void_sale): a credit note
        for all of it, and every payment given back in full."""
        voided_at = min(
            when + timedelta(minutes=self.rng.randint(2, 20)),
            shift.closed_at - timedelta(minutes=1),
        )
        reason = self.rng.choice(VOID_REASONS)
        sale.update(
            status=SaleStatus.VOIDED,
            voided_by_id=self.manager.pk,
            voided_at=voided_at,
            void_reason=reason,
        )
        basis = "gross" if self.include_tax else "net"
        credits = [
            (
                name,
                sku,
                quantity,
                money[basis],
                line_totals(
                    1,
                    money[basis],
                    money["tax_rate"],
                    prices_include_tax=self.include_tax,
                ),
            )
            for name, sku, quantity, money in sold
        ]
        document = document_totals([c[-1] for c in credits])
        note_id = self.invoices.new_id()
        self.invoices.add(
            **{
                **invoice,
                "id": note_id,
                "kind": InvoiceKind.CREDIT_NOTE,
                "number": f"CN-{self._number(InvoiceKind.CREDIT_NOTE):06d}",
                "due_date": invoice["issue_date"],
                "payment_terms_days": 0,
                "subtotal": document.subtotal,
                "discount_total": document.discount,
                "tax_total": document.tax,
                "total": document.total,
                "amount_paid": ZERO,
                "amount_credited": document.total,
                "credited_invoice_id": invoice["id"],
                "notes": f"Sale {sale['number']} voided: {reason}",
                "created_by_id": self.manager.pk,
                "created_at": voided_at,
            }
        )
        for position, (name, sku, quantity, unit_price, totals) in enumerate(
            credits, start=1
        ):
            self.invoice_lines.add(
                invoice_id=note_id,
                position=position,
                description=f"Void: {quantity} × {name}",
                sku=sku,
                quantity=Decimal(1),
                unit_price=unit_price,
                discount=totals.discount,
                tax_rate=totals.tax_rate,
                net=totals.net,
                tax=totals.tax,
                gross=totals.gross,
            )
        for payment in sorted(payments, key=lambda p: -p["amount"]):
            self.refunds.add(
                id=self.payments.new_id(),
                invoice_id=invoice["id"],
                amount=-payment["amount"],
                method=payment["method"],
                refund_of_id=payment["id"],
                note=reason,
                received_by_id=shift.cashier_id,
                received_at=voided_at,
            )
            shift.take(payment["method"], -payment["amount"])
        invoice.update(amount_credited=document.total, amount_paid=ZERO)
        invoice["balance"] = invoice["total"] - document.total

    def _close(self, shift):
        """The blind count at closing: the cash drawer is sometimes off."""
        expected = shift.expected()
        error = Decimal(self.rng.choice(DRAWER_ERRORS))
        for method in sorted(expected):
            counted = expected[method] + (error if method == "cash" else 0)
            self.counts.add(
                shift_id=shift.pk,
                method=method,
                expected=expected[method],
                counted=counted,
                difference=counted - expected[method],
            )
        needs_admin = abs(error) > self.shop.cash_difference_threshold
        self.shifts.add(
            id=shift.pk,
            cashier_id=shift.cashier_id,
            status=ShiftStatus.CLOSED,
            opened_at=shift.opened_at,
            opening_float=shift.opening_float,
            closed_at=shift.closed_at,
            difference_approved_by_id=self.manager.pk if needs_admin else None,
        )


def _sequence(name):
    sequence, _ = Sequence.objects.select_for_update().get_or_create(name=name)
    return itertools.count(sequence.last_value + 1)


class _ShiftDay:
    """A shift being built, with what its cashier took per payment method."""

    opening_float = Decimal("100.00")

    def __init__(self, pk, cashier_id, opened_at, closed_at):
        self.pk, self.cashier_id = pk, cashier_id
        self.opened_at, self.closed_at = opened_at, closed_at
        self.taken = {}

    def take(self, method, amount):
        self.taken[method] = self.taken.get(method, ZERO) + amount

    def expected(self):
        """As sales.queries.expected_takings: per method, cash with the float."""
        cash = self.opening_float + self.taken.get("cash", ZERO)
        return {**self.taken, "cash": cash}


def _same(value):
    return value


def _round_up_to_five(amount):
    """What a customer paying cash hands over: the next multiple of 5."""
    return to_money((amount / 5).to_integral_value(rounding=ROUND_CEILING) * 5)
