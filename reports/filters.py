"""The reports' filters (django-filter), shared by every report and kept in the URL.

Each report says which of FILTERS it offers and on which field of its base
queryset (`Report.filter_paths`); `filterset_for` builds the FilterSet. The
period is a preset (today, this week, this month, last month, this year) or a
custom range, applied as a half-open range on the date or datetime field so
the field's index is used.
"""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import DateTimeField, Q
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone

from accounts.models import PaymentMethod, User
from customers.models import Customer
from inventory.models import Category, StockReason
from pos_project.filters import select

from .base import Params

PRESETS = [
    ("today", "Today"),
    ("this_week", "This week"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_year", "This year"),
    ("custom", "Custom dates"),
]
GROUPS = [("day", "By day"), ("week", "By week"), ("month", "By month")]
MAX_DAYS = 3660  # ten years: a longer custom range is refused


def preset_range(preset, today=None):
    """(first day, last day) of a preset period, both included."""
    today = today or timezone.localdate()
    if preset == "today":
        return today, today
    if preset == "this_week":
        return today - timedelta(days=today.weekday()), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    return None, None


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def window(params):
    """The period as aware datetimes, half-open: [first day 00:00, day after);
    None for a report as of now."""
    if not (params.show_period and params.start and params.end):
        return None
    return start_of(params.start), start_of(params.end + timedelta(days=1))


def _staff():
    return User.objects.order_by("first_name", "username")


def _noop(queryset, name, value):
    return queryset  # applied by ReportFilterSet.filter_queryset, or a parameter


def _product(path):
    def match(queryset, name, value):
        value = value.strip()
        prefix = f"{path}__" if path else ""  # "" when the report counts products
        return queryset.filter(
            Q(**{f"{prefix}sku__iexact": value})
            | Q(**{f"{prefix}name__icontains": value})
        )

    return django_filters.CharFilter(
        label="Product",
        method=match,
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "SKU or name"}
        ),
    )


# name -> (label, a function of the field path giving the filter)
FILTERS = {
    "cashier": lambda path: django_filters.ModelChoiceFilter(
        label="Cashier",
        field_name=path,
        queryset=_staff(),
        empty_label="Everyone",
        widget=select(),
    ),  # fmt: skip
    "technician": lambda path: django_filters.ModelChoiceFilter(
        label="Technician",
        field_name=path,
        queryset=_staff(),
        empty_label="Every technician",
        widget=select(),
    ),  # fmt: skip
    "category": lambda path: django_filters.ModelChoiceFilter(
        label="Category",
        field_name=path,
        queryset=Category.objects.order_by("name"),
        empty_label="Every category",
        widget=select(),
    ),  # fmt: skip
    "product": _product,
    "customer": lambda path: django_filters.ModelChoiceFilter(
        label="Customer",
        field_name=path,
        queryset=Customer.objects.all(),
        widget=forms.HiddenInput,
    ),  # fmt: skip
    "method": lambda path: django_filters.ChoiceFilter(
        label="Payment method",
        field_name=path,
        choices=PaymentMethod.choices,
        empty_label="Every method",
        widget=select(),
    ),  # fmt: skip
    "reason": lambda path: django_filters.ChoiceFilter(
        label="Reason",
        field_name=path,
        choices=StockReason.choices,
        empty_label="Every reason",
        widget=select(),
    ),  # fmt: skip
}


class ReportFilterSet(django_filters.FilterSet):
    """Adds the period to the filters a report offers."""

    period = django_filters.ChoiceFilter(
        label="Period", choices=PRESETS, method=_noop, empty_label=None, widget=select()
    )
    start = django_filters.DateFilter(
        label="From", method=_noop,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )  # fmt: skip
    end = django_filters.DateFilter(
        label="To", method=_noop,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )  # fmt: skip

    report = None  # set on each report's subclass

    def filter_queryset(self, queryset):
        start, end = self.period_range()
        path = self.report.filter_paths.get("period")
        if path and start:
            if _is_datetime(queryset.model, path):
                queryset = queryset.filter(
                    **{
                        f"{path}__gte": start_of(start),
                        f"{path}__lt": start_of(end + timedelta(days=1)),
                    }
                )
            else:
                queryset = queryset.filter(
                    **{f"{path}__gte": start, f"{path}__lte": end}
                )
        return super().filter_queryset(queryset)

    def period_range(self):
        data = self.form.cleaned_data if self.is_valid() else {}
        preset = data.get("period") or self.report.default_preset
        if preset == "custom":
            today = timezone.localdate()
            start = data.get("start") or today.replace(day=1)
            end = data.get("end") or today
            return min(start, end), max(start, end)
        return preset_range(preset)

    def params(self) -> Params:
        start, end = self.period_range()
        data = self.form.cleaned_data if self.is_valid() else {}
        chosen, values = {}, {}
        for name in self.report.filter_paths:
            if name == "period":
                continue
            value = data.get(name)
            if value not in (None, ""):
                values[name] = value
                chosen[self.filters[name].label] = (
                    value.get_full_name() or value.username
                    if isinstance(value, User)
                    else dict(self.filters[name].extra.get("choices", [])).get(
                        value, value
                    )
                )
        return Params(
            show_period=self.report.period,
            start=start,
            end=end,
            preset=data.get("period") or self.report.default_preset,
            group_by=data.get("group_by") or "day",
            chosen=chosen,
            values=values,
        )


def _is_datetime(model, path):
    *relations, name = path.split(LOOKUP_SEP)
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return isinstance(model._meta.get_field(name), DateTimeField)


# The dates a period may take: the day after the last must still be a date,
# and the first in any time zone still a date-time.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def _validate_range(form):
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    for name, day in (("start", start), ("end", end)):
        if day and not FIRST_DAY <= day <= LAST_DAY:
            form.add_error(name, f"Choose a date from {FIRST_DAY:%Y} to {LAST_DAY:%Y}.")
            return
    if start and end and abs((end - start).days) > MAX_DAYS:
        form.add_error("end", "Choose a period of at most ten years.")


def filterset_for(report, data):
    """A bound FilterSet for `report` over its base queryset, from the URL's `data`."""
    attrs = {
        name: FILTERS[name](path)
        for name, path in report.filter_paths.items()
        if name != "period"
    }
    if report.group_by:
        attrs["group_by"] = django_filters.ChoiceFilter(
            label="Group", choices=GROUPS, method=_noop, empty_label=None,
            widget=select(),
        )  # fmt: skip
    attrs["report"] = report
    attrs["Meta"] = type("Meta", (), {"model": report.base().model, "fields": []})
    filterset_class = type(f"{type(report).__name__}Filter", (ReportFilterSet,), attrs)
    data = data.copy()
    data.setdefault("period", report.default_preset)
    filterset = filterset_class(data, queryset=report.base())
    if filterset.is_valid():
        _validate_range(filterset.form)
    return filterset
