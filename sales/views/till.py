"""The till: one page to ring up a sale, take the money and print the receipt.

The cart lives on the server (one per cashier), so a reload or a crashed browser
loses nothing. Every cart action calls one service and answers with the cart
fragment for htmx, or redirects to the till without it. Prices and totals are
always worked out here through sales.pricing; a POST only ever carries product
ids, quantities, discounts, a customer and payments.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Prefetch, Q, Sum, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import ADD_CUSTOMERS, APPROVE_DISCOUNTS, USE_TILL, perm_required
from accounts.models import PaymentMethod, ShopSettings
from accounts.services import ApproverLockedOut, authenticate_approver
from inventory.models import Product
from invoices.models import Invoice
from pos_project import documents
from pos_project.db import first_of
from pos_project.money import format_money, to_money

from .. import services
from ..forms import (
    AddForm,
    ApproveForm,
    CheckoutForm,
    CustomerPickForm,
    DiscountForm,
    LineForm,
    NewCustomerForm,
    ParkForm,
    ScanForm,
    TenderFormSet,
    error_text,
    till_payment_methods,
)
from ..models import Cart, CartLine, CartStatus, DiscountKind, SaleStatus
from ..pricing import price_cart

QUICK_PICKS = 12
QUICK_PICK_DAYS = 30
SEARCH_LIMIT = 12
SEARCH_MIN_LENGTH = 2
TENDER_PREFIX = "tender"
CASH_STEPS = (Decimal(5), Decimal(10), Decimal(20), Decimal(50), Decimal(100))


# Reading the cart and what the till shows.


def cart_of(user):
    """The cashier's active cart with what the cart panel prints of it."""
    cart = first_of(
        Cart.objects.filter(cashier=user, status=CartStatus.ACTIVE).select_related(
            "customer", "discount_approved_by"
        )
    )
    return cart or services.active_cart(user)


def cash_suggestions(total):
    """Notes a customer is likely to hand over for `total`: exact, then round up."""
    if total <= 0:
        return []
    amounts = [total]
    for step in CASH_STEPS:
        rounded = (total / step).to_integral_value(rounding=ROUND_CEILING) * step
        if rounded not in amounts:
            amounts.append(to_money(rounded))
    return amounts[:4]


@dataclass
class Approval:
    """An approval the cart panel asks an Admin for, with the discount it is for."""

    message: str
    target: str = ""
    kind: str = ""
    value: Decimal | None = None


def cart_context(
    request,
    cart,
    shop,
    *,
    alert=None,
    selected=None,
    approval=None,
    tenders=None,
    payment_error="",
    new_customer=None,
    token=None,
):
    """Everything the cart panel shows, priced once."""
    lines = services.cart_lines(cart)
    priced = price_cart(cart, lines, prices_include_tax=shop.prices_include_tax)
    totals = priced.totals
    customer = cart.customer
    balance = (
        Invoice.objects.filter(customer=customer).total_balance() if customer else None
    )
    methods = till_payment_methods(shop)
    if tenders is None:
        default_method = (
            PaymentMethod.CASH
            if PaymentMethod.CASH in dict(methods)
            else (methods[0][0] if methods else "")
        )
        tenders = TenderFormSet(
            prefix=TENDER_PREFIX,
            initial=[{"method": default_method, "amount": totals.total}],
            form_kwargs={"methods": [code for code, _ in methods]},
        )
    if approval is None and services.needs_discount_approval(
        cart, priced, request.user, shop
    ):
        approval = Approval(
            f"The discounts come to {priced.discount_percent}% of the sale, more "
            f"than the {shop.max_staff_discount_percent}% staff may give: an Admin "
            "must approve them."
        )
    rows = []
    for item in priced.lines:
        line = item.line
        product = line.product
        short = (
            product.tracks_stock
            and not shop.allow_negative_stock
            and line.quantity > product.on_hand
        )
        rows.append(
            {
                "line": line,
                "product": product,
                "unit_price": item.unit_price,
                "amount": item.totals.amount,
                "line_discount": item.line_discount,
                "after_discount": item.totals.amount - item.line_discount,
                "short": short,
                "selected": line.pk == selected,
            }
        )
    line_discounts = sum((item.line_discount for item in priced.lines), Decimal(0))
    cart_discount = sum((item.cart_discount for item in priced.lines), Decimal(0))
    return {
        "shop": shop,
        "cart": cart,
        "rows": rows,
        "item_count": sum(line.quantity for line in lines),
        "priced": priced,
        "totals": totals,
        "line_discounts": line_discounts,
        "cart_discount": cart_discount,
        "customer": customer,
        "customer_balance": balance,
        "approval": approval,
        "alert": alert,
        "new_customer": new_customer or NewCustomerForm(),
        "can_add_customers": request.user.has_perm(ADD_CUSTOMERS),
        "payment_methods": methods,
        "tenders": tenders,
        "payment_error": payment_error,
        # A fresh one-time token each time the payment panel is drawn: a
        # resubmit of this very form returns the sale it made, never a second.
        "token": token or uuid.uuid4().hex,
        "cash_suggestions": cash_suggestions(totals.total),
        "parked_count": Cart.objects.filter(status=CartStatus.PARKED).count(),
        "discount_kinds": DiscountKind.choices,
    }


