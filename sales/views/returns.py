"""Views: the sales list, returns and voids, and a customer's sales.

Every member of staff may look any sale up (they find receipts for
customers); what they may do to one is decided by the permission each view
declares and, for returns, by an Admin's signature at the till.

The forms live here rather than in sales/forms.py, next to the only views that
use them.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.access import (
    APPROVE_RETURNS,
    USE_TILL,
    VIEW_SALES,
    VOID_SALES,
    PermRequiredMixin,
    perm_required,
)
from accounts.models import PaymentMethod, ShopSettings
from accounts.services import authenticate_approver
from accounts.views import run_service
from customers.models import Customer
from invoices.models import Payment
from pos_project.money import format_money
from pos_project.validators import refuse_card_number

from .. import services
from ..filters import SaleFilter
from ..models import Return, Sale, SaleStatus
from ..tables import SaleTable
from .shifts import ApproverForm

PANEL_PAGE_SIZE = 10


# Lookups.


def get_sale(pk):
    return get_object_or_404(
        Sale.objects.select_related("customer", "invoice", "cashier", "shift"), pk=pk
    )


def get_return(pk):
    return get_object_or_404(
        Return.objects.select_related(
            "sale",
            "sale__customer",
            "credit_note",
            "created_by",
            "approved_by",
            "shift",
        ),
        pk=pk,
    )


def return_refunds(sale_return):
    """The refunds a return paid out: negative payments on the sale's invoice,
    made by the same cashier for the same reason, from the return's creation
    until the sale's next return.
    """
    refunds = Payment.objects.filter(
        invoice_id=sale_return.sale.invoice_id,
        refund_of__isnull=False,
        received_by=sale_return.created_by_id,
        note=sale_return.reason,
        received_at__gte=sale_return.created_at,
    )
    later = (
        Return.objects.filter(
            sale_id=sale_return.sale_id, created_at__gt=sale_return.created_at
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if later:
        refunds = refunds.filter(received_at__lt=later)
    return list(refunds.order_by("received_at", "pk"))


# Forms.


class FindSaleForm(forms.Form):
    number = forms.CharField(
        label="Receipt number",
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "placeholder": "R-000123",
                "inputmode": "text",
            }
        ),
    )


class ReturnForm(ApproverForm):
    """What comes back from a sale, how the money goes back, and who approves."""

    refund_method = forms.ChoiceField(
        label="Give the money back", widget=forms.RadioSelect
    )
    reason = forms.CharField(
        validators=[refuse_card_number],
        label="Reason",
        max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Faulty: does not charge; wrong size"}
        ),
    )

    def __init__(self, *args, sale, lines, needs_approver, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            if not line.returnable:
                continue
            # The limits' messages are %-formatted by Django: a name like
            # "100% cotton sleeve" must not be read as a placeholder.
            name = line.name.replace("%", "%%")
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"Quantity of {line.name} to return",
                required=False,
                min_value=0,
                max_value=line.returnable,
                initial=0,
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": line.returnable,
                        "step": 1,
                        "class": "form-control text-end",
                        "inputmode": "numeric",
                    }
                ),
                error_messages={
                    "invalid": f"{line.name}: enter a whole number.",
                    "min_value": f"{name}: the quantity cannot be negative.",
                    "max_value": (
                        f"{name}: only {line.returnable} can still be returned."
                    ),
                },
            )
            self.fields[f"damaged_{line.pk}"] = forms.BooleanField(
                label="Damaged: don't restock",
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
        self.fields["refund_method"].choices = refund_choices(sale)
        self.fields["refund_method"].initial = services.REFUND_TO_ORIGINAL
        if not needs_approver:
            del self.fields["approver_username"]
            del self.fields["approver_password"]
        self.needs_approver = needs_approver

    def rows(self):
        """(line, quantity field, damaged field) for the template, every line."""
        for line in self.lines:
            if line.returnable:
                yield line, self[f"qty_{line.pk}"], self[f"damaged_{line.pk}"]
            else:
                yield line, None, None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.return_inputs():
            raise forms.ValidationError(
                "Enter how many of at least one item come back."
            )
        return cleaned

    def return_inputs(self):
        return [
            services.ReturnInput(
                line.pk,
                self.cleaned_data[f"qty_{line.pk}"],
                restock=not self.cleaned_data.get(f"damaged_{line.pk}"),
            )
            for line in self.lines
            if line.returnable and self.cleaned_data.get(f"qty_{line.pk}")
        ]


def refund_choices(sale):
    choices = [(services.REFUND_TO_ORIGINAL, "To the original payment method")]
    if PaymentMethod.CASH in ShopSettings.load().payment_methods:
        choices.append((PaymentMethod.CASH, "In cash from the drawer"))
    if sale.customer_id:
        choices.append(
            (PaymentMethod.STORE_CREDIT, f"As store credit for {sale.customer}")
        )
    return choices


class VoidForm(forms.Form):
    reason = forms.CharField(
        validators=[refuse_card_number],
        label="Why is the sale voided?",
        max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Rung up twice; wrong item scanned"}
        ),
    )


# The sales list.


class SaleListView(PermRequiredMixin, SingleTableMixin, FilterView):
    permission_required = VIEW_SALES
    model = Sale
    table_class = SaleTable
    filterset_class = SaleFilter
    template_name = "sales/sale_list.html"
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return Sale.objects.select_related("cashier", "customer", "shift")


sale_list = SaleListView.as_view()


# Returns.


@perm_required(USE_TILL)
def return_start(request):
    """Find the sale by its receipt number, typed or scanned, then return from it."""
    form = FindSaleForm(request.GET if "number" in request.GET else None)
    if form.is_valid():
        sale = services.find_sale(form.cleaned_data["number"])
        if sale:
            return redirect("sales:return_create", pk=sale.pk)
        form.add_error(
            "number", f"No sale has the receipt number {form.cleaned_data['number']!r}."
        )
    recent = Return.objects.select_related("sale", "created_by").order_by(
        "-created_at", "-pk"
    )[:10]
    return render(request, "sales/return_start.html", {"form": form, "recent": recent})


@perm_required(USE_TILL)
def return_create(request, pk):
    sale = get_sale(pk)
    if sale.status != SaleStatus.COMPLETED:
        messages.error(request, f"{sale} was voided; nothing can be returned.")
        return redirect("sales:return_start")
    lines = list(sale.lines.order_by("pk"))
    needs_approver = not request.user.has_perm(APPROVE_RETURNS)
    form = ReturnForm(
        request.POST or None, sale=sale, lines=lines, needs_approver=needs_approver
    )
    if request.method == "POST" and form.is_valid():
        approver = request.user
        if needs_approver:
            approver = run_service(
                form,
                authenticate_approver,
                **form.credentials(),
                permission=APPROVE_RETURNS,
                request=request,
            )
        if approver:
            sale_return = run_service(
                form,
                services.return_items,
                sale,
                form.return_inputs(),
                by=request.user,
                approver=approver,
                reason=form.cleaned_data["reason"],
                refund_method=form.cleaned_data["refund_method"],
            )
            if sale_return:
                messages.success(
                    request,
                    f"{sale_return} recorded: {format_money(sale_return.total)} "
                    "credited.",
                )
                return redirect(sale_return)
    return render(
        request,
        "sales/return_form.html",
        {
            "sale": sale,
            "form": form,
            "anything_returnable": any(line.returnable for line in lines),
            "shift": services.current_shift(request.user),
        },
    )


@perm_required(VIEW_SALES)
def return_detail(request, pk):
    sale_return = get_return(pk)
    return render(
        request,
        "sales/return_detail.html",
        {
            "sale_return": sale_return,
            "sale": sale_return.sale,
            "lines": list(sale_return.lines.select_related("sale_line")),
            "refunds": return_refunds(sale_return),
            "store_credit": sale_return.refund_method == PaymentMethod.STORE_CREDIT,
        },
    )


# Voids.


@perm_required(VOID_SALES)
def sale_void(request, pk):
    """Undo a sale made by mistake; the service refuses what cannot be voided."""
    sale = get_sale(pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        voided = run_service(
            form,
            services.void_sale,
            sale,
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        if voided:
            messages.success(
                request,
                f"{voided} is voided: stock is back and "
                f"{format_money(voided.total)} is refunded.",
            )
            return redirect(voided)
        for error in form.non_field_errors():
            messages.error(request, error)
    return render(
        request,
        "sales/sale_void.html",
        {"sale": sale, "form": form, "lines": list(sale.lines.order_by("pk"))},
    )


# The panel on a customer's page: an HTML fragment that pages itself with htmx.


@perm_required(VIEW_SALES)
def customer_sales(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    sales = Sale.objects.filter(customer=customer).order_by("-created_at", "-pk")
    page = Paginator(sales, PANEL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/includes/customer_sales.html",
        {
            "customer": customer,
            "page": page,
            "panel_id": f"customer-sales-{customer.pk}",
            "panel_url": reverse("sales:customer_sales", args=[customer.pk]),
        },
    )
