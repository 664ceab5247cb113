"""Billing: invoices, credit notes and payments. The one ledger for sales and repairs.

An invoice's balance is total - credited - paid, kept by these functions in the
same transaction as the payment or credit note that moves it, with the invoice
row locked so two payments cannot both settle the same balance.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.access import CREDIT_INVOICES, REFUND_PAYMENTS, VOID_INVOICES
from accounts.models import PaymentMethod, ShopSettings, User
from accounts.services import next_number
from pos_project import idempotency
from pos_project.db import one_transaction
from pos_project.idempotency import Made
from pos_project.money import ZERO, document_totals, line_totals, to_money
from pos_project.validators import checked as without_card_numbers
from pos_project.validators import find_card_number

from .models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    Payment,
)

NUMBER_PREFIX = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


@dataclass(frozen=True)
class LineInput:
    """A line to bill. The caller looks prices up on the server, never in a form."""

    description: str
    quantity: Decimal | int
    unit_price: Decimal
    tax_rate: Decimal
    discount: Decimal = ZERO
    sku: str = ""


@dataclass(frozen=True)
class PaymentInput:
    """One of several payments taken at once (the tenders of a split payment)."""

    method: str
    amount: Decimal | str
    reference: str = ""
    idempotency_key: str | None = None
    note: str = ""


# Checks shared by every money movement.


def amount_of_money(value, what="The amount") -> Decimal:
    """A positive amount with at most the currency's decimals, or a clear refusal."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(f"{what} is not an amount of money.") from exc
    if not amount.is_finite():
        raise ValidationError(f"{what} is not an amount of money.")
    if amount != to_money(amount):
        raise ValidationError(f"{what} has more decimals than the currency allows.")
    if amount <= 0:
        raise ValidationError(f"{what} must be more than zero.")
    return to_money(amount)


def check_reference(reference: str) -> str:
    reference = (reference or "").strip()
    if len(reference) > 40:
        raise ValidationError("A payment reference is at most 40 characters.")
    if find_card_number(reference):
        raise ValidationError(
            "That reference looks like a full card number, which must never be "
            "stored. Enter the terminal's reference or the card's last four digits."
        )
    return reference


def check_method(method: str, *, shop: ShopSettings | None = None) -> str:
    offered = (shop or ShopSettings.load()).payment_methods
    if method not in PaymentMethod.values or method not in offered:
        raise ValidationError(f"The shop does not take payments by {method!r}.")
    return method


def _status_after_change(invoice):
    if invoice.balance <= 0:
        return InvoiceStatus.PAID
    if invoice.amount_paid or invoice.amount_credited:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.ISSUED


def _lock(invoice):
    """The invoice, locked: payments and credits to it queue one at a time."""
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


# Invoices.


def _price_lines(lines, prices_include_tax):
    if not lines:
        raise ValidationError("An invoice needs at least one line.")
    priced = []
    for position, line in enumerate(lines, start=1):
        if not str(line.description).strip():
            raise ValidationError(f"Line {position} needs a description.")
        quantity = Decimal(str(line.quantity))
        if quantity <= 0 or quantity != quantity.quantize(Decimal("0.01")):
            raise ValidationError(f"Line {position}: the quantity must be above zero.")
        unit_price = Decimal(str(line.unit_price))
        if unit_price < 0 or unit_price != to_money(unit_price):
            raise ValidationError(
                f"Line {position}: the unit price must be zero or more, in cents."
            )
        try:
            totals = line_totals(
                quantity,
                unit_price,
                line.tax_rate,
                discount=line.discount,
                prices_include_tax=prices_include_tax,
            )
        except ValueError as exc:
            raise ValidationError(f"Line {position}: {exc}") from exc
        priced.append((position, line, quantity, unit_price, totals))
    return priced


def _write_lines(invoice, priced):
    _insert_lines(invoice, priced)
    _set_totals(invoice, priced)


def _insert_lines(invoice, priced):
    InvoiceLine.objects.bulk_create(
        without_card_numbers(
            InvoiceLine(
                invoice=invoice,
                position=position,
                description=str(line.description).strip()[:255],
                sku=line.sku,
                quantity=quantity,
                unit_price=unit_price,
                discount=totals.discount,
                tax_rate=totals.tax_rate,
                net=totals.net,
                tax=totals.tax,
                gross=totals.gross,
            )
            for position, line, quantity, unit_price, totals in priced
        )
    )


