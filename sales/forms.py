"""Forms of the till: they read what the cashier typed, never prices or totals."""

import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import PaymentMethod
from customers.models import Customer
from pos_project.money import CENT, ZERO
from pos_project.validators import refuse_card_number

from .models import DiscountKind
from .services import MAX_QUANTITY, Discount, Tender

MAX_TENDERS = 8
PERCENT_MAX = Decimal("100")

QUANTITY_ERRORS = {
    "required": "Enter a quantity.",
    "invalid": "The quantity must be a whole number.",
    "min_value": "The quantity must be at least %(limit_value)s.",
    "max_value": "The quantity can be at most %(limit_value)s.",
}
MONEY_ERRORS = {
    "invalid": "Enter an amount of money, e.g. 12.50.",
    "max_decimal_places": "Use at most %(max)s decimals.",
    "max_digits": "That amount is too large.",
    "max_whole_digits": "That amount is too large.",
}


def _quantity_field(minimum, **kwargs):
    return forms.IntegerField(
        min_value=minimum,
        max_value=MAX_QUANTITY,
        error_messages=QUANTITY_ERRORS,
        **kwargs,
    )


def error_text(*forms_or_formsets):
    """Every error of the forms as one sentence for a cashier (no field names)."""
    messages = []
    for item in forms_or_formsets:
        if item is None:
            continue
        if isinstance(item, forms.BaseFormSet):
            messages += item.non_form_errors()
            errors = [form.errors for form in item.forms]
        else:
            errors = [item.errors]
        for form_errors in errors:
            for field_errors in form_errors.values():
                messages += [m for m in field_errors if m not in messages]
    return " ".join(messages)


class ScanForm(forms.Form):
    code = forms.CharField(
        max_length=64,
        error_messages={
            "required": "Scan a barcode or type a SKU, then press Enter.",
            "max_length": "That code is too long to be a barcode or SKU.",
        },
    )


class AddForm(forms.Form):
    quantity = _quantity_field(1, required=False)

    def clean_quantity(self):
        return self.cleaned_data["quantity"] or 1


class DiscountForm(forms.Form):
    """A percent or an amount off a line or the whole cart."""

    discount_kind = forms.ChoiceField(
        choices=DiscountKind.choices,
        error_messages={"invalid_choice": "Choose a percent or an amount."},
    )
    discount_value = forms.DecimalField(
        min_value=ZERO,
        max_digits=12,
        decimal_places=2,
        required=False,
        error_messages={
            **MONEY_ERRORS,
            "invalid": "The discount must be a number, e.g. 10 or 2.50.",
            "min_value": "A discount cannot be negative.",
        },
    )

    def clean(self):
        data = super().clean()
        kind, value = data.get("discount_kind"), data.get("discount_value")
        if value is None and "discount_value" not in self.errors:
            data["discount_value"] = value = ZERO
        if kind == DiscountKind.PERCENT and value is not None and value > PERCENT_MAX:
            self.add_error("discount_value", "A discount cannot be more than 100%.")
        return data


class LineForm(forms.Form):
    """One change to a cart line: its quantity, a step of one, or its removal."""

    quantity = _quantity_field(1, required=False)
    change = forms.TypedChoiceField(
        choices=[("1", "+1"), ("-1", "-1")], coerce=int, required=False
    )
    remove = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].error_messages["min_value"] = (
            "The quantity must be at least 1; remove the line to take it off."
        )

    def clean(self):
        data = super().clean()
        if not self.errors and not (
            data.get("remove") or data.get("change") or data.get("quantity")
        ):
            raise ValidationError("Enter a quantity.")
        return data


class ApproveForm(forms.Form):
    """An Admin's username and password, typed at the cashier's till."""

    username = forms.CharField(max_length=150)
    password = forms.CharField(max_length=128, strip=False)
    # The discount the cashier asked for, applied only with the approval.
    target = forms.CharField(max_length=20, required=False)
    discount_kind = forms.ChoiceField(choices=DiscountKind.choices, required=False)
    discount_value = forms.DecimalField(
        min_value=ZERO, max_digits=12, decimal_places=2, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = (
            "The Admin types their username."
        )
        self.fields["password"].error_messages["required"] = (
            "The Admin types their password."
        )

    def clean_target(self):
        target = self.cleaned_data["target"].strip()
        if target in ("", "cart") or target.isdigit():
            return target
        raise ValidationError("That discount is no longer in the cart.")

    def pending_discount(self):
        """The discount to apply with the approval (a services.Discount), or None."""
        data = self.cleaned_data
        if not data.get("target") or not data.get("discount_kind"):
            return None
        target = data["target"] if data["target"] == "cart" else int(data["target"])
        value = data.get("discount_value") or ZERO
        return Discount(target, data["discount_kind"], value)


class ParkForm(forms.Form):
    note = forms.CharField(
        validators=[refuse_card_number],
        max_length=100,
        required=False,
        error_messages={"max_length": "Keep the note under 100 characters."},
    )


class CustomerPickForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.active(),
        required=False,
        error_messages={
            "invalid_choice": "That customer is deactivated or no longer exists."
        },
    )


