"""Receipts: a sale as printed on the shop's thermal roll or A4, as a PDF, by email.

A receipt only reads. The HTML page prints through the browser (its print
stylesheet sizes the page to the paper, so the browser adds no margins); the
PDF is drawn by WeasyPrint; an email is queued for after commit. A reprint is
marked as a copy.
"""

import copy
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import VIEW_SALES, perm_required, staff_required
from accounts.models import PaperWidth, PaymentMethod, ShopSettings
from invoices.documents import logo_data_uri, tax_breakdown
from invoices.models import Payment
from pos_project.content_policy import framed_by_own_pages
from pos_project.money import ZERO, document_totals, line_totals, to_money
from pos_project.pdf import pdf_response, render_pdf, render_roll_pdf
from pos_project.tasks import enqueue_on_commit

from .. import tasks
from ..models import Sale, SaleStatus

# Printable width of each roll: thermal printers leave a few mm unprinted.
PAPERS = {
    PaperWidth.MM80: {"width": "80mm", "page": "80mm auto", "margin": "0"},
    PaperWidth.MM58: {"width": "58mm", "page": "58mm auto", "margin": "0"},
    PaperWidth.A4: {"width": "210mm", "page": "A4", "margin": "15mm"},
}
PREVIEW_TEXT_LIMIT = 500
TRUE_VALUES = {"1", "true", "on", "yes"}
FALSE_VALUES = {"0", "false", "off", "no", ""}


def receipt_queryset():
    """Sales with everything a receipt prints, in a fixed number of queries."""
    return Sale.objects.select_related(
        "cashier", "customer", "invoice"
    ).prefetch_related(
        "lines",
        Prefetch(
            "invoice__payments",
            queryset=Payment.objects.order_by("received_at", "pk"),
        ),
    )


def paper_of(shop, requested=""):
    """The paper asked for (?paper=) if it is one, else the shop's."""
    return requested if requested in PAPERS else shop.paper_width


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal  # before discount
    discount: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


def receipt_lines(sale_lines):
    return [
        ReceiptLine(
            name=line.name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=to_money(line.quantity * line.unit_price),
            discount=line.discount,
            tax_rate=line.tax_rate,
            net=line.net,
            tax=line.tax,
            gross=line.gross,
        )
        for line in sale_lines
    ]


def tendered_by_method(payments, change):
    """[(label, amount handed over)]: the change is added back to the cash."""
    labels = dict(PaymentMethod.choices)
    by_method = {}
    for payment in payments:
        by_method[payment.method] = by_method.get(payment.method, ZERO) + payment.amount
    if change:
        by_method[PaymentMethod.CASH] = by_method.get(PaymentMethod.CASH, ZERO) + change
    return [
        (labels.get(method, method), amount) for method, amount in by_method.items()
    ]


def receipt_context(sale, *, shop, paper, copy_printed=None, for_pdf=False):
    """What a receipt prints for `sale` (from receipt_queryset)."""
    lines = receipt_lines(sale.lines.all())
    # The payments taken at checkout; later repayments have receipts of their own.
    prefix = f"{sale.checkout_token}:"
    payments = [
        p
        for p in sale.invoice.payments.all()
        if p.amount > 0 and (p.idempotency_key or "").startswith(prefix)
    ]
    paid = sum((p.amount for p in payments), ZERO)
    return receipt_document(
        shop=shop,
        paper=paper,
        sale=sale,
        lines=lines,
        prices_include_tax=sale.invoice.prices_include_tax,
        tendered=tendered_by_method(payments, sale.change_given),
        change=sale.change_given,
        balance_due=max(sale.total - paid, ZERO),
        is_void=sale.status == SaleStatus.VOIDED,
        copy_printed=copy_printed,
        for_pdf=for_pdf,
    )