def _set_totals(invoice, priced):
    summary = document_totals([totals for *_, totals in priced])
    invoice.subtotal = summary.subtotal
    invoice.discount_total = summary.discount
    invoice.tax_total = summary.tax
    invoice.total = summary.total


@one_transaction
def create_invoice(
    lines,
    *,
    by: User,
    customer=None,
    source: str = InvoiceSource.MANUAL,
    issue: bool = True,
    due_days: int | None = None,
    notes: str = "",
    shop: ShopSettings | None = None,
    payments=(),
) -> Invoice:
    """Bill `lines` (LineInput) to `customer` (none for a walk-in sale).

    Issued at once unless `issue` is False (a manual draft to finish later).
    `payments` (PaymentInput) are taken with it, as at a till's checkout: the
    invoice is written with its balance and status already counting them, with
    record_payments' checks. `shop` saves reading the settings again when the
    caller has them.
    """
    shop = shop or ShopSettings.load()
    if customer is not None and not customer.active:
        raise ValidationError(f"{customer} is deactivated; reactivate them first.")
    invoice = Invoice(
        customer=customer,
        source=source,
        notes=notes,
        created_by=by,
        prices_include_tax=shop.prices_include_tax,
        payment_terms_days=shop.payment_terms_days if due_days is None else due_days,
    )
    # Priced and numbered first, so the invoice is written once, complete. The
    # number comes from the locked counter in this same transaction: no gaps.
    priced = _price_lines(lines, invoice.prices_include_tax)
    _set_totals(invoice, priced)
    invoice.balance = invoice.total
    checked = _checked_payments(payments, shop)
    if checked and not issue:
        raise ValidationError("A draft takes no payments; issue it first.")
    if issue:
        _number_and_dates(invoice)
    if checked:
        # Counted before the invoice is written: no UPDATE after the payments.
        _count_payment(invoice, _paid_in_full_or_less(invoice, checked))
    invoice.save(force_insert=True)
    _insert_lines(invoice, priced)
    if checked:
        _insert_payments(invoice, checked, by=by)
    return invoice


@transaction.atomic
def open_draft(
    *, by: User, customer=None, source: str = InvoiceSource.MANUAL, notes: str = ""
) -> Invoice:
    """An empty draft, billed later: it takes deposits before its lines are known."""
    shop = ShopSettings.load()
    if customer is not None and not customer.active:
        raise ValidationError(f"{customer} is deactivated; reactivate them first.")
    return Invoice.objects.create(
        customer=customer,
        source=source,
        notes=notes,
        created_by=by,
        prices_include_tax=shop.prices_include_tax,
        payment_terms_days=shop.payment_terms_days,
    )


