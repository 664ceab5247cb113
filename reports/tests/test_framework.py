"""The report pages, filters and exports, on a small report made for the tests."""

import io
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDay
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

import reports.sales
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.tests.factories import CategoryFactory, ProductFactory
from reports import base, views
from reports.base import INT, MONEY, TEXT, Chart, Column, Report
from reports.filters import filterset_for, preset_range
from reports.models import ExportJob, ExportStatus
from sales.tests.factories import make_sale

pytestmark = pytest.mark.django_db


class SalesLinesByDay(Report):
    """Test report: sale lines per day (gross), filtered by category."""

    slug = "test-lines-by-day"
    title = "Lines by day"
    description = "For the tests."
    group = "Sales"
    columns = (
        Column("day", "Day", "date"),
        Column("lines", "Lines", INT, total=True),
        Column("gross", "Gross", MONEY, total=True),
        Column("note", "Note", TEXT),
    )
    filter_paths = {"period": "sale__created_at", "category": "product__category"}
    chart = Chart("bar", "day", ("gross",))

    def base(self):
        from sales.models import SaleLine

        return SaleLine.objects.filter(sale__status="completed")

    def rows(self, queryset, params):
        return (
            queryset.annotate(day=TruncDay("sale__created_at"))
            .values("day")
            .annotate(lines=Count("pk"), gross=Sum("gross"))
            .order_by("day")
        )

    def totals(self, queryset, params):
        return queryset.aggregate(lines=Count("pk"), gross=Sum("gross"))


@pytest.fixture
def report():
    instance = SalesLinesByDay()
    base.REPORTS[instance.slug] = instance
    yield instance
    del base.REPORTS[instance.slug]


@pytest.fixture
def sold(cashier, manager):
    phones, cases = CategoryFactory(name="Phones"), CategoryFactory(name="Cases")
    phone = ProductFactory(category=phones, sale_price=Decimal("300.00"))
    case = ProductFactory(category=cases, sale_price=Decimal("10.00"))
    stock.record_opening_stock(
        [stock.StockLine(phone, 10), stock.StockLine(case, 50)], by=manager
    )
    make_sale(cashier, [(phone, 1), (case, 2)])
    old = make_sale(cashier, [(case, 1)])
    old.__class__.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    return {"phone": phone, "case": case, "phones": phones}


def url(report, **query):
    return reverse("reports:report_detail", args=[report.slug]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


# Filters.


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("today", (date(2026, 11, 18), date(2026, 11, 18))),
        ("this_week", (date(2026, 11, 16), date(2026, 11, 18))),
        ("this_month", (date(2026, 11, 1), date(2026, 11, 18))),
        ("last_month", (date(2026, 10, 1), date(2026, 10, 31))),
        ("this_year", (date(2026, 1, 1), date(2026, 11, 18))),
    ],
)
def test_period_presets(preset, expected):
    assert preset_range(preset, today=date(2026, 11, 18)) == expected


def test_last_month_in_january_is_december():
    assert preset_range("last_month", today=date(2027, 1, 5)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )


def test_filters_apply_to_the_rows_and_the_totals(report, sold):
    filterset = filterset_for(
        report, QueryDict(f"period=this_month&category={sold['phones'].pk}")
    )
    params = filterset.params()
    totals = report.totals(filterset.qs, params)

    assert totals == {"lines": 1, "gross": Decimal("300.00")}
    assert params.describe()[1] == ("Category", "Phones")
    everything = filterset_for(report, QueryDict("period=this_year"))
    assert report.totals(everything.qs, everything.params())["lines"] == 2


def test_a_custom_period_includes_both_days(report, sold):
    long_ago = timezone.localdate() - timedelta(days=400)
    filterset = filterset_for(
        report, QueryDict(f"period=custom&start={long_ago}&end={long_ago}")
    )
    assert report.totals(filterset.qs, filterset.params())["lines"] == 1


