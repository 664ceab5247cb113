from datetime import timedelta

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, SetPasswordForm
from django.utils import timezone

from pos_project.validators import refuse_card_number

from .access import can_manage_role
from .models import PaymentMethod, Role, ShopSettings, User
from .services import LOGO_MAX_BYTES


def role_choices_for(actor):
    return [
        (value, label) for value, label in Role.choices if can_manage_role(actor, value)
    ]


class StaffCreateForm(BaseUserCreationForm):
    """A new member of staff with a first password (checked twice)."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(actor)
        self.fields["first_name"].required = True


class StaffUpdateForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "role"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(actor)
        self.fields["first_name"].required = True


class StaffPasswordForm(SetPasswordForm):
    """A new password for someone else, e.g. a cashier who forgot theirs."""


class AccountForm(forms.ModelForm):
    """What staff may change about themselves."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email"]


class ShopSettingsForm(forms.ModelForm):
    logo_upload = forms.ImageField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG or GIF, at most 512 KB. Printed on receipts and invoices.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    payment_methods = forms.MultipleChoiceField(
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The methods the till and payment forms offer.",
    )

    class Meta:
        model = ShopSettings
        fields = [
            "name",
            "address",
            "phone",
            "email",
            "tax_id",
            "receipt_header",
            "receipt_footer",
            "paper_width",
            "prices_include_tax",
            "allow_negative_stock",
            "payment_methods",
            "payment_terms_days",
            "max_staff_discount_percent",
            "cash_difference_threshold",
            "receipt_show_logo",
            "receipt_show_cashier",
            "receipt_show_customer",
            "receipt_show_tax",
            "repair_terms",
            "repair_warranty_days",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "receipt_header": forms.Textarea(attrs={"rows": 2}),
            "receipt_footer": forms.Textarea(attrs={"rows": 2}),
            "repair_terms": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_logo_upload(self):
        logo = self.cleaned_data.get("logo_upload")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo must be at most 512 KB.")
        return logo

    def clean_payment_methods(self):
        # Keep the order of PaymentMethod, whatever order the browser sent.
        chosen = set(self.cleaned_data["payment_methods"])
        return [value for value in PaymentMethod.values if value in chosen]


class ApiTokenForm(forms.Form):
    """A new API token: what it is for and, if it should, when it expires."""

    name = forms.CharField(
        validators=[refuse_card_number],
        max_length=100,
        help_text="What will use it, e.g. “Stock sync”.",
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Leave empty for a token that lasts until it is revoked.",
    )

    def expires_at(self):
        days = self.cleaned_data.get("expires_in_days")
        return timezone.now() + timedelta(days=days) if days else None
