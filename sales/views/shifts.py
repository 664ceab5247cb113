"""Views: cash shifts. Open with a float, cash in and out, a blind close, the Z report.

Workflows are short function views: fetch the shift through `get_shift` (its
cashier or a shift manager, anyone else 403), bind the form, call one service
through `run_service`, then message and redirect.

The forms live here rather than in sales/forms.py, next to the only views that
use them.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.access import MANAGE_SHIFTS, USE_TILL, PermRequiredMixin, perm_required
from accounts.models import PaperWidth, PaymentMethod, ShopSettings
from accounts.services import authenticate_approver
from accounts.views import run_service
from invoices.documents import logo_data_uri
from pos_project.money import ZERO, cents, format_money
from pos_project.pdf import pdf_response, render_pdf
from pos_project.validators import refuse_card_number

from .. import services
from ..filters import ShiftFilter
from ..models import (
    CashMovementKind,
    Sale,
    SaleStatus,
    Shift,
    ShiftCount,
)
from ..queries import expected_takings, summarise_shift
from ..tables import ShiftTable

# Lookups.


def get_shift(user, pk):
    """The shift `user` may see and work on: their own, or any for a shift manager."""
    shift = get_object_or_404(
        Shift.objects.select_related("cashier", "difference_approved_by"), pk=pk
    )
    if shift.cashier_id != user.pk and not user.has_perm(MANAGE_SHIFTS):
        raise PermissionDenied
    return shift


def counted_methods(shift):
    """The payment methods a close counts: those the shop offers, and any the
    shift took money by (a method switched off during the shift still counts).
    """
    offered = set(ShopSettings.load().payment_methods)
    used = set(expected_takings(shift))
    return [m for m in PaymentMethod.values if m in offered or m in used]


# Forms.


class MoneyField(forms.DecimalField):
    """An amount in the shop's currency: no letters, no minus, no part of a cent."""

    def __init__(self, *, positive=False, **kwargs):
        places = settings.CURRENCY_DECIMAL_PLACES
        minimum = cents() if positive else Decimal(0)
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", places)
        kwargs.setdefault("min_value", minimum)
        kwargs.setdefault(
            "widget",
            forms.NumberInput(
                attrs={
                    "step": str(cents()),
                    "min": str(minimum),
                    "inputmode": "decimal",
                }
            ),
        )
        super().__init__(**kwargs)
        self.error_messages.update(
            {
                "invalid": "Enter an amount of money, such as 12.50.",
                "min_value": (
                    "The amount must be more than zero."
                    if positive
                    else "The amount cannot be negative."
                ),
                "max_decimal_places": (
                    f"Use at most {places} decimals: no part of a cent."
                ),
                "max_digits": "That amount is too large.",
                "max_whole_digits": "That amount is too large.",
            }
        )


