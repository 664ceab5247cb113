from django import forms
from django.utils.html import format_html, format_html_join

from pos_project.money import CENT

from .models import Customer

# How many possible duplicates the warning names; more only add noise.
DUPLICATES_SHOWN = 5


class CustomerForm(forms.ModelForm):
    """A customer's details, warning about a phone number or email already in use."""

    confirm_duplicate = forms.BooleanField(
        label="Save anyway: this is a different person",
        required=False,
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "phone",
            "email",
            "address",
            "tax_id",
            "credit_limit",
            "marketing_consent",
            "notes",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}
            ),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "credit_limit": forms.NumberInput(attrs={"min": "0", "step": str(CENT)}),
        }
        help_texts = {
            "tax_id": "For business customers who need it on their invoices.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Customers found with the same phone number or email (set by clean()).
        self.duplicates = []

    def clean_phone(self):
        return self.cleaned_data["phone"].strip()

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def clean(self):
        cleaned = super().clean()
        checking = not self.instance.pk or {"phone", "email"} & set(self.changed_data)
        if checking:
            self.duplicates = list(
                Customer.objects.duplicates_of(
                    phone=cleaned.get("phone", ""),
                    email=cleaned.get("email", ""),
                    exclude_pk=self.instance.pk,
                )[: DUPLICATES_SHOWN + 1]
            )
            if self.duplicates and not cleaned.get("confirm_duplicate"):
                self.add_error(None, self._duplicate_warning())
        return cleaned

    def _duplicate_warning(self):
        shown = self.duplicates[:DUPLICATES_SHOWN]
        matches = format_html_join(
            "; ",
            '<a href="{}" target="_blank" rel="noopener">{}</a> ({})',
            (
                (customer.get_absolute_url(), customer.name, _contact(customer))
                for customer in shown
            ),
        )
        more = " and others" if len(self.duplicates) > DUPLICATES_SHOWN else ""
        return format_html(
            "Another customer has this phone number or email: {}{}. Open them to "
            "check, or tick “Save anyway” if this is a different person.",
            matches,
            more,
        )

    def customer_fields(self):
        """The cleaned values the customer services take."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


def _contact(customer):
    details = [customer.phone, customer.email]
    if not customer.active:
        details.append("deactivated")
    return ", ".join(detail for detail in details if detail)
