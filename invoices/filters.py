import django_filters
from django import forms
from django.db.models import Q

from accounts.models import PaymentMethod, User
from customers.models import Customer
from pos_project.filters import checkbox, date_range, select

from .models import Invoice, InvoiceSource, InvoiceStatus, Payment


class CustomerFilter(django_filters.ModelChoiceFilter):
    """A customer by id, as the customer picker and a customer's page send it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Customer.objects.all())
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "placeholder": "Number or customer",
                "type": "search",
            }
        ),
    )
    status = django_filters.ChoiceFilter(
        choices=InvoiceStatus.choices, empty_label="Any status", widget=select()
    )
    source = django_filters.ChoiceFilter(
        choices=InvoiceSource.choices, empty_label="Any source", widget=select()
    )
    overdue = django_filters.BooleanFilter(
        label="Overdue only", method="filter_overdue", widget=checkbox()
    )
    issued_from, issued_to = date_range(
        "issue_date", labels=("Issued from", "Issued to")
    )
    customer = CustomerFilter()

    class Meta:
        model = Invoice
        fields = [
            "q",
            "status",
            "source",
            "overdue",
            "issued_from",
            "issued_to",
            "customer",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(customer__name__icontains=value)
            | Q(bill_to_name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset


class PaymentFilter(django_filters.FilterSet):
    received_from, received_to = date_range("received_at")
    method = django_filters.ChoiceFilter(
        choices=PaymentMethod.choices, empty_label="Any method", widget=select()
    )
    received_by = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(),
        label="Staff member",
        empty_label="Anyone",
        widget=select(),
    )
    customer = CustomerFilter(field_name="invoice__customer")
    refunds = django_filters.BooleanFilter(
        label="Refunds only", method="filter_refunds", widget=checkbox()
    )

    class Meta:
        model = Payment
        fields = [
            "received_from",
            "received_to",
            "method",
            "received_by",
            "customer",
            "refunds",
        ]

    def filter_refunds(self, queryset, name, value):
        return queryset.refunds() if value else queryset
