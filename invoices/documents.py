"""Invoice PDFs and emails, receivables ageing and customer statements.

Documents only read: nothing here runs inside a transaction (PDFs take a while
and would hold locks), and the one side effect, an email, is queued for after
commit through a Celery task.
"""

import base64
import tempfile
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from accounts.access import VIEW_INVOICES, VIEW_RECEIVABLES, perm_required
from accounts.models import ShopSettings
from customers.models import Customer
from pos_project.money import CENT, ZERO
from pos_project.pdf import pdf_response, render_pdf
from pos_project.spreadsheets import cell as _cell
from pos_project.tasks import enqueue_on_commit

from . import tasks
from .models import Invoice, InvoiceStatus, Payment
from .receivables import BUCKETS, ageing, statement

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Invoice and credit note PDFs.


def document_queryset():
    """Invoices with everything their PDF prints, in a fixed number of queries."""
    return Invoice.objects.select_related(
        "customer", "credited_invoice"
    ).prefetch_related(
        "lines",
        Prefetch(
            "payments",
            queryset=Payment.objects.order_by("received_at", "pk"),
        ),
        Prefetch(
            "credit_notes",
            queryset=Invoice.objects.exclude(status=InvoiceStatus.DRAFT).order_by(
                "issue_date", "pk"
            ),
        ),
    )


def logo_data_uri(shop) -> str:
    """The shop's logo inlined as a data: URI, or "" without one.

    Inlined because a PDF fetches nothing over the network, and the logo lives
    in the database rather than on disk.
    """
    if not shop.has_logo or not shop.logo_content_type.startswith("image/"):
        return ""
    data = bytes(shop.logo)
    if not data:
        return ""
    encoded = base64.b64encode(data).decode("ascii")
    return f"data:{shop.logo_content_type};base64,{encoded}"


def shop_header():
    """The shop's settings and logo, as every document heads itself."""
    shop = ShopSettings.load()
    return {"shop": shop, "logo": logo_data_uri(shop)}


def invoice_filename(invoice) -> str:
    if invoice.number:
        return f"{invoice.number}.pdf"
    return f"draft-{invoice.kind.replace('_', '-')}-{invoice.pk}.pdf"


def bill_to(invoice) -> dict:
    """Who the document is addressed to: the snapshot taken when it was issued.

    A draft has no snapshot yet, so it shows the customer as they are now.
    """
    if invoice.status == InvoiceStatus.DRAFT and invoice.customer:
        customer = invoice.customer
        return {
            "name": customer.name,
            "address": customer.address,
            "tax_id": customer.tax_id,
        }
    if invoice.bill_to_name:
        return {
            "name": invoice.bill_to_name,
            "address": invoice.bill_to_address,
            "tax_id": invoice.bill_to_tax_id,
        }
    if invoice.customer:
        return {"name": invoice.customer.name, "address": "", "tax_id": ""}
    return {"name": "Walk-in customer", "address": "", "tax_id": ""}


def tax_breakdown(lines):
    """[(rate, net, tax)] by tax rate, rates ascending, from the printed lines."""
    by_rate = {}
    for line in lines:
        net, tax = by_rate.get(line.tax_rate, (ZERO, ZERO))
        by_rate[line.tax_rate] = (net + line.net, tax + line.tax)
    return [(rate, net, tax) for rate, (net, tax) in sorted(by_rate.items())]


def invoice_context(invoice) -> dict:
    lines = list(invoice.lines.all())
    return {
        **shop_header(),
        "invoice": invoice,
        "lines": lines,
        "has_discounts": any(line.discount for line in lines),
        "taxes": tax_breakdown(lines),
        "bill_to": bill_to(invoice),
        "payments": list(invoice.payments.all()),
        "credit_notes": list(invoice.credit_notes.all()),
        "is_draft": invoice.status == InvoiceStatus.DRAFT,
        "is_void": invoice.status == InvoiceStatus.VOID,
        # Paid more than is now due after a credit note: the shop owes this.
        "credit_owed": -invoice.balance if invoice.balance < 0 else None,
    }


