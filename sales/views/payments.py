"""Paying an invoice at the till: a repair at collection, an account repayment.

The money goes into the cashier's open shift like a sale's, so the drawer count
at the end of the shift includes it.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.access import RECORD_PAYMENTS, USE_TILL, perm_required
from accounts.models import ShopSettings
from accounts.views import run_service
from invoices.models import Invoice
from pos_project.money import format_money

from .. import services
from ..forms import InvoicePaymentForm, till_payment_methods


def next_url(request, fallback):
    """Where to go after paying: a safe local `next`, else the invoice."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@perm_required(USE_TILL, RECORD_PAYMENTS)
def invoice_pay(request, pk):
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer").invoices(), pk=pk
    )
    back = next_url(request, invoice.get_absolute_url())
    shift = services.current_shift(request.user)
    methods = till_payment_methods(ShopSettings.load())
    form = InvoicePaymentForm(
        request.POST or None,
        methods=methods,
        initial={"amount": invoice.balance if invoice.balance > 0 else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        paid = run_service(
            form,
            services.pay_invoice,
            invoice,
            by=request.user,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            tendered=data["tendered"],
            idempotency_key=data["idempotency_key"],
        )
        if paid:
            payment, change = paid
            text = f"{format_money(payment.amount)} received for {invoice}."
            if change:
                text += f" Change due: {format_money(change)}."
            messages.success(request, text)
            return redirect(back)
    return render(
        request,
        "sales/invoice_pay.html",
        {"invoice": invoice, "form": form, "shift": shift, "back": back},
    )
