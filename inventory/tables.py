import django_tables2 as tables
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from pos_project.money import format_money

from .models import Product, StockMove, StockState

STATE_BADGES = {
    StockState.IN_STOCK: "text-bg-success",
    StockState.LOW: "text-bg-warning",
    StockState.OUT: "text-bg-danger",
}


# Columns hidden on phones, where the name, SKU, price and stock matter most.
WIDE_ONLY = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "d-none d-md-table-cell"},
}


class MoneyColumn(tables.Column):
    attrs = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}

    def render(self, value):
        return format_money(value)


class WideMoneyColumn(MoneyColumn):
    attrs = {
        "td": {"class": "text-end text-nowrap d-none d-md-table-cell"},
        "th": {"class": "text-end d-none d-md-table-cell"},
    }


class ProductTable(tables.Table):
    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={"th__input": {"data-select-all": "product"}},
        orderable=False,
    )
    name = tables.Column(linkify=True)
    sku = tables.Column(verbose_name="SKU")
    barcode = tables.Column(attrs=WIDE_ONLY)
    category = tables.Column(attrs=WIDE_ONLY)
    sale_price = MoneyColumn(verbose_name="Price")
    cost_price = WideMoneyColumn(verbose_name="Cost")
    on_hand = tables.Column(
        verbose_name="On hand",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    stock_value = WideMoneyColumn(verbose_name="Value at cost")
    state = tables.Column(empty_values=(), verbose_name="Stock", orderable=False)

    class Meta:
        model = Product
        fields = ["selection", "name", "sku", "barcode", "category", "sale_price"]
        sequence = [
            "selection",
            "name",
            "sku",
            "barcode",
            "category",
            "sale_price",
            "cost_price",
            "on_hand",
            "stock_value",
            "state",
        ]
        empty_text = "No products match these filters."
        row_attrs = {
            "class": lambda record: "" if record.active else "text-body-secondary"
        }

    def render_on_hand(self, value, record):
        return value if record.tracks_stock else "—"

    def render_state(self, record):
        state = record.stock_state
        if not record.active:
            return mark_safe('<span class="badge text-bg-secondary">Inactive</span>')
        if state is None:
            return mark_safe('<span class="badge text-bg-light border">Service</span>')
        return format_html(
            '<span class="badge {}">{}</span>', STATE_BADGES[state], state.label
        )


class StockMoveTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="When", format="j M Y H:i")
    reason = tables.Column()
    quantity = tables.Column(
        verbose_name="Change",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    balance_after = tables.Column(
        verbose_name="On hand after",
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    reference_label = tables.Column(verbose_name="Document")
    note = tables.Column(attrs=WIDE_ONLY)
    user = tables.Column(verbose_name="By")

    class Meta:
        model = StockMove
        fields = [
            "created_at",
            "reason",
            "quantity",
            "balance_after",
            "reference_label",
        ]
        sequence = [
            "created_at",
            "reason",
            "quantity",
            "balance_after",
            "reference_label",
            "note",
            "user",
        ]
        orderable = False
        empty_text = "No stock moves yet."

    def render_quantity(self, value):
        return f"{value:+d}"

    def render_reference_label(self, value, record):
        """The document's name, linked to its page (content types are cached)."""
        if not record.reference_type_id:
            return value
        model = ContentType.objects.get_for_id(record.reference_type_id).model_class()
        try:
            url = model(pk=record.reference_id).get_absolute_url()
        except (AttributeError, NoReverseMatch):
            return value
        return format_html('<a href="{}">{}</a>', url, value)