def receipt_document(
    *,
    shop,
    paper,
    sale,
    lines,
    prices_include_tax,
    tendered,
    change,
    balance_due,
    is_void=False,
    copy_printed=None,
    for_pdf=False,
):
    items = sum((line.amount for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    show_logo = shop.receipt_show_logo and shop.has_logo
    if not show_logo:
        logo = ""
    elif for_pdf:
        logo = logo_data_uri(shop)
    else:
        logo = shop.logo_url
    return {
        "shop": shop,
        "paper": paper,
        "page": PAPERS[paper],
        "sale": sale,
        "lines": lines,
        "items_total": items,
        "discount_total": discount,
        "tax_total": sum((line.tax for line in lines), ZERO),
        "total": sale.total,
        "prices_include_tax": prices_include_tax,
        "taxes": tax_breakdown(lines),
        "tendered": tendered,
        "change": change,
        "balance_due": balance_due,
        "is_void": is_void,
        "copy_printed": copy_printed,
        "logo": logo,
        "currency_code": settings.CURRENCY_CODE,
    }


def receipt_filename(sale):
    return f"receipt-{sale.number}.pdf"


def receipt_pdf_bytes(context, *, request=None) -> bytes:
    """The receipt as a PDF: one page as tall as the receipt on a roll, or A4."""
    if context["paper"] == PaperWidth.A4:
        return render_pdf("sales/receipt_pdf.html", context, request=request)
    return render_roll_pdf(
        "sales/receipt_pdf.html",
        context,
        width=context["page"]["width"],
        request=request,
    )


# Views.


@require_GET
@perm_required(VIEW_SALES)
def receipt(request, pk):
    """The receipt to print (?copy=1 for a reprint, ?paper= to try another roll)."""
    sale = get_object_or_404(receipt_queryset(), pk=pk)
    shop = ShopSettings.load()
    paper = paper_of(shop, request.GET.get("paper", ""))
    is_copy = request.GET.get("copy") == "1"
    context = receipt_context(
        sale, shop=shop, paper=paper, copy_printed=timezone.now() if is_copy else None
    )
    context["papers"] = [(value, label) for value, label in PaperWidth.choices]
    context["is_copy"] = is_copy
    return render(request, "sales/receipt.html", context)


@require_GET
@perm_required(VIEW_SALES)
def receipt_pdf(request, pk):
    sale = get_object_or_404(receipt_queryset(), pk=pk)
    shop = ShopSettings.load()
    is_copy = request.GET.get("copy") == "1"
    context = receipt_context(
        sale,
        shop=shop,
        paper=paper_of(shop, request.GET.get("paper", "")),
        copy_printed=timezone.now() if is_copy else None,
        for_pdf=True,
    )
    return pdf_response(
        receipt_pdf_bytes(context, request=request), receipt_filename(sale)
    )


@require_POST
@perm_required(VIEW_SALES)
def receipt_email(request, pk):
    sale = get_object_or_404(Sale.objects.select_related("customer"), pk=pk)
    customer = sale.customer
    if customer is None:
        messages.error(
            request,
            "This sale has no customer, so there is no one to email. Print it or "
            "hand over the PDF instead.",
        )
    elif not customer.email.strip():
        messages.error(
            request,
            f"{customer} has no email address. Add one on their page, then try again.",
        )
    else:
        # Sent after commit, by a worker when there is a broker.
        enqueue_on_commit(tasks.email_receipt, sale.pk, request.user.pk)
        messages.success(
            request, f"Receipt {sale.number} is on its way to {customer.email}."
        )
    return redirect("sales:receipt", pk=sale.pk)


# The live preview on the shop settings page.


def _flag(value, default):
    if value is None:
        return default
    value = value.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    return default


def preview_shop(params):
    """The shop's receipt settings with the form's unsaved values laid over them.

    Read, never created or saved: the preview writes nothing.
    """
    shop = (
        ShopSettings.objects.defer("logo").filter(pk=ShopSettings.SINGLETON_ID).first()
        or ShopSettings()
    )
    shop = copy.copy(shop)
    if "header" in params:
        shop.receipt_header = params["header"][:PREVIEW_TEXT_LIMIT]
    if "footer" in params:
        shop.receipt_footer = params["footer"][:PREVIEW_TEXT_LIMIT]
    for name in ("logo", "cashier", "customer", "tax"):
        field = f"receipt_show_{name}"
        setattr(shop, field, _flag(params.get(f"show_{name}"), getattr(shop, field)))
    return shop


SAMPLE_LINES = [
    ("USB-C charging cable 1 m", "CAB-USBC-1", 2, "9.99", "0.00"),
    ("Tempered glass screen protector", "SCR-GLS-14", 1, "14.99", "1.50"),
    ("Labour: screen replacement", "LAB-SCREEN", 1, "45.00", "0.00"),
]
SAMPLE_TAX_RATE = Decimal("20.00")
SAMPLE_CARD = Decimal("40.00")


def sample_receipt(shop, *, paper, cashier):
    """A made-up sale, priced like a real one, to show the settings on."""
    lines = []
    for name, sku, quantity, price, discount in SAMPLE_LINES:
        totals = line_totals(
            quantity,
            Decimal(price),
            SAMPLE_TAX_RATE,
            discount=Decimal(discount),
            prices_include_tax=shop.prices_include_tax,
        )
        lines.append(
            ReceiptLine(
                name=name,
                sku=sku,
                quantity=quantity,
                unit_price=Decimal(price),
                amount=totals.amount,
                discount=totals.discount,
                tax_rate=totals.tax_rate,
                net=totals.net,
                tax=totals.tax,
                gross=totals.gross,
            )
        )
    total = document_totals(lines).total
    cash = (total - SAMPLE_CARD).quantize(Decimal("1")) + Decimal("5")
    change = SAMPLE_CARD + cash - total
    sale = SimpleNamespace(
        number="R-000123",
        created_at=timezone.now(),
        cashier=cashier,
        customer=SimpleNamespace(name="Jane Sample", phone="+1 555 0100"),
        total=total,
    )
    return receipt_document(
        shop=shop,
        paper=paper,
        sale=sale,
        lines=lines,
        prices_include_tax=shop.prices_include_tax,
        tendered=[("Card", SAMPLE_CARD), ("Cash", cash)],
        change=change,
        balance_due=ZERO,
    )


@require_GET
@staff_required
@framed_by_own_pages
def preview(request):
    """A sample receipt with the shop's settings, or the form's unsaved values."""
    shop = preview_shop(request.GET)
    paper = paper_of(shop, request.GET.get("paper", ""))
    context = sample_receipt(shop, paper=paper, cashier=request.user)
    return render(request, "sales/includes/receipt_preview.html", context)