class ApproverForm(forms.Form):
    """An Admin's username and password, typed at the cashier's till."""

    approver_username = forms.CharField(
        label="Admin's username",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    approver_password = forms.CharField(
        label="Admin's password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def credentials(self):
        """The username and password typed, for accounts' authenticate_approver."""
        return {
            "username": self.cleaned_data.get("approver_username", ""),
            "password": self.cleaned_data.get("approver_password", ""),
        }


class OpenShiftForm(forms.Form):
    opening_float = MoneyField(
        label="Opening float",
        help_text="The cash counted into the drawer before the first sale.",
    )


class CashMovementForm(forms.Form):
    kind = forms.ChoiceField(
        label="Movement",
        choices=CashMovementKind.choices,
        initial=CashMovementKind.PAYOUT,
        widget=forms.RadioSelect,
    )
    amount = MoneyField(positive=True, label="Amount")
    reason = forms.CharField(
        validators=[refuse_card_number],
        max_length=255,
        label="Reason",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Milk for the staff room"}),
    )


COUNT_HELP = {
    PaymentMethod.CASH: "All the cash in the drawer, float included.",
    PaymentMethod.STORE_CREDIT: "The store credit slips taken; blank for none.",
    None: "The terminal's or the slips' total; blank for none.",
}


class CloseShiftForm(ApproverForm):
    """A blind count: what is in the drawer and on each terminal, nothing shown."""

    note = forms.CharField(
        validators=[refuse_card_number],
        label="Note",
        required=False,
        max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": "Anything the manager should know"}
        ),
    )

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(PaymentMethod.choices)
        counted = {}
        for method in methods:
            counted[f"counted_{method}"] = MoneyField(
                label=f"{labels[method]} counted",
                required=method == PaymentMethod.CASH,
                help_text=COUNT_HELP.get(method, COUNT_HELP[None]),
            )
        # The counts first, then the note and an Admin's signature.
        self.fields = {**counted, **self.fields}
        self.methods = methods

    def counted_fields(self):
        return [self[f"counted_{method}"] for method in self.methods]

    def counted(self):
        return {
            method: self.cleaned_data.get(f"counted_{method}") or ZERO
            for method in self.methods
        }


# Figures for the screens.


@dataclass
class MethodRow:
    method: str
    label: str
    received: Decimal = ZERO
    refunded: Decimal = ZERO
    expected: Decimal | None = None
    counted: Decimal | None = None
    difference: Decimal | None = None


def method_rows(summary):
    """One row per payment method the shift touched, in the till's order.

    A closed shift's expected figures are those recorded at its close.
    """
    counts = {count.method: count for count in summary.counts}
    labels = dict(PaymentMethod.choices)
    used = (
        set(summary.payments_by_method)
        | set(summary.refunds_by_method)
        | set(summary.expected)
        | set(counts)
    )
    rows = []
    for method in [m for m in PaymentMethod.values if m in used]:
        count = counts.get(method)
        rows.append(
            MethodRow(
                method=method,
                label=labels[method],
                received=summary.payments_by_method.get(method, ZERO),
                refunded=summary.refunds_by_method.get(method, ZERO),
                expected=count.expected if count else summary.expected.get(method),
                counted=count.counted if count else None,
                difference=count.difference if count else None,
            )
        )
    return rows


def method_totals(rows):
    total = MethodRow(method="", label="Total")
    for row in rows:
        total.received += row.received
        total.refunded += row.refunded
        for name in ("expected", "counted", "difference"):
            value = getattr(row, name)
            if value is not None:
                setattr(total, name, (getattr(total, name) or ZERO) + value)
    return total


def shift_context(shift):
    """Everything the shift page and the Z report show, in a fixed number of queries."""
    summary = summarise_shift(shift)
    rows = method_rows(summary)
    cash = next((c for c in summary.counts if c.method == PaymentMethod.CASH), None)
    return {
        "shift": shift,
        "summary": summary,
        "rows": rows,
        "totals": method_totals(rows),
        "cash_count": cash,
        "cash_row": next(
            (row for row in rows if row.method == PaymentMethod.CASH), None
        ),
        "movements": list(shift.movements.select_related("by")),
        "movements_total": sum(summary.movements.values(), ZERO),
    }


def render_shift(request, shift, *, cash_form=None):
    context = shift_context(shift)
    if shift.is_open:
        context["cash_form"] = cash_form or CashMovementForm()
        context["can_see_expected"] = request.user.has_perm(MANAGE_SHIFTS)
        template = "sales/shift_detail.html"
    else:
        template = "sales/shift_z_report.html"
    return render(request, template, context)


# Views.


class ShiftListView(PermRequiredMixin, SingleTableMixin, FilterView):
    """Shift managers see every shift; a cashier sees their own."""

    permission_required = USE_TILL
    model = Shift
    table_class = ShiftTable
    filterset_class = ShiftFilter
    template_name = "sales/shift_list.html"
    table_pagination = {"per_page": 50}

    def manages_shifts(self):
        return self.request.user.has_perm(MANAGE_SHIFTS)

    def get_queryset(self):
        completed = (
            Sale.objects.filter(shift=OuterRef("pk"), status=SaleStatus.COMPLETED)
            .order_by()
            .values("shift")
        )
        money = DecimalField(max_digits=12, decimal_places=2)
        shifts = Shift.objects.select_related(
            "cashier", "difference_approved_by"
        ).annotate(
            sales_count=Coalesce(
                Subquery(completed.annotate(n=Count("pk")).values("n")),
                0,
                output_field=IntegerField(),
            ),
            sales_total=Coalesce(
                Subquery(completed.annotate(t=Sum("total")).values("t")),
                ZERO,
                output_field=money,
            ),
            cash_difference=Subquery(
                ShiftCount.objects.filter(
                    shift=OuterRef("pk"), method=PaymentMethod.CASH
                ).values("difference")[:1],
                output_field=money,
            ),
        )
        if not self.manages_shifts():
            shifts = shifts.filter(cashier=self.request.user)
        return shifts

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["with_cashier"] = self.manages_shifts()
        return kwargs

    def get_table_kwargs(self):
        return {} if self.manages_shifts() else {"exclude": ("cashier",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["current_shift"] = services.current_shift(self.request.user)
        context["manages_shifts"] = self.manages_shifts()
        return context


shift_list = ShiftListView.as_view()


@perm_required(USE_TILL)
def shift_open(request):
    current = services.current_shift(request.user)
    if current:
        messages.info(request, "Your shift is already open.")
        return redirect(current)
    form = OpenShiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shift = run_service(
            form,
            services.open_shift,
            by=request.user,
            opening_float=form.cleaned_data["opening_float"],
        )
        if shift:
            messages.success(
                request,
                f"Your shift is open with a float of "
                f"{format_money(shift.opening_float)}.",
            )
            return redirect(shift)
    return render(request, "sales/shift_open.html", {"form": form})


@perm_required(USE_TILL)
def shift_detail(request, pk):
    """An open shift's page, or a closed shift's Z report."""
    return render_shift(request, get_shift(request.user, pk))


@require_POST
@perm_required(USE_TILL)
def shift_cash(request, pk):
    """Cash put in or taken out of the drawer, with a reason."""
    shift = get_shift(request.user, pk)
    if not shift.is_open:
        messages.error(request, f"{shift} is closed: a closed shift never changes.")
        return render_shift(request, shift)
    form = CashMovementForm(request.POST)
    if form.is_valid():
        movement = run_service(
            form,
            services.record_cash_movement,
            shift,
            by=request.user,
            **form.cleaned_data,
        )
        if movement:
            messages.success(
                request,
                f"{movement.get_kind_display()} of "
                f"{format_money(abs(movement.amount))} recorded.",
            )
            return redirect(shift)
        # Closed meanwhile (at another till): its Z report, with the refusal.
        shift = get_shift(request.user, pk)
        if not shift.is_open:
            for error in form.non_field_errors():
                messages.error(request, error)
            return render_shift(request, shift)
    return render_shift(request, shift, cash_form=form)


def cash_over_threshold(shift, counted):
    """Whether the counted cash is further from the expected than the shop allows.

    Only decides whether to ask for an Admin's signature; close_shift checks
    again under the shift's lock.
    """
    expected = expected_takings(shift).get(PaymentMethod.CASH, ZERO)
    difference = counted.get(PaymentMethod.CASH, ZERO) - expected
    return abs(difference) > ShopSettings.load().cash_difference_threshold


@perm_required(USE_TILL)
def shift_close(request, pk):
    """A blind count: the expected figures appear only on the Z report after it."""
    shift = get_shift(request.user, pk)
    if not shift.is_open:
        messages.info(request, f"{shift} is already closed: here is its Z report.")
        return redirect(shift)
    form = CloseShiftForm(request.POST or None, methods=counted_methods(shift))
    needs_admin = bool(request.POST.get("approver_username"))
    if request.method == "POST" and form.is_valid():
        counted = form.counted()
        approver = None
        if not request.user.has_perm(MANAGE_SHIFTS) and cash_over_threshold(
            shift, counted
        ):
            needs_admin = True
            threshold = ShopSettings.load().cash_difference_threshold
            if not form.cleaned_data["approver_username"]:
                form.add_error(
                    None,
                    f"The cash counted is more than {format_money(threshold)} away "
                    "from what the till expected, so an Admin must approve the "
                    "close. Count again, or ask an Admin to sign below.",
                )
            else:
                approver = run_service(
                    form,
                    authenticate_approver,
                    **form.credentials(),
                    permission=MANAGE_SHIFTS,
                    request=request,
                )
        if not form.errors:
            closed = run_service(
                form,
                services.close_shift,
                shift,
                by=request.user,
                counted=counted,
                note=form.cleaned_data["note"],
                approver=approver,
            )
            if closed:
                messages.success(request, f"{closed} is closed. Here is its Z report.")
                return redirect(closed)
    return render(
        request,
        "sales/shift_close.html",
        {"shift": shift, "form": form, "needs_admin": needs_admin},
    )


# A receipt roll's printed line (7.5pt type, 1.3 line height, padding) and how
# many characters of the monospaced type fit across it.
ROLL_LINE_MM = Decimal("4.6")
ROLL_CHARACTERS = {"80mm": 44, "58mm": 34}


def roll_length(context, shop):
    """How long (mm) the Z report runs on a receipt roll.

    WeasyPrint has no page of "auto" length, so the page is sized from the
    lines the report prints, with room to spare; a roll printer cuts at the
    page's end.
    """
    width = ROLL_CHARACTERS.get(shop.paper_width, 44)

    def wrapped(text):
        return max(1, -(-len(text) // width))

    shift = context["shift"]
    lines = (
        34  # headings, the sales and drawer figures, totals, the closing line
        + len(shop.address.splitlines())
        + 6 * len(context["rows"])
        + len(context["summary"].movements)
        + sum(1 + wrapped(f"  {m.reason} ({m.by})") for m in context["movements"])
        + (wrapped(f"Note: {shift.closing_note}") if shift.closing_note else 0)
    )
    logo = 16 if shop.has_logo else 0
    return 20 + logo + int(lines * ROLL_LINE_MM)


@perm_required(USE_TILL)
def shift_pdf(request, pk):
    """The Z report to print: on the receipt roll or on A4, as the shop prints."""
    shift = get_shift(request.user, pk)
    if shift.is_open:
        messages.info(request, "The Z report can be printed once the shift is closed.")
        return redirect(shift)
    shop = ShopSettings.load()
    context = shift_context(shift)
    context.update(
        shop=shop,
        logo=logo_data_uri(shop),
        roll=shop.paper_width != PaperWidth.A4,
        paper_width=shop.paper_width,
        page_height=roll_length(context, shop),
    )
    pdf = render_pdf("sales/pdf/z_report.html", context, request=request)
    return pdf_response(pdf, f"z-report-shift-{shift.pk}.pdf")
