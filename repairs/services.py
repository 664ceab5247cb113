"""Repair tickets: intake, the status workflow, the estimate, parts and billing.

A ticket's bill is an invoice (invoices app) opened as a draft at intake, so
deposits are payments on it from the first minute. When the ticket is ready its
labour and fitted parts become the draft's lines and the invoice is issued;
deposits already count against it. Parts take stock (inventory.services) when
they are fitted, with the ticket as the reference, and go back when removed.

Every function locks the ticket row first: two people working the same ticket
(a technician fitting a part while the front desk marks it ready) queue.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.access import ALLOW_ON_ACCOUNT, REFUND_PAYMENTS
from accounts.models import ShopSettings, TaxRate, User
from accounts.services import next_number
from customers.services import create_customer
from inventory import services as stock
from inventory.models import Product, StockReason
from invoices import services as billing
from invoices.models import InvoiceSource, InvoiceStatus, Payment
from invoices.services import LineInput
from pos_project import idempotency
from pos_project.idempotency import Made
from pos_project.money import ZERO, document_totals, line_totals, to_money
from pos_project.tasks import enqueue_on_commit
from pos_project.validators import passes_luhn

from . import passcodes
from .models import (
    CLOSED_STATUSES,
    TRANSITIONS,
    WORKING_STATUSES,
    ApprovalMethod,
    DeviceType,
    EstimateApproval,
    LineKind,
    MessageTemplate,
    Priority,
    Status,
    StatusChange,
    Ticket,
    TicketLine,
)


@dataclass(frozen=True)
class Deposit:
    """Money taken at intake, before the bill is known."""

    amount: Decimal | str
    method: str
    reference: str = ""
    idempotency_key: str | None = None


# Checking what the front desk typed.


def clean_imei(value: str) -> str:
    """An IMEI: 14 to 16 digits (spaces and dashes allowed), check digit right."""
    text = re.sub(r"[\s-]", "", value or "")
    if not text:
        return ""
    if not text.isdigit():
        raise ValidationError(
            f"An IMEI has only digits; {value.strip()!r} has other characters. "
            "Dial *#06# on the phone or read it off the box or the SIM tray."
        )
    if not 14 <= len(text) <= 16:
        raise ValidationError(f"An IMEI has 15 digits; {text} has {len(text)}.")
    if len(text) == 15 and not passes_luhn(text):
        raise ValidationError(
            f"{text} is not a valid IMEI: its last digit does not match. "
            "Check it for a typing mistake."
        )
    return text


def clean_serial(value: str) -> str:
    text = " ".join((value or "").split()).upper()
    if text and not re.fullmatch(r"[A-Z0-9][A-Z0-9 ./-]{0,59}", text):
        raise ValidationError(
            "A serial number has letters, digits, dashes, dots and slashes only."
        )
    return text


def _required_text(value, what, max_length):
    text = str(value or "").strip()
    if max_length <= 255:
        text = " ".join(text.split())
    if not text:
        raise ValidationError(f"Enter the {what}.")
    if len(text) > max_length:
        raise ValidationError(f"The {what} is at most {max_length} characters.")
    return text


def _money(value, what):
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(f"{what} is not an amount of money.") from exc
    if not amount.is_finite() or amount != to_money(amount):
        raise ValidationError(f"{what} is not an amount of money in cents.")
    if amount < 0:
        raise ValidationError(f"{what} cannot be negative.")
    return to_money(amount)


def _quantity(value, *, whole: bool, what="The quantity"):
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(f"{what} is not a number.") from exc
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError(f"{what} must be above zero.")
    if whole and quantity != quantity.to_integral_value():
        raise ValidationError(f"{what} of a part is a whole number.")
    if quantity != quantity.quantize(Decimal("0.01")) or quantity > 9999:
        raise ValidationError(f"{what} must be at most 9999, in hundredths.")
    return quantity


def _check_technician(technician):
    if technician is not None and not technician.is_active:
        raise ValidationError(f"{technician} is deactivated; pick someone else.")
    return technician


def _lock(ticket) -> Ticket:
    """The ticket, locked for this transaction (see the module docstring)."""
    return (
        Ticket.objects.select_for_update()
        .select_related("invoice", "customer")
        .get(pk=ticket.pk)
    )


def _note(ticket, *, by, note):
    """A line in the ticket's history that changes no status."""
    StatusChange.objects.create(
        ticket=ticket,
        from_status=ticket.status,
        to_status=ticket.status,
        by=by,
        note=note[:255],
    )