def quick_picks(limit=QUICK_PICKS):
    """The best sellers of the last 30 days; services, then any product, fill up."""
    since = timezone.now() - timedelta(days=QUICK_PICK_DAYS)
    picks = list(
        Product.objects.active()
        .filter(
            sale_lines__sale__created_at__gte=since,
            sale_lines__sale__status=SaleStatus.COMPLETED,
        )
        .annotate(sold=Sum("sale_lines__quantity"))
        .order_by("-sold", "name")[:limit]
    )
    if len(picks) < limit:
        picks += list(
            Product.objects.active()
            .exclude(pk__in=[p.pk for p in picks])
            .order_by("tracks_stock", "name")[: limit - len(picks)]
        )
    return picks


def render_till(request, *, status=200, **extra):
    shop = ShopSettings.load()
    shift = services.current_shift(request.user)
    context = {"shop": shop, "shift": shift}
    if shift is None:
        error = extra.get("payment_error")
        context["alert"] = extra.get("alert") or (("danger", error) if error else None)
    else:
        cart = cart_of(request.user)
        context |= cart_context(request, cart, shop, **extra)
        context["quick_picks"] = quick_picks()
    return render(request, "sales/till.html", context, status=status)


def answer(request, *, error="", success="", **extra):
    """The cart panel for htmx; otherwise the till (redirected to after a change)."""
    if request.htmx:
        shop = ShopSettings.load()
        alert = None
        if error:
            alert = ("danger", error)
        elif success:
            alert = ("success", success)
        context = cart_context(
            request, cart_of(request.user), shop, alert=alert, **extra
        )
        context["oob"] = True
        return render(request, "sales/includes/cart.html", context)
    if error:
        # Nothing changed: show the till as it is, with what was wrong.
        return render_till(request, alert=("danger", error), **extra)
    if success:
        messages.success(request, success)
    return redirect("sales:till")


def run(service, *args, **kwargs):
    """(result, None) or (None, the refusal as one sentence)."""
    try:
        return service(*args, **kwargs), None
    except ValidationError as exc:
        return None, " ".join(exc.messages)


# The page and the product search.


@require_GET
@perm_required(USE_TILL)
def till(request):
    return render_till(request)


@require_GET
@perm_required(USE_TILL)
def search(request):
    """Active products matching ?q= (name, SKU or barcode), exact codes first."""
    # `code` is the scan box's own name; `q` for any other caller.
    query = (request.GET.get("q") or request.GET.get("code", "")).strip()[:64]
    products = []
    if len(query) >= SEARCH_MIN_LENGTH:
        exact = Q(barcode=query) | Q(sku__iexact=query)
        products = list(
            Product.objects.active()
            .search(query)
            .annotate(
                exact=Case(
                    When(exact, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("exact", "name")[:SEARCH_LIMIT]
        )
    return render(
        request,
        "sales/includes/search_results.html",
        {
            "products": products,
            "query": query,
            "searched": len(query) >= SEARCH_MIN_LENGTH,
        },
    )


# Cart actions.


@require_POST
@perm_required(USE_TILL)
def scan(request):
    """A scanned barcode or typed SKU: add one, or one more."""
    form = ScanForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form))
    code = form.cleaned_data["code"]
    line, error = run(services.add_to_cart, None, by=request.user, code=code)
    if error:
        # No product: a receipt or a claim slip opens its page instead.
        page = documents.page_of(code, request.user)
        if page:
            return HttpResponseClientRedirect(page) if request.htmx else redirect(page)
        return answer(request, error=error)
    return answer(
        request,
        success=f"Added {line.product.name} (now {line.quantity}).",
        selected=line.pk,
    )


@require_POST
@perm_required(USE_TILL)
def add(request, product_id):
    form = AddForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form))
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return answer(request, error="That product no longer exists.")
    line, error = run(
        services.add_to_cart,
        None,
        by=request.user,
        product=product,
        quantity=form.cleaned_data["quantity"],
    )
    if error:
        return answer(request, error=error)
    return answer(
        request,
        success=f"Added {product.name} (now {line.quantity}).",
        selected=line.pk,
    )