def test_bad_filters_show_a_message_not_an_error(manager_client, report, sold):
    response = manager_client.get(
        url(report, period="custom", start="2026-02-31", end="1990-01-01")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in html and "Enter a valid date" in html

    ten_years = manager_client.get(
        url(report, period="custom", start="2000-01-01", end="2026-01-01")
    ).content.decode()
    assert "at most ten years" in ten_years

    # The day after 9999-12-31 is no date: refused, not a server error.
    last_days = manager_client.get(
        url(report, period="custom", start="9999-12-30", end="9999-12-31")
    )
    assert last_days.status_code == 200
    assert "Choose a date from 1900 to 9998." in last_days.content.decode()


# The page.


def test_the_page_shows_rows_totals_and_chart(manager_client, report, sold):
    html = manager_client.get(url(report, period="this_year")).content.decode()
    assert "Lines by day" in html
    assert "$320.00" in html  # today's gross: a phone and two cases
    totals = html.split('data-testid="totals"')[1].split("</tfoot>")[0]
    assert "$320.00" in totals and ">2<" in totals
    assert 'id="report-chart-data"' in html


def test_an_htmx_filter_change_answers_the_body_only(manager_client, report, sold):
    response = manager_client.get(
        url(report, period="last_month"),
        headers={"HX-Request": "true", "HX-Target": "report-body"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report-body"')
    assert "Nothing in this period" in html


def test_only_admins_see_reports(cashier_client, manager_client, report):
    assert cashier_client.get(url(report)).status_code == 403
    assert cashier_client.get(reverse("reports:report_list")).status_code == 403
    assert manager_client.get(reverse("reports:report_list")).status_code == 200


def test_the_report_list_says_when_the_sales_totals_are_not_kept(
    manager_client, sold, settings
):
    page = reverse("reports:report_list")
    assert 'data-testid="totals-not-kept"' not in manager_client.get(page).text

    settings.TIME_ZONE = "Pacific/Auckland"  # the totals were kept in UTC

    html = manager_client.get(page).text
    assert 'data-testid="totals-not-kept"' in html
    assert "rebuild_sales_totals" in html


def test_an_unknown_report_is_not_found(manager_client):
    path = reverse("reports:report_detail", args=["no-such-report"])
    assert manager_client.get(path).status_code == 404


@pytest.mark.parametrize("slug", sorted(base.REPORTS))
def test_every_report_opens_and_exports_with_a_fixed_number_of_queries(
    manager_client, sold, slug, django_assert_max_num_queries
):
    path = reverse("reports:report_detail", args=[slug])
    with django_assert_max_num_queries(11):
        page = manager_client.get(path, {"period": "this_year"})
    assert page.status_code == 200
    excel = manager_client.get(path, {"period": "this_year", "export": "xlsx"})
    assert excel.status_code == 200
    load_workbook(io.BytesIO(b"".join(excel.streaming_content)), read_only=True)
    pdf = manager_client.get(path, {"period": "this_year", "export": "pdf"})
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "slug", ["sales-by-product", "sales-by-category", "top-products"]
)
def test_a_product_report_over_months_and_the_days_around_them_has_a_budget(
    manager_client, sold, slug, django_assert_max_num_queries
):
    """Kept totals of the whole months, the sale lines of the days before and
    after them: a few queries more, still fixed."""
    path = reverse("reports:report_detail", args=[slug])
    month = timezone.localdate().replace(day=1)
    start = (month - timedelta(days=70)).replace(day=3)  # two or three months back
    end = (month - timedelta(days=1)).replace(day=10)  # last month
    with django_assert_max_num_queries(14):
        page = manager_client.get(
            path, {"period": "custom", "start": start, "end": end}
        )
    assert page.status_code == 200
    assert reports.sales.split_period(start, end, timezone.localdate())[1]


def test_a_page_reads_its_grouped_rows_once_with_their_number(
    manager_client, report, sold
):
    with CaptureQueriesContext(connection) as queries:
        html = manager_client.get(url(report, period="this_year")).content.decode()

    lines = [q["sql"] for q in queries.captured_queries if "saleline" in q["sql"]]
    # The page, the paginator's count and the chart from one read (the
    # totals are the records' here: the test report's do not add up).
    grouped = [sql for sql in lines if "GROUP BY" in sql]
    assert len(grouped) == 1 and "COUNT(*) OVER ()" in grouped[0]
    assert len(lines) == 2
    assert "1 row" in html and 'id="report-chart-data"' in html


def test_totals_that_add_up_come_from_the_rows_read(
    manager_client, report, sold, monkeypatch
):
    monkeypatch.setattr(report, "totals_add_up", True)
    with CaptureQueriesContext(connection) as queries:
        html = manager_client.get(url(report, period="this_year")).content.decode()

    totals = html.split('data-testid="totals"')[1].split("</tfoot>")[0]
    assert "$320.00" in totals and ">2<" in totals
    # The rows' query only: no aggregate over the sale lines for the totals.
    lines = [q for q in queries.captured_queries if "sales_saleline" in q["sql"]]
    assert len(lines) == 1
    assert report.totals_of([]) == {"lines": 0, "gross": Decimal("0.00")}


def test_pages_past_the_rows_read_at_once_are_read_apart(
    manager_client, report, sold, monkeypatch
):
    monkeypatch.setattr(views, "READ_AT_ONCE", 1)
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    monkeypatch.setattr(report, "chart", Chart("bar", "day", ("gross",), limit=1))
    monkeypatch.setattr(report, "totals_add_up", True)
    long_ago = timezone.localdate() - timedelta(days=400)
    query = {"period": "custom", "start": str(long_ago)}

    first = manager_client.get(url(report, **query)).content.decode()
    second = manager_client.get(url(report, **query, page=2)).content.decode()

    # Oldest first: the case sold 400 days ago, then today's phone and cases.
    assert "2 rows" in first and "Page 1 of 2" in first
    assert "$10.00" in first.split("<tbody>")[1].split("</tbody>")[0]
    assert "$320.00" in second.split("<tbody>")[1].split("</tbody>")[0]
    # Not every row was read with the first: the totals are the records'.
    totals = second.split('data-testid="totals"')[1].split("</tfoot>")[0]
    assert "$330.00" in totals and ">3<" in totals


# Exports.


def test_the_excel_export(manager_client, report, sold):
    response = manager_client.get(url(report, period="this_year", export="xlsx"))

    assert response["Content-Disposition"].startswith(
        'attachment; filename="lines-by-day-'
    )
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Day", "Lines", "Gross", "Note"]
    assert sheet.freeze_panes == "A2"
    assert sheet["C2"].value == Decimal("320.00") or sheet["C2"].value == 320
    assert sheet["C2"].number_format.startswith('"$"#,##0.00')
    assert sheet["A2"].is_date
    assert [c.value for c in sheet[3]][:3] == ["Total", 2, 320]
    assert sheet.column_dimensions["D"].width == 28
    about = dict(workbook["Filters"].iter_rows(values_only=True))
    assert about["Report"] == "Lines by day" and about["Rows"] == 1
    assert about["Period"].startswith("01 Jan")


def test_the_pdf_export(manager_client, report, sold):
    response = manager_client.get(url(report, period="this_year", export="pdf"))
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=response.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Lines by day" in text and "$320.00" in text
    assert "Page 1 of 1" in text and "Period:" in text


def test_a_large_export_is_made_in_the_background(
    manager_client, manager, report, sold, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    monkeypatch.setattr(views, "EXCEL_ROWS_AT_ONCE", 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.get(url(report, period="this_year", export="xlsx"))

    job = ExportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.status, job.user, job.rows_total) == (ExportStatus.DONE, manager, 1)
    page = manager_client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="export-download"' in page
    download = manager_client.get(reverse("reports:export_download", args=[job.pk]))
    load_workbook(io.BytesIO(download.content))

    other = manager_client.__class__()
    other.force_login(UserFactory(username="other-admin", role="admin"))
    assert other.get(job.get_absolute_url()).status_code == 404


def test_a_running_export_shows_its_progress(manager_client, manager, report):
    job = ExportJob.objects.create(
        user=manager, report=report.slug, format="xlsx", rows_total=40000,
        rows_done=10000, status=ExportStatus.RUNNING, filename="big.xlsx",
    )  # fmt: skip
    html = manager_client.get(
        job.get_absolute_url(), headers={"HX-Request": "true"}
    ).content.decode()
    assert "25%" in html and 'hx-trigger="load delay:1s"' in html
    assert (
        manager_client.get(
            reverse("reports:export_download", args=[job.pk])
        ).status_code
        == 404
    )


def test_a_pdf_too_long_is_refused_with_a_message(
    manager_client, report, sold, monkeypatch
):
    monkeypatch.setattr(views, "PDF_MAX_ROWS", 0)
    response = manager_client.get(
        url(report, period="this_year", export="pdf"), follow=True
    )
    assert "too many for a PDF" in response.content.decode()


# The dashboard.


def test_the_admin_dashboard(manager_client, cashier_client, sold):
    html = manager_client.get(reverse("reports:home")).content.decode()
    assert 'data-testid="dashboard"' in html
    assert "$320.00" in html  # today's sales
    assert (
        'data-testid="dashboard"'
        not in cashier_client.get(reverse("reports:home")).content.decode()
    )