# Intake.


def warranty_match(*, imei: str = "", serial: str = "", today: date | None = None):
    """The latest collected repair of this device still under its warranty."""
    if not imei and not serial:
        return None
    today = today or timezone.localdate()
    for earlier in (
        Ticket.objects.same_device(imei=imei, serial=serial)
        .filter(status=Status.COLLECTED, closed_at__isnull=False)
        .order_by("-closed_at")[:5]
    ):
        if earlier.warranty_until and earlier.warranty_until >= today:
            return earlier
    return None


@transaction.atomic
def create_ticket(
    *,
    by: User,
    customer=None,
    new_customer: dict | None = None,
    device_type: str,
    brand: str,
    model: str,
    problem: str,
    imei: str = "",
    serial: str = "",
    accessories: str = "",
    condition_notes: str = "",
    passcode: str = "",
    priority: int = Priority.NORMAL,
    promised_date: date | None = None,
    technician: User | None = None,
    warranty_days: int | None = None,
    deposit: Deposit | None = None,
    idempotency_key: str | None = None,
) -> Ticket:
    """Book a device in: a numbered ticket, its draft bill and any deposit, for
    `customer` or a customer added now from `new_customer` (name, phone, email).

    A repeated idempotency key returns the ticket it already made.
    """
    if idempotency_key:
        earlier = Ticket.objects.filter(intake_key=idempotency_key).first()
        if earlier:
            return earlier
    if customer is None:
        if not new_customer or not str(new_customer.get("name", "")).strip():
            raise ValidationError("Find the customer, or enter a new customer's name.")
        customer = create_customer(by=by, **new_customer)
    if device_type not in DeviceType.values:
        raise ValidationError(f"{device_type!r} is not a device type.")
    if priority not in Priority.values:
        raise ValidationError(f"{priority!r} is not a priority.")
    if not customer.active:
        raise ValidationError(f"{customer} is deactivated; reactivate them first.")
    if promised_date and promised_date < timezone.localdate():
        raise ValidationError("The promised date is in the past.")
    shop = ShopSettings.load()
    if warranty_days is None:
        warranty_days = shop.repair_warranty_days
    if not 0 <= warranty_days <= 3650:
        raise ValidationError("The warranty is 0 to 3650 days.")
    imei, serial = clean_imei(imei), clean_serial(serial)
    if device_type == DeviceType.PHONE and not (imei or serial):
        raise ValidationError("Enter the phone's IMEI or serial number.")
    ticket = Ticket(
        number=f"RP-{next_number('repair'):06d}",
        customer=customer,
        device_type=device_type,
        brand=_required_text(brand, "brand", 60),
        model=_required_text(model, "model", 100),
        problem=_required_text(problem, "reported problem", 4000),
        imei=imei,
        serial=serial,
        accessories=(accessories or "").strip()[:255],
        condition_notes=(condition_notes or "").strip(),
        passcode_encrypted=passcodes.encrypt(_clean_passcode(passcode)),
        priority=priority,
        promised_date=promised_date,
        technician=_check_technician(technician),
        warranty_days=warranty_days,
        warranty_of=warranty_match(imei=imei, serial=serial),
        created_by=by,
        intake_key=idempotency_key or None,
    )
    ticket.invoice = billing.open_draft(
        by=by, customer=customer, source=InvoiceSource.REPAIR, notes=str(ticket)
    )
    ticket.save()
    StatusChange.objects.create(
        ticket=ticket, to_status=Status.RECEIVED, by=by, note="Booked in"
    )
    if deposit is not None:
        _take_deposit(ticket, deposit, by=by)
    _queue_message(ticket)
    return ticket


INTAKES = idempotency.Action(
    "intake",
    Ticket,
    "intake_key",
    reused=lambda ticket: (
        f"This Idempotency-Key already booked in {ticket.number}, for a "
        "different request. Use a new key for a new ticket."
    ),
)


