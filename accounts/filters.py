import django_filters
from django import forms
from django.db.models import Q

from .models import Role, User


class StaffFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "Name, username or email"}
        ),
    )
    role = django_filters.ChoiceFilter(
        choices=Role.choices,
        empty_label="Any role",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    is_active = django_filters.BooleanFilter(
        label="Status",
        widget=forms.Select(
            attrs={"class": "form-select"},
            choices=[("", "Any status"), ("true", "Active"), ("false", "Deactivated")],
        ),
    )

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )
