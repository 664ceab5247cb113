from django.contrib import admin

from accounts.access import VIEW_INVOICES

from .models import Invoice, InvoiceLine, Payment


class AppendOnly:
    """Invoices and payments are never edited or deleted, here or anywhere:
    corrections are credit notes, voids and refunds, made through the app.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(AppendOnly, admin.TabularInline):
    model = InvoiceLine
    fields = [
        "position",
        "description",
        "sku",
        "quantity",
        "unit_price",
        "discount",
        "tax_rate",
        "net",
        "tax",
        "gross",
    ]
    readonly_fields = fields
    extra = 0

    def has_view_permission(self, request, obj=None):
        # Lines are part of the invoice: whoever may see it sees them.
        return request.user.has_perm(VIEW_INVOICES)


class PaymentInline(AppendOnly, admin.TabularInline):
    model = Payment
    fk_name = "invoice"
    fields = [
        "received_at",
        "amount",
        "method",
        "reference",
        "refund_of",
        "note",
        "received_by",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(AppendOnly, admin.ModelAdmin):
    list_display = [
        "__str__",
        "customer",
        "source",
        "status",
        "issue_date",
        "due_date",
        "total",
        "balance",
    ]
    list_filter = ["status", "kind", "source"]
    search_fields = ["number", "customer__name", "bill_to_name"]
    list_select_related = ["customer"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, PaymentInline]


@admin.register(Payment)
class PaymentAdmin(AppendOnly, admin.ModelAdmin):
    list_display = [
        "received_at",
        "invoice",
        "amount",
        "method",
        "reference",
        "received_by",
    ]
    list_filter = ["method", "received_at"]
    search_fields = ["invoice__number", "invoice__customer__name", "reference"]
    list_select_related = ["invoice", "received_by"]
    date_hierarchy = "received_at"