def create_ticket_once(*, by: User, key: str | None, **intake) -> Made:
    """create_ticket for a client's one-time key (pos_project.idempotency): a
    retry returns the ticket the key booked in, with its deposit taken once.
    Without a key the ticket is booked in now."""
    if key is None:
        return Made(create_ticket(by=by, **intake), True)
    # The passcode stays out of the fingerprint, which is kept in clear.
    claim = INTAKES.claim(
        key,
        by=by,
        content={name: value for name, value in intake.items() if name != "passcode"},
    )
    return claim.once(
        lambda: create_ticket(by=by, idempotency_key=claim.token, **intake)
    )


def _clean_passcode(passcode):
    passcode = (passcode or "").strip()
    if len(passcode) > 64:
        raise ValidationError("A passcode is at most 64 characters.")
    return passcode


def _take_deposit(ticket, deposit, *, by):
    return billing.record_payment(
        ticket.invoice,
        by=by,
        amount=deposit.amount,
        method=deposit.method,
        reference=deposit.reference,
        note=f"Deposit for {ticket}",
        idempotency_key=deposit.idempotency_key,
        deposit=True,
    )


@transaction.atomic
def edit_ticket(
    ticket: Ticket, *, by: User, passcode: str | None = None, **fields
) -> Ticket:
    """Correct the intake details and, given one, the passcode (empty removes
    it), together or not at all."""
    if fields or passcode is None:
        ticket = update_ticket(ticket, by=by, **fields)
    if passcode is not None:
        ticket = set_passcode(ticket, by=by, passcode=passcode)
    return ticket


@transaction.atomic
def update_ticket(ticket: Ticket, *, by: User, **fields) -> Ticket:
    """Change the intake details of an open ticket (not its status or bill)."""
    ticket = _lock(ticket)
    if not ticket.is_open:
        raise ValidationError(f"{ticket} is {ticket.get_status_display().lower()}.")
    allowed = {
        "brand",
        "model",
        "imei",
        "serial",
        "problem",
        "accessories",
        "condition_notes",
        "priority",
        "promised_date",
        "technician",
        "warranty_days",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"update_ticket does not change {sorted(unknown)}.")
    if "imei" in fields:
        fields["imei"] = clean_imei(fields["imei"])
    if "serial" in fields:
        fields["serial"] = clean_serial(fields["serial"])
    for name, what, length in (
        ("brand", "brand", 60),
        ("model", "model", 100),
        ("problem", "reported problem", 4000),
    ):
        if name in fields:
            fields[name] = _required_text(fields[name], what, length)
    if "technician" in fields:
        _check_technician(fields["technician"])
    if fields.get("priority", Priority.NORMAL) not in Priority.values:
        raise ValidationError("That is not a priority.")
    if not 0 <= fields.get("warranty_days", 0) <= 3650:
        raise ValidationError("The warranty is 0 to 3650 days.")
    changed = [name for name, value in fields.items() if getattr(ticket, name) != value]
    for name in changed:
        setattr(ticket, name, fields[name])
    if changed:
        ticket.save(update_fields=changed)
        labels = ", ".join(Ticket._meta.get_field(n).verbose_name for n in changed)
        _note(ticket, by=by, note=f"Changed {labels}")
    return ticket


@transaction.atomic
def set_passcode(ticket: Ticket, *, by: User, passcode: str) -> Ticket:
    """Store (or clear) the device's passcode, encrypted, while the ticket is open."""
    ticket = _lock(ticket)
    if not ticket.is_open:
        raise ValidationError("The ticket is closed; its passcode was erased.")
    ticket.passcode_encrypted = passcodes.encrypt(_clean_passcode(passcode))
    ticket.save(update_fields=["passcode_encrypted"])
    _note(ticket, by=by, note="Passcode changed" if passcode else "Passcode removed")
    return ticket


def reveal_passcode(ticket: Ticket) -> str | None:
    """The passcode in clear, for staff on the ticket page; None if unreadable."""
    return passcodes.decrypt(ticket.passcode_encrypted)


# The estimate: labour and parts.


def estimate_lines_totals(lines, *, prices_include_tax: bool):
    """The document totals of `lines`; each line gets its `amount` (gross) too."""
    priced = []
    for line in lines:
        totals = line_totals(
            line.quantity,
            line.unit_price,
            line.tax_rate,
            prices_include_tax=prices_include_tax,
        )
        line.amount = totals.gross
        priced.append(totals)
    return document_totals(priced)