@require_POST
@perm_required(USE_TILL)
def line(request, pk):
    """Change a line: `quantity`, `change` (+1 or -1), `remove`, or its discount."""
    cart = services.active_cart(request.user)
    if "discount_kind" in request.POST:
        form = DiscountForm(request.POST)
        if not form.is_valid():
            return answer(request, error=error_text(form), selected=pk)
        return set_discount(
            request,
            cart,
            pk,
            form.cleaned_data["discount_kind"],
            form.cleaned_data["discount_value"],
        )
    form = LineForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form), selected=pk)
    data = form.cleaned_data
    if data["remove"]:
        quantity = 0
    elif data["change"]:
        current = CartLine.objects.filter(cart=cart, pk=pk).first()
        if current is None:
            return answer(request, error="That line is no longer in the cart.")
        quantity = current.quantity + data["change"]
        if quantity < 1:
            return answer(
                request,
                error="That is the last one: remove the line to take it off.",
                selected=pk,
            )
    else:
        quantity = data["quantity"]
    _, error = run(
        services.set_line_quantity, cart, pk, by=request.user, quantity=quantity
    )
    if error:
        return answer(request, error=error, selected=pk)
    if quantity == 0:
        return answer(request, success="Line removed.")
    return answer(request, selected=pk)


def set_discount(request, cart, target, kind, value):
    """Apply a discount, or, past what staff may give, offer to ask an Admin."""
    selected = None if target == "cart" else target
    try:
        services.set_discount(
            cart, by=request.user, discount=services.Discount(target, kind, value)
        )
    except services.DiscountNeedsApproval as refused:
        message = " ".join(refused.messages)
        return answer(
            request,
            error=message,
            selected=selected,
            approval=Approval(message, str(target), kind, value),
        )
    except ValidationError as exc:
        return answer(request, error=" ".join(exc.messages), selected=selected)
    return answer(request, success="Discount applied.", selected=selected)


@require_POST
@perm_required(USE_TILL)
def discount(request):
    """The whole cart's discount, a percent or an amount."""
    form = DiscountForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form))
    return set_discount(
        request,
        services.active_cart(request.user),
        "cart",
        form.cleaned_data["discount_kind"],
        form.cleaned_data["discount_value"],
    )


@require_POST
@perm_required(USE_TILL)
def approve(request):
    """An Admin signs off the discount at the cashier's till."""
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form))
    pending = form.pending_discount()
    try:
        approver = authenticate_approver(
            form.cleaned_data["username"],
            form.cleaned_data["password"],
            permission=APPROVE_DISCOUNTS,
            request=request,
        )
    except ApproverLockedOut as exc:
        # Answered at the till rather than with the sign-in lockout page.
        request.axes_locked_out = False
        return answer(request, error=" ".join(exc.messages))
    except ValidationError as exc:
        approval = Approval("Try again, or ask another Admin.")
        if pending:
            approval = Approval(
                approval.message, str(pending.target), pending.kind, pending.value
            )
        return answer(request, error=" ".join(exc.messages), approval=approval)
    approver, error = run(
        services.approve_discount,
        services.active_cart(request.user),
        by=request.user,
        approver=approver,
        discount=pending,
    )
    if error:
        return answer(request, error=error)
    return answer(request, success=f"Discount approved by {approver}.")


