import django_tables2 as tables
from django.utils.safestring import mark_safe

from pos_project.money import format_money

from .models import Customer

# Columns hidden on phones, where the name and phone number matter most.
WIDE_ONLY = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "d-none d-md-table-cell"},
}


class CustomerTable(tables.Table):
    name = tables.Column(linkify=True)
    phone = tables.Column(attrs={"td": {"class": "text-nowrap"}})
    email = tables.EmailColumn(attrs=WIDE_ONLY)
    credit_limit = tables.Column(
        verbose_name="Credit limit",
        attrs={
            "td": {"class": "text-end text-nowrap d-none d-md-table-cell"},
            "th": {"class": "text-end d-none d-md-table-cell"},
        },
    )
    active = tables.Column(verbose_name="Status")

    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "credit_limit", "active"]
        empty_text = "No customers match these filters."
        row_attrs = {
            "class": lambda record: "" if record.active else "text-body-secondary"
        }

    def render_credit_limit(self, value):
        return format_money(value)

    def render_active(self, value):
        if value:
            return mark_safe('<span class="badge text-bg-success">Active</span>')
        return mark_safe('<span class="badge text-bg-secondary">Inactive</span>')
