"""Repair screens: the board, intake, the ticket, its documents, the public page.

Workflows are short function views: fetch the ticket, bind the form, call one
service through `run_service`, then message and redirect back to the ticket.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from accounts.access import (
    ADD_REPAIRS,
    ALLOW_ON_ACCOUNT,
    CHANGE_REPAIRS,
    EDIT_REPAIR_MESSAGES,
    RECORD_PAYMENTS,
    REFUND_PAYMENTS,
    VIEW_CUSTOMERS,
    VIEW_REPAIRS,
    perm_required,
)
from accounts.models import ShopSettings
from accounts.views import run_service
from customers.models import Customer
from inventory.models import Product
from invoices.forms import RefundForm
from invoices.models import Payment
from pos_project.money import format_money
from pos_project.pdf import pdf_response, render_pdf, render_roll_pdf

from . import documents, services
from .filters import OPEN, TicketFilter
from .forms import (
    ApprovalForm,
    DepositForm,
    IntakeForm,
    LabourForm,
    LineForm,
    MessageTemplateForm,
    PartForm,
    PasscodeForm,
    StatusForm,
    TicketForm,
    new_customer_fields,
)
from .history import suggest_for
from .models import (
    OPEN_STATUSES,
    ApprovalMethod,
    MessageTemplate,
    Status,
    Ticket,
    TicketLine,
)
from .tables import TicketTable
from .tasks import render_message

BOARD_COLUMN_LIMIT = 40


# Lookups: every member of staff works every ticket; the views' permissions
# decide what they may do to it.


def get_ticket(pk):
    return get_object_or_404(
        Ticket.objects.select_related(
            "customer", "technician", "invoice", "created_by", "warranty_of", "approval"
        ),
        pk=pk,
    )


def get_line(pk):
    return get_object_or_404(
        TicketLine.objects.select_related("ticket", "product"), pk=pk
    )


def back_to(ticket, anchor=""):
    return redirect(ticket.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def form_action(request, ticket, form, *, anchor, perform, done):
    """A ticket's workflow form: bind it, call one service with the cleaned
    data, say what happened, go back to the ticket. A refusal is shown as is."""
    if form.is_valid():
        result = run_service(form, perform, form.cleaned_data)
        if result:
            messages.success(request, done(result, form.cleaned_data))
            return back_to(ticket, anchor)
    messages.error(request, form_errors(form))
    return back_to(ticket, anchor)


def form_errors(form):
    return " ".join(message for errors in form.errors.values() for message in errors)


# The board.


@perm_required(VIEW_REPAIRS)
def ticket_list(request):
    """Open tickets in columns by status, or every ticket in a table."""
    data = request.GET.copy()
    as_table = data.get("view") == "table"
    if not as_table and not data.get("status"):
        data["status"] = OPEN
    tickets = TicketFilter(data, queryset=Ticket.objects.for_lists())
    context = {"filter": tickets, "as_table": as_table}
    if as_table:
        table = TicketTable(tickets.qs)
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
        context["table"] = table
    else:
        context["columns"] = board_columns(tickets.qs)
    return render(request, "repairs/ticket_list.html", context)


def board_columns(queryset):
    """[(status, tickets, how many)] for the open statuses, most urgent first."""
    counts = queryset.filter(status__in=OPEN_STATUSES).counts_by_status()
    tickets = list(
        queryset.filter(status__in=OPEN_STATUSES).order_by(
            "-priority", "promised_date", "created_at"
        )[: BOARD_COLUMN_LIMIT * len(OPEN_STATUSES)]
    )
    columns = []
    for status in OPEN_STATUSES:
        shown = [t for t in tickets if t.status == status][:BOARD_COLUMN_LIMIT]
        columns.append((Status(status), shown, counts.get(status, 0)))
    return columns


# Intake.


@perm_required(ADD_REPAIRS)
def ticket_create(request):
    initial = {}
    customer_pk = request.GET.get("customer", "")
    if customer_pk.isdigit():
        initial["customer"] = customer_pk
    form = IntakeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deposit = None
        if data["deposit_amount"]:
            deposit = services.Deposit(
                data["deposit_amount"],
                data["deposit_method"],
                data["deposit_reference"],
                idempotency_key=f"deposit-{data['idempotency_key']}",
            )
        ticket = run_service(
            form,
            services.create_ticket,
            by=request.user,
            customer=data["customer"],
            new_customer=new_customer_fields(data),
            device_type=data["device_type"],
            brand=data["brand"],
            model=data["model"],
            imei=data["imei"],
            serial=data["serial"],
            problem=data["problem"],
            accessories=data["accessories"],
            condition_notes=data["condition_notes"],
            passcode=data["passcode"],
            priority=data["priority"],
            promised_date=data["promised_date"],
            technician=data["technician"],
            warranty_days=data["warranty_days"],
            deposit=deposit,
            idempotency_key=data["idempotency_key"],
        )
        if ticket:
            messages.success(
                request, f"{ticket} is booked in. Print the claim slip and the label."
            )
            if ticket.warranty_of:
                messages.warning(request, warranty_message(ticket.warranty_of))
            return redirect(f"{ticket.get_absolute_url()}?booked=1")
    customer = None
    customer_pk = form["customer"].value()
    if customer_pk and str(customer_pk).isdigit():
        customer = Customer.objects.filter(pk=customer_pk).first()
    return render(
        request, "repairs/ticket_form.html", {"form": form, "customer": customer}
    )


def warranty_message(earlier):
    return (
        f"Under warranty: this device was repaired on {earlier} and its warranty "
        f"runs until {earlier.warranty_until:%d %b %Y}."
    )


@perm_required(VIEW_REPAIRS)
def warranty_check(request):
    """An htmx hint on the intake form: is this device under a warranty?"""
    try:
        imei = services.clean_imei(request.GET.get("imei", ""))
        serial = services.clean_serial(request.GET.get("serial", ""))
    except Exception:  # noqa: BLE001 (a half-typed number is no warranty)
        imei = serial = ""
    earlier = services.warranty_match(imei=imei, serial=serial)
    return render(
        request,
        "repairs/includes/warranty_hint.html",
        {"earlier": earlier, "message": warranty_message(earlier) if earlier else ""},
    )


@perm_required(CHANGE_REPAIRS)
def ticket_update(request, pk):
    ticket = get_ticket(pk)
    if not ticket.is_open:
        messages.error(request, f"{ticket} is closed; it no longer changes.")
        return back_to(ticket)
    form = TicketForm(request.POST or None, instance=Ticket.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        updated = run_service(
            form, services.update_ticket, ticket, by=request.user, **fields
        )
        if updated:
            messages.success(request, f"{ticket} has been updated.")
            return back_to(ticket)
    return render(request, "repairs/ticket_edit.html", {"form": form, "ticket": ticket})


# The ticket.


@perm_required(VIEW_REPAIRS)
def ticket_detail(request, pk):
    ticket = get_ticket(pk)
    lines = list(ticket.lines.select_related("product", "fitted_by"))
    totals = services.estimate_lines_totals(
        lines, prices_include_tax=ticket.invoice.prices_include_tax
    )
    history = ticket.history.select_related("by")
    payments = ticket.invoice.payments.select_related("received_by").order_by(
        "received_at", "pk"
    )
    user = request.user
    context = {
        "ticket": ticket,
        "lines": lines,
        "totals": totals,
        "history": history,
        "payments": payments,
        "passcode": services.reveal_passcode(ticket) if ticket.has_passcode else "",
        "statuses": ticket.allowed_statuses(),
        "status_form": StatusForm(),
        "labour_form": LabourForm(),
        "part_form": PartForm(),
        "approval_form": ApprovalForm(),
        "deposit_form": DepositForm(),
        "can_change": user.has_perm(CHANGE_REPAIRS),
        "can_pay": user.has_perm(RECORD_PAYMENTS),
        "can_refund": user.has_perm(REFUND_PAYMENTS),
        "needs_approval": ticket.approval_id is None and ticket.approvals.exists(),
        "booked": request.GET.get("booked") == "1",
    }
    return render(request, "repairs/ticket_detail.html", context)


@require_POST
@perm_required(CHANGE_REPAIRS)
def ticket_status(request, pk):
    ticket = get_ticket(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changed = run_service(
            form,
            services.change_status,
            ticket,
            data["to"],
            by=request.user,
            note=data["note"],
            minutes_spent=data["minutes_spent"],
            on_account=data["on_account"],
        )
        if changed:
            messages.success(
                request, f"{changed} is now {changed.get_status_display().lower()}."
            )
            return back_to(changed)
    messages.error(request, form_errors(form))
    if request.POST.get("from") == "collect":
        return redirect("repairs:ticket_collect", pk=ticket.pk)
    return back_to(ticket)


@require_POST
@perm_required(CHANGE_REPAIRS)
def labour_add(request, pk):
    ticket = get_ticket(pk)
    return form_action(
        request,
        ticket,
        LabourForm(request.POST),
        anchor="estimate",
        perform=lambda data: services.add_labour(
            ticket,
            by=request.user,
            product=data["service"],
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
        ),
        done=lambda line, _: f"Added {line.description} to the estimate.",
    )


@require_POST
@perm_required(CHANGE_REPAIRS)
def part_add(request, pk):
    ticket = get_ticket(pk)
    return form_action(
        request,
        ticket,
        PartForm(request.POST),
        anchor="estimate",
        perform=lambda data: services.add_part(
            ticket,
            by=request.user,
            product=data["product"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            fit=data["fit_now"],
        ),
        done=lambda line, data: (
            f"{line.description} "
            + ("fitted." if data["fit_now"] else "added to the estimate.")
        ),
    )


@perm_required(VIEW_REPAIRS)
def part_search(request):
    """Parts matching the search, with their stock, for the estimate's part picker."""
    text = request.GET.get("q", "").strip()
    parts = []
    if len(text) >= 2:
        parts = (
            Product.objects.filter(active=True, tracks_stock=True)
            .search(text)
            .order_by("name")[:10]
        )
    return render(
        request,
        "repairs/includes/part_results.html",
        {"parts": parts, "searched": len(text) >= 2},
    )