@require_POST
@perm_required(USE_TILL)
def customer(request):
    """Attach the customer picked (none: detach), or a new one typed in at the till."""
    cart = services.active_cart(request.user)
    if "name" in request.POST or "phone" in request.POST:
        if not request.user.has_perm(ADD_CUSTOMERS):
            raise PermissionDenied
        form = NewCustomerForm(request.POST)
        if not form.is_valid():
            return answer(request, error=error_text(form), new_customer=form)
        added, error = run(
            services.attach_new_customer,
            cart,
            by=request.user,
            name=form.cleaned_data["name"],
            phone=form.cleaned_data["phone"],
        )
        if error:
            return answer(request, error=error, new_customer=form)
        return answer(request, success=f"{added} added as a new customer.")
    form = CustomerPickForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form))
    chosen = form.cleaned_data["customer"]
    _, error = run(services.set_cart_customer, cart, by=request.user, customer=chosen)
    if error:
        return answer(request, error=error)
    return answer(
        request, success=f"Customer: {chosen}." if chosen else "Customer removed."
    )


@require_POST
@perm_required(USE_TILL)
def clear(request):
    _, error = run(
        services.clear_cart, services.active_cart(request.user), by=request.user
    )
    if error:
        return answer(request, error=error)
    return answer(request, success="The cart is empty.")


@require_POST
@perm_required(USE_TILL)
def park(request):
    """Set the sale aside with a note; the till is free for the next customer."""
    form = ParkForm(request.POST)
    if not form.is_valid():
        return answer(request, error=error_text(form))
    parked, error = run(
        services.park_cart,
        services.active_cart(request.user),
        by=request.user,
        note=form.cleaned_data["note"],
    )
    if error:
        return answer(request, error=error)
    note = f" ({parked.park_note})" if parked.park_note else ""
    return answer(request, success=f"Sale parked{note}. Resume it from Parked sales.")


@require_GET
@perm_required(USE_TILL)
def parked(request):
    """Every parked sale, with its total and who parked it."""
    shop = ShopSettings.load()
    carts = (
        Cart.objects.filter(status=CartStatus.PARKED)
        .select_related("cashier", "customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=CartLine.objects.select_related(
                    "product", "product__tax_rate"
                ).order_by("added_at", "pk"),
            )
        )
        .order_by("-parked_at", "-pk")
    )
    rows = []
    for cart in carts:
        lines = list(cart.lines.all())
        priced = price_cart(cart, lines, prices_include_tax=shop.prices_include_tax)
        rows.append(
            {
                "cart": cart,
                "items": sum(line.quantity for line in lines),
                "summary": ", ".join(line.product.name for line in lines[:3])
                + ("…" if len(lines) > 3 else ""),
                "total": priced.totals.total,
            }
        )
    return render(request, "sales/parked_list.html", {"shop": shop, "rows": rows})


@require_POST
@perm_required(USE_TILL)
def resume(request, pk):
    cart = get_object_or_404(Cart, pk=pk)
    resumed, error = run(services.resume_cart, cart, by=request.user)
    if error:
        if request.htmx:
            return answer(request, error=error)
        messages.error(request, error)
        return redirect("sales:parked_list")
    return answer(request, success="Sale resumed.")


# Checkout.


@require_POST
@perm_required(USE_TILL)
def checkout(request):
    """Take the payments and make the sale; the token makes a resubmit harmless."""
    shop = ShopSettings.load()
    methods = [code for code, _ in till_payment_methods(shop)]
    form = CheckoutForm(request.POST)
    tenders = TenderFormSet(
        request.POST, prefix=TENDER_PREFIX, form_kwargs={"methods": methods}
    )
    if not tenders.management_form.is_valid():
        return answer_payment(
            request, "This checkout form has expired; reload the till.", None
        )
    if not (form.is_valid() and tenders.is_valid()):
        return answer_payment(request, error_text(form, tenders), tenders)
    cart, lines = services.active_cart_and_lines(request.user)
    sale, error = run(
        services.checkout,
        cart,
        lines=lines,
        by=request.user,
        tenders=tenders.tenders(),
        token=form.cleaned_data["token"],
        shop=shop,
    )
    if error:
        return answer_payment(request, error, tenders)
    change = ""
    if sale.change_given:
        change = f" Change due: {format_money(sale.change_given)}."
    messages.success(request, f"Sale {sale.number} complete.{change}")
    url = reverse("sales:receipt", args=[sale.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def answer_payment(request, error, tenders):
    """The till again with the refusal in the payment panel; nothing was written."""
    extra = {"payment_error": error, "tenders": tenders}
    if request.htmx:
        return answer(request, **extra)
    return render_till(request, **extra)
