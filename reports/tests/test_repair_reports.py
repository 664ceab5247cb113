"""The repair reports, on a small workshop's year made through the services."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.http import QueryDict
from django.utils import timezone

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from inventory import services as stock
from inventory.models import Product, StockMove, StockReason
from inventory.tests.factories import ProductFactory, ServiceFactory
from invoices import services as billing
from invoices.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
)
from invoices.services import LineInput
from repairs import services
from repairs.models import LineKind, Priority, Ticket
from repairs.tests.factories import make_ticket, stocked_part
from reports import repairs  # noqa: F401  (registers the reports)
from reports.base import REPORTS
from reports.filters import filterset_for

pytestmark = pytest.mark.django_db

YEAR_2026 = "period=custom&start=2026-01-01&end=2026-12-31"
EMPTY = "period=custom&start=2024-01-01&end=2024-12-31"


def run(slug, query=YEAR_2026):
    report = REPORTS[slug]
    filterset = filterset_for(report, QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    params = filterset.params()
    return (
        list(report.rows(filterset.qs, params)),
        report.totals(filterset.qs, params),
    )


def at(year, month, day, hour=12, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def move(ticket, *, created=None, ready=None, issued=None):
    """Put a ticket (and its bill) back in time, as if it happened then."""
    if created:
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    if ready:
        Ticket.objects.filter(pk=ticket.pk).update(ready_at=ready)
        Invoice.objects.filter(pk=ticket.invoice_id).update(
            issue_date=timezone.localdate(ready)
        )
    if issued:
        Invoice.objects.filter(pk=ticket.invoice_id).update(issue_date=issued)


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


@dataclass
class Workshop:
    alice: object
    bob: object
    manager: object
    screen: object
    battery: object
    tickets: dict


_serials = iter(range(1000, 2000))


def book(by, **fields):
    return make_ticket(by=by, imei="", serial=f"SN{next(_serials)}", **fields)


@pytest.fixture
def workshop(manager):
    """Tickets of 2026 (and a few of 2025) at every stage, prices before tax:
    labour at the shop's default rate (no tax), parts at 20%."""
    shop = ShopSettings.load()
    shop.prices_include_tax = False
    shop.save()
    alice = UserFactory(
        username="alice", first_name="Alice", last_name="Bench", role=Role.USER
    )
    bob = UserFactory(username="bob", first_name="Bob", last_name="", role=Role.USER)
    screen = stocked_part(by=manager, name="Phone screen")  # cost 40.00
    battery = ProductFactory(name="Laptop battery", sale_price=Decimal("45.00"))
    stock.record_opening_stock(
        [stock.StockLine(battery, 10, Decimal("18.50"))], by=manager
    )
    tickets = {}

    # T1, Alice: a part put on before the labour; credited 5.00 + tax later.
    t1 = book(alice, technician=alice)
    services.add_part(t1, by=alice, product=screen, fit=True)
    services.add_labour(t1, by=alice, description="Screen fitting", unit_price="50.00")
    services.change_status(t1, "in_repair", by=alice)
    t1 = services.change_status(t1, "ready", by=alice, minutes_spent=90)
    move(t1, created=at(2026, 3, 2, 9), ready=at(2026, 3, 3, 13))
    note = billing.credit_invoice(
        t1.invoice,
        [LineInput("Goodwill", 1, Decimal("5.00"), Decimal("20.00"))],
        by=manager,
        reason="Scratch on the case",
    )
    Invoice.objects.filter(pk=note.pk).update(issue_date=at(2026, 3, 20).date())
    t1.invoice.refresh_from_db()
    billing.record_payment(
        t1.invoice, by=alice, amount=t1.invoice.balance, method="cash"
    )
    services.change_status(t1, "collected", by=alice)
    tickets["t1"] = t1

    # T2, Bob: a laptop, two hours of labour and two batteries.
    t2 = book(alice, technician=bob, device_type="laptop", brand="Dell", model="XPS")
    services.add_labour(
        t2, by=bob, description="Battery swap", unit_price="30.00", quantity=2
    )
    services.add_part(t2, by=bob, product=battery, quantity=2, fit=True)
    services.change_status(t2, "in_repair", by=bob)
    t2 = services.change_status(t2, "ready", by=bob, minutes_spent=120)
    move(t2, created=at(2026, 3, 10, 10), ready=at(2026, 3, 10, 16))
    Ticket.objects.filter(pk=t2.pk).update(promised_date=days_ago(20))
    tickets["t2"] = t2

    # T3, nobody assigned: labour only, two days on the shelf.
    t3 = book(alice)
    services.add_labour(t3, by=alice, description="Cleaning", unit_price="20.00")
    services.change_status(t3, "in_repair", by=alice)
    t3 = services.change_status(t3, "ready", by=alice)
    move(t3, created=at(2026, 4, 1, 8), ready=at(2026, 4, 3, 8))
    tickets["t3"] = t3

    # T4, Alice: returned unrepaired; the diagnosis is billed, not the part
    # that was never fitted.
    t4 = book(alice, technician=alice)
    services.change_status(t4, "diagnosing", by=alice)
    services.add_part(t4, by=alice, product=screen)
    services.add_labour(t4, by=alice, description="Diagnosis", unit_price="15.00")
    t4 = services.change_status(t4, "returned", by=manager, on_account=True)
    move(t4, created=at(2026, 4, 5, 10), issued=at(2026, 4, 6).date())
    tickets["t4"] = t4

    # T5, Bob: still diagnosing, promised three days ago.
    t5 = book(alice, technician=bob, device_type="tablet")
    services.change_status(t5, "diagnosing", by=bob)
    move(t5, created=at(2026, 4, 10, 10))
    Ticket.objects.filter(pk=t5.pk).update(promised_date=days_ago(3))
    tickets["t5"] = t5

    # T6: cancelled before any work; its empty bill is void.
    t6 = book(alice)
    services.change_status(t6, "cancelled", by=alice)
    move(t6, created=at(2026, 4, 12, 10))
    tickets["t6"] = t6

    # T8, Bob: ready, but its invoice was voided afterwards.
    t8 = book(alice, technician=bob)
    services.add_labour(t8, by=bob, description="Software", unit_price="25.00")
    services.change_status(t8, "in_repair", by=bob)
    t8 = services.change_status(t8, "ready", by=bob, minutes_spent=45)
    billing.void_invoice(t8.invoice, by=manager, reason="Billed by mistake")
    move(t8, created=at(2026, 3, 15, 9), ready=at(2026, 3, 15, 12, 30))
    tickets["t8"] = t8

    # T9: in repair, promised for next week.
    t9 = book(alice, technician=alice, promised_date=days_ago(-5))
    services.change_status(t9, "in_repair", by=alice)
    move(t9, created=at(2026, 5, 1, 10))
    tickets["t9"] = t9

    # T11, nobody assigned: awaiting parts, promised three days ago, high.
    t11 = book(alice, priority=Priority.HIGH, brand="Samsung", model="S21")
    services.change_status(t11, "diagnosing", by=alice)
    services.change_status(t11, "awaiting_parts", by=alice)
    move(t11, created=at(2026, 5, 2, 10))
    Ticket.objects.filter(pk=t11.pk).update(promised_date=days_ago(3))
    tickets["t11"] = t11

    # 2025: T7 repaired by Alice, T10 booked in and still waiting, urgent.
    t7 = book(alice, technician=alice)
    services.add_labour(t7, by=alice, description="Port", unit_price="70.00")
    services.change_status(t7, "in_repair", by=alice)
    t7 = services.change_status(t7, "ready", by=alice, minutes_spent=30)
    move(t7, created=at(2025, 12, 29, 10), ready=at(2025, 12, 30, 10))
    tickets["t7"] = t7
    t10 = book(alice, technician=alice, priority=Priority.URGENT, model="iPhone 8")
    move(t10, created=at(2025, 12, 1, 10))
    Ticket.objects.filter(pk=t10.pk).update(promised_date=days_ago(10))
    tickets["t10"] = t10

    return Workshop(alice, bob, manager, screen, battery, tickets)