@require_POST
@perm_required(CHANGE_REPAIRS)
def line_update(request, pk):
    line = get_line(pk)
    return form_action(
        request,
        line.ticket,
        LineForm(request.POST),
        anchor="estimate",
        perform=lambda data: services.update_line(
            line,
            by=request.user,
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            description=data["description"] or None,
        ),
        done=lambda changed, _: f"{changed.description} has been changed.",
    )


def _line_action(request, pk, service, done):
    line = get_line(pk)
    try:
        service(line, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{line.description} {done}.")
    return back_to(line.ticket, "estimate")


@require_POST
@perm_required(CHANGE_REPAIRS)
def line_fit(request, pk):
    return _line_action(request, pk, services.fit_part, "fitted: taken from stock")


@require_POST
@perm_required(CHANGE_REPAIRS)
def line_unfit(request, pk):
    return _line_action(request, pk, services.unfit_part, "removed: back in stock")


@require_POST
@perm_required(CHANGE_REPAIRS)
def line_remove(request, pk):
    return _line_action(request, pk, services.remove_line, "taken off the estimate")


@require_POST
@perm_required(CHANGE_REPAIRS)
def estimate_approve(request, pk):
    ticket = get_ticket(pk)
    return form_action(
        request,
        ticket,
        ApprovalForm(request.POST),
        anchor="estimate",
        perform=lambda data: services.approve_estimate(
            ticket, method=data["method"], by=request.user, note=data["note"]
        ),
        done=lambda approval, _: (
            f"Approval of {format_money(approval.total)} recorded."
        ),
    )


@require_POST
@perm_required(CHANGE_REPAIRS)
def passcode_update(request, pk):
    ticket = get_ticket(pk)
    form = PasscodeForm(request.POST)
    if form.is_valid() and run_service(
        form,
        services.set_passcode,
        ticket,
        by=request.user,
        passcode=form.cleaned_data["passcode"],
    ):
        messages.success(request, "The passcode has been saved.")
    else:
        messages.error(request, form_errors(form))
    return back_to(ticket)


# Money.


@require_POST
@perm_required(RECORD_PAYMENTS)
def deposit_create(request, pk):
    ticket = get_ticket(pk)
    return form_action(
        request,
        ticket,
        DepositForm(request.POST),
        anchor="money",
        perform=lambda data: services.record_deposit(
            ticket,
            by=request.user,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            idempotency_key=data["idempotency_key"],
        ),
        done=lambda payment, _: f"Deposit of {format_money(payment.amount)} received.",
    )


@perm_required(REFUND_PAYMENTS)
def deposit_refund(request, pk):
    payment = get_object_or_404(
        Payment.objects.select_related("invoice__repair_ticket"),
        pk=pk,
        invoice__repair_ticket__isnull=False,
        amount__gt=0,
    )
    ticket = payment.invoice.repair_ticket
    form = RefundForm(request.POST or None, initial={"amount": payment.amount})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        refund = run_service(
            form,
            services.refund_deposit,
            payment,
            by=request.user,
            amount=data["amount"],
            reason=data["reason"],
            method=data["method"],
            idempotency_key=data["idempotency_key"],
        )
        if refund:
            messages.success(request, f"{format_money(-refund.amount)} refunded.")
            return back_to(ticket, "money")
    return render(
        request,
        "repairs/deposit_refund.html",
        {"form": form, "payment": payment, "ticket": ticket},
    )


@perm_required(VIEW_REPAIRS)
def ticket_collect(request, pk):
    """Hand the device back: what is owed is paid at the till, then collected."""
    ticket = get_ticket(pk)
    if ticket.status != Status.READY:
        messages.info(request, f"{ticket} is {ticket.get_status_display().lower()}.")
        return back_to(ticket)
    here = reverse("repairs:ticket_collect", args=[ticket.pk])
    return render(
        request,
        "repairs/ticket_collect.html",
        {
            "ticket": ticket,
            "payments": ticket.invoice.payments.select_related("received_by"),
            "can_allow_on_account": request.user.has_perm(ALLOW_ON_ACCOUNT),
            "pay_url": reverse("sales:invoice_pay", args=[ticket.invoice_id])
            + "?"
            + urlencode({"next": here}),
        },
    )


# Suggestions.


@perm_required(VIEW_REPAIRS)
def ticket_suggestion(request, pk):
    """The suggested price, time and parts for this ticket, as an htmx fragment."""
    ticket = get_ticket(pk)
    suggestion = suggest_for(ticket)
    products = Product.objects.in_bulk(
        [part.product_id for part in suggestion.parts if part.product_id]
    )
    services_offered = []
    if not suggestion.enough_history:
        services_offered = Product.objects.filter(
            active=True, tracks_stock=False
        ).order_by("name")[:12]
    return render(
        request,
        "repairs/includes/suggestion.html",
        {
            "ticket": ticket,
            "suggestion": suggestion,
            "parts": [
                (part, products.get(part.product_id)) for part in suggestion.parts
            ],
            "services_offered": services_offered,
            "can_change": request.user.has_perm(CHANGE_REPAIRS) and ticket.is_working,
        },
    )


@require_POST
@perm_required(CHANGE_REPAIRS)
def suggestion_apply(request, pk):
    ticket = get_ticket(pk)
    part_ids = [int(v) for v in request.POST.getlist("part") if v.isdigit()]
    try:
        lines = services.apply_suggestion(
            ticket,
            by=request.user,
            part_ids=part_ids,
            labour=request.POST.get("labour") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Added {len(lines)} suggested line{'s' if len(lines) != 1 else ''}; "
            "check and edit them before asking for approval.",
        )
    return back_to(ticket, "estimate")


# Documents.


@perm_required(VIEW_REPAIRS)
def claim_slip(request, pk):
    ticket = get_ticket(pk)
    shop = ShopSettings.load()
    paper = request.GET.get("paper") or shop.paper_width
    context = documents.slip_context(ticket, shop=shop, paper=paper, request=request)
    if request.GET.get("format") == "pdf":
        context = {**context, "for_pdf": True}
        if paper == "a4":
            pdf = render_pdf("repairs/claim_slip.html", context, request=request)
        else:  # one page as long as the slip, whatever the repair terms' length
            width = "58mm" if paper == "58mm" else "80mm"
            pdf = render_roll_pdf(
                "repairs/claim_slip.html", context, width=width, request=request
            )
        return pdf_response(pdf, f"claim-slip-{ticket.number}.pdf")
    return render(request, "repairs/claim_slip.html", context)


@perm_required(VIEW_REPAIRS)
def device_label(request, pk):
    ticket = get_ticket(pk)
    return render(
        request,
        "repairs/device_label.html",
        documents.slip_context(
            ticket, shop=ShopSettings.load(), paper="58mm", request=request
        ),
    )


# The customer's status page: no sign-in, found by its unguessable token only.


def _public_ticket(token):
    return get_object_or_404(
        Ticket.objects.select_related("invoice", "approval"), public_token=token
    )


def _public_response(request, ticket):
    lines = list(ticket.lines.all())
    totals = services.estimate_lines_totals(
        lines, prices_include_tax=ticket.invoice.prices_include_tax
    )
    response = render(
        request,
        "repairs/public_status.html",
        {
            "ticket": ticket,
            "lines": lines,
            "totals": totals,
            "can_approve": ticket.is_working
            and lines
            and ticket.approval_id is None
            and ticket.status == Status.AWAITING_APPROVAL,
            "steps": documents.public_steps(ticket),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    # No referrer to other sites (the link is the key); same-origin keeps the
    # Origin header on the approve form, which CSRF checks.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
def public_status(request, token):
    return _public_response(request, _public_ticket(token))


@login_not_required
@require_POST
def public_approve(request, token):
    ticket = _public_ticket(token)
    try:
        services.approve_estimate(ticket, method=ApprovalMethod.STATUS_PAGE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Thank you: the repair goes ahead.")
    return redirect("repairs:public_status", token=token)


# The customer emails (Admins).


@perm_required(EDIT_REPAIR_MESSAGES)
def message_list(request):
    return render(
        request,
        "repairs/message_list.html",
        {"templates": MessageTemplate.objects.all(), "statuses": Status},
    )


@perm_required(EDIT_REPAIR_MESSAGES)
def message_update(request, status):
    if status not in Status.values:
        raise Http404
    template = MessageTemplate.objects.filter(status=status).first() or MessageTemplate(
        status=status, active=False
    )
    form = MessageTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            f"The email when {template.get_status_display().lower()} has been saved.",
        )
        return redirect("repairs:message_list")
    preview = None
    sample = Ticket.objects.select_related("customer", "invoice").first()
    if sample is not None and (not form.is_bound or form.is_valid()):
        preview = render_message(form.instance, sample, ShopSettings.load())
    return render(
        request,
        "repairs/message_form.html",
        {"form": form, "template": template, "preview": preview, "sample": sample},
    )


# A panel on the customer's page.


@perm_required(VIEW_REPAIRS, VIEW_CUSTOMERS)
def customer_panel(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    tickets = customer.repair_tickets.select_related("technician").order_by(
        "-created_at"
    )[:10]
    return render(
        request,
        "repairs/includes/customer_panel.html",
        {"customer": customer, "tickets": tickets},
    )
