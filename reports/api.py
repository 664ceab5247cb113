"""Report summaries over the REST API, for Admins (docs/api.md).

The same reports as the pages (reports.base.REPORTS): the same filters from the
query string, the same rows and totals, so a figure read here is the figure on
the page. Nothing here writes.

    /reports/              GET the reports and the filters each accepts
    /reports/dashboard/    GET the home page's figures
    /reports/{slug}/       GET a report: its period, totals and rows (paged)
"""

from datetime import date, datetime, time
from decimal import Decimal

import django_filters
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.access import VIEW_REPORTS
from accounts.api_access import ApiAccessMixin
from pos_project.money import to_money
from repairs.models import Status

from . import queries
from .base import DATE, DECIMAL, INT, MONEY, PERCENT, REPORTS
from .filters import FILTERS, FIRST_DAY, GROUPS, LAST_DAY, PRESETS, filterset_for
from .views import GROUP_ORDER, read_rows

FRACTION = Decimal("0.0001")


# Values as the API writes them: money and other decimals as strings.


def as_date(value):
    """A date; a datetime at local midnight as its date, as the page shows it."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().isoformat() if value.time() == time.min else value
    return value.isoformat() if isinstance(value, date) else value


def cell(value, kind):
    """One figure of a report as JSON: money "12.50", fractions "0.2500"."""
    if value is None:
        return None
    if kind == MONEY:
        return str(to_money(value))
    if kind == INT:
        return int(value)
    if kind == PERCENT:
        return str(Decimal(str(value)).quantize(FRACTION))
    if kind == DECIMAL:
        return str(Decimal(str(value)))
    if kind == DATE:
        return as_date(value)
    return str(value)


def row_data(row, columns):
    return {column.key: cell(row.get(column.key), column.kind) for column in columns}


# What a report is and which filters it takes.


def filter_kind(item):
    if isinstance(item, django_filters.ModelChoiceFilter):
        return "id"
    if isinstance(item, django_filters.ChoiceFilter):
        return "choice"
    if isinstance(item, django_filters.DateFilter):
        return "date"
    return "text"


def filters_of(report):
    """[{name, label, type, choices}] of the query parameters the report takes."""
    filterset = filterset_for(report, QueryDict())
    described = []
    for name, item in filterset.filters.items():
        if name in ("period", "start", "end") and not report.period:
            continue  # an "as of now" report ignores them
        choices = item.extra.get("choices") if filter_kind(item) == "choice" else None
        described.append(
            {
                "name": name,
                "label": str(item.label),
                "type": filter_kind(item),
                "choices": [
                    {"value": value, "label": str(label)} for value, label in choices
                ]
                if choices
                else None,
            }
        )
    return described


class ReportFilterChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class ReportFilterSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The query parameter.")
    label = serializers.CharField()
    type = serializers.CharField(
        help_text="choice: one of `choices`; id: a record's id (staff, category, "
        "customer); date: YYYY-MM-DD; text.",
    )
    choices = ReportFilterChoiceSerializer(many=True, allow_null=True)


class ReportColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(
        help_text="text; int: a number; money: a string with the currency's "
        'decimals; percent: a fraction as a string ("0.2500" is 25%); decimal: '
        "a string; date: YYYY-MM-DD (or a date-time).",
    )
    total = serializers.BooleanField(help_text="Given in `totals`.")


class ReportSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField()
    group = serializers.CharField()
    period = serializers.BooleanField(
        help_text="Counts a period (false: as of now, e.g. stock on hand)."
    )
    url = serializers.URLField()
    filters = ReportFilterSerializer(many=True)
    columns = ReportColumnSerializer(many=True)


def columns_of(report):
    return [
        {"key": c.key, "label": c.label, "kind": c.kind, "total": c.total}
        for c in report.columns
    ]


def report_data(report, request):
    return {
        "slug": report.slug,
        "title": report.title,
        "description": report.description,
        "group": report.group,
        "period": report.period,
        "url": request.build_absolute_uri(
            reverse("api:report-detail", kwargs={"slug": report.slug})
        ),
        "filters": filters_of(report),
        "columns": columns_of(report),
    }


class ReportPeriodSerializer(serializers.Serializer):
    preset = serializers.ChoiceField(choices=PRESETS)
    start = serializers.DateField()
    end = serializers.DateField(help_text="Included.")
    group_by = serializers.ChoiceField(
        choices=GROUPS,
        allow_null=True,
        help_text="Null where the report does not group by time.",
    )


class ReportChosenFilterSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class ReportSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    period = ReportPeriodSerializer(
        allow_null=True, help_text="Null for reports as of now (no period)."
    )
    filters = ReportChosenFilterSerializer(
        many=True, help_text="The other filters in use, as the export heads them."
    )
    columns = ReportColumnSerializer(many=True)
    totals = serializers.DictField(
        help_text="The totals row: {column key: value} for the columns with total."
    )
    count = serializers.IntegerField(help_text="Rows in all pages.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = serializers.ListField(
        child=serializers.DictField(),
        help_text="The rows of this page: {column key: value}.",
    )


# The dashboard.


class DashboardSalesSerializer(serializers.Serializer):
    date = serializers.DateField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    count = serializers.IntegerField(help_text="Completed sales.")


class DashboardRepairStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class DashboardRepairsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    overdue = serializers.IntegerField()
    by_status = DashboardRepairStatusSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    today = DashboardSalesSerializer(help_text="Completed sales today, until now.")
    same_day_last_week = DashboardSalesSerializer(
        help_text="The same weekday a week ago, until the same time of day."
    )
    open_repairs = DashboardRepairsSerializer()
    low_stock = serializers.IntegerField(
        help_text="Active products at or below their reorder level."
    )
    outstanding = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What customers owe on open invoices.",
    )


def dashboard_data(figures):
    statuses = {label: value for value, label in Status.choices}
    today = timezone.localdate()
    return {
        "today": {
            "date": today,
            "total": figures["today_total"],
            "count": figures["today_count"],
        },
        "same_day_last_week": {
            "date": figures["last_week_day"],
            "total": figures["last_week_total"],
            "count": figures["last_week_count"],
        },
        "open_repairs": {
            "total": figures["repairs_open"],
            "overdue": figures["repairs_overdue"],
            "by_status": [
                {"status": statuses[label], "label": label, "count": count}
                for label, count in figures["repairs"]
            ],
        },
        "low_stock": figures["low_stock"],
        "outstanding": figures["outstanding"],
    }


# The report's filters, for the schema: each report takes the ones it lists.


def _filter_parameters():
    period = [
        OpenApiParameter(
            "period",
            OpenApiTypes.STR,
            enum=[value for value, _ in PRESETS],
            description="The period (reports that count one); custom: `start` "
            "to `end`. Default: the report's own (see its `filters`).",
        ),
        OpenApiParameter("start", OpenApiTypes.DATE, description="With period=custom."),
        OpenApiParameter(
            "end", OpenApiTypes.DATE, description="With period=custom; included."
        ),
        OpenApiParameter(
            "group_by",
            OpenApiTypes.STR,
            enum=[value for value, _ in GROUPS],
            description="Where the report groups by time.",
        ),
    ]
    ids = {"cashier", "technician", "category", "customer"}
    others = [
        OpenApiParameter(
            name,
            OpenApiTypes.INT if name in ids else OpenApiTypes.STR,
            description=("An id" if name in ids else "A value")
            + " (only the reports that list this filter take it).",
        )
        for name in FILTERS
    ]
    return [
        *period,
        *others,
        OpenApiParameter("page", OpenApiTypes.INT, description="The page of rows."),
        OpenApiParameter(
            "page_size", OpenApiTypes.INT, description="Rows a page (at most 200)."
        ),
    ]


# Every report has registered itself by now (reports.apps: the URLs import
# this module once the apps are ready), so the schema lists each slug.
SLUG = OpenApiParameter(
    "slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=sorted(REPORTS),
    description="The report's slug (GET /api/v1/reports/ lists them).",
)


class ReportViewSet(ApiAccessMixin, viewsets.GenericViewSet):
    """The reports and the dashboard: Admins, as on the pages."""

    required_perms = {"read": [VIEW_REPORTS]}
    lookup_field = "slug"
    # Any slug reaches the view, which answers a JSON 404 for an unknown one.
    lookup_value_regex = "[^/]+"
    filter_backends = []
    serializer_class = ReportSerializer

    @extend_schema(responses=ReportSerializer(many=True))
    def list(self, request):
        """Every report, with the filters it takes and its columns."""
        reports = sorted(
            REPORTS.values(), key=lambda r: (GROUP_ORDER.get(r.group, 99), r.title)
        )
        page = self.paginate_queryset(reports)
        return self.get_paginated_response(
            [report_data(report, request) for report in page]
        )

    @extend_schema(
        parameters=[SLUG, *_filter_parameters()],
        responses=ReportSummarySerializer,
    )
    def retrieve(self, request, slug=None):
        """One report for the filters in the query string, as on its page: the
        period, the totals row and a page of rows."""
        report = REPORTS.get(slug)
        if report is None:
            raise exceptions.NotFound("No such report.")
        filterset = filterset_for(report, request.query_params)
        if not filterset.is_valid():
            raise exceptions.ValidationError(
                {name: list(messages) for name, messages in filterset.errors.items()}
            )
        params = filterset.params()
        for name, day in (("start", params.start), ("end", params.end)):
            if day and not FIRST_DAY <= day <= LAST_DAY:
                raise exceptions.ValidationError(
                    {name: [f"Choose a date from {FIRST_DAY:%Y} to {LAST_DAY:%Y}."]}
                )
        # The rows read as the page reads them; the totals from the records.
        rows = read_rows(report, report.rows(filterset.qs, params))
        page = self.paginate_queryset(rows)
        totals = report.totals(filterset.qs, params)
        total_columns = [c for c in report.columns if c.total]
        return Response(
            {
                "slug": report.slug,
                "title": report.title,
                "period": {
                    "preset": params.preset,
                    "start": params.start,
                    "end": params.end,
                    "group_by": params.group_by if report.group_by else None,
                }
                if report.period
                else None,
                "filters": [
                    {"label": label, "value": str(value)}
                    for label, value in params.chosen.items()
                ],
                "columns": columns_of(report),
                "totals": row_data(totals, total_columns),
                "count": self.paginator.page.paginator.count,
                "next": self.paginator.get_next_link(),
                "previous": self.paginator.get_previous_link(),
                "results": [row_data(row, report.columns) for row in page],
            }
        )

    @extend_schema(responses=DashboardSerializer)
    @action(detail=False, methods=["get"])
    def dashboard(self, request):
        """The home page's figures: sales today against the same day last week,
        open repairs by status, low stock and what customers owe."""
        data = dashboard_data(queries.dashboard())
        return Response(DashboardSerializer(data).data)


ROUTES = [("reports", ReportViewSet, "report")]
