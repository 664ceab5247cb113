import django_filters

from accounts.models import User
from customers.models import Customer
from pos_project.filters import date_range, select, text_input

from .models import Sale, SaleStatus, Shift, ShiftStatus


def staff_choices():
    return User.objects.order_by("first_name", "last_name", "username")


class SaleFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        method="filter_number",
        label="Receipt number",
        widget=text_input("R-000123 or scan", autofocus=True),
    )
    date_from, date_to = date_range("created_at")
    cashier = django_filters.ModelChoiceFilter(
        queryset=staff_choices(), empty_label="Any cashier", widget=select()
    )
    customer = django_filters.CharFilter(
        method="filter_customer",
        label="Customer",
        widget=text_input("Name, phone or email"),
    )
    status = django_filters.ChoiceFilter(
        choices=SaleStatus.choices, empty_label="Any status", widget=select()
    )

    class Meta:
        model = Sale
        fields = ["number", "date_from", "date_to", "cashier", "customer", "status"]

    def filter_number(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(number__icontains=value) if value else queryset

    def filter_customer(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(customer__in=Customer.objects.search(value))


class ShiftFilter(django_filters.FilterSet):
    cashier = django_filters.ModelChoiceFilter(
        queryset=staff_choices(), empty_label="Any cashier", widget=select()
    )
    status = django_filters.ChoiceFilter(
        choices=ShiftStatus.choices, empty_label="Open and closed", widget=select()
    )
    opened_from, opened_to = date_range("opened_at")

    class Meta:
        model = Shift
        fields = ["cashier", "status", "opened_from", "opened_to"]

    def __init__(self, *args, with_cashier=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_cashier:
            # A cashier sees only their own shifts: choosing someone else's
            # would only ever show an empty list.
            del self.filters["cashier"]
