from django.contrib import admin

from accounts.access import MANAGE_SHIFTS, VIEW_SALES

from .models import (
    Cart,
    CartLine,
    CashMovement,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
    Shift,
    ShiftCount,
)


class ReadOnly:
    """Sales, returns and closed shifts are never edited or deleted, here or
    anywhere: corrections are returns and voids, made through the till. Open
    shifts and carts change only through the till's services.
    """

    # Who may look, as a permission; roles carry no per-model view permissions.
    view_permission = VIEW_SALES

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.view_permission)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        # Non-editable columns (created_at) can only be shown read-only.
        return self.fields


class ShiftCountInline(ReadOnlyInline):
    model = ShiftCount
    fields = ["method", "expected", "counted", "difference"]
    view_permission = MANAGE_SHIFTS


class CashMovementInline(ReadOnlyInline):
    model = CashMovement
    fields = ["created_at", "kind", "amount", "reason", "by"]
    view_permission = MANAGE_SHIFTS


@admin.register(Shift)
class ShiftAdmin(ReadOnly, admin.ModelAdmin):
    view_permission = MANAGE_SHIFTS
    list_display = [
        "__str__",
        "cashier",
        "status",
        "opened_at",
        "closed_at",
        "opening_float",
        "difference_approved_by",
    ]
    list_filter = ["status", "opened_at"]
    search_fields = ["cashier__username", "cashier__first_name", "cashier__last_name"]
    list_select_related = ["cashier", "difference_approved_by"]
    date_hierarchy = "opened_at"
    inlines = [ShiftCountInline, CashMovementInline]


class SaleLineInline(ReadOnlyInline):
    model = SaleLine
    fields = [
        "name",
        "sku",
        "quantity",
        "unit_price",
        "discount",
        "tax_rate",
        "net",
        "tax",
        "gross",
        "returned_quantity",
    ]


@admin.register(Sale)
class SaleAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "cashier",
        "customer",
        "total",
        "status",
        "shift",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["number", "customer__name"]
    list_select_related = ["cashier", "customer", "shift", "shift__cashier"]
    date_hierarchy = "created_at"
    inlines = [SaleLineInline]


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ["sale_line", "quantity", "restocked", "amount"]


@admin.register(Return)
class ReturnAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "sale",
        "total",
        "refund_method",
        "created_by",
        "approved_by",
    ]
    list_filter = ["refund_method", "created_at"]
    search_fields = ["number", "sale__number"]
    list_select_related = ["sale", "created_by", "approved_by"]
    date_hierarchy = "created_at"
    inlines = [ReturnLineInline]


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["product", "quantity", "discount_kind", "discount_value"]
    view_permission = MANAGE_SHIFTS


@admin.register(Cart)
class CartAdmin(ReadOnly, admin.ModelAdmin):
    view_permission = MANAGE_SHIFTS
    list_display = ["__str__", "cashier", "status", "customer", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["cashier", "customer"]
    inlines = [CartLineInline]