# Repairs by status.


def test_repairs_by_status_counts_the_tickets_booked_in_by_status_now(workshop):
    rows, totals = run("repairs-by-status")

    assert [(r["status_name"], r["tickets"], r["overdue"]) for r in rows] == [
        ("Diagnosing", 1, 1),
        ("Awaiting parts", 1, 1),
        ("In repair", 1, 0),
        ("Ready for collection", 3, 0),
        ("Collected", 1, 0),
        ("Cancelled", 1, 0),
        ("Returned unrepaired", 1, 0),
    ]
    assert totals == {"tickets": 9, "overdue": 2}


def test_repairs_by_status_gives_the_oldest_open_ticket_of_each_open_status(
    workshop,
):
    rows, _ = run("repairs-by-status")
    oldest = {r["status_name"]: r["oldest_open"] for r in rows}

    assert oldest["Ready for collection"] == at(2026, 3, 10).date()
    assert oldest["Diagnosing"] == at(2026, 4, 10).date()
    assert oldest["Collected"] is None
    assert oldest["Cancelled"] is None


def test_repairs_by_status_filters_by_technician(workshop):
    rows, totals = run("repairs-by-status", f"{YEAR_2026}&technician={workshop.bob.pk}")

    assert [(r["status_name"], r["tickets"]) for r in rows] == [
        ("Diagnosing", 1),
        ("Ready for collection", 2),
    ]
    assert totals == {"tickets": 3, "overdue": 1}


def test_repairs_by_status_counts_by_the_day_booked_in(workshop):
    rows, totals = run(
        "repairs-by-status", "period=custom&start=2025-12-01&end=2025-12-31"
    )

    assert [(r["status_name"], r["tickets"], r["overdue"]) for r in rows] == [
        ("Received", 1, 1),
        ("Ready for collection", 1, 0),
    ]
    assert totals == {"tickets": 2, "overdue": 1}


def test_repairs_by_status_of_an_empty_period_is_empty(workshop):
    rows, totals = run("repairs-by-status", EMPTY)

    assert rows == []
    assert totals == {"tickets": 0, "overdue": 0}


def test_repairs_by_status_defaults_to_the_tickets_booked_in_this_year(manager):
    today = timezone.localdate()
    book(manager)
    last_year = book(manager)
    move(last_year, created=timezone.now().replace(year=today.year - 1))

    rows, totals = run("repairs-by-status", "")

    assert rows == [
        {"status_name": "Received", "tickets": 1, "overdue": 0, "oldest_open": today}
    ]


# Repair turnaround.


def test_turnaround_gives_hours_from_booking_in_to_ready_by_device(workshop):
    rows, totals = run("repair-turnaround")

    assert rows == [
        {
            "device": "Phone",
            "repairs": 3,  # T1 28 h, T3 48 h, T8 3.5 h (its invoice void)
            "avg_hours": Decimal("26.5"),
            "shortest_hours": Decimal("3.5"),
            "longest_hours": Decimal("48.0"),
            "avg_minutes": Decimal("67.5"),  # T3 has no bench time
        },
        {
            "device": "Laptop",
            "repairs": 1,
            "avg_hours": Decimal("6.0"),
            "shortest_hours": Decimal("6.0"),
            "longest_hours": Decimal("6.0"),
            "avg_minutes": Decimal("120.0"),
        },
    ]
    assert totals == {
        "repairs": 4,
        "avg_hours": Decimal("21.4"),  # 85.5 / 4 = 21.375
        "shortest_hours": Decimal("3.5"),
        "longest_hours": Decimal("48.0"),
        "avg_minutes": Decimal("85.0"),
    }


