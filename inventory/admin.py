from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Category, GoodsReceipt, Product, StockCount, StockMove, Supplier


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Supplier)
class SupplierAdmin(SimpleHistoryAdmin):
    list_display = ["name", "contact_name", "phone", "email", "active"]
    list_filter = ["active"]
    search_fields = ["name", "contact_name", "email", "phone"]


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "sku",
        "barcode",
        "category",
        "sale_price",
        "cost_price",
        "on_hand",
        "reorder_level",
        "tracks_stock",
        "active",
    ]
    list_filter = ["active", "tracks_stock", "category", "supplier", "needs_count"]
    search_fields = ["name", "sku", "barcode"]
    list_select_related = ["category"]
    readonly_fields = ["on_hand", "needs_count", "created_at", "updated_at"]
    autocomplete_fields = ["category", "supplier"]

    def has_delete_permission(self, request, obj=None):
        # Products with stock history are deactivated, never deleted.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.moves.exists())


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and documents: never edited; corrections are new records."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "product",
        "quantity",
        "reason",
        "balance_after",
        "reference_label",
        "user",
    ]
    list_filter = ["reason", "created_at"]
    search_fields = ["product__name", "product__sku", "reference_label", "note"]
    list_select_related = ["product", "user"]
    date_hierarchy = "created_at"


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "supplier",
        "supplier_reference",
        "received_by",
        "created_at",
    ]
    list_filter = ["supplier"]


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "products_counted", "counted_by", "created_at"]
