"""Report summaries and the dashboard over the REST API: Admins only, and the
same figures as the pages, on a small workshop booked in today:

    T1  labour 50.00 (no tax), ready: billed 50.00, nothing paid
    T2  labour 30.00 and a screen 89.00 at 20% (cost 40.00), fitted, ready:
        billed 119.00 = 104.17 net + 14.83 tax, nothing paid
    T3  received, Bob's, promised yesterday: overdue
    A sale today of 2 cases at 19.99, paid cash.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.tests.factories import ProductFactory
from repairs import services
from repairs.tests.factories import make_ticket, ready_ticket, stocked_part
from reports import queries
from reports.base import REPORTS
from reports.filters import filterset_for
from sales.tests.factories import make_sale

REPORTS_URL = "/api/v1/reports/"
DASHBOARD = f"{REPORTS_URL}dashboard/"
D = Decimal


def report_url(slug):
    return f"{REPORTS_URL}{slug}/"


@pytest.fixture
def workshop(cashier):
    bob = UserFactory(username="bob", first_name="Bob", role=Role.USER)
    ready_ticket(by=cashier)
    screen = stocked_part(by=cashier)
    t2 = make_ticket(by=cashier, technician=bob)
    services.add_labour(t2, by=cashier, description="Fitting", unit_price="30.00")
    services.add_part(t2, by=cashier, product=screen, fit=True)
    services.change_status(t2, "in_repair", by=cashier)
    services.change_status(t2, "ready", by=cashier)
    t3 = make_ticket(by=cashier, technician=bob)
    t3.__class__.objects.filter(pk=t3.pk).update(
        promised_date=timezone.localdate() - timedelta(days=1)
    )
    case = ProductFactory(name="Case", sale_price=D("19.99"))
    stock.record_opening_stock([stock.StockLine(case, 10)], by=cashier)
    make_sale(cashier, [(case, 2)])
    return {"bob": bob, "t3": t3}


def on_the_page(slug, query):
    """(rows, totals) of a report as its page computes them."""
    report = REPORTS[slug]
    filterset = filterset_for(report, QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    params = filterset.params()
    return list(report.rows(filterset.qs, params)), report.totals(filterset.qs, params)


# Who may read them.


@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 401), (Role.USER, 403), (Role.ADMIN, 200), (Role.SUPER_ADMIN, 200)],
)
def test_reports_are_for_admins(api_client, role, expected):
    client = api_client(UserFactory(role=role) if role else None)
    for url in (REPORTS_URL, report_url("repairs-by-status"), DASHBOARD):
        response = client.get(url)
        assert response.status_code == expected, url
        if expected != 200:
            assert response.json()["error"]["status"] == expected


# The list.


def test_the_list_names_every_report_and_the_filters_it_takes(api_client, manager):
    response = api_client(manager).get(REPORTS_URL, {"page_size": 200})
    assert response.status_code == 200
    body = response.json()
    listed = {report["slug"]: report for report in body["results"]}
    assert set(listed) == set(REPORTS)
    assert body["count"] == len(REPORTS)

    by_status = listed["repairs-by-status"]
    assert by_status["title"] == "Repairs by status"
    assert by_status["url"] == "http://testserver/api/v1/reports/repairs-by-status/"
    filters = {f["name"]: f for f in by_status["filters"]}
    assert list(filters) == ["period", "start", "end", "technician"]
    assert filters["technician"]["type"] == "id"
    assert filters["start"]["type"] == "date"
    assert [c["value"] for c in filters["period"]["choices"]] == [
        "today",
        "this_week",
        "this_month",
        "last_month",
        "this_year",
        "custom",
    ]
    assert [(c["key"], c["kind"], c["total"]) for c in by_status["columns"]] == [
        ("status_name", "text", False),
        ("tickets", "int", True),
        ("overdue", "int", True),
        ("oldest_open", "date", False),
    ]
    # A report of the state now takes no period.
    overdue = listed["repairs-overdue"]
    assert overdue["period"] is False
    assert [f["name"] for f in overdue["filters"]] == ["technician"]


def test_the_list_costs_no_query_per_report(
    api_client, manager, django_assert_max_num_queries
):
    client = api_client(manager)
    # The token and its last use.
    with django_assert_max_num_queries(2):
        response = client.get(REPORTS_URL, {"page_size": 200})
    assert response.status_code == 200


# One report.


def test_a_report_gives_the_figures_of_its_page(api_client, manager, workshop):
    query = "period=today"
    rows, totals = on_the_page("repair-revenue", query)
    response = api_client(manager).get(f"{report_url('repair-revenue')}?{query}")
    assert response.status_code == 200, response.json()
    body = response.json()

    today = timezone.localdate()
    assert body["period"] == {
        "preset": "today",
        "start": today.isoformat(),
        "end": today.isoformat(),
        "group_by": "day",
    }
    # The page's figures, as Decimals from the report class ...
    assert (totals["repairs"], totals["labour"], totals["parts"]) == (
        2,
        D("80.00"),
        D("74.17"),
    )
    assert (totals["tax"], totals["gross"]) == (D("14.83"), D("169.00"))
    assert (totals["parts_cost"], totals["parts_margin"]) == (D("40.00"), D("34.17"))
    assert totals["margin"] == D("0.4607")
    # ... are the API's, money as strings.
    assert body["totals"] == {
        "repairs": 2,
        "labour": "80.00",
        "parts": "74.17",
        "credited": "0.00",
        "tax": "14.83",
        "gross": "169.00",
        "parts_cost": "40.00",
        "parts_margin": "34.17",
        "margin": "0.4607",
    }
    assert body["count"] == len(rows) == 1
    row = body["results"][0]
    assert row["period"] == today.isoformat()
    assert (row["labour"], row["parts"], row["gross"]) == ("80.00", "74.17", "169.00")
    assert rows[0]["gross"] == D("169.00")


def test_a_reports_filters_work_as_on_its_page(api_client, manager, workshop):
    bob = workshop["bob"]
    query = f"period=this_year&technician={bob.pk}"
    rows, totals = on_the_page("repairs-by-status", query)
    body = api_client(manager).get(f"{report_url('repairs-by-status')}?{query}").json()

    assert totals == {"tickets": 2, "overdue": 1}
    assert body["totals"] == {"tickets": 2, "overdue": 1}
    assert [
        (r["status_name"], r["tickets"], r["overdue"]) for r in body["results"]
    ] == [(r["status_name"], r["tickets"], r["overdue"]) for r in rows]
    assert [(r["status_name"], r["tickets"]) for r in body["results"]] == [
        ("Received", 1),
        ("Ready for collection", 1),
    ]
    assert body["filters"] == [{"label": "Technician", "value": str(bob)}]


def test_report_rows_come_in_pages(api_client, manager, workshop):
    client = api_client(manager)
    first = client.get(report_url("repairs-by-status"), {"page_size": 1}).json()
    assert (first["count"], len(first["results"])) == (2, 1)
    assert first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert second["results"][0]["status_name"] == "Ready for collection"
    assert second["totals"] == first["totals"] == {"tickets": 3, "overdue": 1}


def test_a_report_of_now_has_no_period(api_client, manager, workshop):
    body = api_client(manager).get(report_url("repairs-overdue")).json()
    assert body["period"] is None
    assert [row["number"] for row in body["results"]] == [workshop["t3"].number]
    assert body["results"][0]["days_overdue"] == 1


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("period=someday", {"period"}),
        ("period=custom&start=2026-02-31", {"start"}),
        ("technician=999999", {"technician"}),
        ("technician=me&period=x", {"technician", "period"}),
        ("period=custom&start=2000-01-01&end=2026-01-01", {"end"}),
        ("period=custom&start=0001-01-01&end=0001-01-02", {"start"}),
        ("period=custom&start=9999-12-30&end=9999-12-31", {"start"}),
    ],
)
def test_a_bad_filter_is_400_with_the_fields(api_client, manager, query, fields):
    response = api_client(manager).get(f"{report_url('repairs-by-status')}?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], set(error["fields"])) == ("invalid", fields)


def test_an_unknown_report_is_404(api_client, manager):
    response = api_client(manager).get(report_url("no-such-report"))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such report."


def test_reports_are_read_only(api_client, manager):
    response = api_client(manager).post(report_url("repairs-by-status"), {})
    assert response.status_code == 405


# The dashboard.


def test_the_dashboard_gives_the_home_pages_figures(api_client, manager, workshop):
    figures = queries.dashboard()
    response = api_client(manager).get(DASHBOARD)
    assert response.status_code == 200
    body = response.json()

    assert (figures["today_total"], figures["today_count"]) == (D("39.98"), 1)
    assert body["today"] == {
        "date": timezone.localdate().isoformat(),
        "total": "39.98",
        "count": 1,
    }
    assert body["same_day_last_week"] == {
        "date": (timezone.localdate() - timedelta(days=7)).isoformat(),
        "total": "0.00",
        "count": 0,
    }
    assert figures["outstanding"] == D("169.00")
    assert body["outstanding"] == "169.00"
    assert body["open_repairs"]["total"] == figures["repairs_open"] == 3
    assert body["open_repairs"]["overdue"] == 1
    by_status = {
        row["status"]: row["count"] for row in body["open_repairs"]["by_status"]
    }
    assert (by_status["received"], by_status["ready"], by_status["in_repair"]) == (
        1,
        2,
        0,
    )
    assert body["low_stock"] == figures["low_stock"]