class NewCustomerForm(forms.Form):
    """The till's quick "new customer": a name and a phone number."""

    name = forms.CharField(
        validators=[refuse_card_number],
        max_length=200,
        error_messages={"required": "Type the customer's name."},
    )
    phone = forms.CharField(
        validators=[refuse_card_number],
        max_length=40,
        error_messages={"required": "Type the customer's phone number."},
    )

    def clean(self):
        data = super().clean()
        phone = data.get("phone", "")
        if phone:
            same = Customer.objects.duplicates_of(phone=phone).first()
            if same is not None:
                raise ValidationError(
                    f"{same.name} already has the phone number {same.phone}: "
                    "search for them instead."
                )
        return data


class CheckoutForm(forms.Form):
    token = forms.CharField(
        max_length=64,
        error_messages={
            "required": "This checkout form has expired; reload the till.",
            "max_length": "This checkout form has expired; reload the till.",
        },
    )


class TenderForm(forms.Form):
    """One payment of a split tender: method, amount and an optional reference."""

    method = forms.CharField(max_length=20)
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        required=False,
        error_messages={
            **MONEY_ERRORS,
            "min_value": "Each payment must be more than zero.",
        },
    )
    reference = forms.CharField(
        max_length=40,
        required=False,
        error_messages={"max_length": "A payment reference is at most 40 characters."},
    )

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.methods = list(methods)

    def clean_method(self):
        method = self.cleaned_data["method"]
        if method not in self.methods:
            label = dict(PaymentMethod.choices).get(method, method)
            raise ValidationError(f"The shop does not take payments by {label!r}.")
        return method


class BaseTenderFormSet(forms.BaseFormSet):
    def tenders(self):
        """The rows with an amount, as the checkout service takes them."""
        return [
            Tender(
                form.cleaned_data["method"],
                form.cleaned_data["amount"],
                form.cleaned_data.get("reference", ""),
            )
            for form in self.forms
            if form.cleaned_data.get("amount") is not None
        ]


TenderFormSet = forms.formset_factory(
    TenderForm,
    formset=BaseTenderFormSet,
    extra=0,
    max_num=MAX_TENDERS,
    absolute_max=MAX_TENDERS,
    validate_max=True,
)


def till_payment_methods(shop):
    """The shop's methods the till takes (store credit is used from a customer's
    page, not at the till)."""
    return [
        (code, label)
        for code, label in PaymentMethod.choices
        if code in shop.payment_methods and code != PaymentMethod.STORE_CREDIT
    ]


class InvoicePaymentForm(forms.Form):
    """A payment for an invoice at the till; the balance comes from the server."""

    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        error_messages={
            **MONEY_ERRORS,
            "min_value": "The amount must be more than zero.",
        },
    )
    method = forms.ChoiceField(
        choices=[],
        error_messages={"invalid_choice": "The till does not take %(value)s."},
    )
    tendered = forms.DecimalField(
        label="Cash received",
        max_digits=12,
        decimal_places=2,
        min_value=CENT,
        required=False,
        help_text="For cash: what the customer handed over, to work out the change.",
        error_messages={**MONEY_ERRORS, "min_value": "Enter the cash received."},
    )
    reference = forms.CharField(
        max_length=40,
        required=False,
        help_text="The terminal's reference or the card's last four digits.",
    )
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        error_messages={"required": "This form has expired: reload the page."},
    )

    def __init__(self, *args, methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = list(methods)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self):
        cleaned = super().clean()
        errors = self.errors.pop("idempotency_key", None)
        if errors:
            self.add_error(None, ValidationError(errors.as_data()))
        return cleaned
