"""The home page, the reports and their exports.

Every report page is the same view: the report's filters from the URL, its
rows (paginated), its totals and its chart; `?export=xlsx` or `?export=pdf`
downloads it, at once when small, as a background job with progress when large.
"""

from datetime import date, datetime
from itertools import groupby

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify

from accounts.access import (
    CHANGE_SHOP_SETTINGS,
    MANAGE_STAFF,
    MANAGE_STOCK,
    VIEW_REPORTS,
    perm_required,
    staff_required,
)
from accounts.models import ShopSettings
from pos_project.pdf import pdf_response
from sales import totals as kept_totals

from . import exports, queries
from .base import DATE, REPORTS
from .filters import filterset_for
from .models import ExportJob
from .tasks import start_export

PAGE_SIZE = 50
# A page reads a report's grouped rows (a row per day, product, method, ...)
# once: the first rows and their number in one query, from which the page,
# the paginator's count and the chart are taken. Grouping is the expensive part
# of such a query, so counting them apart cost as much again.
READ_AT_ONCE = 1000
# Above these, an export is made in the background with its progress shown.
EXCEL_ROWS_AT_ONCE = 10_000
PDF_ROWS_AT_ONCE = 800  # about 20 pages
PDF_MAX_ROWS = 5_000  # a longer table goes to Excel
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@staff_required
def home(request):
    """The landing page: each role sees the panels it may act on."""
    context = {}
    if request.user.has_perm(VIEW_REPORTS):
        context["dashboard"] = queries.dashboard()
    if request.user.has_perm(MANAGE_STAFF):
        sign_ins = queries.sign_ins_by_day()
        context.update(
            staff_by_role=queries.active_staff_by_role(),
            locked=list(queries.locked_sign_ins()[:10]),
            sign_in_chart={
                "labels": [day.strftime("%a %d") for day, _ in sign_ins],
                "values": [count for _, count in sign_ins],
            },
        )
    if request.user.has_perm(MANAGE_STOCK):
        context["low_stock_count"], context["low_stock"] = queries.low_stock()
    if request.user.has_perm(CHANGE_SHOP_SETTINGS):
        context["setup_gaps"] = queries.shop_setup_gaps(ShopSettings.load())
    return render(request, "reports/home.html", context)


# The reports.


def report_and_filters(slug, data):
    report = REPORTS.get(slug)
    if report is None:
        raise Http404("No such report.")
    return report, filterset_for(report, data)


def count_rows(rows):
    return rows.count() if isinstance(rows, QuerySet) else len(rows)


def iterate(rows):
    return rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows


NUMBER_OF_ROWS = "rows_in_all"


class GroupedRows:
    """A report's grouped rows, read once for its page: the first `head` rows
    (all without a `head`) with the number of rows in the same query (a
    window count over the groups), the others only if a page or the chart
    asks for them. A sequence for Django's Paginator."""

    def __init__(self, queryset, head=None):
        self.queryset = queryset
        counted = queryset.annotate(**{NUMBER_OF_ROWS: Window(Count("*"))})
        self.head = list(counted if head is None else counted[:head])
        self.total = self.head[0][NUMBER_OF_ROWS] if self.head else 0
        for row in self.head:
            del row[NUMBER_OF_ROWS]

    @property
    def complete(self):
        """Every row was read with the first ones."""
        return len(self.head) == self.total

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        stop = index.indices(self.total)[1]
        if stop <= len(self.head) or self.complete:
            return self.head[index]
        return list(self.queryset[index])

    def __iter__(self):
        yield from self.head
        if self.total > len(self.head):
            yield from self.queryset[len(self.head) :]


def read_rows(report, rows):
    """`rows` as the page and the chart read them: a list or a sliced QuerySet
    read at once; grouped rows read once with their number (`GroupedRows`); a
    row per record (a payment, a product) left to the paginator, which counts
    them (a cheap count) and reads one page."""
    if isinstance(rows, QuerySet) and rows.query.is_sliced:
        return list(rows)
    if isinstance(rows, QuerySet) and rows.query.group_by is not None:
        if report.read_whole:
            return GroupedRows(rows)
        plotted = report.chart.limit if report.chart else 0
        return GroupedRows(rows, max(READ_AT_ONCE, plotted))
    return rows


def page_totals(report, filterset, params, rows):
    """The totals row: added up from the rows when they are all read and add
    up to it (`Report.totals_add_up`), else from the records."""
    complete = isinstance(rows, list) or getattr(rows, "complete", False)
    if report.totals_add_up and complete:
        return report.totals_of(rows.head if isinstance(rows, GroupedRows) else rows)
    return report.totals(filterset.qs, params)


def chart_label(value, group_by):
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value
    if isinstance(value, date):
        if group_by == "month":
            return value.strftime("%b %Y")
        if group_by == "week":
            return "Week of " + value.strftime("%d %b")
        return value.strftime("%d %b")
    return str(value) if value is not None else "—"


