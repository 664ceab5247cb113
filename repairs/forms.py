"""Forms for repairs: they validate and normalise; the services decide."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ShopSettings, User
from customers.models import Customer
from inventory.models import Product
from invoices.forms import (
    REFERENCE_HELP,
    IdempotencyKeyField,
    MoneyField,
    PaymentForm,
    new_idempotency_key,
    offered_methods,
)
from invoices.services import check_reference
from pos_project.validators import refuse_card_number

from .models import (
    ApprovalMethod,
    DeviceType,
    MessageTemplate,
    Priority,
    Status,
    Ticket,
)
from .services import clean_imei, clean_serial

PRICE_ERRORS = {"min_value": "A price cannot be negative."}


def technicians():
    return User.objects.active().order_by("first_name", "username")


class TechnicianField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=technicians(), required=False, empty_label="Not assigned", **kwargs
        )

    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class DeviceFieldsMixin:
    """IMEI and serial, checked on the field so the reason shows beside it."""

    def clean_imei(self):
        return clean_imei(self.cleaned_data.get("imei", ""))

    def clean_serial(self):
        return clean_serial(self.cleaned_data.get("serial", ""))

    def clean_promised_date(self):
        promised = self.cleaned_data.get("promised_date")
        if promised and promised < timezone.localdate() and self.check_past_date:
            raise ValidationError("The promised date is in the past.")
        return promised


class IntakeForm(DeviceFieldsMixin, forms.Form):
    check_past_date = True

    customer = forms.ModelChoiceField(
        queryset=Customer.objects.filter(active=True),
        widget=forms.HiddenInput,
        required=False,
        error_messages={
            "invalid_choice": "That customer is not on file or is deactivated.",
        },
    )
    new_customer_name = forms.CharField(
        validators=[refuse_card_number], label="Name", max_length=200, required=False
    )
    new_customer_phone = forms.CharField(
        validators=[refuse_card_number], label="Phone", max_length=40, required=False
    )
    new_customer_email = forms.EmailField(label="Email", required=False)
    device_type = forms.ChoiceField(choices=DeviceType.choices)
    brand = forms.CharField(validators=[refuse_card_number], max_length=60)
    model = forms.CharField(validators=[refuse_card_number], max_length=100)
    imei = forms.CharField(
        label="IMEI", max_length=24, required=False, help_text="Dial *#06# to see it."
    )
    serial = forms.CharField(label="Serial number", max_length=60, required=False)
    problem = forms.CharField(
        validators=[refuse_card_number],
        label="Reported problem",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    accessories = forms.CharField(validators=[refuse_card_number],
        label="Accessories left", max_length=255, required=False,
        help_text="Case, charger, SIM card, stylus…",
    )  # fmt: skip
    condition_notes = forms.CharField(validators=[refuse_card_number],
        label="Condition", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Scratches, dents, missing screws: what is wrong besides the fault.",
    )  # fmt: skip
    passcode = forms.CharField(
        max_length=64, required=False,
        help_text="Stored encrypted, shown only to staff, erased at collection.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    priority = forms.TypedChoiceField(
        choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    promised_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    technician = TechnicianField()
    warranty_days = forms.IntegerField(
        label="Warranty (days)", min_value=0, max_value=3650
    )
    deposit_amount = MoneyField(label="Deposit", required=False)
    deposit_method = forms.ChoiceField(label="Paid by", choices=[], required=False)
    deposit_reference = forms.CharField(
        label="Reference", max_length=40, required=False, help_text=REFERENCE_HELP
    )
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deposit_method"].choices = offered_methods()
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())
            self.initial.setdefault(
                "warranty_days", ShopSettings.load().repair_warranty_days
            )

    def clean_deposit_reference(self):
        return check_reference(self.cleaned_data["deposit_reference"])

    def clean(self):
        cleaned = super().clean()
        for hidden in ("idempotency_key", "customer"):  # shown on top, not hidden
            errors = self.errors.pop(hidden, None)
            if errors:
                self.add_error(None, ValidationError(errors.as_data()))
        if (
            cleaned.get("device_type") == DeviceType.PHONE
            and not cleaned.get("imei")
            and not cleaned.get("serial")
            and "imei" not in self.errors
            and "serial" not in self.errors
        ):
            self.add_error("imei", "Enter the phone's IMEI or serial number.")
        if not cleaned.get("customer") and "customer" not in self.errors:
            if not cleaned.get("new_customer_name", "").strip():
                self.add_error(
                    None, "Find the customer, or enter a new customer's name."
                )
            elif not (
                cleaned.get("new_customer_phone") or cleaned.get("new_customer_email")
            ):
                self.add_error(
                    "new_customer_phone",
                    "Give a phone number or an email, so we can reach them.",
                )
        if cleaned.get("deposit_amount") and not cleaned.get("deposit_method"):
            self.add_error("deposit_method", "Say how the deposit was paid.")
        return cleaned


class TicketForm(DeviceFieldsMixin, forms.ModelForm):
    """The intake details, corrected later (not the customer, status or bill)."""

    check_past_date = False
    technician = TechnicianField()

    class Meta:
        model = Ticket
        fields = [
            "brand",
            "model",
            "imei",
            "serial",
            "problem",
            "accessories",
            "condition_notes",
            "priority",
            "promised_date",
            "technician",
            "warranty_days",
        ]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 3}),
            "condition_notes": forms.Textarea(attrs={"rows": 2}),
            "promised_date": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_warranty_days(self):
        days = self.cleaned_data["warranty_days"]
        if days > 3650:
            raise ValidationError("The warranty is 0 to 3650 days.")
        return days


class StatusForm(forms.Form):
    to = forms.ChoiceField(
        choices=Status.choices,
        error_messages={"invalid_choice": "%(value)s is not a repair status."},
    )
    note = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )
    minutes_spent = forms.IntegerField(
        label="Bench time (minutes)", min_value=1, max_value=43200, required=False
    )
    on_account = forms.BooleanField(
        required=False, label="Let it go with the balance on the customer's account"
    )


class LabourForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True, tracks_stock=False).order_by(
            "name"
        ),
        required=False,
        empty_label="Other labour",
        widget=forms.Select(attrs={"class": "form-select", "id": "labour-service"}),
    )
    description = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )
    quantity = forms.DecimalField(
        max_digits=6, decimal_places=2, min_value=0.01, initial=1,
        help_text="Hours, or 1 for a fixed price.",
    )  # fmt: skip
    unit_price = MoneyField(label="Price", min_value=0, error_messages=PRICE_ERRORS)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("service") and not cleaned.get("description", "").strip():
            self.add_error("description", "Describe the labour, or pick a service.")
        return cleaned


class PartForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True, tracks_stock=True),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Find the part first.",
            "invalid_choice": "That part is no longer sold.",
        },
    )
    quantity = forms.IntegerField(min_value=1, max_value=999, initial=1)
    unit_price = MoneyField(
        label="Price", min_value=0, required=False, error_messages=PRICE_ERRORS,
        help_text="Empty: the part's price.",
    )  # fmt: skip
    fit_now = forms.BooleanField(required=False, label="Fitted now")

    def clean(self):
        cleaned = super().clean()
        errors = self.errors.pop("product", None)
        if errors:
            self.add_error(None, ValidationError(errors.as_data()))
        return cleaned


class LineForm(forms.Form):
    quantity = forms.DecimalField(max_digits=6, decimal_places=2, min_value=0.01)
    unit_price = MoneyField(label="Price", min_value=0, error_messages=PRICE_ERRORS)
    description = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )


class ApprovalForm(forms.Form):
    method = forms.ChoiceField(
        choices=[
            (ApprovalMethod.IN_PERSON, ApprovalMethod.IN_PERSON.label),
            (ApprovalMethod.PHONE, ApprovalMethod.PHONE.label),
        ],
        widget=forms.Select(attrs={"class": "form-select", "id": "approve-method"}),
    )
    note = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )


class DepositForm(PaymentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].widget.attrs.update(
            {"class": "form-select", "aria-label": "Paid by"}
        )


class PasscodeForm(forms.Form):
    passcode = forms.CharField(
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["active", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body"):
            text = cleaned.get(name)
            if text is None:
                continue
            try:
                text.format_map(_PlaceholderCheck())
            except (ValueError, IndexError) as exc:
                self.add_error(name, f"Check the braces: {exc}.")
            except KeyError as exc:
                self.add_error(
                    name, f"{{{exc.args[0]}}} is not a placeholder this email knows."
                )
        return cleaned


PLACEHOLDERS = (
    "customer",
    "number",
    "device",
    "status",
    "balance",
    "link",
    "shop",
    "shop_phone",
)


class _PlaceholderCheck(dict):
    def __missing__(self, key):
        if key in PLACEHOLDERS:
            return ""
        raise KeyError(key)


def new_customer_fields(data):
    """The inline new customer's details, or None when one was picked."""
    if data.get("customer"):
        return None
    return {
        "name": data["new_customer_name"].strip(),
        "phone": data["new_customer_phone"].strip(),
        "email": data["new_customer_email"].strip(),
    }