def estimate_total(ticket: Ticket) -> Decimal:
    """What the estimate comes to now, tax included: labour and every part."""
    return estimate_lines_totals(
        list(ticket.lines.all()),
        prices_include_tax=ticket.invoice.prices_include_tax,
    ).total


def _check_editable(ticket):
    if ticket.status not in WORKING_STATUSES:
        raise ValidationError(
            f"{ticket} is {ticket.get_status_display().lower()}; "
            "its estimate no longer changes."
        )


def _estimate_changed(ticket, *, by, what):
    """An approved estimate that changes needs the customer's approval again."""
    if ticket.approval_id is None:
        return
    EstimateApproval.objects.filter(pk=ticket.approval_id).update(
        withdrawn_at=timezone.now()
    )
    ticket.approval = None
    ticket.save(update_fields=["approval"])
    _note(
        ticket,
        by=by,
        note=f"Estimate changed after approval ({what}); it needs approving again",
    )


def _default_tax_rate():
    rate = TaxRate.default()
    return rate.rate if rate else ZERO


@transaction.atomic
def add_labour(
    ticket: Ticket,
    *,
    by: User,
    description: str = "",
    unit_price,
    quantity=1,
    product: Product | None = None,
) -> TicketLine:
    """Add labour or a service at the technician's price (the form offers a
    service product's price; the product's tax rate is always used)."""
    ticket = _lock(ticket)
    _check_editable(ticket)
    if product is not None and product.tracks_stock:
        raise ValidationError(f"{product.name} is a stocked product; add it as a part.")
    line = TicketLine.objects.create(
        ticket=ticket,
        kind=LineKind.LABOUR,
        product=product,
        description=_required_text(
            description or (product.name if product else ""), "description", 255
        ),
        quantity=_quantity(quantity, whole=False),
        unit_price=_money(unit_price, "The price"),
        tax_rate=product.tax_rate.rate if product else _default_tax_rate(),
        added_by=by,
    )
    _estimate_changed(ticket, by=by, what=f"added {line.description}")
    return line


@transaction.atomic
def add_part(
    ticket: Ticket,
    *,
    by: User,
    product: Product,
    quantity=1,
    unit_price=None,
    fit: bool = False,
) -> TicketLine:
    """Put a part from stock on the estimate; stock moves only when it is fitted
    (at once with `fit`, all or nothing)."""
    ticket = _lock(ticket)
    _check_editable(ticket)
    if not product.active:
        raise ValidationError(f"{product.name} is no longer sold.")
    price = product.sale_price if unit_price in (None, "") else unit_price
    line = TicketLine.objects.create(
        ticket=ticket,
        kind=LineKind.PART,
        product=product,
        description=product.name[:255],
        quantity=_quantity(quantity, whole=True),
        unit_price=_money(price, "The price"),
        tax_rate=product.tax_rate.rate,
        added_by=by,
    )
    _estimate_changed(ticket, by=by, what=f"added {line.description}")
    if fit:
        fit_part(line, by=by)
    return line


@transaction.atomic
def update_line(
    line: TicketLine, *, by: User, quantity=None, unit_price=None, description=None
) -> TicketLine:
    """Change a line's quantity, price or wording; its history keeps the old ones."""
    ticket = _lock(line.ticket)
    _check_editable(ticket)
    line = TicketLine.objects.get(pk=line.pk, ticket=ticket)
    changed, said = [], []
    if quantity is not None:
        quantity = _quantity(quantity, whole=line.is_part)
        if quantity != line.quantity:
            if line.is_fitted:
                raise ValidationError(
                    f"{line.description} is fitted; remove it (the part goes back "
                    "to stock) and add the right quantity."
                )
            said.append(f"quantity {line.quantity:f} → {quantity:f}")
            line.quantity = quantity
            changed.append("quantity")
    if unit_price is not None:
        unit_price = _money(unit_price, "The price")
        if unit_price != line.unit_price:
            said.append(f"price {line.unit_price} → {unit_price}")
            line.unit_price = unit_price
            changed.append("unit_price")
    if description is not None and line.kind == LineKind.LABOUR:
        description = _required_text(description, "description", 255)
        if description != line.description:
            line.description = description
            changed.append("description")
    if changed:
        line._change_reason = f"changed by {by}"
        line.save(update_fields=changed)
        if said:
            _note(ticket, by=by, note=f"{line.description}: {', '.join(said)}")
        _estimate_changed(ticket, by=by, what=f"changed {line.description}")
    return line


