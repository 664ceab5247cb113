import django_filters
from django import forms

from pos_project.filters import select

from .models import Category, Product, StockState, Supplier


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "placeholder": "Name, SKU or barcode",
                "autofocus": True,
            }
        ),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), empty_label="All categories", widget=select()
    )
    supplier = django_filters.ModelChoiceFilter(
        queryset=Supplier.objects.all(), empty_label="All suppliers", widget=select()
    )
    stock = django_filters.ChoiceFilter(
        label="Stock",
        choices=StockState.choices,
        empty_label="Any stock",
        method="filter_stock",
        widget=select(),
    )
    active = django_filters.BooleanFilter(
        label="Status",
        widget=forms.Select(
            attrs={"class": "form-select"},
            choices=[
                ("", "Active and inactive"),
                ("true", "Active"),
                ("false", "Inactive"),
            ],
        ),
    )

    class Meta:
        model = Product
        fields = ["q", "category", "supplier", "stock", "active"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def filter_stock(self, queryset, name, value):
        return queryset.in_state(value)
