"""Local days in SQL: the shop's clock on both sides of a daylight saving change.

The reports group and show dates and times by the shop's local clock. On
SQLite they are computed with SQLite's own date functions and the UTC offset of
each part of the period (reports.expressions.LocalDate), on PostgreSQL with AT
TIME ZONE; both must agree with Python's zoneinfo to the second.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from inventory import services as stock
from inventory.tests.factories import ProductFactory
from invoices.models import Payment
from reports import operations, sales  # noqa: F401 (registers the reports)
from reports.base import REPORTS
from reports.expressions import (
    local_day,
    local_minute,
    local_time,
    offset_intervals,
    period_of,
)
from reports.filters import filterset_for, start_of
from sales.models import Sale
from sales.tests.factories import make_sale

pytestmark = pytest.mark.django_db


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Around the changes of 2026: London (29 March and 25 October, 01:00 UTC),
# New York (8 March 07:00 and 1 November 06:00 UTC), Auckland (5 April 14:00
# and 27 September 14:00 UTC), and local midnights on either side of them.
MOMENTS = [
    utc("2026-03-08 06:59:59"),
    utc("2026-03-08 07:00:00"),
    utc("2026-03-28 23:30:00"),
    utc("2026-03-29 00:59:59.999999"),
    utc("2026-03-29 01:00:00"),
    utc("2026-03-29 23:30:00"),
    utc("2026-03-31 23:30:00"),
    utc("2026-04-04 13:59:59"),
    utc("2026-04-04 14:00:00"),
    utc("2026-04-05 11:30:00"),
    utc("2026-09-26 13:59:59"),
    utc("2026-09-26 14:00:00"),
    utc("2026-10-24 23:30:00"),
    utc("2026-10-25 00:59:59"),
    utc("2026-10-25 01:00:00.5"),
    utc("2026-10-25 23:30:00"),
    utc("2026-10-31 23:30:00"),
    utc("2026-11-01 05:59:59"),
    utc("2026-11-01 06:00:00"),
]
ZONES = ["Europe/London", "America/New_York", "Pacific/Auckland", "UTC"]


@pytest.fixture
def sales_at_moments(cashier, manager):
    """A sale (and its payment) made at each of MOMENTS."""
    product = ProductFactory(sale_price=Decimal("10.00"))
    stock.record_opening_stock([stock.StockLine(product, 100)], by=manager)
    made = []
    for moment in MOMENTS:
        sale = make_sale(cashier, [(product, 1)])
        Sale.objects.filter(pk=sale.pk).update(created_at=moment)
        Payment.objects.filter(invoice=sale.invoice).update(received_at=moment)
        made.append((sale.pk, moment))
    return made


def expected(moment, zone):
    local = moment.astimezone(ZoneInfo(zone))
    day = local.date()
    return {
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": day.replace(day=1),
        "minute": local.strftime("%Y-%m-%d %H:%M"),
        "time": local.strftime("%H:%M"),
    }


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("within", ["year", "default"])
def test_local_dates_in_sql_are_the_shops_clock(
    settings, sales_at_moments, zone, within
):
    settings.TIME_ZONE = zone
    period = None
    if within == "year":
        period = (start_of(date(2026, 1, 1)), start_of(date(2027, 1, 1)))

    found = {
        row.pop("pk"): row
        for row in Sale.objects.values(
            "pk",
            day=period_of("created_at", "day", within=period),
            week=period_of("created_at", "week", within=period),
            month=period_of("created_at", "month", within=period),
            minute=local_minute("created_at", within=period),
            time=local_time("created_at", within=period),
        )
    }

    for pk, moment in sales_at_moments:
        assert found[pk] == expected(moment, zone), (zone, moment)


def test_a_period_that_starts_in_summer_time_still_finds_winter_days(
    settings, sales_at_moments
):
    settings.TIME_ZONE = "Europe/London"
    # Only the summer months: the October change is the period's only one.
    summer = (start_of(date(2026, 6, 1)), start_of(date(2026, 11, 1)))
    days = dict(
        Sale.objects.values_list("created_at", local_day("created_at", within=summer))
    )

    assert days[utc("2026-10-24 23:30:00")] == date(2026, 10, 25)  # 00:30 BST
    assert days[utc("2026-10-25 23:30:00")] == date(2026, 10, 25)  # 23:30 GMT
    assert days[utc("2026-10-31 23:30:00")] == date(2026, 10, 31)


def test_the_offsets_of_a_zone_change_at_its_daylight_saving_changes():
    london = offset_intervals(
        ZoneInfo("Europe/London"), utc("2026-01-01 00:00"), utc("2027-01-01 00:00")
    )
    assert london == [
        (utc("2026-01-01 00:00"), 0),
        (utc("2026-03-29 01:00"), 3600),
        (utc("2026-10-25 01:00"), 0),
    ]
    assert offset_intervals(
        ZoneInfo("Asia/Tokyo"), utc("2026-01-01 00:00"), utc("2027-01-01 00:00")
    ) == [(utc("2026-01-01 00:00"), 9 * 3600)]


def test_payments_received_counts_each_day_of_a_dst_change_by_the_local_clock(
    settings, sales_at_moments
):
    settings.TIME_ZONE = "Europe/London"
    report = REPORTS["payments-received"]
    filterset = filterset_for(
        report, QueryDict("period=custom&start=2026-03-28&end=2026-03-31")
    )
    rows = list(report.rows(filterset.qs, filterset.params()))

    # 28 Mar 23:30 GMT; 29 Mar 00:59:59 GMT and 02:00 BST; 30 Mar 00:30 BST
    # (23:30 UTC the 29th); 31 Mar 00:00 BST is not reached, 1 Apr is outside.
    assert [(row["period"], row["payments"]) for row in rows] == [
        (date(2026, 3, 28), 1),
        (date(2026, 3, 29), 2),
        (date(2026, 3, 30), 1),
    ]
    assert {row["received"] for row in rows} <= {Decimal("10.00"), Decimal("20.00")}


def test_sales_by_month_puts_the_last_evening_of_march_in_april_in_summer(
    settings, sales_at_moments
):
    settings.TIME_ZONE = "Europe/London"
    report = REPORTS["sales-by-period"]
    filterset = filterset_for(
        report,
        QueryDict("period=custom&start=2026-03-01&end=2026-04-30&group_by=month"),
    )
    rows = report.rows(filterset.qs, filterset.params())

    # March: 8 (twice), 28, 29 (00:59 GMT, 02:00 BST), 30 (00:30 BST); 31 March
    # 23:30 UTC is 1 April 00:30 BST, with 4 (twice) and 5 April.
    assert [(row["period"], row["sales"]) for row in rows] == [
        (date(2026, 3, 1), 6),
        (date(2026, 4, 1), 4),
    ]