@transaction.atomic
def remove_line(line: TicketLine, *, by: User) -> None:
    """Take a line off the estimate; a fitted part goes back to stock first."""
    ticket = _lock(line.ticket)
    _check_editable(ticket)
    line = TicketLine.objects.select_related("product").get(pk=line.pk, ticket=ticket)
    if line.is_fitted:
        _give_back(ticket, line, by=by)
    description = line.description
    line.delete()
    _estimate_changed(ticket, by=by, what=f"removed {description}")


@transaction.atomic
def fit_part(line: TicketLine, *, by: User) -> TicketLine:
    """The part goes into the device: it leaves stock with the ticket as reference."""
    ticket = _lock(line.ticket)
    _check_editable(ticket)
    line = TicketLine.objects.select_related("product").get(pk=line.pk, ticket=ticket)
    if not line.is_part:
        raise ValidationError("Only parts are fitted.")
    if line.is_fitted:
        raise ValidationError(f"{line.description} is already fitted.")
    stock.take_stock(
        [stock.StockLine(line.product, int(line.quantity))],
        by=by,
        reason=StockReason.REPAIR_PART,
        reference=ticket,
        reference_label=ticket.number,
    )
    line.fitted_at, line.fitted_by = timezone.now(), by
    line.save(update_fields=["fitted_at", "fitted_by"])
    _note(ticket, by=by, note=f"Fitted {line.quantity:f} × {line.description}")
    return line


@transaction.atomic
def unfit_part(line: TicketLine, *, by: User) -> TicketLine:
    """The part came out again unused: it goes back to stock; the line stays."""
    ticket = _lock(line.ticket)
    _check_editable(ticket)
    line = TicketLine.objects.select_related("product").get(pk=line.pk, ticket=ticket)
    if not line.is_fitted:
        raise ValidationError(f"{line.description} is not fitted.")
    _give_back(ticket, line, by=by)
    line.fitted_at, line.fitted_by = None, None
    line.save(update_fields=["fitted_at", "fitted_by"])
    return line


def _give_back(ticket, line, *, by):
    stock.return_stock(
        [stock.StockLine(line.product, int(line.quantity))],
        by=by,
        reason=StockReason.REPAIR_PART_RETURN,
        reference=ticket,
        reference_label=ticket.number,
    )
    _note(ticket, by=by, note=f"Removed {line.quantity:f} × {line.description}")


@transaction.atomic
def approve_estimate(
    ticket: Ticket, *, method: str, by: User | None = None, note: str = ""
) -> EstimateApproval:
    """Record the customer's yes to the estimate as it stands.

    `by` is the member of staff who took it in person or by phone; on the status
    page the customer approves it themselves (`by` None). A ticket waiting for
    approval goes on to repair.
    """
    ticket = _lock(ticket)
    if method not in ApprovalMethod.values:
        raise ValidationError(f"{method!r} is not a way to approve.")
    if (by is None) != (method == ApprovalMethod.STATUS_PAGE):
        raise ValueError("Staff record approvals in person or by phone only.")
    _check_editable(ticket)
    if ticket.approval_id:
        raise ValidationError("The customer has already approved this estimate.")
    lines = list(ticket.lines.all())
    if not lines:
        raise ValidationError("There is no estimate to approve yet.")
    total = estimate_lines_totals(
        lines, prices_include_tax=ticket.invoice.prices_include_tax
    ).total
    approval = EstimateApproval.objects.create(
        ticket=ticket, total=total, method=method, recorded_by=by, note=note[:255]
    )
    ticket.approval = approval
    ticket.save(update_fields=["approval"])
    how = ApprovalMethod(method).label.lower()
    if ticket.status == Status.AWAITING_APPROVAL:
        _move(ticket, Status.IN_REPAIR, by=by, note=f"Estimate approved {how}")
    else:
        _note(ticket, by=by, note=f"Estimate of {total} approved {how}")
    return approval