@transaction.atomic
def set_draft_lines(invoice: Invoice, lines, *, by: User) -> Invoice:
    """Replace what a draft bills (a repair's parts and labour once it is done)."""
    invoice = _lock(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(f"{invoice} is issued; its lines never change.")
    priced = _price_lines(lines, invoice.prices_include_tax)
    invoice.lines.all().delete()
    _write_lines(invoice, priced)
    invoice.balance = invoice.total - invoice.amount_credited - invoice.amount_paid
    invoice.save()
    return invoice


def _issue(invoice, *, by):
    _number_and_dates(invoice)
    invoice.save()


def _number_and_dates(invoice):
    """Give the invoice its number, dates and the customer's details (unsaved)."""
    today = timezone.localdate()
    invoice.number = f"{NUMBER_PREFIX[invoice.kind]}-{next_number(invoice.kind):06d}"
    invoice.issue_date = today
    invoice.due_date = today + timedelta(days=invoice.payment_terms_days)
    if invoice.customer:
        invoice.bill_to_name = invoice.customer.name
        invoice.bill_to_address = invoice.customer.address
        invoice.bill_to_tax_id = invoice.customer.tax_id
    invoice.status = _status_after_change(invoice)


@transaction.atomic
def issue_invoice(
    invoice: Invoice, *, by: User, due_days: int | None = None
) -> Invoice:
    """Give a draft its number and dates; from now on it never changes."""
    invoice = _lock(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(f"{invoice} is already issued.")
    if due_days is not None:
        invoice.payment_terms_days = due_days
    _issue(invoice, by=by)
    return invoice


@transaction.atomic
def void_invoice(invoice: Invoice, *, by: User, reason: str) -> Invoice:
    """Cancel an invoice issued by mistake (an Admin), only while nothing is paid
    or credited; or discard a draft, which was never sent, once its deposits are
    refunded."""
    if not reason.strip():
        raise ValidationError("Say why the invoice is void.")
    invoice = _lock(invoice)
    if invoice.status != InvoiceStatus.DRAFT and not by.has_perm(VOID_INVOICES):
        raise ValidationError("Only an Admin can void an invoice.")
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(f"{invoice} is already void.")
    if invoice.status == InvoiceStatus.DRAFT:
        # A draft's deposits must have been refunded in full first.
        if invoice.amount_paid:
            raise ValidationError(
                f"{invoice} holds {invoice.amount_paid} of deposits; refund them first."
            )
    elif invoice.payments.exists() or invoice.amount_credited:
        raise ValidationError(
            f"{invoice} has payments or credit notes; refund or credit it instead."
        )
    if invoice.is_credit_note:
        raise ValidationError("A credit note cannot be voided.")
    # A draft voided before it was issued never gets a number: it was never sent.
    invoice.status = InvoiceStatus.VOID
    invoice.void_reason = reason.strip()[:255]
    invoice.voided_by = by
    invoice.voided_at = timezone.now()
    invoice.save()
    return invoice


@transaction.atomic
def credit_invoice(invoice: Invoice, lines, *, by: User, reason: str) -> Invoice:
    """Issue a credit note that takes `lines` off an issued invoice's balance.

    If the customer had already paid more than is now due, the invoice shows a
    negative balance: money the shop owes them, to refund or keep as credit.
    """
    if not by.has_perm(CREDIT_INVOICES):
        raise ValidationError("Only an Admin can issue a credit note.")
    if not reason.strip():
        raise ValidationError("Say why the invoice is credited.")
    invoice = _lock(invoice)
    if invoice.is_credit_note or invoice.status in (
        InvoiceStatus.DRAFT,
        InvoiceStatus.VOID,
    ):
        raise ValidationError(f"{invoice} cannot be credited.")
    note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        customer=invoice.customer,
        source=invoice.source,
        credited_invoice=invoice,
        notes=reason.strip(),
        created_by=by,
        prices_include_tax=invoice.prices_include_tax,
        payment_terms_days=0,
    )
    priced = _price_lines(lines, note.prices_include_tax)
    note.save()
    _write_lines(note, priced)
    creditable = invoice.total - invoice.amount_credited
    if note.total > creditable:
        raise ValidationError(
            f"A credit note can take off at most {creditable} from {invoice}."
        )
    note.amount_credited = note.total  # applied in full to the invoice at once
    note.balance = ZERO
    note.save()
    _issue(note, by=by)
    invoice.amount_credited += note.total
    invoice.balance = invoice.total - invoice.amount_credited - invoice.amount_paid
    invoice.status = _status_after_change(invoice)
    invoice.save()
    return note


# Payments.


@transaction.atomic
def record_payment(
    invoice: Invoice,
    *,
    by: User,
    amount,
    method: str,
    reference: str = "",
    note: str = "",
    idempotency_key: str | None = None,
    deposit: bool = False,
) -> Payment:
    """Take a payment (a split tender, a repayment) for an issued invoice, or
    with `deposit` a deposit on a draft whose bill is not known yet.

    Part payments are welcome; more than an issued invoice's balance is refused.
    A repeated idempotency key returns the payment it already made.
    """
    if idempotency_key:
        earlier = _earlier_payment(idempotency_key, invoice)
        if earlier:
            return earlier
    amount = amount_of_money(amount)
    method = check_method(method)
    reference = check_reference(reference)
    invoice = _lock(invoice)
    if idempotency_key:
        # Checked again under the invoice lock: a double click that raced past
        # the first check waited here for the first payment to commit.
        earlier = _earlier_payment(idempotency_key, invoice)
        if earlier:
            return earlier
    open_statuses = (
        (InvoiceStatus.DRAFT,)
        if deposit
        else (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
    )
    if invoice.is_credit_note or invoice.status not in open_statuses:
        raise ValidationError(
            f"{invoice} is {invoice.get_status_display().lower()}; "
            f"it takes no {'deposits' if deposit else 'payments'}."
        )
    if not deposit and amount > invoice.balance:
        raise ValidationError(
            f"{amount} is more than the {invoice.balance} left to pay on {invoice}."
        )
    if method == PaymentMethod.STORE_CREDIT:
        _draw_store_credit(invoice, amount, by=by)
    payment = Payment.objects.create(
        invoice=invoice,
        amount=amount,
        method=method,
        reference=reference,
        note=note.strip()[:255],
        received_by=by,
        idempotency_key=idempotency_key or None,
    )
    _apply_payment(invoice, amount)
    return payment


def _reused_for(what):
    """KeyReused's message for a payment or a deposit a client's key took."""
    return lambda payment: (
        f"This Idempotency-Key already recorded {what} {payment.pk} "
        f"({payment.amount} on {payment.invoice}), for a different request. "
        f"Use a new key for a new {what}."
    )


# Invoice payments and repair deposits are both payments: they share keys.
PAYMENTS = idempotency.Action("pay", Payment, "idempotency_key", _reused_for("payment"))
DEPOSITS = idempotency.Action("pay", Payment, "idempotency_key", _reused_for("deposit"))


def record_payment_once(
    invoice: Invoice,
    *,
    by: User,
    key: str,
    amount,
    method: str,
    reference: str = "",
    note: str = "",
) -> Made:
    """record_payment for a client's one-time key (pos_project.idempotency):
    a retry returns the payment the key took, never takes the money twice."""
    claim = PAYMENTS.claim(
        key,
        by=by,
        content={
            "invoice": invoice.pk,
            "amount": idempotency.number(amount),
            "method": method,
            "reference": str(reference).strip(),
            "note": str(note).strip(),
        },
    )
    return claim.once(
        lambda: record_payment(
            invoice,
            by=by,
            amount=amount,
            method=method,
            reference=reference,
            note=note,
            idempotency_key=claim.token,
        )
    )


@one_transaction
def record_payments(
    invoice: Invoice,
    payments,
    *,
    by: User,
    shop: ShopSettings | None = None,
) -> list[Payment]:
    """Take several payments (PaymentInput) for an issued invoice at once, with
    record_payment's checks: one invoice lock, one insert, one balance update.

    Together they may not come to more than the balance. A payment whose
    idempotency key was already used for this invoice is returned, not taken
    again. (A new invoice takes its payments in create_invoice.)
    """
    payments = list(payments)
    keys = [p.idempotency_key for p in payments if p.idempotency_key]
    earlier = {}
    if keys:
        for payment in Payment.objects.filter(idempotency_key__in=keys):
            if payment.invoice_id != invoice.pk:
                raise ValidationError(
                    "This payment form was already used for another invoice."
                )
            earlier[payment.idempotency_key] = payment
    new = [p for p in payments if p.idempotency_key not in earlier]
    if not new:
        return [earlier[p.idempotency_key] for p in payments]
    checked = _checked_payments(new, shop or ShopSettings.load())
    invoice = _lock(invoice)
    if invoice.is_credit_note or invoice.status not in (
        InvoiceStatus.ISSUED,
        InvoiceStatus.PARTIALLY_PAID,
    ):
        raise ValidationError(
            f"{invoice} is {invoice.get_status_display().lower()}; "
            "it takes no payments."
        )
    total = _paid_in_full_or_less(invoice, checked)
    made = _insert_payments(invoice, checked, by=by)
    _apply_payment(invoice, total)
    made = iter(made)
    return [
        earlier[p.idempotency_key] if p.idempotency_key in earlier else next(made)
        for p in payments
    ]


def _checked_payments(payments, shop):
    """[(PaymentInput, amount, method, reference)], each checked, or a refusal."""
    return [
        (
            p,
            amount_of_money(p.amount),
            check_method(p.method, shop=shop),
            check_reference(p.reference),
        )
        for p in payments
    ]


def _paid_in_full_or_less(invoice, checked):
    """What the checked payments come to: no more than the invoice's balance."""
    total = sum((amount for _, amount, _, _ in checked), ZERO)
    if total > invoice.balance:
        raise ValidationError(
            f"{total} is more than the {invoice.balance} left to pay on {invoice}."
        )
    return total


def _insert_payments(invoice, checked, *, by):
    """Write the checked payments on the (saved) invoice, drawing any store
    credit from the customer's other invoices; the invoice's own balance is
    the caller's to set."""
    for _, amount, method, _ in checked:
        if method == PaymentMethod.STORE_CREDIT:
            _draw_store_credit(invoice, amount, by=by)
    return Payment.objects.bulk_create(
        without_card_numbers(
            Payment(
                invoice=invoice,
                amount=amount,
                method=method,
                reference=reference,
                note=p.note.strip()[:255],
                received_by=by,
                idempotency_key=p.idempotency_key or None,
            )
            for p, amount, method, reference in checked
        )
    )


def store_credit_of(customer) -> Decimal:
    """What the shop owes a customer: the credit on their overpaid invoices."""
    if customer is None:
        return ZERO
    credit = Invoice.objects.filter(customer=customer, balance__lt=0).exclude(
        status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID]
    )
    return -credit.aggregate(total=Sum("balance", default=ZERO))["total"]


def _draw_store_credit(invoice, amount, *, by):
    """Move `amount` of the customer's credit onto `invoice`.

    The credit sits on invoices the customer overpaid (a negative balance, e.g.
    after a return refunded as store credit). Each of those, oldest first, gets
    a negative store-credit payment, so the credit is spent once and the
    customer's total balance is unchanged by the move.
    """
    if invoice.customer is None:
        raise ValidationError("Store credit needs a customer on the invoice.")
    # Locked, oldest first: two tills spending the same credit queue here.
    sources = list(
        Invoice.objects.select_for_update()
        .filter(customer=invoice.customer, balance__lt=0)
        .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
        .exclude(pk=invoice.pk)
        .order_by("issue_date", "pk")
    )
    available = -sum((source.balance for source in sources), ZERO)
    if amount > available:
        raise ValidationError(
            f"{invoice.customer} has {available} of store credit, not {amount}."
        )
    left = amount
    for source in sources:
        used = min(-source.balance, left)
        Payment.objects.create(
            invoice=source,
            amount=-used,
            method=PaymentMethod.STORE_CREDIT,
            note=f"Store credit used on {invoice}",
            received_by=by,
        )
        _apply_payment(source, -used)
        left -= used
        if not left:
            break


@transaction.atomic
def refund_payment(
    payment: Payment,
    *,
    by: User,
    amount,
    reason: str,
    method: str | None = None,
    reference: str = "",
    idempotency_key: str | None = None,
    approver: User | None = None,
) -> Payment:
    """Give money back against a payment: a negative payment linked to it.

    `by` hands the money over (a cashier's drawer pays it); an Admin must be
    `by` or the `approver` who signs it off at the till.
    """
    if not (approver or by).has_perm(REFUND_PAYMENTS):
        raise ValidationError("Only an Admin can refund a payment.")
    if idempotency_key:
        earlier = _earlier_payment(idempotency_key, payment.invoice)
        if earlier:
            return earlier
    if not reason.strip():
        raise ValidationError("Say why the money is refunded.")
    amount = amount_of_money(amount, "The refund")
    method = check_method(method or payment.method)
    reference = check_reference(reference)
    invoice = _lock(payment.invoice)
    payment = Payment.objects.get(pk=payment.pk)
    if payment.is_refund:
        raise ValidationError("A refund cannot be refunded.")
    refunded = -sum(r.amount for r in payment.refunds.all())
    if amount > payment.amount - refunded:
        raise ValidationError(
            f"At most {payment.amount - refunded} of this payment is left to refund."
        )
    refund = Payment.objects.create(
        invoice=invoice,
        amount=-amount,
        method=method,
        reference=reference,
        refund_of=payment,
        note=reason.strip()[:255],
        received_by=by,
        idempotency_key=idempotency_key or None,
    )
    _apply_payment(invoice, -amount)
    return refund


def _earlier_payment(idempotency_key, invoice):
    """The payment this one-time key already made, if any, for this invoice."""
    earlier = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if earlier and earlier.invoice_id != invoice.pk:
        raise ValidationError("This payment form was already used for another invoice.")
    return earlier


def _count_payment(invoice, amount):
    """Add a payment to the invoice's amount paid, balance and status (unsaved)."""
    invoice.amount_paid += amount
    invoice.balance = invoice.total - invoice.amount_credited - invoice.amount_paid
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        invoice.status = _status_after_change(invoice)


def _apply_payment(invoice, amount):
    _count_payment(invoice, amount)
    invoice.save(update_fields=["amount_paid", "balance", "status"])