def invoice_pdf_bytes(invoice, *, request=None) -> bytes:
    """The invoice (from document_queryset) or credit note as a PDF."""
    return render_pdf(
        "invoices/pdf/invoice.html", invoice_context(invoice), request=request
    )


@perm_required(VIEW_INVOICES)
def invoice_pdf(request, pk):
    invoice = get_object_or_404(document_queryset(), pk=pk)
    pdf = invoice_pdf_bytes(invoice, request=request)
    return pdf_response(pdf, invoice_filename(invoice))


# Emailing an invoice.


def check_can_email(invoice) -> str:
    """The address the invoice goes to, or a ValidationError saying why not."""
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError("A draft cannot be emailed; issue it first.")
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(f"{invoice} is void; there is nothing to send.")
    if invoice.customer is None:
        raise ValidationError(
            "This is a walk-in sale with no customer, so there is no one to email. "
            "Print the PDF instead."
        )
    email = invoice.customer.email.strip()
    if not email:
        raise ValidationError(
            "This customer has no email address. Add one on their page, then try again."
        )
    return email


@require_POST
@perm_required(VIEW_INVOICES)
def invoice_email(request, pk):
    invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    try:
        email = check_can_email(invoice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        # Sent after commit; a mail server failure is logged there (and retried
        # by a worker when there is a broker) rather than shown here.
        enqueue_on_commit(tasks.email_invoice, invoice.pk, request.user.pk)
        messages.success(request, f"{invoice} is on its way to {email}.")
    return redirect(invoice)


# Receivables and ageing.


class ReceivablesFilterForm(forms.Form):
    on = forms.DateField(label="As of", required=False, widget=DATE_INPUT)
    min = forms.DecimalField(
        label="Owing at least",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": str(CENT), "min": "0"}),
    )

    def clean_on(self):
        on = self.cleaned_data["on"]
        # Ages are counted back from this day: year 1 would underflow dates.
        if on and not 1900 <= on.year <= 2999:
            raise ValidationError("Pick a date between 1900 and 2999.")
        return on

    def filters(self):
        """(as-of date, minimum balance); defaults for anything left out or wrong."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("on") or timezone.localdate(), data.get("min")


def receivables_filters(request):
    form = ReceivablesFilterForm(request.GET or None)
    on, min_balance = form.filters()
    return form, on, min_balance


@perm_required(VIEW_RECEIVABLES)
def receivables(request):
    form, on, min_balance = receivables_filters(request)
    report = ageing(on=on, min_balance=min_balance)
    chart = {
        "labels": [bucket.label for bucket in BUCKETS],
        "values": [str(amount) for amount in report.total_amounts],
    }
    return render(
        request,
        "invoices/receivables.html",
        {
            "form": form,
            "report": report,
            "buckets": BUCKETS,
            "bucket_totals": [
                (bucket.label, amount)
                for bucket, amount in zip(BUCKETS, report.total_amounts, strict=True)
            ],
            "chart": chart,
            "export_query": export_query(report),
            "is_today": on == timezone.localdate(),
        },
    )


def export_query(report):
    """The query string that exports what the page shows."""
    params = {"on": report.on.isoformat()}
    if report.min_balance is not None:
        params["min"] = str(report.min_balance)
    return urlencode(params)


EXPORT_FORMATS = {"xlsx", "pdf"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@perm_required(VIEW_RECEIVABLES)
def receivables_export(request, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404("Receivables export as .xlsx or .pdf.")
    form, on, min_balance = receivables_filters(request)
    if form.errors:
        # The page shows what is wrong; an export never guesses.
        return redirect(f"{reverse('invoices:receivables')}?{request.GET.urlencode()}")
    report = ageing(on=on, min_balance=min_balance)
    filename = f"receivables-{report.on.isoformat()}.{fmt}"
    if fmt == "xlsx":
        return receivables_workbook_response(report, filename, by=request.user)
    context = {
        **shop_header(),
        "report": report,
        "buckets": BUCKETS,
        "made_at": timezone.localtime(),
        "made_by": request.user,
    }
    pdf = render_pdf("invoices/pdf/receivables.html", context, request=request)
    return pdf_response(pdf, filename, inline=False)


def currency_format() -> str:
    """An Excel number format showing the shop's currency: "$"#,##0.00."""
    places = settings.CURRENCY_DECIMAL_PLACES
    number = "#,##0" + ("." + "0" * places if places else "")
    symbol = settings.CURRENCY_SYMBOL.replace('"', "")
    return f'"{symbol}"{number};-"{symbol}"{number}'


def receivables_workbook_response(report, filename, *, by):
    """The ageing as an .xlsx download: amounts as numbers, the filters on sheet 2."""
    money = currency_format()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Receivables")
    columns = [
        ("Customer", 36),
        ("Open invoices", 14),
        ("Oldest due", 12),
        *((bucket.label, 14) for bucket in BUCKETS),
        ("Total", 15),
    ]
    for index, (_label, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, label, bold=True) for label, _width in columns])
    for row in report.rows:
        sheet.append(
            [
                _cell(sheet, row.name),
                _cell(sheet, row.invoices),
                _cell(sheet, row.oldest_due, number_format="yyyy-mm-dd"),
                *(_cell(sheet, amount, number_format=money) for amount in row.amounts),
                _cell(sheet, row.total, number_format=money),
            ]
        )
    sheet.append(
        [
            _cell(sheet, "Total", bold=True),
            _cell(sheet, report.invoices, bold=True),
            _cell(sheet, None),
            *(
                _cell(sheet, amount, number_format=money, bold=True)
                for amount in report.total_amounts
            ),
            _cell(sheet, report.total, number_format=money, bold=True),
        ]
    )

    about = workbook.create_sheet("Filters")
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 60
    minimum = report.min_balance
    facts = [
        ("Report", "Receivables by days past due", None),
        ("Shop", ShopSettings.load().name, None),
        ("As of", report.on, "yyyy-mm-dd"),
        ("Owing at least", "any amount" if minimum is None else minimum, money),
        ("Balances", "Open invoices' balances when the file was made", None),
        ("Made at", timezone.localtime().strftime("%Y-%m-%d %H:%M"), None),
        ("Made by", str(by), None),
    ]
    for label, value, number_format in facts:
        cell = _cell(about, value, number_format=number_format)
        cell.alignment = Alignment(horizontal="left")
        about.append([_cell(about, label, bold=True), cell])

    # FileResponse streams the file and closes it when the download ends.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )


# Customer statements.


class StatementForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE_INPUT)
    end = forms.DateField(label="To", widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        today = timezone.localdate()
        if end and end > today:
            self.add_error("end", "A statement cannot end after today.")
        elif start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data


def statement_defaults():
    today = timezone.localdate()
    return {"start": today - timedelta(days=90), "end": today}


def statement_filename(customer, end) -> str:
    name = slugify(customer.name) or f"customer-{customer.pk}"
    return f"statement-{name}-{end.isoformat()}.pdf"


@perm_required(VIEW_INVOICES)
def customer_statement(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    if "start" in request.GET or "end" in request.GET:
        form = StatementForm(request.GET)
        if form.is_valid():
            account = statement(
                customer,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
            context = {
                **shop_header(),
                "statement": account,
                "customer": customer,
                "made_on": timezone.localdate(),
            }
            pdf = render_pdf("invoices/pdf/statement.html", context, request=request)
            return pdf_response(pdf, statement_filename(customer, account.end))
    else:
        form = StatementForm(initial=statement_defaults())
    return render(
        request,
        "invoices/statement_form.html",
        {"form": form, "customer": customer},
    )
