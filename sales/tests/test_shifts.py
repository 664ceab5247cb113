"""Cash shift screens: open, cash in and out, the blind close and the Z report."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.models import StockMove
from inventory.tests.factories import ProductFactory, TaxRateFactory
from invoices.models import Payment
from sales import services
from sales.models import CashMovement, Return, Shift, ShiftCount, ShiftStatus
from sales.queries import expected_takings
from sales.services import ReturnInput, Tender
from sales.tests.factories import make_sale

# Query budgets: the same whatever the number of shifts or sales. The session,
# the user, the shop's settings and unread notifications are 4 of them.
SHIFT_LIST_QUERIES = 8
Z_REPORT_QUERIES = 15
SHIFT_PAGE_QUERIES = 15


@pytest.fixture
def shop(db):
    """Prices include 20% tax; a cash difference over 5.00 needs an Admin."""
    return ShopSettings.load()


@pytest.fixture
def case(manager):
    """A phone case at 12.00 with plenty in stock."""
    product = ProductFactory(
        name="Clear case",
        sku="CASE-1",
        sale_price=Decimal("12.00"),
        tax_rate=TaxRateFactory(name="Standard", rate=Decimal("20.00")),
    )
    stock.record_opening_stock([stock.StockLine(product, 500)], by=manager)
    return product


@pytest.fixture
def shift(cashier, shop):
    return services.open_shift(by=cashier, opening_float="100.00")


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", first_name="Cole", role=Role.USER)


@pytest.fixture
def colleague_shift(colleague, shop):
    return services.open_shift(by=colleague, opening_float="20.00")


def url(name, shift=None):
    return reverse(f"sales:{name}", args=[shift.pk] if shift else [])


def written():
    """How many rows of each kind a shift screen can write."""
    return (
        Shift.objects.count(),
        CashMovement.objects.count(),
        ShiftCount.objects.count(),
        Payment.objects.count(),
        Return.objects.count(),
        StockMove.objects.count(),
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def close(client, shift, **counted):
    data = {f"counted_{method}": value for method, value in counted.items()}
    return client.post(url("shift_close", shift), data)


# Who may see what.


SHIFT_PAGES = ["shift_detail", "shift_close", "shift_pdf"]


@pytest.mark.parametrize("name", ["shift_list", "shift_open", *SHIFT_PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(client, shift, name):
    target = url(name, shift if name in SHIFT_PAGES else None)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next={target}"


def test_anonymous_cash_movements_are_sent_to_sign_in(client, shift):
    response = client.post(url("shift_cash", shift), {"kind": "drop"})
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=")
    assert not CashMovement.objects.exists()


@pytest.mark.parametrize("name", SHIFT_PAGES)
def test_a_cashier_cannot_open_another_cashiers_shift(
    cashier_client, colleague_shift, name
):
    assert cashier_client.get(url(name, colleague_shift)).status_code == 403


def test_a_cashier_cannot_move_cash_or_close_another_cashiers_shift(
    cashier_client, colleague_shift
):
    before = written()
    cash = {"kind": "drop", "amount": "10.00", "reason": "Safe"}
    assert cashier_client.post(
        url("shift_cash", colleague_shift), cash
    ).status_code == (403)
    assert close(cashier_client, colleague_shift, cash="20.00").status_code == 403
    assert written() == before
    assert Shift.objects.get(pk=colleague_shift.pk).is_open


def test_an_admin_sees_any_cashiers_shift_with_the_expected_figures(
    manager_client, colleague_shift
):
    response = manager_client.get(url("shift_detail", colleague_shift))
    assert response.status_code == 200
    assert b'data-testid="expected"' in response.content
    assert "$20.00" in response.content.decode()


def test_an_unknown_shift_is_not_found(manager_client, shop):
    assert manager_client.get(
        reverse("sales:shift_detail", args=[999])
    ).status_code == (404)


# The list.


def test_a_cashier_sees_only_their_own_shifts(cashier_client, shift, colleague_shift):
    response = cashier_client.get(url("shift_list"))
    assert response.status_code == 200
    shown = [s.pk for s in response.context["table"].page.object_list.data]
    assert shown == [shift.pk]
    assert "cashier" not in response.context["filter"].form.fields
    # Naming another cashier changes nothing: the list stays theirs.
    response = cashier_client.get(url("shift_list"), {"cashier": colleague_shift.pk})
    assert [s.pk for s in response.context["table"].page.object_list.data] == [shift.pk]


def test_an_admin_sees_every_shift_and_filters_them(
    manager_client, shift, colleague_shift, colleague, cashier
):
    services.close_shift(shift, by=cashier, counted={"cash": "100.00"})
    response = manager_client.get(url("shift_list"))
    shown = {s.pk for s in response.context["table"].page.object_list.data}
    assert shown == {shift.pk, colleague_shift.pk}

    def filtered(**params):
        response = manager_client.get(url("shift_list"), params)
        return [s.pk for s in response.context["table"].page.object_list.data]

    assert filtered(cashier=colleague.pk) == [colleague_shift.pk]
    assert filtered(status="closed") == [shift.pk]
    today = shift.opened_at.date().isoformat()
    assert set(filtered(opened_from=today, opened_to=today)) == shown
    assert filtered(opened_from="2999-01-01") == []


def test_the_shift_list_shows_takings_and_the_cash_difference(
    manager_client, cashier, case, shop
):
    make_sale(cashier, [(case, 2)])  # opens a shift with a 50.00 float
    shift = services.current_shift(cashier)
    services.close_shift(shift, by=cashier, counted={"cash": "73.00"})
    [row] = manager_client.get(url("shift_list")).context["table"].page.object_list.data
    assert (row.sales_count, row.sales_total, row.cash_difference) == (
        1,
        Decimal("24.00"),
        Decimal("-1.00"),
    )


def test_the_shift_list_costs_the_same_queries_for_few_and_many_shifts(
    manager_client, django_assert_max_num_queries, shop
):
    def make_shifts(n):
        for _ in range(n):
            user = UserFactory(role=Role.USER)
            services.close_shift(
                services.open_shift(by=user, opening_float="10.00"),
                by=user,
                counted={"cash": "10.00"},
            )

    make_shifts(3)
    with django_assert_max_num_queries(SHIFT_LIST_QUERIES):
        assert manager_client.get(url("shift_list")).status_code == 200
    make_shifts(45)
    with django_assert_max_num_queries(SHIFT_LIST_QUERIES):
        response = manager_client.get(url("shift_list"))
    assert len(response.context["table"].page.object_list) == 48


# Opening a shift.


def test_a_cashier_opens_a_shift_with_a_float(cashier_client, cashier, shop):
    assert cashier_client.get(url("shift_open")).status_code == 200
    response = cashier_client.post(url("shift_open"), {"opening_float": "75.50"})
    shift = Shift.objects.get()
    assert response.status_code == 302
    assert response["Location"] == shift.get_absolute_url()
    assert (shift.cashier, shift.opening_float, shift.status) == (
        cashier,
        Decimal("75.50"),
        ShiftStatus.OPEN,
    )


def test_opening_a_shift_when_one_is_open_goes_to_it(cashier_client, shift):
    response = cashier_client.get(url("shift_open"))
    assert response["Location"] == shift.get_absolute_url()
    response = cashier_client.post(url("shift_open"), {"opening_float": "10.00"})
    assert response["Location"] == shift.get_absolute_url()
    assert Shift.objects.count() == 1


@pytest.mark.parametrize(
    "value, message",
    [
        ("abc", "Enter an amount of money"),
        ("-5", "cannot be negative"),
        ("1.005", "at most 2 decimals"),
        ("", "This field is required"),
        ("NaN", "Enter an amount of money"),
        ("1e20", "too large"),
    ],
)
def test_a_bad_opening_float_is_refused_clearly(cashier_client, shop, value, message):
    response = cashier_client.post(url("shift_open"), {"opening_float": value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Shift.objects.exists()


# The open shift's page and cash in and out.


def test_the_cashier_sees_running_figures_but_not_what_the_drawer_should_hold(
    cashier_client, cashier, case, shop
):
    make_sale(cashier, [(case, 3)])
    shift = services.current_shift(cashier)
    response = cashier_client.get(url("shift_detail", shift))
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"].sales_count == 1
    assert 'data-testid="cash-form"' in page
    assert "$36.00" in page  # the sales total
    assert 'data-testid="expected"' not in page
    assert "$86.00" not in page  # 50.00 float + 36.00 cash: the count is blind


def test_a_payout_takes_cash_out_of_the_drawer(cashier_client, cashier, shift):
    response = cashier_client.post(
        url("shift_cash", shift),
        {"kind": "payout", "amount": "12.40", "reason": "Window cleaner"},
    )
    assert response.status_code == 302
    assert response["Location"] == shift.get_absolute_url()
    movement = CashMovement.objects.get()
    assert (movement.kind, movement.amount, movement.reason, movement.by) == (
        "payout",
        Decimal("-12.40"),
        "Window cleaner",
        cashier,
    )
    page = cashier_client.get(shift.get_absolute_url()).content.decode()
    assert "Window cleaner" in page


def test_cash_in_and_a_drop_are_recorded_with_their_sign(cashier_client, shift):
    for kind, amount in [("pay_in", "30.00"), ("drop", "50.00")]:
        cashier_client.post(
            url("shift_cash", shift), {"kind": kind, "amount": amount, "reason": "x"}
        )
    assert sorted(CashMovement.objects.values_list("amount", flat=True)) == [
        Decimal("-50.00"),
        Decimal("30.00"),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "payout", "amount": "abc", "reason": "x"}, "Enter an amount"),
        ({"kind": "payout", "amount": "-5", "reason": "x"}, "more than zero"),
        ({"kind": "payout", "amount": "0", "reason": "x"}, "more than zero"),
        ({"kind": "payout", "amount": "1.005", "reason": "x"}, "at most 2 decimals"),
        ({"kind": "payout", "amount": "5", "reason": ""}, "This field is required"),
        ({"kind": "steal", "amount": "5", "reason": "x"}, "Select a valid choice"),
    ],
)
def test_bad_cash_movements_are_refused_clearly(cashier_client, shift, data, message):
    before = written()
    response = cashier_client.post(url("shift_cash", shift), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert written() == before


@pytest.mark.parametrize("amount", ["5", "abc"])
def test_a_closed_shifts_cash_form_changes_nothing(
    cashier_client, cashier, shift, amount
):
    services.close_shift(shift, by=cashier, counted={"cash": "100.00"})
    before = written()
    response = cashier_client.post(
        url("shift_cash", shift), {"kind": "drop", "amount": amount, "reason": "x"}
    )
    assert response.status_code == 200
    assert any("closed shift never changes" in m for m in messages_of(response))
    assert 'data-testid="z-report"' in response.content.decode()
    assert written() == before


def test_a_shift_closed_at_another_till_meanwhile_refuses_the_cash(
    cashier_client, cashier, shift, monkeypatch
):
    record = services.record_cash_movement

    def close_first(shift, **kwargs):
        services.close_shift(shift, by=cashier, counted={"cash": "100.00"})
        return record(shift, **kwargs)

    monkeypatch.setattr(services, "record_cash_movement", close_first)
    response = cashier_client.post(
        url("shift_cash", shift), {"kind": "drop", "amount": "5", "reason": "x"}
    )
    assert response.status_code == 200
    assert any("closed shift never changes" in m for m in messages_of(response))
    assert not CashMovement.objects.exists()


def test_the_cash_form_only_takes_a_post(cashier_client, shift):
    assert cashier_client.get(url("shift_cash", shift)).status_code == 405


# Closing: a blind count.


def test_the_close_form_asks_for_a_count_per_method_without_the_expected_figures(
    cashier_client, cashier, case, shop
):
    make_sale(cashier, [(case, 1)], tenders=[Tender("card", "12.00", "1234")])
    shift = services.current_shift(cashier)
    response = cashier_client.get(url("shift_close", shift))
    page = response.content.decode()
    assert response.status_code == 200
    fields = set(response.context["form"].fields)
    assert {f"counted_{m}" for m in shop.payment_methods} <= fields
    assert "approver_password" in fields
    assert 'data-testid="approval"' not in page
    assert "$50.00" not in page  # the expected cash (the float)
    assert "$12.00" not in page  # the expected card takings


def test_closing_records_the_counts_and_shows_the_z_report(
    cashier_client, cashier, case, shift
):
    make_sale(cashier, [(case, 2)])  # 24.00 cash
    response = close(cashier_client, shift, cash="122.00", card="")
    assert response.status_code == 302
    assert response["Location"] == shift.get_absolute_url()
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CLOSED
    assert shift.closed_at is not None
    assert shift.difference_approved_by is None
    cash = ShiftCount.objects.get(shift=shift, method="cash")
    assert (cash.expected, cash.counted, cash.difference) == (
        Decimal("124.00"),
        Decimal("122.00"),
        Decimal("-2.00"),
    )
    card = ShiftCount.objects.get(shift=shift, method="card")
    assert (card.expected, card.counted, card.difference) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    page = cashier_client.get(shift.get_absolute_url()).content.decode()
    assert 'data-testid="z-report"' in page
    assert "$124.00" in page and "$122.00" in page and "-$2.00" in page


@pytest.mark.parametrize(
    "counted, message",
    [
        ("abc", "Enter an amount of money"),
        ("-5", "cannot be negative"),
        ("1.005", "at most 2 decimals"),
        ("", "This field is required"),
    ],
)
def test_a_bad_count_is_refused_and_the_shift_stays_open(
    cashier_client, shift, counted, message
):
    before = written()
    response = close(cashier_client, shift, cash=counted)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert written() == before
    assert Shift.objects.get(pk=shift.pk).is_open


def test_a_big_difference_asks_for_an_admin_without_telling_the_amount(
    cashier_client, shift
):
    before = written()
    response = close(cashier_client, shift, cash="80.00")  # 20.00 short
    page = response.content.decode()
    assert response.status_code == 200
    assert "an Admin must approve the close" in page
    assert 'data-testid="approval"' in page
    assert "$20.00" not in page and "$100.00" not in page
    assert written() == before
    assert Shift.objects.get(pk=shift.pk).is_open


@pytest.mark.parametrize(
    "username, secret",
    [("manager", "wrong-password"), ("colleague", None), ("", None)],
    ids=["wrong-password", "not-an-admin", "blank"],
)
def test_the_admins_approval_must_be_an_admins_password(
    cashier_client, shift, manager, colleague, password, username, secret
):
    before = written()
    response = cashier_client.post(
        url("shift_close", shift),
        {
            "counted_cash": "80.00",
            "approver_username": username,
            "approver_password": secret or password,
        },
    )
    assert response.status_code == 200
    assert 'data-testid="approval"' in response.content.decode()
    assert response.context["form"].non_field_errors()
    assert written() == before
    assert Shift.objects.get(pk=shift.pk).is_open


def test_an_admin_approves_a_big_difference_at_the_cashiers_till(
    cashier_client, shift, manager, password
):
    response = cashier_client.post(
        url("shift_close", shift),
        {
            "counted_cash": "80.00",
            "approver_username": "manager",
            "approver_password": password,
            "note": "Float short from the morning",
        },
    )
    assert response.status_code == 302
    shift.refresh_from_db()
    assert (shift.status, shift.difference_approved_by) == ("closed", manager)
    assert shift.closing_note == "Float short from the morning"
    page = cashier_client.get(shift.get_absolute_url()).content.decode()
    assert "Difference approved by Marcus" in page


def test_an_admins_signature_on_a_close_checks_their_password_once(
    cashier_client, shift, manager, password, password_checks
):
    data = {"counted_cash": "80.00", "approver_username": "manager"}
    cashier_client.post(url("shift_close", shift), {**data, "approver_password": "x"})
    cashier_client.post(
        url("shift_close", shift), {**data, "approver_password": password}
    )
    assert password_checks == ["manager", "manager"]
    assert Shift.objects.get(pk=shift.pk).difference_approved_by == manager


def test_an_admin_closing_a_big_difference_approves_it_themselves(
    manager_client, manager, colleague_shift
):
    response = close(manager_client, colleague_shift, cash="0.00")
    assert response.status_code == 302
    colleague_shift.refresh_from_db()
    assert colleague_shift.difference_approved_by == manager


def test_a_closed_shift_cannot_be_closed_again(cashier_client, cashier, shift):
    services.close_shift(shift, by=cashier, counted={"cash": "100.00"})
    before = written()
    assert cashier_client.get(url("shift_close", shift))["Location"] == (
        shift.get_absolute_url()
    )
    response = close(cashier_client, shift, cash="1.00")
    assert response["Location"] == shift.get_absolute_url()
    assert written() == before


# The Z report.


@pytest.fixture
def busy_shift(cashier, manager, case, shift):
    """A closed shift with sales, a void, a return, a payout and a big difference."""
    customer = CustomerFactory()
    make_sale(cashier, [(case, 2)])  # 24.00 cash
    make_sale(cashier, [(case, 1)], tenders=[Tender("card", "12.00", "4321")])
    returned = make_sale(cashier, [(case, 1)], customer=customer)  # 12.00 cash
    # On the customer's account, so the void moves no money.
    voided = make_sale(cashier, [(case, 1)], customer=customer, tenders=[])
    services.void_sale(voided, by=manager, reason="Rang up twice")
    services.return_items(
        returned,
        [ReturnInput(returned.lines.get(), 1)],
        by=cashier,
        approver=manager,
        reason="Wrong colour",
    )
    services.record_cash_movement(
        shift, by=cashier, kind="payout", amount="5.00", reason="Milk"
    )
    # Cash expected: 100.00 float + 24.00 + 12.00 - 12.00 refund - 5.00 = 119.00
    return services.close_shift(
        shift,
        by=cashier,
        counted={"cash": "90.00", "card": "12.00"},
        approver=manager,
    )


def test_the_z_report_shows_every_figure_of_the_shift(cashier_client, busy_shift):
    response = cashier_client.get(url("shift_detail", busy_shift))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.sales_count, summary.voided_count, summary.returns_count) == (
        3,
        1,
        1,
    )
    assert (summary.gross_sales, summary.returns_total, summary.net_sales) == (
        Decimal("48.00"),
        Decimal("12.00"),
        Decimal("36.00"),
    )
    assert summary.tax == Decimal("8.00")
    rows = {row.label: row for row in response.context["rows"]}
    cash = rows["Cash"]
    assert (cash.received, cash.refunded, cash.expected, cash.counted) == (
        Decimal("36.00"),
        Decimal("-12.00"),
        Decimal("119.00"),
        Decimal("90.00"),
    )
    assert cash.difference == Decimal("-29.00")
    assert rows["Card"].difference == Decimal("0.00")
    page = response.content.decode()
    for text in ["Milk", "Payout", "-$29.00", "$119.00", "Difference approved by"]:
        assert text in page


def test_a_voids_refund_comes_out_of_the_sales_shifts_expected_cash(
    cashier, manager, case, shift
):
    sale = make_sale(cashier, [(case, 1)])  # 12.00 cash into this drawer
    services.void_sale(sale, by=manager, reason="Rang up twice")
    assert expected_takings(shift)["cash"] == Decimal("100.00")


def test_the_z_report_costs_the_same_queries_for_few_and_many_sales(
    cashier_client, cashier, case, shop, django_assert_max_num_queries
):
    def closed_shift_with(n):
        for _ in range(n):
            make_sale(cashier, [(case, 1)])
        shift = services.current_shift(cashier)
        services.record_cash_movement(
            shift, by=cashier, kind="drop", amount="10.00", reason="Safe"
        )
        expected = expected_takings(shift)["cash"]
        return services.close_shift(shift, by=cashier, counted={"cash": expected})

    small = closed_shift_with(2)
    big = closed_shift_with(40)
    for shift in (small, big):
        with django_assert_max_num_queries(Z_REPORT_QUERIES):
            response = cashier_client.get(url("shift_detail", shift))
        assert response.context["summary"].sales_count in (2, 40)


def test_the_open_shift_page_costs_the_same_queries_for_few_and_many_sales(
    cashier_client, cashier, case, shop, django_assert_max_num_queries
):
    make_sale(cashier, [(case, 1)])
    shift = services.current_shift(cashier)
    with django_assert_max_num_queries(SHIFT_PAGE_QUERIES):
        cashier_client.get(url("shift_detail", shift))
    for _ in range(30):
        make_sale(cashier, [(case, 1)])
    with django_assert_max_num_queries(SHIFT_PAGE_QUERIES):
        cashier_client.get(url("shift_detail", shift))


@pytest.mark.parametrize("paper", ["80mm", "58mm", "a4"])
def test_the_z_report_prints_as_a_pdf_on_the_shops_paper(
    cashier_client, busy_shift, shop, paper
):
    shop.paper_width = paper
    shop.save()
    response = cashier_client.get(url("shift_pdf", busy_shift))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"z-report-shift-{busy_shift.pk}.pdf" in response["Content-Disposition"]


def test_an_open_shift_has_no_z_report_to_print_yet(cashier_client, shift):
    response = cashier_client.get(url("shift_pdf", shift))
    assert response.status_code == 302
    assert response["Location"] == shift.get_absolute_url()


def test_an_admin_prints_any_cashiers_z_report(manager_client, busy_shift):
    response = manager_client.get(url("shift_pdf", busy_shift))
    assert response.content.startswith(b"%PDF")


# Django admin: shifts are read, never written.


def test_django_admin_shows_shifts_read_only(manager_client, busy_shift):
    changelist = reverse("admin:sales_shift_changelist")
    assert manager_client.get(changelist).status_code == 200
    change = reverse("admin:sales_shift_change", args=[busy_shift.pk])
    response = manager_client.get(change)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert manager_client.get(reverse("admin:sales_shift_add")).status_code == 403
    delete = reverse("admin:sales_shift_delete", args=[busy_shift.pk])
    assert manager_client.post(delete, {"post": "yes"}).status_code == 403
    assert Shift.objects.filter(pk=busy_shift.pk).exists()