# Money: deposits and their refunds.


@transaction.atomic
def record_deposit(
    ticket: Ticket,
    *,
    by: User,
    amount,
    method: str,
    reference: str = "",
    idempotency_key: str | None = None,
) -> Payment:
    """Take money on account of the repair before it is billed."""
    ticket = _lock(ticket)
    if ticket.status not in WORKING_STATUSES:
        raise ValidationError(
            f"{ticket} is billed; take payment of the invoice {ticket.invoice}."
            if ticket.status == Status.READY
            else f"{ticket} is closed."
        )
    return _take_deposit(
        ticket, Deposit(amount, method, reference, idempotency_key), by=by
    )


def record_deposit_once(ticket: Ticket, *, by: User, key: str, **deposit) -> Made:
    """record_deposit for a client's one-time key (pos_project.idempotency): a
    retry returns the deposit the key took, never takes the money twice."""
    claim = billing.DEPOSITS.claim(
        key,
        by=by,
        content={
            "invoice": ticket.invoice_id,
            "amount": idempotency.number(deposit.get("amount")),
            "method": deposit.get("method"),
            "reference": str(deposit.get("reference", "")).strip(),
        },
    )
    return claim.once(
        lambda: record_deposit(ticket, by=by, idempotency_key=claim.token, **deposit)
    )


@transaction.atomic
def refund_deposit(
    payment: Payment,
    *,
    by: User,
    amount,
    reason: str,
    method: str | None = None,
    idempotency_key: str | None = None,
) -> Payment:
    """Give a deposit back (an Admin), while the ticket is not billed yet."""
    if not by.has_perm(REFUND_PAYMENTS):
        raise ValidationError("Only an Admin can refund a deposit.")
    ticket = _lock(payment.invoice.repair_ticket)
    if ticket.invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(f"{ticket} is billed; refund from its invoice.")
    return billing.refund_payment(
        payment,
        by=by,
        amount=amount,
        reason=reason,
        method=method,
        idempotency_key=idempotency_key,
    )


# The workflow.


@transaction.atomic
def change_status(
    ticket: Ticket,
    to: str,
    *,
    by: User,
    note: str = "",
    minutes_spent: int | None = None,
    on_account: bool = False,
) -> Ticket:
    """Move the ticket along its workflow (see models.TRANSITIONS), recording who
    and when; billing when it is ready, checking the balance when it leaves."""
    ticket = _lock(ticket)
    if to not in Status.values:
        raise ValidationError(f"{to!r} is not a repair status.")
    to = Status(to)
    if to == ticket.status:
        raise ValidationError(f"{ticket} is already {to.label.lower()}.")
    if to not in TRANSITIONS[Status(ticket.status)]:
        raise ValidationError(
            f"A ticket that is {ticket.get_status_display().lower()} cannot "
            f"become {to.label.lower()}."
        )
    if minutes_spent is not None:
        if not 0 < minutes_spent <= 60 * 24 * 30:
            raise ValidationError("Bench time is minutes above zero.")
        ticket.minutes_spent = minutes_spent
    if to in (Status.IN_REPAIR, Status.READY):
        _check_still_approved(ticket)
    if to == Status.READY:
        _bill(ticket, ticket.lines.billable(), by=by, unfitted_allowed=False)
        ticket.ready_at = timezone.now()
    elif to == Status.RETURNED:
        _bill(ticket, ticket.lines.filter(kind=LineKind.LABOUR), by=by, returning=True)
    elif to == Status.CANCELLED:
        _check_nothing_fitted(ticket, "cancelling")
        _close_empty_bill(ticket, by=by)
    if to in (Status.COLLECTED, Status.RETURNED):
        _check_balance(ticket, by=by, on_account=on_account)
    if to in CLOSED_STATUSES:
        ticket.passcode_encrypted = ""
        ticket.closed_at = timezone.now()
    _move(ticket, to, by=by, note=note)
    return ticket


def _move(ticket, to, *, by, note=""):
    StatusChange.objects.create(
        ticket=ticket,
        from_status=ticket.status,
        to_status=to,
        by=by,
        note=(note or "").strip()[:255],
    )
    ticket.status = to
    ticket.status_changed_at = timezone.now()
    ticket.save()
    _queue_message(ticket)


