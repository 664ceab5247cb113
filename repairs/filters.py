import django_filters
from django.utils import timezone

from pos_project.filters import checkbox, select, text_input

from .forms import technicians
from .models import OPEN_STATUSES, WORKING_STATUSES, Priority, Status, Ticket

OPEN = "open"


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=text_input("Ticket, customer, phone, IMEI or serial", autofocus=True),
    )
    status = django_filters.ChoiceFilter(
        method="with_status",
        label="Status",
        empty_label="All statuses",
        choices=[(OPEN, "Open (not collected)"), *Status.choices],
        widget=select(),
    )
    technician = django_filters.ModelChoiceFilter(
        queryset=technicians(), empty_label="Any technician", widget=select()
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, empty_label="Any priority", widget=select()
    )
    overdue = django_filters.BooleanFilter(
        method="only_overdue", label="Overdue only", widget=checkbox()
    )

    class Meta:
        model = Ticket
        fields = ["q", "status", "technician", "priority", "overdue"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def with_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def only_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            status__in=WORKING_STATUSES, promised_date__lt=timezone.localdate()
        )
