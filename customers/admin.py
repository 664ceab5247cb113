from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import Customer


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "phone",
        "email",
        "tax_id",
        "credit_limit",
        "marketing_consent",
        "active",
        "created_at",
    ]
    list_filter = ["active", "marketing_consent"]
    # phone_digits finds a number however it was typed ("555 0134").
    search_fields = ["name", "phone", "phone_digits", "email"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "phone", "email", "address", "tax_id"]}),
        ("Account", {"fields": ["credit_limit", "marketing_consent", "active"]}),
        ("Notes", {"fields": ["notes"]}),
        ("Dates", {"fields": ["created_at", "updated_at"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # Customers are deactivated, never deleted: their history stays.
        return False

    def save_model(self, request, obj, form, change):
        # Through the services, like every other screen: they keep the phone
        # digits in step and record who made the change.
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in services.CUSTOMER_FIELDS
        }
        if change:
            saved = services.update_customer(obj, by=request.user, **fields)
        else:
            saved = services.create_customer(by=request.user, **fields)
        if "active" in form.cleaned_data:
            services.set_customer_active(
                saved, by=request.user, active=form.cleaned_data["active"]
            )
        obj.pk = saved.pk
        obj.refresh_from_db()
