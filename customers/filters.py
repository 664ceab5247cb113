import django_filters
from django import forms

from .models import Customer


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "type": "search",
                "placeholder": "Name, phone or email",
                "autofocus": True,
            }
        ),
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
        model = Customer
        fields = ["q", "active"]

    def search(self, queryset, name, value):
        return queryset.search(value)
