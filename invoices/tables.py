import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from pos_project.money import format_money

from .models import Invoice, InvoiceStatus, Payment

WIDE_ONLY = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "d-none d-md-table-cell"},
}
NO_WRAP = {"td": {"class": "text-nowrap"}}
STATUS_BADGE = (
    '{% include "invoices/includes/status_badge.html" with invoice=record only %}'
)


class MoneyColumn(tables.Column):
    attrs = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}

    def render(self, value):
        return format_money(value)


class WideMoneyColumn(MoneyColumn):
    attrs = {
        "td": {"class": "text-end text-nowrap d-none d-md-table-cell"},
        "th": {"class": "text-end d-none d-md-table-cell"},
    }


def customer_name(invoice):
    """Who the invoice bills: its snapshot once issued, else the customer."""
    if invoice.bill_to_name:
        return invoice.bill_to_name
    return invoice.customer.name if invoice.customer_id else "Walk-in"


class InvoiceTable(tables.Table):
    number = tables.Column(
        linkify=True,
        verbose_name="Number",
        empty_values=(),
        order_by=("number",),
        attrs=NO_WRAP,
    )
    customer = tables.Column(empty_values=(), order_by=("bill_to_name",))
    issue_date = tables.DateColumn(
        format="j M Y", verbose_name="Issued", attrs=WIDE_ONLY
    )
    due_date = tables.Column(verbose_name="Due", attrs=WIDE_ONLY)
    total = WideMoneyColumn()
    amount_paid = WideMoneyColumn(verbose_name="Paid")
    balance = MoneyColumn()
    status = tables.TemplateColumn(STATUS_BADGE, orderable=False, attrs=WIDE_ONLY)

    class Meta:
        model = Invoice
        fields = [
            "number",
            "customer",
            "issue_date",
            "due_date",
            "total",
            "amount_paid",
            "balance",
            "status",
        ]
        empty_text = "No invoices match these filters."
        attrs = {"class": "table table-hover align-middle mb-0"}

    def render_number(self, record):
        # Phones have no room for the status column: the badge goes under the number.
        return format_html(
            '{}<div class="d-md-none small">{}</div>',
            record.number or "Draft",
            render_to_string(
                "invoices/includes/status_badge.html", {"invoice": record}
            ),
        )

    def render_customer(self, record):
        return customer_name(record)

    def render_balance(self, value, record):
        if record.status == InvoiceStatus.VOID:
            # A void invoice is owed by nobody, whatever its figures say.
            return format_html(
                '<span class="text-body-secondary text-decoration-line-through">'
                "{}</span>",
                format_money(value),
            )
        return format_money(value)

    def render_due_date(self, value, record):
        if record.is_credit_note:
            return "—"
        text = date_format(value, "j M Y")
        if record.is_overdue:
            return format_html('<span class="text-danger fw-semibold">{}</span>', text)
        return text


class PaymentTable(tables.Table):
    received_at = tables.Column(verbose_name="When", attrs=NO_WRAP)
    invoice = tables.Column(linkify=True, order_by=("invoice__number",), attrs=NO_WRAP)
    customer = tables.Column(
        accessor="invoice__customer",
        empty_values=(),
        order_by=("invoice__customer__name",),
        attrs=WIDE_ONLY,
    )
    amount = MoneyColumn()
    method = tables.Column()
    reference = tables.Column(attrs=WIDE_ONLY)
    received_by = tables.Column(verbose_name="By", attrs=WIDE_ONLY)
    note = tables.Column(orderable=False, attrs=WIDE_ONLY)

    class Meta:
        model = Payment
        fields = [
            "received_at",
            "invoice",
            "customer",
            "amount",
            "method",
            "reference",
            "received_by",
            "note",
        ]
        empty_text = "No payments match these filters."
        attrs = {"class": "table table-hover align-middle mb-0"}

    def render_received_at(self, value):
        value = localtime(value)
        return format_html(
            '{}<span class="d-none d-md-inline"> {}</span>',
            date_format(value, "j M Y"),
            date_format(value, "H:i"),
        )

    def render_invoice(self, value):
        return value.number or "Draft"

    def render_customer(self, record):
        return customer_name(record.invoice)

    def render_amount(self, value, record):
        if record.is_refund:
            return format_html(
                '<span class="text-danger">{}</span>'
                '<span class="badge text-bg-light border ms-1 d-none d-md-inline">'
                "Refund</span>",
                format_money(value),
            )
        return format_money(value)