def chart_data(report, rows, params):
    """{labels, datasets: [{label, values, money}], kind, stacked} for Chart.js."""
    if report.chart is None:
        return None
    plotted = report.chart_rows(rows)
    columns = {column.key: column for column in report.columns}
    return {
        "kind": report.chart.kind,
        "stacked": report.chart.stacked,
        "labels": [
            chart_label(row.get(report.chart.label), params.group_by) for row in plotted
        ],  # fmt: skip
        "datasets": [
            {
                "label": columns[key].label,
                "values": [float(row.get(key) or 0) for row in plotted],
                "money": columns[key].kind == "money",
            }
            for key in report.chart.values
        ],
    }


def pdf_chart(report, rows, params):
    data = chart_data(report, rows, params)
    if not data or not data["labels"]:
        return ""
    return exports.chart_svg(
        data["labels"], [(d["label"], d["values"]) for d in data["datasets"]]
    )


def export_filename(report, params, extension):
    when = f"{params.start:%Y-%m-%d}-to-{params.end:%Y-%m-%d}" if params.start else ""
    return f"{slugify(report.title)}{'-' + when if when else ''}.{extension}"


@perm_required(VIEW_REPORTS)
def report_list(request):
    reports = sorted(
        REPORTS.values(), key=lambda r: (GROUP_ORDER.get(r.group, 99), r.title)
    )
    groups = [
        (group, list(items)) for group, items in groupby(reports, key=lambda r: r.group)
    ]
    return render(
        request,
        "reports/report_list.html",
        {"groups": groups, "totals_kept": kept_totals.kept()},
    )


GROUP_ORDER = {
    "Sales": 1,
    "Payments and balances": 2,
    "Repairs": 3,
    "Inventory": 4,
    "Cash": 5,
    "Tax": 6,
}


@perm_required(VIEW_REPORTS)
def report_detail(request, slug):
    report, filterset = report_and_filters(slug, request.GET)
    valid = filterset.is_valid()
    params = filterset.params()
    export = request.GET.get("export")
    if export in ("xlsx", "pdf") and valid:
        return export_report(request, report, filterset, params, export)
    rows = read_rows(report, report.rows(filterset.qs, params)) if valid else []
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "report": report,
        "filter": filterset,
        "params": params,
        "page": page,
        "totals": page_totals(report, filterset, params, rows) if valid else {},
        "chart": chart_data(report, rows, params) if valid else None,
        "date_columns": [c.key for c in report.columns if c.kind == DATE],
    }
    template = "reports/report_detail.html"
    if request.htmx and request.htmx.target == "report-body":
        template = "reports/includes/report_body.html"
    return render(request, template, context)


def export_report(request, report, filterset, params, export):
    rows = report.rows(filterset.qs, params)
    count = count_rows(rows)
    if export == "pdf" and count > PDF_MAX_ROWS:
        messages.error(
            request,
            f"{count:,} rows are too many for a PDF (at most {PDF_MAX_ROWS:,}): "
            "narrow the filters, or download Excel.",
        )
        return redirect(_without_export(request))
    limit = EXCEL_ROWS_AT_ONCE if export == "xlsx" else PDF_ROWS_AT_ONCE
    if count > limit:
        query = request.GET.copy()
        query.pop("export", None)
        query.pop("page", None)
        job = ExportJob.objects.create(
            user=request.user,
            report=report.slug,
            query=query.urlencode(),
            format=export,
            rows_total=count,
            filename=export_filename(report, params, export),
        )
        start_export(job)
        return redirect(job)
    shop = ShopSettings.load()
    totals = report.totals(filterset.qs, params)
    filename = export_filename(report, params, export)
    if export == "xlsx":
        output = exports.write_excel(report, iterate(rows), totals, params, shop=shop)
        response = FileResponse(
            output, as_attachment=True, filename=filename, content_type=XLSX
        )
        response["Cache-Control"] = "private, no-store"
        return response
    pdf = exports.write_pdf(
        report, iterate(rows), totals, params, shop=shop,
        chart_svg=pdf_chart(report, rows, params),
    )  # fmt: skip
    return pdf_response(pdf, filename, inline=False)


def _without_export(request):
    query = request.GET.copy()
    query.pop("export", None)
    return f"{request.path}?{query.urlencode()}"


# Background exports: only the member of staff who asked sees the job.


def get_job(request, pk):
    job = get_object_or_404(ExportJob.objects.defer("content"), pk=pk)
    if job.user_id != request.user.pk:
        raise Http404
    return job


@perm_required(VIEW_REPORTS)
def export_job(request, pk):
    job = get_job(request, pk)
    report = REPORTS.get(job.report)
    template = "reports/export_job.html"
    if request.htmx:
        template = "reports/includes/export_progress.html"
    return render(
        request,
        template,
        {"job": job, "report": report, "back": f"/reports/{job.report}/?{job.query}"},
    )


@perm_required(VIEW_REPORTS)
def export_download(request, pk):
    job = get_job(request, pk)
    if not job.finished or job.error:
        raise Http404
    content = ExportJob.objects.values_list("content", flat=True).get(pk=job.pk)
    content_type = XLSX if job.format == "xlsx" else "application/pdf"
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
