"""Payments, balances, cash shifts and stock reports: every figure on known data."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import timezone

from accounts.models import ShopSettings
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.models import StockMove
from inventory.services import StockLine
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ServiceFactory,
    SupplierFactory,
)
from invoices import services as billing
from invoices.models import Invoice, Payment
from invoices.receivables import BUCKET_KEYS, ageing
from invoices.tests.factories import line, make_invoice
from pos_project.money import to_money
from reports import operations  # noqa: F401 (registers the reports)
from reports.base import REPORTS
from reports.filters import filterset_for
from sales import services as till
from sales.models import Shift
from sales.services import Tender
from sales.tests.factories import make_sale

D = Decimal


def moment(text):
    """An aware datetime from local "YYYY-MM-DD HH:MM"."""
    return timezone.make_aware(datetime.fromisoformat(text))


def run(slug, query):
    """(rows as a list, totals) of a report, filtered as the page filters it."""
    report = REPORTS[slug]
    filterset = filterset_for(report, QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    params = filterset.params()
    return (
        list(report.rows(filterset.qs, params)),
        report.totals(filterset.qs, params),
    )


def keep(rows, *keys):
    return [{key: row[key] for key in keys} for row in rows]


@pytest.fixture
def shop(db):
    """Shelf prices include tax, so a 10.00 product sells for 10.00."""
    shop = ShopSettings.load()
    shop.prices_include_tax = True
    shop.save()
    return shop


def test_every_report_has_its_columns_in_the_rows(shop):
    slugs = {
        "payments-received",
        "payment-history",
        "balances",
        "cash-shifts",
        "stock-on-hand",
        "low-stock",
        "stock-moves",
        "stock-adjustments",
    }
    assert slugs <= set(REPORTS)
    for slug in slugs:
        report = REPORTS[slug]
        assert report.title and report.description and report.group
        assert report.__doc__
        filterset = filterset_for(report, QueryDict(""))
        rows = report.rows(filterset.qs, filterset.params())
        assert rows.count() == 0
        keys = {column.key for column in report.columns}
        assert keys <= set(rows.query.values_select) | set(rows.query.annotation_select)
        totals = report.totals(filterset.qs, filterset.params())
        assert set(totals) == {c.key for c in report.columns if c.total}


# Payments received and payment history.


@pytest.fixture
def payments(shop, cashier, manager):
    """Four payments in January 2025, one refund, two methods and two cashiers,
    and two payments just outside January."""
    ada = CustomerFactory(name="Ada Lovelace")
    on_account = make_invoice(by=manager, customer=ada)  # 100.00
    walk_in = make_invoice(by=manager, lines=[line(unit_price="50.00")])
    cash = billing.record_payment(
        on_account, by=cashier, amount="60.00", method="cash", note="Deposit"
    )
    card = billing.record_payment(
        on_account, by=manager, amount="40.00", method="card", reference="4242"
    )
    refund = billing.refund_payment(
        cash, by=manager, amount="15.00", reason="Overcharged"
    )
    walk_in_card = billing.record_payment(
        walk_in, by=cashier, amount="50.00", method="card", reference="T-981"
    )
    outside = make_invoice(by=manager, lines=[line(unit_price="20.00")])
    before = billing.record_payment(outside, by=cashier, amount="5.00", method="cash")
    after = billing.record_payment(outside, by=cashier, amount="15.00", method="cash")
    for payment, when in [
        (cash, "2025-01-06 10:30"),
        (card, "2025-01-06 15:05"),
        (refund, "2025-01-07 09:10"),
        (walk_in_card, "2025-01-07 11:45"),
        (before, "2024-12-31 23:59"),
        (after, "2025-02-01 00:00"),
    ]:
        Payment.objects.filter(pk=payment.pk).update(received_at=moment(when))
    return {
        "ada": ada,
        "on_account": on_account,
        "walk_in": walk_in,
        "cash": cash,
        "card": card,
        "refund": refund,
        "walk_in_card": walk_in_card,
    }


JANUARY = "period=custom&start=2025-01-01&end=2025-01-31"
FIGURES = ("period", "method_name", "payments", "received", "refunded", "net")


def test_payments_received_by_day_and_method_count_payments_and_refunds(payments):
    rows, totals = run("payments-received", JANUARY)

    assert keep(rows, *FIGURES) == [
        {
            "period": date(2025, 1, 6),
            "method_name": "Card",
            "payments": 1,
            "received": D("40.00"),
            "refunded": D("0.00"),
            "net": D("40.00"),
        },
        {
            "period": date(2025, 1, 6),
            "method_name": "Cash",
            "payments": 1,
            "received": D("60.00"),
            "refunded": D("0.00"),
            "net": D("60.00"),
        },
        {
            "period": date(2025, 1, 7),
            "method_name": "Card",
            "payments": 1,
            "received": D("50.00"),
            "refunded": D("0.00"),
            "net": D("50.00"),
        },
        {
            "period": date(2025, 1, 7),
            "method_name": "Cash",
            "payments": 0,
            "received": D("0.00"),
            "refunded": D("15.00"),
            "net": D("-15.00"),
        },
    ]
    assert totals == {
        "payments": 3,
        "received": D("150.00"),
        "refunded": D("15.00"),
        "net": D("135.00"),
    }


def test_payments_received_chart_plots_the_net_of_all_methods_per_period(payments):
    report = REPORTS["payments-received"]
    filterset = filterset_for(report, QueryDict(JANUARY))

    plotted = report.chart_rows(report.rows(filterset.qs, filterset.params()))

    assert plotted == [
        {"period": date(2025, 1, 6), "net": D("100.00")},
        {"period": date(2025, 1, 7), "net": D("35.00")},
    ]


def test_payments_received_by_week_and_by_month_add_the_days_up(payments):
    by_week, _ = run("payments-received", JANUARY + "&group_by=week")
    by_month, totals = run("payments-received", JANUARY + "&group_by=month")

    assert keep(by_week, *FIGURES)[1] == {
        "period": date(2025, 1, 6),  # the Monday
        "method_name": "Cash",
        "payments": 1,
        "received": D("60.00"),
        "refunded": D("15.00"),
        "net": D("45.00"),
    }
    assert keep(by_month, *FIGURES) == [
        {
            "period": date(2025, 1, 1),
            "method_name": "Card",
            "payments": 2,
            "received": D("90.00"),
            "refunded": D("0.00"),
            "net": D("90.00"),
        },
        {
            "period": date(2025, 1, 1),
            "method_name": "Cash",
            "payments": 1,
            "received": D("60.00"),
            "refunded": D("15.00"),
            "net": D("45.00"),
        },
    ]
    assert totals["net"] == D("135.00")


def test_payments_received_filters_by_method_cashier_and_customer(payments, cashier):
    cash_rows, cash_totals = run("payments-received", JANUARY + "&method=cash")
    by_cashier, cashier_totals = run(
        "payments-received", JANUARY + f"&cashier={cashier.pk}"
    )
    for_ada, ada_totals = run(
        "payments-received", JANUARY + f"&customer={payments['ada'].pk}"
    )

    assert [row["method_name"] for row in cash_rows] == ["Cash", "Cash"]
    assert cash_totals == {
        "payments": 1,
        "received": D("60.00"),
        "refunded": D("15.00"),
        "net": D("45.00"),
    }
    # The refund was handed over by the manager.
    assert [(r["period"], r["net"]) for r in by_cashier] == [
        (date(2025, 1, 6), D("60.00")),
        (date(2025, 1, 7), D("50.00")),
    ]
    assert cashier_totals["net"] == D("110.00")
    assert ada_totals == {
        "payments": 2,
        "received": D("100.00"),
        "refunded": D("15.00"),
        "net": D("85.00"),
    }
    assert len(for_ada) == 3


def test_payments_received_include_the_first_and_last_moments_of_the_period(
    payments,
):
    _, december = run(
        "payments-received", "period=custom&start=2024-12-31&end=2024-12-31"
    )
    _, february = run(
        "payments-received", "period=custom&start=2025-02-01&end=2025-02-28"
    )

    assert december["received"] == D("5.00")
    assert february["received"] == D("15.00")


def test_payments_received_in_an_empty_period_has_no_rows_and_zero_totals(payments):
    rows, totals = run(
        "payments-received", "period=custom&start=2023-01-01&end=2023-01-31"
    )

    assert rows == []
    assert totals == {
        "payments": 0,
        "received": D("0.00"),
        "refunded": D("0.00"),
        "net": D("0.00"),
    }


def test_payment_history_lists_each_payment_newest_first(payments, cashier, manager):
    rows, totals = run("payment-history", JANUARY)

    on_account = payments["on_account"]
    assert [row["pk"] for row in rows] == [
        payments["walk_in_card"].pk,
        payments["refund"].pk,
        payments["card"].pk,
        payments["cash"].pk,
    ]
    columns = [c.key for c in REPORTS["payment-history"].columns]
    assert keep(rows, *columns) == [
        {
            "day": date(2025, 1, 7),
            "time": "11:45",
            "invoice_number": payments["walk_in"].number,
            "customer_name": "Walk-in",
            "method_name": "Card",
            "reference": "T-981",
            "amount": D("50.00"),
            "taken_by": cashier.get_full_name(),
            "note": "",
        },
        {
            "day": date(2025, 1, 7),
            "time": "09:10",
            "invoice_number": on_account.number,
            "customer_name": "Ada Lovelace",
            "method_name": "Cash",
            "reference": "",
            "amount": D("-15.00"),
            "taken_by": manager.get_full_name(),
            "note": "Overcharged",
        },
        {
            "day": date(2025, 1, 6),
            "time": "15:05",
            "invoice_number": on_account.number,
            "customer_name": "Ada Lovelace",
            "method_name": "Card",
            "reference": "4242",
            "amount": D("40.00"),
            "taken_by": manager.get_full_name(),
            "note": "",
        },
        {
            "day": date(2025, 1, 6),
            "time": "10:30",
            "invoice_number": on_account.number,
            "customer_name": "Ada Lovelace",
            "method_name": "Cash",
            "reference": "",
            "amount": D("60.00"),
            "taken_by": cashier.get_full_name(),
            "note": "Deposit",
        },
    ]
    assert rows[0]["invoice_id"] == payments["walk_in"].pk
    assert totals == {"amount": D("135.00")}


def test_payment_history_filters_and_names_staff_without_a_name_by_username(
    payments, shop, manager
):
    nameless = UserFactory(username="till2", first_name="", last_name="")
    invoice = make_invoice(by=manager, lines=[line(unit_price="8.00")])
    payment = billing.record_payment(
        invoice, by=nameless, amount="8.00", method="mobile_money"
    )
    Payment.objects.filter(pk=payment.pk).update(received_at=moment("2025-01-20 12:00"))

    by_nameless, totals = run("payment-history", JANUARY + f"&cashier={nameless.pk}")
    cards, card_totals = run("payment-history", JANUARY + "&method=card")
    for_ada, _ = run("payment-history", JANUARY + f"&customer={payments['ada'].pk}")

    assert keep(by_nameless, "taken_by", "method_name", "amount") == [
        {"taken_by": "till2", "method_name": "Mobile money", "amount": D("8.00")}
    ]
    assert totals == {"amount": D("8.00")}
    assert [row["reference"] for row in cards] == ["T-981", "4242"]
    assert card_totals == {"amount": D("90.00")}
    assert len(for_ada) == 3


def test_payment_history_streams_as_a_queryset(payments):
    report = REPORTS["payment-history"]
    filterset = filterset_for(report, QueryDict(JANUARY))

    rows = report.rows(filterset.qs, filterset.params())

    assert rows.count() == 4
    assert [row["amount"] for row in rows[1:3]] == [D("-15.00"), D("40.00")]
    assert len(list(rows.iterator())) == 4


# Outstanding balances and ageing.


def set_due(invoice, due_date):
    Invoice.objects.filter(pk=invoice.pk).update(due_date=due_date)


def test_balances_put_each_customer_in_buckets_by_days_past_the_end_date(shop, manager):
    acme = CustomerFactory(name="Acme Ltd")
    bolt = CustomerFactory(name="Bolt & Co")
    on = date(2025, 6, 30)

    def bill(customer, days_past_due, unit_price="100.00"):
        invoice = make_invoice(
            by=manager, customer=customer, lines=[line(unit_price=unit_price)]
        )
        set_due(invoice, on - timedelta(days=days_past_due))
        return invoice

    bill(acme, -3)  # current
    bill(acme, 0)  # due on the day: current
    part_paid = bill(acme, 30)  # 1-30, 60.00 left
    billing.record_payment(part_paid, by=manager, amount="40.00", method="cash")
    bill(bolt, 31, "50.00")  # 31-60
    bill(bolt, 90)  # 61-90
    bill(bolt, 91, "20.00")  # over 90
    bill(None, 1, "10.00")  # walk-in, 1-30
    paid = bill(bolt, 200)
    billing.record_payment(paid, by=manager, amount="100.00", method="card")
    billing.void_invoice(bill(bolt, 200), by=manager, reason="Mistake")
    credited = bill(acme, 200)
    billing.credit_invoice(credited, [line()], by=manager, reason="Returned")

    rows, totals = run("balances", "period=custom&start=2025-06-01&end=2025-06-30")

    buckets = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
    assert keep(rows, "customer_name", "invoices", *buckets, "total") == [
        {
            "customer_name": "Acme Ltd",
            "invoices": 3,
            "current": D("200.00"),
            "days_1_30": D("60.00"),
            "days_31_60": D("0.00"),
            "days_61_90": D("0.00"),
            "over_90": D("0.00"),
            "total": D("260.00"),
        },
        {
            "customer_name": "Bolt & Co",
            "invoices": 3,
            "current": D("0.00"),
            "days_1_30": D("0.00"),
            "days_31_60": D("50.00"),
            "days_61_90": D("100.00"),
            "over_90": D("20.00"),
            "total": D("170.00"),
        },
        {
            "customer_name": "No customer (walk-in)",
            "invoices": 1,
            "current": D("0.00"),
            "days_1_30": D("10.00"),
            "days_31_60": D("0.00"),
            "days_61_90": D("0.00"),
            "over_90": D("0.00"),
            "total": D("10.00"),
        },
    ]
    assert rows[0]["customer_id"] == acme.pk
    assert rows[1]["oldest_due"] == on - timedelta(days=91)
    assert rows[2]["customer_id"] is None
    assert totals == {
        "invoices": 7,
        "current": D("200.00"),
        "days_1_30": D("70.00"),
        "days_31_60": D("50.00"),
        "days_61_90": D("100.00"),
        "over_90": D("20.00"),
        "total": D("440.00"),
    }

    for_bolt, bolt_totals = run(
        "balances", f"period=custom&start=2025-06-01&end=2025-06-30&customer={bolt.pk}"
    )
    assert [row["customer_name"] for row in for_bolt] == ["Bolt & Co"]
    assert bolt_totals["total"] == D("170.00")

    # A month later every invoice is 30 days older.
    _, later = run("balances", "period=custom&start=2025-07-01&end=2025-07-30")
    assert [later[key] for key in buckets] == [
        D("0.00"),
        D("200.00"),
        D("70.00"),
        D("50.00"),
        D("120.00"),
    ]


def test_balances_default_to_ageing_as_of_today(shop, manager):
    invoice = make_invoice(by=manager)
    set_due(invoice, timezone.localdate() - timedelta(days=1))

    rows, totals = run("balances", "")

    assert keep(rows, "current", "days_1_30") == [
        {"current": D("0.00"), "days_1_30": D("100.00")}
    ]
    assert totals["total"] == D("100.00")


def test_balances_with_nothing_open_have_no_rows_and_zero_totals(shop, manager):
    paid = make_invoice(by=manager)
    billing.record_payment(paid, by=manager, amount="100.00", method="cash")

    rows, totals = run("balances", "")

    assert rows == []
    assert set(totals.values()) == {0}


def test_balances_equal_the_receivables_ageing_to_the_cent_on_random_data(
    shop, manager
):
    rng = random.Random(20250630)
    customers = [CustomerFactory(name=f"Customer {n}") for n in range(6)] + [None]
    today = timezone.localdate()
    for _ in range(70):
        lines = [
            line(
                description="Item",
                quantity=rng.randint(1, 3),
                unit_price=f"{rng.randint(1, 40000) / 100:.2f}",
                tax_rate=rng.choice(["0.00", "5.00", "20.00"]),
            )
            for _ in range(rng.randint(1, 3))
        ]
        invoice = make_invoice(by=manager, customer=rng.choice(customers), lines=lines)
        set_due(invoice, today + timedelta(days=rng.randint(-150, 40)))
        fate = rng.random()
        part = to_money(invoice.total * D(rng.randint(1, 99)) / 100)
        if fate < 0.35 and part > 0:
            payment = billing.record_payment(
                invoice, by=manager, amount=part, method=rng.choice(["cash", "card"])
            )
            if rng.random() < 0.5 and to_money(part / 2) > 0:
                billing.refund_payment(
                    payment, by=manager, amount=to_money(part / 2), reason="Back"
                )
        elif fate < 0.45:
            billing.record_payment(
                invoice, by=manager, amount=invoice.total, method="card"
            )
        elif fate < 0.55 and part > 0:
            billing.credit_invoice(
                invoice,
                [line(description="Credit", unit_price=str(part), tax_rate="0.00")],
                by=manager,
                reason="Goodwill",
            )
        elif fate < 0.6:
            billing.void_invoice(invoice, by=manager, reason="Mistake")

    for on in [today, today - timedelta(days=20), today + timedelta(days=75)]:
        start = on.replace(day=1)
        rows, totals = run("balances", f"period=custom&start={start}&end={on}")
        expected = ageing(on=on)

        assert len(rows) == len(expected.rows) > 3
        by_customer = {row["customer_id"]: row for row in rows}
        for want in expected.rows:
            got = by_customer[want.customer_id]
            assert got["customer_name"] == want.name
            assert got["invoices"] == want.invoices
            assert got["oldest_due"] == want.oldest_due
            for key in BUCKET_KEYS:
                assert to_money(got[key]) == to_money(want.buckets[key]), key
            assert to_money(got["total"]) == to_money(want.total)
        assert [to_money(row["total"]) for row in rows] == [
            to_money(row.total) for row in expected.rows
        ]
        for key in BUCKET_KEYS:
            assert to_money(totals[key]) == to_money(expected.totals[key]), key
        assert to_money(totals["total"]) == to_money(expected.total)
        assert totals["invoices"] == expected.invoices


# Cash shifts.


@pytest.fixture
def shifts(shop, cashier, manager):
    """Chloe's shift: 50.00 float, cash and card sales, a voided sale, a payout,
    7.00 short; Sam's shift: exact. Dan's shift is still open."""
    widget = ProductFactory(name="Widget", sale_price=D("10.00"))
    stock.record_opening_stock([StockLine(widget, 20)], by=manager)
    sam = UserFactory(username="sam", first_name="Sam", last_name="Lee")
    dan = UserFactory(username="dan", first_name="Dan", last_name="Ng")

    chloe_shift = till.open_shift(by=cashier, opening_float="50.00")
    make_sale(cashier, [(widget, 2)])
    make_sale(cashier, [(widget, 1)], tenders=[Tender("card", "10.00")])
    mistake = make_sale(cashier, [(widget, 1)])
    till.void_sale(mistake, by=manager, reason="Rung up twice")
    till.record_cash_movement(
        chloe_shift, by=cashier, kind="payout", amount="5.00", reason="Milk"
    )
    till.close_shift(
        chloe_shift,
        by=cashier,
        counted={"cash": "58.00", "card": "10.00"},
        approver=manager,
    )
    sam_shift = till.open_shift(by=sam, opening_float="20.00")
    make_sale(sam, [(widget, 1)])
    till.close_shift(sam_shift, by=sam, counted={"cash": "30.00"})
    till.open_shift(by=dan, opening_float="10.00")
    make_sale(dan, [(widget, 1)])

    Shift.objects.filter(pk=chloe_shift.pk).update(
        opened_at=moment("2025-03-03 09:00"), closed_at=moment("2025-03-03 17:30")
    )
    Shift.objects.filter(pk=sam_shift.pk).update(
        opened_at=moment("2025-03-04 08:00"), closed_at=moment("2025-03-04 16:00")
    )
    return {"chloe": chloe_shift, "sam": sam_shift, "sam_user": sam}


MARCH = "period=custom&start=2025-03-01&end=2025-03-31"


def test_cash_shifts_list_closed_shifts_with_sales_and_the_cash_count(
    shifts, cashier, manager
):
    rows, totals = run("cash-shifts", MARCH)

    chloe, sam = shifts["chloe"], shifts["sam"]
    columns = [c.key for c in REPORTS["cash-shifts"].columns]
    assert keep(rows, "pk", *columns) == [
        {
            "pk": sam.pk,
            "shift": f"Shift #{sam.pk}",
            "cashier_name": "Sam Lee",
            "opened": "2025-03-04 08:00",
            "closed": "2025-03-04 16:00",
            "sales_count": 1,
            "sales_total": D("10.00"),
            "expected_cash": D("30.00"),
            "counted_cash": D("30.00"),
            "cash_difference": D("0.00"),
            "approved_by": "",
        },
        {
            "pk": chloe.pk,
            "shift": f"Shift #{chloe.pk}",
            "cashier_name": cashier.get_full_name(),
            "opened": "2025-03-03 09:00",
            "closed": "2025-03-03 17:30",
            "sales_count": 2,  # the voided sale is not counted
            "sales_total": D("30.00"),
            # 50.00 float + 20.00 + 10.00 cash - 10.00 void refund - 5.00 payout
            "expected_cash": D("65.00"),
            "counted_cash": D("58.00"),
            "cash_difference": D("-7.00"),
            "approved_by": manager.get_full_name(),
        },
    ]
    assert totals == {
        "sales_count": 3,
        "sales_total": D("40.00"),
        "cash_difference": D("-7.00"),
    }


def test_cash_shifts_filter_by_cashier_and_by_the_day_closed(shifts):
    by_sam, sam_totals = run("cash-shifts", MARCH + f"&cashier={shifts['sam_user'].pk}")
    on_the_3rd, _ = run("cash-shifts", "period=custom&start=2025-03-03&end=2025-03-03")
    empty, empty_totals = run(
        "cash-shifts", "period=custom&start=2025-04-01&end=2025-04-30"
    )

    assert [row["pk"] for row in by_sam] == [shifts["sam"].pk]
    assert sam_totals == {
        "sales_count": 1,
        "sales_total": D("10.00"),
        "cash_difference": D("0.00"),
    }
    assert [row["pk"] for row in on_the_3rd] == [shifts["chloe"].pk]
    assert empty == []
    assert empty_totals == {
        "sales_count": 0,
        "sales_total": D("0.00"),
        "cash_difference": D("0.00"),
    }


def test_cash_shifts_leave_out_open_shifts(shifts):
    today = timezone.localdate()

    rows, _ = run("cash-shifts", f"period=custom&start={today}&end={today}")

    assert rows == []
    assert Shift.objects.filter(status="open").count() == 1


# Stock.


@pytest.fixture
def inventory(shop, cashier, manager):
    """Stock opened and received on 3 Feb 2025, sold, adjusted and counted on
    the 4th. Valued at cost: Charger 4.00, Screen 25.00 (averaged on
    receiving), Cable 1.50, Battery 12.00."""
    accessories = CategoryFactory(name="Accessories")
    parts = CategoryFactory(name="Parts")
    acme = SupplierFactory(name="Acme Parts")

    def product(name, sku, category, cost, price, reorder):
        return ProductFactory(
            name=name,
            sku=sku,
            category=category,
            supplier=acme,
            cost_price=D(cost),
            sale_price=D(price),
            reorder_level=reorder,
        )

    charger = product("Charger", "CHG-1", accessories, "4.00", "10.00", 3)
    screen = product("Screen", "SCR-1", parts, "20.00", "50.00", 2)
    cable = product("Cable", "CAB-1", accessories, "1.50", "5.00", 5)
    battery = product("Battery", "BAT-1", parts, "12.00", "30.00", 2)
    retired = product("Old phone", "OLD-1", parts, "90.00", "99.00", 5)
    ServiceFactory(name="Labour", category=parts)

    stock.record_opening_stock(
        [
            StockLine(charger, 10),
            StockLine(screen, 3),
            StockLine(cable, 4),
            StockLine(battery, 2),
            StockLine(retired, 1),
        ],
        by=manager,
    )
    retired.active = False
    retired.save()
    stock.receive_stock([StockLine(screen, 5, D("28.00"))], by=manager, supplier=acme)
    make_sale(cashier, [(charger, 2), (screen, 1)])
    stock.adjust_stock(charger, by=manager, quantity=-1, note="Damaged")
    stock.count_stock({cable: 0, screen: 8}, by=manager, note="Monthly count")

    moves = StockMove.objects.all()
    moves.filter(reason__in=["opening", "receive"]).update(
        created_at=moment("2025-02-03 09:00")
    )
    moves.filter(product=retired).update(created_at=moment("2025-01-15 09:00"))
    moves.filter(reason="sale").update(created_at=moment("2025-02-04 10:00"))
    moves.filter(reason="adjustment").update(created_at=moment("2025-02-04 11:00"))
    moves.filter(reason="count").update(created_at=moment("2025-02-04 12:00"))
    return {
        "charger": charger,
        "screen": screen,
        "cable": cable,
        "battery": battery,
        "accessories": accessories,
        "parts": parts,
    }


STOCK_COLUMNS = [c.key for c in REPORTS["stock-on-hand"].columns]


def test_stock_on_hand_values_each_active_stocked_product(inventory):
    rows, totals = run("stock-on-hand", "")

    assert keep(rows, *STOCK_COLUMNS) == [
        {
            "sku": "CAB-1",
            "product_name": "Cable",
            "category_name": "Accessories",
            "on_hand": 0,
            "cost_price": D("1.50"),
            "stock_value": D("0.00"),
            "sale_price": D("5.00"),
            "retail_value": D("0.00"),
        },
        {
            "sku": "CHG-1",
            "product_name": "Charger",
            "category_name": "Accessories",
            "on_hand": 7,
            "cost_price": D("4.00"),
            "stock_value": D("28.00"),
            "sale_price": D("10.00"),
            "retail_value": D("70.00"),
        },
        {
            "sku": "BAT-1",
            "product_name": "Battery",
            "category_name": "Parts",
            "on_hand": 2,
            "cost_price": D("12.00"),
            "stock_value": D("24.00"),
            "sale_price": D("30.00"),
            "retail_value": D("60.00"),
        },
        {
            "sku": "SCR-1",
            "product_name": "Screen",
            "category_name": "Parts",
            "on_hand": 8,
            "cost_price": D("25.00"),  # (3 × 20.00 + 5 × 28.00) / 8
            "stock_value": D("200.00"),
            "sale_price": D("50.00"),
            "retail_value": D("400.00"),
        },
    ]
    assert totals == {
        "on_hand": 17,
        "stock_value": D("252.00"),
        "retail_value": D("530.00"),
    }


def test_stock_on_hand_filters_by_category_and_charts_the_most_valuable(inventory):
    report = REPORTS["stock-on-hand"]
    filterset = filterset_for(report, QueryDict(""))
    all_rows = report.rows(filterset.qs, filterset.params())

    rows, totals = run("stock-on-hand", f"category={inventory['parts'].pk}")

    assert [row["product_name"] for row in rows] == ["Battery", "Screen"]
    assert totals == {
        "on_hand": 10,
        "stock_value": D("224.00"),
        "retail_value": D("460.00"),
    }
    assert [row["product_name"] for row in report.chart_rows(all_rows)] == [
        "Screen",
        "Charger",
        "Battery",
    ]


def test_stock_on_hand_counts_no_value_for_stock_below_zero(shop, cashier, manager):
    shop.allow_negative_stock = True
    shop.save()
    phones = CategoryFactory(name="Phones")
    adapter = ProductFactory(
        name="Adapter", category=phones, cost_price=D("3.00"), sale_price=D("9.00")
    )
    spare = ProductFactory(
        name="Spare", category=phones, cost_price=D("2.00"), sale_price=D("4.00")
    )
    stock.record_opening_stock([StockLine(adapter, 1), StockLine(spare, 3)], by=manager)
    make_sale(cashier, [(adapter, 3)])

    rows, totals = run("stock-on-hand", "")

    assert keep(rows, "product_name", "on_hand", "stock_value", "retail_value") == [
        {
            "product_name": "Adapter",
            "on_hand": -2,
            "stock_value": D("0.00"),
            "retail_value": D("0.00"),
        },
        {
            "product_name": "Spare",
            "on_hand": 3,
            "stock_value": D("6.00"),
            "retail_value": D("12.00"),
        },
    ]
    assert totals == {
        "on_hand": 1,
        "stock_value": D("6.00"),
        "retail_value": D("12.00"),
    }


def test_low_stock_lists_products_at_or_below_their_reorder_level(inventory):
    rows, totals = run("low-stock", "")
    accessories, _ = run("low-stock", f"category={inventory['accessories'].pk}")

    columns = [c.key for c in REPORTS["low-stock"].columns]
    assert keep(rows, *columns) == [
        {
            "sku": "CAB-1",
            "product_name": "Cable",
            "category_name": "Accessories",
            "supplier_name": "Acme Parts",
            "on_hand": 0,
            "reorder_level": 5,
            "status": "Out of stock",
        },
        {
            "sku": "BAT-1",
            "product_name": "Battery",
            "category_name": "Parts",
            "supplier_name": "Acme Parts",
            "on_hand": 2,
            "reorder_level": 2,
            "status": "Low",
        },
    ]
    assert totals == {}
    assert [row["product_name"] for row in accessories] == ["Cable"]


FEBRUARY = "period=custom&start=2025-02-01&end=2025-02-28"
MOVE_COLUMNS = [c.key for c in REPORTS["stock-moves"].columns]


def test_stock_moves_by_day_and_reason_with_values_at_cost(inventory):
    rows, totals = run("stock-moves", FEBRUARY)

    assert keep(rows, *MOVE_COLUMNS) == [
        {
            "period": date(2025, 2, 3),
            "reason_name": "Opening stock",
            "quantity_in": 19,
            "quantity_out": 0,
            # 10 × 4.00 + 3 × 20.00 + 4 × 1.50 + 2 × 12.00, at the cost then
            "value_in": D("130.00"),
            "value_out": D("0.00"),
            "moves": 4,
        },
        {
            "period": date(2025, 2, 3),
            "reason_name": "Received",
            "quantity_in": 5,
            "quantity_out": 0,
            "value_in": D("140.00"),  # 5 × 28.00 paid
            "value_out": D("0.00"),
            "moves": 1,
        },
        {
            "period": date(2025, 2, 4),
            "reason_name": "Adjustment",
            "quantity_in": 0,
            "quantity_out": 1,
            "value_in": D("0.00"),
            "value_out": D("4.00"),
            "moves": 1,
        },
        {
            "period": date(2025, 2, 4),
            "reason_name": "Stock count",
            "quantity_in": 1,
            "quantity_out": 4,
            "value_in": D("25.00"),  # a screen found, at today's cost
            "value_out": D("6.00"),  # 4 cables lost
            "moves": 2,
        },
        {
            "period": date(2025, 2, 4),
            "reason_name": "Sale",
            "quantity_in": 0,
            "quantity_out": 3,
            "value_in": D("0.00"),
            "value_out": D("33.00"),  # 2 × 4.00 + 1 × 25.00
            "moves": 2,
        },
    ]
    assert totals == {
        "quantity_in": 25,
        "quantity_out": 8,
        "value_in": D("295.00"),
        "value_out": D("43.00"),
        "moves": 10,
    }


def test_stock_moves_by_month_and_filtered(inventory):
    by_month, _ = run("stock-moves", FEBRUARY + "&group_by=month")
    sales, sale_totals = run("stock-moves", FEBRUARY + "&reason=sale")
    parts, parts_totals = run(
        "stock-moves", FEBRUARY + f"&category={inventory['parts'].pk}"
    )
    screens, screen_totals = run("stock-moves", FEBRUARY + "&product=scr-1")
    january, january_totals = run(
        "stock-moves", "period=custom&start=2025-01-01&end=2025-01-31"
    )
    empty, empty_totals = run(
        "stock-moves", "period=custom&start=2024-01-01&end=2024-01-31"
    )

    assert [(r["period"], r["reason_name"], r["moves"]) for r in by_month] == [
        (date(2025, 2, 1), "Adjustment", 1),
        (date(2025, 2, 1), "Stock count", 2),
        (date(2025, 2, 1), "Opening stock", 4),
        (date(2025, 2, 1), "Received", 1),
        (date(2025, 2, 1), "Sale", 2),
    ]
    assert [r["reason_name"] for r in sales] == ["Sale"]
    assert sale_totals["value_out"] == D("33.00")
    assert [(r["reason_name"], r["quantity_in"], r["quantity_out"]) for r in parts] == [
        ("Opening stock", 5, 0),
        ("Received", 5, 0),
        ("Stock count", 1, 0),
        ("Sale", 0, 1),
    ]
    assert parts_totals["value_in"] == D("249.00")  # 60 + 24 + 140 + 25
    assert screen_totals == {
        "quantity_in": 9,
        "quantity_out": 1,
        "value_in": D("225.00"),  # 60.00 opening + 140.00 received + 25.00 found
        "value_out": D("25.00"),
        "moves": 4,
    }
    assert len(screens) == 4
    assert [r["quantity_in"] for r in january] == [1]  # the retired product
    assert january_totals["value_in"] == D("90.00")
    assert empty == []
    assert empty_totals == {
        "quantity_in": 0,
        "quantity_out": 0,
        "value_in": D("0.00"),
        "value_out": D("0.00"),
        "moves": 0,
    }


def test_stock_adjustments_list_adjustments_and_count_differences(inventory, manager):
    rows, totals = run("stock-adjustments", FEBRUARY)

    columns = [c.key for c in REPORTS["stock-adjustments"].columns]
    by = manager.get_full_name()
    assert keep(rows, *columns) == [
        {
            "day": date(2025, 2, 4),
            "product_name": "Cable",
            "sku": "CAB-1",
            "reason_name": "Stock count",
            "quantity": -4,
            "value": D("-6.00"),
            "by": by,
            "note": "Monthly count",
        },
        {
            "day": date(2025, 2, 4),
            "product_name": "Screen",
            "sku": "SCR-1",
            "reason_name": "Stock count",
            "quantity": 1,
            "value": D("25.00"),
            "by": by,
            "note": "Monthly count",
        },
        {
            "day": date(2025, 2, 4),
            "product_name": "Charger",
            "sku": "CHG-1",
            "reason_name": "Adjustment",
            "quantity": -1,
            "value": D("-4.00"),
            "by": by,
            "note": "Damaged",
        },
    ]
    assert rows[0]["reference_label"].startswith("Stock count SC-")
    assert totals == {"quantity": -4, "value": D("15.00")}


def test_stock_adjustments_filter_by_category_and_product(inventory):
    accessories, totals = run(
        "stock-adjustments", FEBRUARY + f"&category={inventory['accessories'].pk}"
    )
    chargers, _ = run("stock-adjustments", FEBRUARY + "&product=Charg")
    empty, empty_totals = run(
        "stock-adjustments", "period=custom&start=2025-03-01&end=2025-03-31"
    )

    assert [row["product_name"] for row in accessories] == ["Cable", "Charger"]
    assert totals == {"quantity": -5, "value": D("-10.00")}
    assert [row["reason_name"] for row in chargers] == ["Adjustment"]
    assert empty == []
    assert empty_totals == {"quantity": 0, "value": D("0.00")}


def test_reports_read_the_time_zone_of_the_shop(settings, payments):
    settings.TIME_ZONE = "Asia/Tokyo"  # UTC+9: 15:05 local is 06:05 UTC
    Payment.objects.filter(pk=payments["card"].pk).update(
        received_at=moment("2025-01-06 15:05")
    )
    Payment.objects.filter(pk=payments["refund"].pk).update(
        received_at=timezone.make_aware(
            datetime(2025, 1, 6, 23, 30), timezone.get_fixed_timezone(0)
        )
    )

    rows, _ = run("payment-history", JANUARY + "&method=card")
    refunds, _ = run(
        "payments-received", "period=custom&start=2025-01-07&end=2025-01-07"
    )

    assert [(r["day"], r["time"]) for r in rows][-1] == (date(2025, 1, 6), "15:05")
    # 23:30 UTC on the 6th is 08:30 on the 7th in Tokyo.
    assert [(r["method_name"], r["refunded"]) for r in refunds][-1] == (
        "Cash",
        D("15.00"),
    )


def test_each_report_reads_its_rows_and_totals_in_two_queries(
    shifts, inventory, payments, django_assert_max_num_queries
):
    for slug in [
        "payments-received",
        "payment-history",
        "balances",
        "cash-shifts",
        "stock-on-hand",
        "low-stock",
        "stock-moves",
        "stock-adjustments",
    ]:
        report = REPORTS[slug]
        filterset = filterset_for(report, QueryDict("period=this_year"))
        with django_assert_max_num_queries(2) as captured:
            list(report.rows(filterset.qs, filterset.params()))
            report.totals(filterset.qs, filterset.params())
        assert all(
            q["sql"].lstrip().upper().startswith("SELECT")
            for q in captured.captured_queries
        ), slug


def test_totals_that_add_up_are_the_sums_of_the_rows(shifts, inventory, payments):
    for slug, query in [
        ("payments-received", JANUARY),
        ("payments-received", JANUARY + "&group_by=week"),
        ("balances", ""),
        ("stock-moves", FEBRUARY),
        ("stock-moves", FEBRUARY + "&group_by=month"),
    ]:
        assert REPORTS[slug].totals_add_up
        rows, totals = run(slug, query)
        assert rows and REPORTS[slug].totals_of(rows) == totals, (slug, query)
    for slug in ("payment-history", "cash-shifts", "stock-on-hand"):
        assert not REPORTS[slug].totals_add_up


def test_money_figures_come_out_in_cents_on_every_database(shifts, inventory, payments):
    """SQLite adds decimals in floating point; the reports still hand out cents."""
    money = {}
    for slug, query in [
        ("payments-received", JANUARY),
        ("payment-history", JANUARY),
        ("cash-shifts", MARCH),
        ("stock-on-hand", ""),
        ("stock-moves", FEBRUARY),
        ("stock-adjustments", FEBRUARY),
        ("balances", ""),
    ]:
        rows, totals = run(slug, query)
        keys = [c.key for c in REPORTS[slug].columns if c.kind == "money"]
        for row in [*rows, totals]:
            for key in keys:
                if key in row and row[key] is not None:
                    money[(slug, key, str(row[key]))] = row[key]

    assert money
    assert all(value.as_tuple().exponent == -2 for value in money.values()), [
        key for key, value in money.items() if value.as_tuple().exponent != -2
    ]
