import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from accounts.access import USE_TILL, VOID_SALES
from pos_project.money import format_money

from .models import Sale, SaleStatus, Shift, ShiftStatus

WIDE_ONLY = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "d-none d-md-table-cell"},
}
NO_WRAP = {"td": {"class": "text-nowrap"}}
END = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}


class MoneyColumn(tables.Column):
    attrs = END

    def render(self, value):
        return format_money(value)


class WideMoneyColumn(MoneyColumn):
    attrs = {
        "td": {"class": "text-end text-nowrap d-none d-md-table-cell"},
        "th": {"class": "text-end d-none d-md-table-cell"},
    }


def when(value):
    """A date, with the time too where there is room for it."""
    value = localtime(value)
    return format_html(
        '{}<span class="d-none d-md-inline"> {}</span>',
        date_format(value, "j M Y"),
        date_format(value, "H:i"),
    )


def sale_status_badge(sale):
    if sale.status == SaleStatus.VOIDED:
        return format_html('<span class="badge text-bg-dark">{}</span>', "Voided")
    return format_html('<span class="badge text-bg-success">{}</span>', "Completed")


class SaleTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name="Receipt", attrs=NO_WRAP)
    created_at = tables.Column(verbose_name="When", attrs=NO_WRAP)
    cashier = tables.Column(attrs=WIDE_ONLY, order_by=("cashier__first_name",))
    customer = tables.Column(
        empty_values=(), order_by=("customer__name",), attrs=WIDE_ONLY
    )
    total = MoneyColumn()
    status = tables.Column(attrs=WIDE_ONLY)
    actions = tables.Column(
        empty_values=(), orderable=False, verbose_name="", attrs=END
    )

    class Meta:
        model = Sale
        fields = ["number", "created_at", "cashier", "customer", "total", "status"]
        empty_text = "No sales match these filters."
        attrs = {"class": "table table-hover align-middle mb-0"}
        row_attrs = {"data-sale": lambda record: record.number}

    def render_number(self, value, record):
        # Phones have no room for the status column: a void shows under the number.
        if record.status == SaleStatus.VOIDED:
            return format_html(
                '{}<div class="d-md-none small">{}</div>',
                value,
                sale_status_badge(record),
            )
        return value

    def render_created_at(self, value):
        return when(value)

    def render_customer(self, record):
        return record.customer.name if record.customer_id else "Walk-in"

    def render_status(self, record):
        return sale_status_badge(record)

    def render_actions(self, record):
        if record.status != SaleStatus.COMPLETED:
            return ""
        user = self.request.user
        links = []
        if user.has_perm(USE_TILL):
            links.append(
                (
                    reverse("sales:return_create", args=[record.pk]),
                    "btn-outline-secondary",
                    "arrow-return-left",
                    "Return",
                )
            )
        if user.has_perm(VOID_SALES) and record.shift.is_open:
            links.append(
                (
                    reverse("sales:sale_void", args=[record.pk]),
                    "btn-outline-danger",
                    "x-circle",
                    "Void",
                )
            )
        return format_html_join(
            " ",
            '<a class="btn btn-sm {}" href="{}"><i class="bi bi-{}"></i>'
            '<span class="d-none d-lg-inline"> {}</span></a>',
            ((style, url, icon, label) for url, style, icon, label in links),
        )


def shift_status_badge(shift):
    if shift.status == ShiftStatus.OPEN:
        return format_html('<span class="badge text-bg-success">{}</span>', "Open")
    return format_html('<span class="badge text-bg-secondary">{}</span>', "Closed")


class ShiftTable(tables.Table):
    number = tables.Column(
        accessor="pk",
        linkify=("sales:shift_detail", [tables.A("pk")]),
        verbose_name="Shift",
        attrs=NO_WRAP,
    )
    cashier = tables.Column(order_by=("cashier__first_name",))
    opened_at = tables.Column(verbose_name="Opened", attrs=NO_WRAP)
    closed_at = tables.Column(
        verbose_name="Closed",
        attrs={
            "th": {"class": "d-none d-md-table-cell"},
            "td": {"class": "d-none d-md-table-cell text-nowrap"},
        },
    )
    status = tables.Column(attrs=WIDE_ONLY)
    sales_count = tables.Column(
        verbose_name="Sales",
        attrs={
            "td": {"class": "text-end d-none d-md-table-cell"},
            "th": {"class": "text-end d-none d-md-table-cell"},
        },
    )
    sales_total = WideMoneyColumn(verbose_name="Takings")
    cash_difference = MoneyColumn(verbose_name="Cash diff.")

    class Meta:
        model = Shift
        fields = ["cashier", "opened_at", "closed_at", "status"]
        sequence = [
            "number",
            "cashier",
            "opened_at",
            "closed_at",
            "status",
            "sales_count",
            "sales_total",
            "cash_difference",
        ]
        empty_text = "No shifts match these filters."
        attrs = {"class": "table table-hover align-middle mb-0"}

    def render_number(self, value, record):
        # Phones have no room for the status column: the badge goes under the number.
        return format_html(
            '#{}<div class="d-md-none small">{}</div>',
            value,
            shift_status_badge(record),
        )

    def render_opened_at(self, value):
        return when(value)

    def render_closed_at(self, value):
        return when(value)

    def render_status(self, record):
        return shift_status_badge(record)

    def render_cash_difference(self, value, record):
        if not value:
            return format_money(value)
        approved = (
            format_html(
                ' <i class="bi bi-patch-check text-success" title="{}"></i>',
                f"Approved by {record.difference_approved_by}",
            )
            if record.difference_approved_by_id
            else ""
        )
        style = "text-danger" if value < 0 else "text-warning-emphasis"
        return format_html(
            '<span class="{}">{}</span>{}', style, format_money(value), approved
        )