def _check_still_approved(ticket):
    if ticket.approval_id is None and ticket.approvals.exists():
        raise ValidationError(
            "The estimate changed after the customer approved it; "
            "get their approval of the new estimate first."
        )


def _check_nothing_fitted(ticket, doing):
    fitted = [line.description for line in ticket.lines.filter(fitted_at__isnull=False)]
    if fitted:
        raise ValidationError(
            f"Remove the fitted parts before {doing} (they go back to stock): "
            + ", ".join(fitted)
            + "."
        )


def _bill(ticket, lines, *, by, unfitted_allowed=True, returning=False):
    """The ticket's billable lines become its invoice, issued now."""
    if returning:
        _check_nothing_fitted(ticket, "returning the device")
    elif not unfitted_allowed:
        waiting = [
            line.description
            for line in ticket.lines.filter(kind=LineKind.PART, fitted_at__isnull=True)
        ]
        if waiting:
            raise ValidationError(
                "Fit or remove the parts not fitted yet: " + ", ".join(waiting) + "."
            )
    lines = list(lines.select_related("product"))
    if not lines:
        if returning:
            _close_empty_bill(ticket, by=by)
            return
        raise ValidationError("Add the labour and parts to bill before it is ready.")
    billing.set_draft_lines(
        ticket.invoice,
        [
            LineInput(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                sku=line.product.sku if line.product else "",
            )
            for line in lines
        ],
        by=by,
    )
    ticket.invoice = billing.issue_invoice(ticket.invoice, by=by)


def _close_empty_bill(ticket, *, by):
    """Nothing to bill: the draft is voided, once any deposit is given back."""
    invoice = ticket.invoice
    if invoice.amount_paid:
        raise ValidationError(
            f"{invoice.amount_paid} of deposits are held for this repair; "
            "refund them first (an Admin), or bill the work done."
        )
    billing.void_invoice(invoice, by=by, reason=f"{ticket}: nothing to bill")


def _check_balance(ticket, *, by, on_account):
    invoice = ticket.invoice
    invoice.refresh_from_db(fields=["balance", "status"])
    if invoice.status == InvoiceStatus.VOID or invoice.balance <= ZERO:
        return
    if not on_account:
        raise ValidationError(
            f"{invoice.balance} is still owed on {invoice}. Take payment first, "
            "or an Admin can let it go on the customer's account."
        )
    if not by.has_perm(ALLOW_ON_ACCOUNT):
        raise ValidationError(
            "Only an Admin can let a repair go with a balance on account."
        )
    ticket.on_account_by = by


# Emails to the customer.


def _queue_message(ticket):
    """Email the customer about this status after commit, if the shop chose to."""
    from .tasks import email_status

    if not ticket.customer.email:
        return
    if MessageTemplate.objects.filter(status=ticket.status, active=True).exists():
        enqueue_on_commit(email_status, ticket.pk, ticket.status)


# Suggestions.


@transaction.atomic
def apply_suggestion(
    ticket: Ticket, *, by: User, part_ids=(), labour: bool = True
) -> list[TicketLine]:
    """Put the suggested parts (those picked of the ones offered) and labour on
    the estimate, at today's part prices; the labour is what the typical price
    leaves after those parts. The technician edits them like any line."""
    from .history import suggest_for

    ticket = _lock(ticket)
    _check_editable(ticket)
    suggestion = suggest_for(ticket)
    if not suggestion.enough_history:
        raise ValidationError(suggestion.reason)
    offered = {part.product_id: part for part in suggestion.parts if part.product_id}
    products = Product.objects.filter(
        pk__in=[pk for pk in part_ids if pk in offered], active=True
    ).select_related("tax_rate")
    lines = [
        add_part(ticket, by=by, product=product, quantity=offered[product.pk].quantity)
        for product in products
    ]
    if labour:
        parts_total = sum(
            (line.unit_price * line.quantity for line in lines), Decimal("0")
        )
        lines.append(
            add_labour(
                ticket,
                by=by,
                description=f"Repair labour: {ticket.device}",
                unit_price=max(suggestion.price_typical - to_money(parts_total), ZERO),
            )
        )
    if not lines:
        raise ValidationError("Pick the parts or the labour to add.")
    return lines
