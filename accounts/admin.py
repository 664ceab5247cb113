from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from .access import MANAGE_ADMINS, can_manage_role
from .forms import role_choices_for
from .models import Role, ShopSettings, TaxRate, User
from .services import check_staff_change


@admin.register(User)
class StaffAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    filter_horizontal = []
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal details", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        staff = super().get_queryset(request)
        if not request.user.has_perm(MANAGE_ADMINS):
            staff = staff.filter(role=Role.USER)
        return staff

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_manage_role(request.user, obj.role))

    def has_delete_permission(self, request, obj=None):
        # Staff are deactivated, never deleted: their names stay on history.
        return False

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = role_choices_for(request.user)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        actor = request.user

        class GuardedForm(base):
            def clean(self):
                cleaned = super().clean()
                try:
                    check_staff_change(
                        self.instance,
                        by=actor,
                        role=cleaned.get("role", self.instance.role),
                        is_active=cleaned.get("is_active", True),
                    )
                except ValidationError as exc:
                    raise forms.ValidationError(exc.messages) from exc
                return cleaned

        return GuardedForm


@admin.register(ShopSettings)
class ShopSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["name", "phone", "email", "paper_width", "prices_include_tax"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ShopSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaxRate)
class TaxRateAdmin(SimpleHistoryAdmin):
    list_display = ["name", "rate", "is_default", "active"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None):
        # Products and past documents refer to rates; retire one by deactivating.
        return False


# Roles replace groups: hide them so nobody grants access the app ignores.
admin.site.unregister(Group)