def test_turnaround_filters_by_technician(workshop):
    rows, totals = run(
        "repair-turnaround", f"{YEAR_2026}&technician={workshop.alice.pk}"
    )

    assert [(r["device"], r["repairs"], r["avg_hours"]) for r in rows] == [
        ("Phone", 1, Decimal("28.0"))
    ]
    assert totals["repairs"] == 1


def test_turnaround_counts_repairs_by_the_day_they_were_ready(workshop):
    rows, totals = run(
        "repair-turnaround", "period=custom&start=2025-12-30&end=2025-12-30"
    )

    assert [(r["device"], r["repairs"], r["avg_hours"]) for r in rows] == [
        ("Phone", 1, Decimal("24.0"))
    ]
    assert totals["avg_minutes"] == Decimal("30.0")


def test_turnaround_of_an_empty_period_is_empty(workshop):
    rows, totals = run("repair-turnaround", EMPTY)

    assert rows == []
    assert totals == {
        "repairs": 0,
        "avg_hours": None,
        "shortest_hours": None,
        "longest_hours": None,
        "avg_minutes": None,
    }


# Repairs by technician.


def test_repairs_by_technician_splits_the_billed_net_into_labour_and_parts(workshop):
    rows, totals = run("repairs-by-technician")

    assert rows == [
        {
            "technician_name": "Alice Bench",
            "repairs": 1,
            "labour": Decimal("50.00"),
            "parts": Decimal("89.00"),
            "total": Decimal("139.00"),
            "avg_minutes": Decimal("90.0"),
        },
        {
            "technician_name": "Bob",
            "repairs": 2,  # T8's invoice is void: a repair, nothing billed
            "labour": Decimal("60.00"),
            "parts": Decimal("90.00"),
            "total": Decimal("150.00"),
            "avg_minutes": Decimal("82.5"),
        },
        {
            "technician_name": "Not assigned",
            "repairs": 1,
            "labour": Decimal("20.00"),
            "parts": Decimal("0.00"),
            "total": Decimal("20.00"),
            "avg_minutes": None,
        },
    ]
    assert totals == {
        "repairs": 4,
        "labour": Decimal("130.00"),
        "parts": Decimal("179.00"),
        "total": Decimal("309.00"),
        "avg_minutes": Decimal("85.0"),
    }


def test_repairs_by_technician_counts_repairs_by_the_day_they_were_ready(workshop):
    rows, totals = run(
        "repairs-by-technician", "period=custom&start=2026-04-01&end=2026-04-30"
    )

    # T4 was billed in April but returned unrepaired: not a finished repair.
    assert [(r["technician_name"], r["repairs"], r["total"]) for r in rows] == [
        ("Not assigned", 1, Decimal("20.00"))
    ]
    assert totals["total"] == Decimal("20.00")


def test_technicians_with_the_same_name_are_kept_apart(workshop, manager):
    other_bob = UserFactory(
        username="bob2", first_name="Bob", last_name="", role=Role.USER
    )
    ticket = book(manager, technician=other_bob)
    services.add_labour(ticket, by=manager, description="Fix", unit_price="10.00")
    services.change_status(ticket, "in_repair", by=manager)
    ticket = services.change_status(ticket, "ready", by=manager)
    move(ticket, ready=at(2026, 6, 1))

    rows, _ = run("repairs-by-technician")

    assert [(r["technician_name"], r["total"]) for r in rows] == [
        ("Alice Bench", Decimal("139.00")),
        ("Bob", Decimal("150.00")),
        ("Bob", Decimal("10.00")),
        ("Not assigned", Decimal("20.00")),
    ]


def test_repairs_by_technician_of_an_empty_period_is_empty(workshop):
    rows, totals = run("repairs-by-technician", EMPTY)

    assert rows == []
    assert totals == {
        "repairs": 0,
        "labour": Decimal("0.00"),
        "parts": Decimal("0.00"),
        "total": Decimal("0.00"),
        "avg_minutes": None,
    }


# Repair revenue.

MARCH = {
    "repairs": 2,  # T1 and T2; T8's invoice is void
    "labour": Decimal("110.00"),
    "parts": Decimal("179.00"),
    "credited": Decimal("-5.00"),
    "tax": Decimal("34.80"),  # 17.80 + 18.00 - 1.00 credited
    "gross": Decimal("318.80"),
    "parts_cost": Decimal("77.00"),  # 1 x 40.00 + 2 x 18.50
    "parts_margin": Decimal("102.00"),
    "margin": Decimal("0.5698"),
}
APRIL = {
    "repairs": 2,  # T3 ready, T4 returned with its diagnosis billed
    "labour": Decimal("35.00"),
    "parts": Decimal("0.00"),
    "credited": Decimal("0.00"),
    "tax": Decimal("0.00"),
    "gross": Decimal("35.00"),
    "parts_cost": Decimal("0.00"),
    "parts_margin": Decimal("0.00"),
    "margin": None,
}


def test_repair_revenue_by_month_splits_labour_parts_credits_and_cost(workshop):
    rows, totals = run("repair-revenue", f"{YEAR_2026}&group_by=month")

    assert rows == [
        {"period": at(2026, 3, 1).date(), **MARCH},
        {"period": at(2026, 4, 1).date(), **APRIL},
    ]
    assert totals == {
        "repairs": 4,
        "labour": Decimal("145.00"),
        "parts": Decimal("179.00"),
        "credited": Decimal("-5.00"),
        "tax": Decimal("34.80"),
        "gross": Decimal("353.80"),
        "parts_cost": Decimal("77.00"),
        "parts_margin": Decimal("102.00"),
        "margin": Decimal("0.5698"),
    }


def test_repair_revenue_by_day_puts_a_credit_note_on_its_own_issue_date(workshop):
    rows, _ = run("repair-revenue", f"{YEAR_2026}&group_by=day")

    by_day = {r["period"]: r for r in rows}
    assert list(by_day) == [
        at(2026, 3, 3).date(),
        at(2026, 3, 10).date(),
        at(2026, 3, 20).date(),
        at(2026, 4, 3).date(),
        at(2026, 4, 6).date(),
    ]
    credit_day = by_day[at(2026, 3, 20).date()]
    assert credit_day["repairs"] == 0
    assert credit_day["credited"] == Decimal("-5.00")
    assert credit_day["tax"] == Decimal("-1.00")
    assert credit_day["gross"] == Decimal("-6.00")
    t1_day = by_day[at(2026, 3, 3).date()]
    assert (t1_day["labour"], t1_day["parts"]) == (Decimal("50.00"), Decimal("89.00"))
    assert t1_day["margin"] == Decimal("0.5506")  # 49.00 / 89.00


def test_repair_revenue_by_week_starts_weeks_on_monday(workshop):
    rows, _ = run("repair-revenue", f"{YEAR_2026}&group_by=week")

    assert [r["period"] for r in rows] == [
        at(2026, 3, 2).date(),
        at(2026, 3, 9).date(),
        at(2026, 3, 16).date(),
        at(2026, 3, 30).date(),
        at(2026, 4, 6).date(),
    ]


def test_repair_revenue_labour_and_parts_add_up_to_the_repair_invoices_net(workshop):
    rows, totals = run("repair-revenue", f"{YEAR_2026}&group_by=month")

    invoiced = InvoiceLine.objects.filter(
        invoice__source=InvoiceSource.REPAIR,
        invoice__kind=InvoiceKind.INVOICE,
        invoice__status__in=[
            InvoiceStatus.ISSUED,
            InvoiceStatus.PARTIALLY_PAID,
            InvoiceStatus.PAID,
        ],
        invoice__issue_date__range=(at(2026, 1, 1).date(), at(2026, 12, 31).date()),
    ).aggregate(net=Sum("net"))["net"]
    assert totals["labour"] + totals["parts"] == invoiced == Decimal("324.00")
    for row in rows:
        assert (
            row["labour"] + row["parts"] + row["credited"] + row["tax"] == row["gross"]
        )


def test_repair_revenue_of_an_empty_period_is_empty(workshop):
    rows, totals = run("repair-revenue", f"{EMPTY}&group_by=month")

    assert rows == []
    assert totals == {
        "repairs": 0,
        "labour": Decimal("0.00"),
        "parts": Decimal("0.00"),
        "credited": Decimal("0.00"),
        "tax": Decimal("0.00"),
        "gross": Decimal("0.00"),
        "parts_cost": Decimal("0.00"),
        "parts_margin": Decimal("0.00"),
        "margin": None,
    }


def test_a_cost_recorded_on_the_fitting_stock_move_wins_over_the_cost_price(
    workshop,
):
    StockMove.objects.filter(
        reason=StockReason.REPAIR_PART, reference_id=workshop.tickets["t1"].pk
    ).update(unit_cost=Decimal("35.00"))

    _, totals = run("repair-revenue", f"{YEAR_2026}&group_by=month")

    assert totals["parts_cost"] == Decimal("72.00")  # 35.00 + 2 x 18.50
    assert totals["parts_margin"] == Decimal("107.00")


def test_a_later_change_of_the_cost_price_leaves_the_cost_of_parts_fitted(
    workshop,
):
    Product.objects.filter(pk=workshop.battery.pk).update(cost_price=Decimal("20.00"))

    _, totals = run("repair-revenue", f"{YEAR_2026}&group_by=month")

    assert totals["parts_cost"] == Decimal("77.00")  # 40.00 + 2 x 18.50, as fitted


def test_parts_fitted_before_moves_recorded_their_cost_cost_the_price_now(
    workshop,
):
    StockMove.objects.filter(reason=StockReason.REPAIR_PART).update(unit_cost=None)
    Product.objects.filter(pk=workshop.battery.pk).update(cost_price=Decimal("20.00"))

    _, totals = run("repair-revenue", f"{YEAR_2026}&group_by=month")

    assert totals["parts_cost"] == Decimal("80.00")  # 40.00 + 2 x 20.00


def test_labour_and_parts_are_told_apart_by_the_ticket_line_not_the_sku(
    workshop, manager
):
    """Labour billed from a service product carries an SKU; a part's SKU may
    change after the bill. Neither moves money between labour and parts."""
    service = ServiceFactory(name="Data recovery", sale_price=Decimal("60.00"))
    ticket = book(manager, technician=workshop.alice)
    services.add_part(ticket, by=manager, product=workshop.screen, fit=True)
    services.add_labour(ticket, by=manager, product=service, unit_price="60.00")
    services.change_status(ticket, "in_repair", by=manager)
    ticket = services.change_status(ticket, "ready", by=manager)
    move(ticket, ready=at(2026, 7, 1))
    Product.objects.filter(pk=workshop.screen.pk).update(sku="RENAMED-1")

    rows, _ = run("repair-revenue", "period=custom&start=2026-07-01&end=2026-07-31")
    technicians, _ = run(
        "repairs-by-technician", "period=custom&start=2026-07-01&end=2026-07-31"
    )

    assert (rows[0]["labour"], rows[0]["parts"]) == (
        Decimal("60.00"),
        Decimal("89.00"),
    )
    assert rows[0]["tax"] == Decimal("29.80")  # 20% of both
    assert (technicians[0]["labour"], technicians[0]["parts"]) == (
        Decimal("60.00"),
        Decimal("89.00"),
    )


def test_repair_invoices_bill_the_billable_ticket_lines_in_their_order(workshop):
    """What the reports rely on to tell labour from parts: the n-th line of a
    repair invoice is the n-th billable line of its ticket."""
    for ticket in Ticket.objects.exclude(invoice__status=InvoiceStatus.DRAFT):
        billed = list(ticket.invoice.lines.order_by("position"))
        lines = list(ticket.lines.billable())
        if ticket.invoice.status == InvoiceStatus.VOID and not billed:
            continue
        assert [(i.position, i.description, i.quantity) for i in billed] == [
            (n, line.description, line.quantity) for n, line in enumerate(lines, 1)
        ]
    kinds = list(workshop.tickets["t1"].lines.billable().values_list("kind", flat=True))
    assert kinds == [LineKind.PART, LineKind.LABOUR]


