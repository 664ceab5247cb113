"""Filter helpers shared by the list pages: Bootstrap widgets and date ranges."""

import django_filters
from django import forms


def select(**attrs):
    return forms.Select(attrs={"class": "form-select", **attrs})


def date_input():
    return forms.DateInput(attrs={"type": "date", "class": "form-control"})


def text_input(placeholder, **attrs):
    return forms.TextInput(
        attrs={
            "class": "form-control",
            "placeholder": placeholder,
            "type": "search",
            **attrs,
        }
    )


def checkbox():
    return forms.CheckboxInput(attrs={"class": "form-check-input"})


def date_range(field_name, *, labels=("From", "To")):
    """A (from, to) pair of filters on a date or datetime field, both inclusive.

    `date_from, date_to = date_range("created_at")` in a FilterSet.
    """
    lookup = "" if field_name.endswith("_date") else "date__"
    return tuple(
        django_filters.DateFilter(
            field_name=field_name,
            lookup_expr=f"{lookup}{bound}",
            label=label,
            widget=date_input(),
        )
        for bound, label in zip(("gte", "lte"), labels, strict=True)
    )
