from django.contrib import admin

from accounts.access import EDIT_REPAIR_MESSAGES, VIEW_REPAIRS

from .models import EstimateApproval, MessageTemplate, StatusChange, Ticket, TicketLine


class ReadOnly:
    """Tickets change only through the repair services (the ticket's page):
    they move stock and money, so Django admin shows them and changes nothing.
    """

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_REPAIRS)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["at", "from_status", "to_status", "by", "note"]


class TicketLineInline(ReadOnlyInline):
    model = TicketLine
    fields = ["kind", "description", "quantity", "unit_price", "tax_rate", "fitted_at"]


class ApprovalInline(ReadOnlyInline):
    model = EstimateApproval
    fields = ["at", "total", "method", "recorded_by", "withdrawn_at"]


@admin.register(Ticket)
class TicketAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "customer",
        "device",
        "status",
        "technician",
        "promised_date",
    ]
    list_filter = ["status", "device_type", "priority", "created_at"]
    search_fields = ["number", "customer__name", "imei", "serial", "model"]
    list_select_related = ["customer", "technician"]
    date_hierarchy = "created_at"
    exclude = ["passcode_encrypted", "public_token", "intake_key"]
    inlines = [TicketLineInline, ApprovalInline, StatusChangeInline]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["status", "subject", "active"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(EDIT_REPAIR_MESSAGES)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # switch an email off instead