# Overdue repairs.


def test_overdue_repairs_lists_working_tickets_past_their_promised_date(workshop):
    rows, totals = run("repairs-overdue", "")
    t5, t10, t11 = (workshop.tickets[name] for name in ("t5", "t10", "t11"))

    assert rows == [
        {
            "pk": t10.pk,
            "number": t10.number,
            "customer_name": t10.customer.name,
            "device": "Apple iPhone 8",
            "status_name": "Received",
            "technician_name": "Alice Bench",
            "promised": days_ago(10),
            "days_overdue": 10,
            "priority_name": "Urgent",
        },
        {
            "pk": t11.pk,
            "number": t11.number,
            "customer_name": t11.customer.name,
            "device": "Samsung S21",
            "status_name": "Awaiting parts",
            "technician_name": "Not assigned",
            "promised": days_ago(3),
            "days_overdue": 3,
            "priority_name": "High",
        },
        {
            "pk": t5.pk,
            "number": t5.number,
            "customer_name": t5.customer.name,
            "device": "Apple iPhone 12",
            "status_name": "Diagnosing",
            "technician_name": "Bob",
            "promised": days_ago(3),
            "days_overdue": 3,
            "priority_name": "Normal",
        },
    ]
    assert totals == {}


def test_overdue_repairs_filters_by_technician(workshop):
    rows, _ = run("repairs-overdue", f"technician={workshop.bob.pk}")

    assert [r["number"] for r in rows] == [workshop.tickets["t5"].number]


def test_a_ticket_promised_for_today_is_not_overdue_yet(workshop):
    Ticket.objects.filter(pk=workshop.tickets["t9"].pk).update(
        promised_date=timezone.localdate()
    )
    rows, _ = run("repairs-overdue", "")

    assert workshop.tickets["t9"].number not in [r["number"] for r in rows]
    assert len(rows) == 3


def test_overdue_repairs_page_and_count_like_a_list(workshop):
    report = REPORTS["repairs-overdue"]
    filterset = filterset_for(report, QueryDict(""))
    rows = report.rows(filterset.qs, filterset.params())

    assert rows.count() == 3
    assert [r["days_overdue"] for r in rows[1:3]] == [3, 3]


# What the report page and the exports need of every repair report.


@pytest.mark.parametrize(
    "slug",
    [
        "repairs-by-status",
        "repair-turnaround",
        "repairs-by-technician",
        "repair-revenue",
        "repairs-overdue",
    ],
)
def test_repair_report_rows_count_slice_and_stream_keyed_by_their_columns(
    workshop, slug
):
    report = REPORTS[slug]
    query = "" if slug == "repairs-overdue" else f"{YEAR_2026}&group_by=week"
    filterset = filterset_for(report, QueryDict(query))
    rows = report.rows(filterset.qs, filterset.params())
    listed = list(rows)
    keys = {column.key for column in report.columns}

    assert rows.count() == len(listed) > 1
    assert list(rows[1:2]) == listed[1:2]
    assert list(rows.iterator()) == listed
    assert all(set(row) - {"pk"} == keys for row in listed)
    assert report.group == "Repairs"
    assert set(report.totals(filterset.qs, filterset.params())) == {
        column.key for column in report.columns if column.total
    }


def test_repair_revenue_totals_are_the_sums_of_its_rows(workshop):
    report = REPORTS["repair-revenue"]
    for query in (YEAR_2026, YEAR_2026 + "&group_by=month"):
        rows, totals = run("repair-revenue", query)
        assert rows and report.totals_of(rows) == totals
    assert report.totals_of([])["margin"] is None
    for slug in ("repair-turnaround", "repairs-by-technician", "repairs-by-status"):
        assert not REPORTS[slug].totals_add_up
