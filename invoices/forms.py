"""Forms for billing: they validate and normalise; the services decide."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.formats import date_format

from accounts.models import PaymentMethod, ShopSettings, TaxRate
from customers.models import Customer
from pos_project.money import CENT, ZERO, format_money, to_money
from pos_project.validators import refuse_card_number

from .models import Invoice
from .services import LineInput, check_reference

REFERENCE_HELP = (
    "The terminal's reference or the card's last four digits; "
    "never the full card number."
)


def new_idempotency_key():
    """A one-time token for a money form: a resubmit finds the first payment."""
    return uuid.uuid4().hex


class MoneyField(forms.DecimalField):
    """An amount in the shop's currency, typed as "12.50"."""

    default_error_messages = {
        "invalid": "Enter an amount of money, like 12.50.",
        "min_value": "The amount must be more than zero.",
        "max_decimal_places": "Use at most %(max)s decimals: the currency has cents.",
        "max_digits": "That amount is too large.",
        "max_whole_digits": "That amount is too large.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", CENT)
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": str(CENT), "inputmode": "decimal"})


def offered_methods():
    """The payment methods the shop takes, as (code, label) choices."""
    labels = dict(PaymentMethod.choices)
    return [(m, labels[m]) for m in ShopSettings.load().payment_methods if m in labels]


class IdempotencyKeyField(forms.CharField):
    widget = forms.HiddenInput
    default_error_messages = {
        "required": "This form has expired: reload the page and enter it again.",
        "invalid": "This form has expired: reload the page and enter it again.",
    }
    default_validators = [RegexValidator(r"^[A-Za-z0-9_-]{16,64}$")]

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)


class MoneyMovementForm(forms.Form):
    """What every payment and refund form shares: amount, method, reference."""

    amount = MoneyField()
    method = forms.ChoiceField(
        choices=[],
        error_messages={
            "invalid_choice": "The shop does not take payments by %(value)s."
        },
    )
    reference = forms.CharField(max_length=40, required=False, help_text=REFERENCE_HELP)
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = offered_methods()
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_reference(self):
        # The service refuses it too; here the reason shows on the field itself.
        return check_reference(self.cleaned_data["reference"])

    def clean(self):
        cleaned = super().clean()
        # A hidden field's error would be invisible beside it: show it on top.
        errors = self.errors.pop("idempotency_key", None)
        if errors:
            self.add_error(None, ValidationError(errors.as_data()))
        return cleaned


class PaymentForm(MoneyMovementForm):
    note = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )

    field_order = ["amount", "method", "reference", "note"]


class InvoiceRadioSelect(forms.RadioSelect):
    """Radios that carry each invoice's balance, to fill in the amount."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-balance"] = f"{instance.balance:.2f}"
        return option


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, invoice):
        due = date_format(invoice.due_date, "j M Y") if invoice.due_date else "—"
        return f"{invoice.number} · due {due} · {format_money(invoice.balance)} to pay"


class CustomerPaymentForm(PaymentForm):
    """A payment from a customer's page: first which of their open invoices."""

    invoice = InvoiceChoiceField(
        queryset=Invoice.objects.none(),
        widget=InvoiceRadioSelect,
        empty_label=None,
        label="Invoice",
        error_messages={
            "invalid_choice": "Choose one of the customer's open invoices."
        },
    )

    field_order = ["invoice", "amount", "method", "reference", "note"]

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices


class RefundForm(MoneyMovementForm):
    reason = forms.CharField(
        validators=[refuse_card_number],
        max_length=255,
        error_messages={"required": "Say why the money is refunded."},
    )

    field_order = ["amount", "method", "reference", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = "Amount to refund"
        self.fields["method"].label = "Refund by"


class VoidForm(forms.Form):
    reason = forms.CharField(
        validators=[refuse_card_number],
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown on the invoice, e.g. 'Billed to the wrong customer'.",
        error_messages={"required": "Say why the invoice is void."},
    )


class IssueForm(forms.Form):
    due_days = forms.IntegerField(
        label="Due in (days)", min_value=0, max_value=365, required=False
    )


class CreditForm(forms.Form):
    """How much of each line to credit, and an optional amount on top."""

    amount = MoneyField(required=False, label="Amount")
    amount_description = forms.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        label="Description",
        initial="Goodwill credit",
    )
    amount_tax_rate = forms.TypedChoiceField(
        choices=[], required=False, label="Tax rate"
    )
    reason = forms.CharField(
        validators=[refuse_card_number],
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the invoice is credited."},
    )

    def __init__(self, *args, invoice, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.lines = list(lines)
        self.tax_rates = {
            str(rate.pk): rate for rate in TaxRate.objects.filter(active=True)
        }
        rate_field = self.fields["amount_tax_rate"]
        rate_field.choices = [(pk, str(rate)) for pk, rate in self.tax_rates.items()]
        # The invoice's own rate when it has one; else the shop's default.
        billed = {line.tax_rate for line in self.lines}
        rate_field.initial = next(
            (pk for pk, r in self.tax_rates.items() if {r.rate} == billed),
            next((pk for pk, r in self.tax_rates.items() if r.is_default), None),
        )
        for line in self.lines:
            self.fields[self.line_field(line)] = forms.DecimalField(
                label=f"Credit quantity for {line.description}",
                min_value=0,
                max_value=line.quantity,
                max_digits=10,
                decimal_places=2,
                required=False,
                initial=0,
                error_messages={
                    "max_value": "At most %(limit_value)s were billed.",
                    "min_value": "Enter zero or more.",
                    "invalid": "Enter a quantity, like 1 or 0.5.",
                    "max_decimal_places": "Use at most 2 decimals.",
                },
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            )
        self.order_fields([self.line_field(line) for line in self.lines])

    @staticmethod
    def line_field(line):
        return f"line_{line.pk}"

    def rows(self):
        """(invoice line, its credit quantity field) for the template."""
        return [(line, self[self.line_field(line)]) for line in self.lines]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        amount = cleaned.get("amount")
        if amount and not cleaned.get("amount_tax_rate"):
            self.add_error("amount_tax_rate", "Choose the tax rate of the amount.")
        quantities = [cleaned.get(self.line_field(line)) or 0 for line in self.lines]
        if not amount and not any(quantities):
            raise ValidationError(
                "Choose what to credit: a quantity on at least one line, or an amount."
            )
        return cleaned

    def line_inputs(self):
        """The credit note's lines, priced from the invoice, never from the form."""
        credited = []
        for line in self.lines:
            quantity = self.cleaned_data.get(self.line_field(line)) or 0
            if not quantity:
                continue
            # The line's discount is credited in proportion to the quantity.
            discount = to_money(line.discount * quantity / line.quantity)
            credited.append(
                LineInput(
                    description=line.description,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    tax_rate=line.tax_rate,
                    discount=discount,
                    sku=line.sku,
                )
            )
        amount = self.cleaned_data.get("amount")
        if amount:
            rate = self.tax_rates[self.cleaned_data["amount_tax_rate"]]
            credited.append(
                LineInput(
                    description=self.cleaned_data["amount_description"].strip()
                    or "Credit",
                    quantity=1,
                    unit_price=amount,
                    tax_rate=rate.rate,
                )
            )
        return credited


class InvoiceForm(forms.Form):
    """The head of a manual invoice: who, when it is due, notes."""

    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(),
        empty_label="Choose a customer",
        error_messages={
            "required": "Choose the customer to bill.",
            "invalid_choice": "Choose an active customer.",
        },
    )
    due_days = forms.IntegerField(
        label="Due in (days)",
        min_value=0,
        max_value=365,
        help_text="Days after it is issued.",
    )
    notes = forms.CharField(
        validators=[refuse_card_number],
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Printed on the invoice.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.active()
        self.fields["due_days"].initial = ShopSettings.load().payment_terms_days


class InvoiceLineForm(forms.Form):
    """One line of a manual invoice, priced by the Admin who writes it."""

    description = forms.CharField(validators=[refuse_card_number], max_length=255)
    quantity = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=CENT,
        initial=1,
        error_messages={
            "min_value": "The quantity must be above zero.",
            "invalid": "Enter a quantity, like 1 or 2.5.",
            "max_decimal_places": "Use at most 2 decimals.",
        },
    )
    unit_price = MoneyField(
        min_value=0,
        label="Unit price",
        error_messages={"min_value": "The price cannot be negative."},
    )
    discount = MoneyField(
        min_value=0,
        required=False,
        label="Discount",
        error_messages={"min_value": "The discount cannot be negative."},
    )
    tax_rate = forms.ChoiceField(choices=[], label="Tax rate")

    def __init__(self, *args, tax_rates, **kwargs):
        super().__init__(*args, **kwargs)
        self.tax_rates = tax_rates
        field = self.fields["tax_rate"]
        field.choices = [(pk, str(rate)) for pk, rate in tax_rates.items()]
        field.initial = next(
            (pk for pk, rate in tax_rates.items() if rate.is_default), None
        )

    def clean_tax_rate(self):
        return self.tax_rates[self.cleaned_data["tax_rate"]]

    def clean(self):
        cleaned = super().clean()
        quantity, price = cleaned.get("quantity"), cleaned.get("unit_price")
        discount = cleaned.get("discount") or ZERO
        cleaned["discount"] = discount
        if quantity and price is not None and discount > to_money(quantity * price):
            self.add_error("discount", "The discount cannot exceed the line.")
        return cleaned

    def line_input(self):
        data = self.cleaned_data
        return LineInput(
            description=data["description"].strip(),
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            tax_rate=data["tax_rate"].rate,
            discount=data["discount"],
        )


class BaseInvoiceLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        # Read once for every row instead of once per row.
        rates = {str(rate.pk): rate for rate in TaxRate.objects.filter(active=True)}
        kwargs.setdefault("form_kwargs", {})["tax_rates"] = rates
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("Add at least one line to bill.")

    def lines(self):
        return [
            form.line_input()
            for form in self.forms
            if form.has_changed() and form.cleaned_data.get("description")
        ]


InvoiceLineFormSet = forms.formset_factory(
    InvoiceLineForm,
    formset=BaseInvoiceLineFormSet,
    extra=3,
    max_num=100,
    validate_max=True,
)
