"""The filters of the ticket list over the REST API."""

import django_filters.rest_framework as filters

from customers.models import Customer
from pos_project.api import MomentFilter

from ..filters import OPEN, TicketFilter
from ..models import OPEN_STATUSES, Status


class TicketApiFilter(TicketFilter):
    """The board's filters; the status may repeat, and "open" means not closed."""

    status = filters.MultipleChoiceFilter(
        method="with_statuses",
        choices=[(OPEN, "Open (not collected)"), *Status.choices],
        label="Status (repeatable); open: every status before collection",
    )
    customer = filters.ModelChoiceFilter(queryset=Customer.objects.all())
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta(TicketFilter.Meta):
        fields = [
            "q",
            "status",
            "technician",
            "customer",
            "priority",
            "overdue",
            "created_after",
            "created_before",
        ]

    def with_statuses(self, queryset, name, value):
        statuses = set(value) - {OPEN}
        if OPEN in value:
            statuses |= set(OPEN_STATUSES)
        return queryset.filter(status__in=statuses)
