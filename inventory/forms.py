from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import TaxRate
from pos_project.validators import refuse_card_number

from .labels import LABEL_FORMATS
from .models import (
    MAX_REORDER_LEVEL,
    MAX_STOCK_QUANTITY,
    Category,
    Product,
    Supplier,
)

PRODUCT_CODE_HELP = "SKU or barcode: type it, pick a suggestion or scan it."


class ProductForm(forms.ModelForm):
    opening_stock = forms.IntegerField(
        min_value=0,
        max_value=MAX_STOCK_QUANTITY,
        required=False,
        help_text="Units on the shelf now (new products only).",
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "sku",
            "barcode",
            "category",
            "supplier",
            "sale_price",
            "cost_price",
            "tax_rate",
            "tracks_stock",
            "reorder_level",
            "active",
            "description",
            "image",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer what is in use, plus what this product already has.
        self.fields["tax_rate"].queryset = TaxRate.objects.filter(
            Q(active=True) | Q(pk=self.instance.tax_rate_id)
        )
        self.fields["supplier"].queryset = Supplier.objects.filter(
            Q(active=True) | Q(pk=self.instance.supplier_id)
        )
        if self.instance.pk:
            del self.fields["opening_stock"]
        else:
            self.fields["tax_rate"].initial = TaxRate.default()
            del self.fields["active"]
        self.fields["reorder_level"].widget.attrs["max"] = MAX_REORDER_LEVEL

    def clean_sku(self):
        return self.cleaned_data["sku"].strip()

    def clean_barcode(self):
        return self.cleaned_data["barcode"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("opening_stock") and not cleaned.get("tracks_stock"):
            self.add_error("opening_stock", "A service holds no stock.")
        return cleaned


class ProductCodeField(forms.CharField):
    """A product typed by SKU or barcode (as a scanner types it)."""

    default_error_messages = {"unknown": "No product has the SKU or barcode %(code)s."}

    def __init__(self, *args, queryset=None, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", PRODUCT_CODE_HELP)
        super().__init__(*args, **kwargs)
        self.queryset = queryset if queryset is not None else Product.objects.all()
        self.widget.attrs.update(
            {"list": "product-options", "autocomplete": "off", "class": "product-code"}
        )

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        product = (
            self.queryset.filter(sku__iexact=code).first()
            or self.queryset.filter(barcode=code).first()
        )
        if product is None:
            raise ValidationError(
                self.error_messages["unknown"], code="unknown", params={"code": code}
            )
        return product


class ReceiveForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.filter(active=True))
    supplier_reference = forms.CharField(
        validators=[refuse_card_number],
        max_length=100,
        required=False,
        label="Supplier's invoice or delivery note",
    )
    note = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )


class ReceiveLineForm(forms.Form):
    product = ProductCodeField(required=False, label="Product")
    quantity = forms.IntegerField(
        min_value=1, max_value=MAX_STOCK_QUANTITY, required=False
    )
    unit_cost = forms.DecimalField(
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
        label="Unit cost",
    )

    def clean(self):
        cleaned = super().clean()
        product, quantity = cleaned.get("product"), cleaned.get("quantity")
        if product and not product.tracks_stock:
            self.add_error(
                "product", f"{product.name} is a service and holds no stock."
            )
        if product and not quantity and "quantity" not in self.errors:
            self.add_error("quantity", "How many arrived?")
        if quantity and not product and "product" not in self.errors:
            self.add_error("product", "Which product?")
        if (
            product
            and cleaned.get("unit_cost") is None
            and "unit_cost" not in self.errors
        ):
            cleaned["unit_cost"] = product.cost_price
        return cleaned


class BaseReceiveLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("Add at least one product to receive.")

    def lines(self):
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data.get("product") and form.cleaned_data.get("quantity")
        ]


ReceiveLineFormSet = forms.formset_factory(
    ReceiveLineForm, formset=BaseReceiveLineFormSet, extra=5, max_num=200
)


class AdjustForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=-MAX_STOCK_QUANTITY,
        max_value=MAX_STOCK_QUANTITY,
        help_text="Positive adds stock, negative removes it "
        "(e.g. -1 for a damaged unit).",
    )
    note = forms.CharField(
        validators=[refuse_card_number], max_length=255, label="Reason"
    )

    def clean_quantity(self):
        if self.cleaned_data["quantity"] == 0:
            raise ValidationError("Enter a change other than zero.")
        return self.cleaned_data["quantity"]


class CountSheetForm(forms.Form):
    """Counted quantities for a list of products; a blank means not counted."""

    note = forms.CharField(
        validators=[refuse_card_number], max_length=255, required=False
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = products
        for product in products:
            self.fields[f"count_{product.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=MAX_STOCK_QUANTITY,
                required=False,
                label=product.name,
            )

    def rows(self):
        return [(product, self[f"count_{product.pk}"]) for product in self.products]

    def counts(self):
        return {
            product: self.cleaned_data[f"count_{product.pk}"]
            for product in self.products
            if self.cleaned_data.get(f"count_{product.pk}") is not None
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.counts():
            raise ValidationError("Enter at least one counted quantity.")
        return cleaned


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = [
            "name",
            "contact_name",
            "phone",
            "email",
            "address",
            "notes",
            "active",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class ProductImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8) or Excel .xlsx with a header row, at most 5 MB. "
        "Export the product list to get a file with the right columns."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The file is larger than 5 MB; split it.")
        return upload


class LabelForm(forms.Form):
    selection = forms.ModelMultipleChoiceField(
        queryset=Product.objects.all(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": "Tick at least one product on the product list."},
    )
    label_format = forms.ChoiceField(choices=LABEL_FORMATS, label="Labels")
    copies = forms.ChoiceField(
        choices=[("1", "One label per product"), ("stock", "One per unit in stock")],
        initial="1",
    )
    show_price = forms.BooleanField(
        required=False, initial=True, label="Print the price"
    )
    print = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def items(self):
        """[(product, number of labels)] in the order of the product list."""
        per_unit = self.cleaned_data["copies"] == "stock"
        return [
            (product, max(product.on_hand, 1) if per_unit else 1)
            for product in self.cleaned_data["selection"].order_by("name")
        ]
