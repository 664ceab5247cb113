import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html

from .models import Priority, Status, Ticket

WIDE_ONLY = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "d-none d-md-table-cell"},
}
NO_WRAP = {"td": {"class": "text-nowrap"}}

STATUS_COLOURS = {
    Status.RECEIVED: "secondary",
    Status.DIAGNOSING: "info",
    Status.AWAITING_APPROVAL: "warning",
    Status.AWAITING_PARTS: "warning",
    Status.IN_REPAIR: "primary",
    Status.READY: "success",
    Status.COLLECTED: "dark",
    Status.CANCELLED: "dark",
    Status.RETURNED: "dark",
}


def status_badge(ticket):
    colour = STATUS_COLOURS[Status(ticket.status)]
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', colour, ticket.get_status_display()
    )


def priority_badge(ticket):
    if ticket.priority <= Priority.NORMAL:
        return ticket.get_priority_display()
    colour = "danger" if ticket.priority == Priority.URGENT else "warning"
    return format_html(
        '<span class="badge text-bg-{}">{}</span>',
        colour,
        ticket.get_priority_display(),
    )


class TicketTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name="Ticket", attrs=NO_WRAP)
    customer = tables.Column(order_by=("customer__name",))
    device = tables.Column(
        empty_values=(), order_by=("brand", "model"), verbose_name="Device"
    )
    status = tables.Column(attrs=NO_WRAP)
    priority = tables.Column(attrs=WIDE_ONLY)
    technician = tables.Column(
        attrs=WIDE_ONLY, order_by=("technician__first_name",), default="—"
    )
    promised_date = tables.Column(verbose_name="Promised", attrs=NO_WRAP, default="—")
    created_at = tables.Column(verbose_name="Booked in", attrs=WIDE_ONLY)

    class Meta:
        model = Ticket
        fields = [
            "number",
            "customer",
            "device",
            "status",
            "priority",
            "technician",
            "promised_date",
            "created_at",
        ]
        order_by = ("-created_at",)
        attrs = {"class": "table table-hover align-middle"}

    def render_customer(self, record):
        return format_html(
            '{}<div class="small text-body-secondary">{}</div>',
            record.customer.name,
            record.customer.phone,
        )

    def render_device(self, record):
        return format_html(
            '{}<div class="small text-body-secondary">{}</div>',
            record.device,
            record.get_device_type_display(),
        )

    def render_status(self, record):
        return status_badge(record)

    def render_priority(self, record):
        return priority_badge(record)

    def render_technician(self, value):
        return value.get_full_name() or value.username

    def render_promised_date(self, record, value):
        text = date_format(value, "j M")
        if record.is_overdue:
            return format_html(
                '<span class="text-danger fw-semibold">{} ⚠</span>', text
            )
        return text

    def render_created_at(self, value):
        return date_format(value, "j M Y")
