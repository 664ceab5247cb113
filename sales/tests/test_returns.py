"""Sales list, returns, voids and the customer's sales panel."""

from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from customers.panels import PANELS
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.models import Product, StockMove
from inventory.tests.factories import ProductFactory, TaxRateFactory
from invoices.models import Invoice, Payment
from sales import services
from sales.models import Return, ReturnLine, Sale, SaleLine, SaleStatus, ShiftCount
from sales.tests.factories import make_sale

# Query budget of the sales list, whatever the number of sales: the session,
# the user, the shop's settings, unread notifications, the cashier choices, the
# count and the page of sales.
SALE_LIST_QUERIES = 7


@pytest.fixture
def shop(db):
    """Prices include 20% tax; cash, card and store credit are offered."""
    return ShopSettings.load()


@pytest.fixture
def products(manager, shop):
    """A case at 12.00 and a charger at 25.00, 10 of each in stock."""
    rate = TaxRateFactory(name="Standard", rate=Decimal("20.00"))
    case = ProductFactory(
        name="Clear case", sku="CASE-1", sale_price=Decimal("12.00"), tax_rate=rate
    )
    charger = ProductFactory(
        name="USB-C charger", sku="CHG-1", sale_price=Decimal("25.00"), tax_rate=rate
    )
    stock.record_opening_stock(
        [stock.StockLine(case, 10), stock.StockLine(charger, 10)], by=manager
    )
    return case, charger


@pytest.fixture
def sale(cashier, products):
    """R-000001: 2 cases and a charger (49.00) paid in cash, in an open shift."""
    case, charger = products
    return make_sale(cashier, [(case, 2), (charger, 1)])


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Dana Customer")


@pytest.fixture
def customer_sale(cashier, products, customer):
    case, _ = products
    return make_sale(cashier, [(case, 1)], customer=customer)


def on_hand(product):
    return Product.objects.get(pk=product.pk).on_hand


def line_of(sale, sku):
    return SaleLine.objects.get(sale=sale, sku=sku)


def written():
    """How many rows of each kind a return or a void can write."""
    return (
        Return.objects.count(),
        ReturnLine.objects.count(),
        Payment.objects.count(),
        StockMove.objects.count(),
        Invoice.objects.count(),
        ShiftCount.objects.count(),
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def return_data(sale, quantities, **extra):
    """The return form's POST: {sku: quantity or (quantity, damaged)}."""
    data = {"refund_method": "original", "reason": "Faulty"}
    for sku, value in quantities.items():
        quantity, damaged = value if isinstance(value, tuple) else (value, False)
        line = line_of(sale, sku)
        data[f"qty_{line.pk}"] = str(quantity)
        if damaged:
            data[f"damaged_{line.pk}"] = "on"
    data.update(extra)
    return data


def create_url(sale):
    return reverse("sales:return_create", args=[sale.pk])


# Who may do what.


@pytest.mark.parametrize(
    "name, with_pk",
    [
        ("sale_list", False),
        ("return_start", False),
        ("return_create", True),
        ("sale_void", True),
        ("customer_sales", True),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, sale, customer, name, with_pk):
    pk = customer.pk if name == "customer_sales" else sale.pk
    target = reverse(f"sales:{name}", args=[pk] if with_pk else [])
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next={target}"


def test_anonymous_visitors_see_no_return_document(client, sale, manager):
    sale_return = services.return_items(
        sale,
        [services.ReturnInput(line_of(sale, "CASE-1").pk, 1)],
        by=sale.cashier,
        approver=manager,
        reason="x",
    )
    target = sale_return.get_absolute_url()
    assert client.get(target)["Location"] == f"/sign-in/?next={target}"


def test_a_cashier_may_not_void_a_sale(cashier_client, sale, products):
    before = written()
    url = reverse("sales:sale_void", args=[sale.pk])
    assert cashier_client.get(url).status_code == 403
    assert cashier_client.post(url, {"reason": "Oops"}).status_code == 403
    assert written() == before
    assert Sale.objects.get(pk=sale.pk).status == SaleStatus.COMPLETED


# The sales list.


def test_every_member_of_staff_sees_every_sale(cashier_client, sale, products):
    colleague = UserFactory(username="colleague", role=Role.USER)
    theirs = make_sale(colleague, [(products[0], 1)])
    response = cashier_client.get(reverse("sales:sale_list"))
    assert response.status_code == 200
    numbers = [s.number for s in response.context["table"].page.object_list.data]
    assert numbers == [theirs.number, sale.number]
    page = response.content.decode()
    assert reverse("sales:receipt", args=[sale.pk]) in page
    assert create_url(sale) in page
    assert reverse("sales:sale_void", args=[sale.pk]) not in page


def test_an_admin_sees_a_void_button_while_the_shift_is_open(manager_client, sale):
    page = manager_client.get(reverse("sales:sale_list")).content.decode()
    assert reverse("sales:sale_void", args=[sale.pk]) in page


def test_the_sales_list_filters_by_number_date_cashier_customer_and_status(
    cashier_client, cashier, sale, customer_sale, customer, manager, products
):
    colleague = UserFactory(username="colleague", role=Role.USER)
    theirs = make_sale(colleague, [(products[0], 1)])
    services.void_sale(theirs, by=manager, reason="Test")

    def numbers(**params):
        response = cashier_client.get(reverse("sales:sale_list"), params)
        assert response.status_code == 200
        return [s.number for s in response.context["table"].page.object_list.data]

    assert numbers(number="000001") == [sale.number]
    assert numbers(number="r-000002") == [customer_sale.number]
    assert numbers(cashier=colleague.pk) == [theirs.number]
    assert numbers(customer="dana") == [customer_sale.number]
    assert numbers(status="voided") == [theirs.number]
    today = sale.created_at.date().isoformat()
    assert len(numbers(date_from=today, date_to=today)) == 3
    assert numbers(date_to="2000-01-01") == []


def test_a_bad_filter_value_is_explained_not_a_crash(cashier_client, sale):
    response = cashier_client.get(
        reverse("sales:sale_list"), {"date_from": "yesterday", "cashier": "abc"}
    )
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()


def test_the_sales_list_costs_the_same_queries_for_few_and_many_sales(
    cashier_client, cashier, manager, products, django_assert_max_num_queries
):
    colleague = UserFactory(username="colleague", role=Role.USER)
    customers = [CustomerFactory() for _ in range(3)]

    def sell(n):
        for i in range(n):
            make_sale(
                (cashier, colleague)[i % 2],
                [(products[0], 1)],
                customer=customers[i % 3] if i % 2 else None,
            )

    stock.receive_stock(
        [stock.StockLine(products[0], 100, "4.00")],
        by=manager,
        supplier=products[0].supplier,
    )
    sell(5)
    with django_assert_max_num_queries(SALE_LIST_QUERIES):
        assert cashier_client.get(reverse("sales:sale_list")).status_code == 200
    sell(55)
    with django_assert_max_num_queries(SALE_LIST_QUERIES):
        response = cashier_client.get(reverse("sales:sale_list"))
    assert len(response.context["table"].page.object_list) == 50


# Finding the sale.


@pytest.mark.parametrize("typed", ["R-000001", "r-000001", " 1 ", "000001"])
def test_a_receipt_number_typed_or_scanned_finds_the_sale(cashier_client, sale, typed):
    response = cashier_client.get(reverse("sales:return_start"), {"number": typed})
    assert response.status_code == 302
    assert response["Location"] == create_url(sale)


def test_a_receipt_number_that_does_not_exist_is_explained(cashier_client, sale):
    response = cashier_client.get(reverse("sales:return_start"), {"number": "R-999999"})
    assert response.status_code == 200
    assert "No sale has the receipt number" in response.content.decode()


def test_the_return_page_opens_empty_without_a_number(cashier_client, shop):
    response = cashier_client.get(reverse("sales:return_start"))
    assert response.status_code == 200
    assert not response.context["form"].errors


# The return form.


def test_the_return_form_lists_what_can_still_come_back(cashier_client, sale, manager):
    services.return_items(
        sale,
        [services.ReturnInput(line_of(sale, "CASE-1").pk, 1)],
        by=sale.cashier,
        approver=manager,
        reason="x",
    )
    response = cashier_client.get(create_url(sale))
    assert response.status_code == 200
    form = response.context["form"]
    case_line = line_of(sale, "CASE-1")
    assert form.fields[f"qty_{case_line.pk}"].max_value == 1
    assert "approver_password" in form.fields
    methods = [value for value, _ in form.fields["refund_method"].choices]
    assert methods == ["original", "cash"]  # a walk-in sale: no store credit
    assert "1 already returned" in response.content.decode()


def test_an_admin_needs_no_second_signature_and_a_customer_can_take_credit(
    manager_client, customer_sale
):
    form = manager_client.get(create_url(customer_sale)).context["form"]
    assert "approver_password" not in form.fields
    methods = [value for value, _ in form.fields["refund_method"].choices]
    assert methods == ["original", "cash", "store_credit"]


def test_an_admin_returns_an_item_it_is_restocked_credited_and_refunded(
    manager_client, manager, cashier, sale, products
):
    case, _ = products
    services.open_shift(by=manager, opening_float="0")
    response = manager_client.post(create_url(sale), return_data(sale, {"CASE-1": 1}))
    sale_return = Return.objects.get()
    assert response.status_code == 302
    assert response["Location"] == sale_return.get_absolute_url()
    assert sale_return.number == "RET-000001"
    assert (sale_return.total, sale_return.created_by, sale_return.approved_by) == (
        Decimal("12.00"),
        manager,
        manager,
    )
    assert on_hand(case) == 9  # 10 - 2 sold + 1 back
    assert line_of(sale, "CASE-1").returned_quantity == 1
    assert sale_return.credit_note.credited_invoice_id == sale.invoice_id
    refund = Payment.objects.get(amount__lt=0)
    assert (refund.amount, refund.method) == (Decimal("-12.00"), "cash")
    move = StockMove.objects.get(reason="return")
    assert (move.product, move.quantity) == (case, 1)


def test_a_cashier_returns_with_an_admins_password_typed_at_their_till(
    cashier_client, cashier, manager, password, sale
):
    data = return_data(
        sale,
        {"CASE-1": 2, "CHG-1": 1},
        approver_username="manager",
        approver_password=password,
        refund_method="cash",
    )
    response = cashier_client.post(create_url(sale), data)
    assert response.status_code == 302
    sale_return = Return.objects.get()
    assert (sale_return.created_by, sale_return.approved_by) == (cashier, manager)
    assert sale_return.total == Decimal("49.00")
    assert sale_return.shift == services.current_shift(cashier)
    assert Invoice.objects.get(pk=sale.invoice_id).balance == Decimal("0.00")
    assert Payment.objects.get(amount__lt=0).received_by == cashier


@pytest.mark.parametrize(
    "username, secret, message",
    [
        ("manager", "wrong-password", "not an Admin's username and password"),
        ("colleague", None, "not an Admin's username and password"),
        ("", "", "An Admin must enter their username and password"),
        ("nobody", "whatever", "not an Admin's username and password"),
    ],
    ids=["wrong-password", "a-user-not-an-admin", "blank", "unknown-user"],
)
def test_a_return_without_an_admins_real_password_writes_nothing(
    cashier_client, sale, manager, password, username, secret, message
):
    UserFactory(username="colleague", role=Role.USER)
    before = written()
    data = return_data(
        sale,
        {"CASE-1": 1},
        approver_username=username,
        approver_password=password if secret is None else secret,
    )
    response = cashier_client.post(create_url(sale), data)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert written() == before


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("-1", "the quantity cannot be negative"),
        ("1.5", "enter a whole number"),
        ("abc", "enter a whole number"),
        ("3", "only 2 can still be returned"),
        ("0", "Enter how many of at least one item come back"),
        ("", "Enter how many of at least one item come back"),
    ],
)
def test_bad_quantities_are_refused_clearly_and_write_nothing(
    manager_client, sale, quantity, message
):
    before = written()
    response = manager_client.post(
        create_url(sale), return_data(sale, {"CASE-1": quantity})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert written() == before


@pytest.mark.parametrize("quantity", ["-1", "9", "x"])
def test_a_product_name_with_a_percent_sign_is_shown_in_the_message(
    manager_client, cashier, manager, quantity
):
    sleeve = ProductFactory(name="100% cotton sleeve", sku="SLV-1")
    stock.record_opening_stock([stock.StockLine(sleeve, 5)], by=manager)
    sold = make_sale(cashier, [(sleeve, 1)])
    response = manager_client.post(
        create_url(sold), return_data(sold, {"SLV-1": quantity})
    )
    assert response.status_code == 200
    assert "100% cotton sleeve:" in response.content.decode()


def test_a_line_already_returned_in_full_cannot_come_back_again(
    manager_client, manager, sale
):
    services.open_shift(by=manager, opening_float="0")
    manager_client.post(create_url(sale), return_data(sale, {"CHG-1": 1}))
    before = written()
    line = line_of(sale, "CHG-1")
    response = manager_client.post(
        create_url(sale),
        {"refund_method": "original", "reason": "x", f"qty_{line.pk}": "1"},
    )
    assert response.status_code == 200
    assert written() == before
    assert "All returned" in response.content.decode()


def test_a_damaged_item_comes_back_without_restocking(
    manager_client, manager, sale, products
):
    case, _ = products
    services.open_shift(by=manager, opening_float="0")
    before_moves = StockMove.objects.count()
    response = manager_client.post(
        create_url(sale), return_data(sale, {"CASE-1": (1, True)})
    )
    assert response.status_code == 302
    assert on_hand(case) == 8
    assert StockMove.objects.count() == before_moves
    assert ReturnLine.objects.get().restocked is False
    page = manager_client.get(response["Location"]).content.decode()
    assert "Damaged: not restocked" in page


def test_store_credit_leaves_a_negative_customer_balance(
    manager_client, manager, customer_sale, customer
):
    services.open_shift(by=manager, opening_float="0")
    payments = Payment.objects.count()
    response = manager_client.post(
        create_url(customer_sale),
        return_data(customer_sale, {"CASE-1": 1}, refund_method="store_credit"),
    )
    assert response.status_code == 302
    assert Payment.objects.count() == payments  # nothing handed over
    assert Invoice.objects.filter(customer=customer).total_balance() == Decimal(
        "-12.00"
    )
    page = manager_client.get(response["Location"]).content.decode()
    assert 'data-testid="store-credit"' in page


def test_store_credit_is_refused_for_a_walk_in_sale(manager_client, manager, sale):
    services.open_shift(by=manager, opening_float="0")
    before = written()
    response = manager_client.post(
        create_url(sale), return_data(sale, {"CASE-1": 1}, refund_method="store_credit")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert written() == before


def test_a_return_needs_an_open_shift_to_pay_from(manager_client, sale):
    before = written()
    response = manager_client.post(create_url(sale), return_data(sale, {"CASE-1": 1}))
    assert response.status_code == 200
    assert "Open a shift before giving money back" in response.content.decode()
    assert 'data-testid="no-shift"' in response.content.decode()
    assert written() == before


def test_a_voided_sale_cannot_be_returned(cashier_client, sale, manager):
    services.void_sale(sale, by=manager, reason="Test")
    response = cashier_client.get(create_url(sale))
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:return_start")


def test_a_sale_that_does_not_exist_is_not_found(cashier_client, shop):
    assert cashier_client.get(
        reverse("sales:return_create", args=[999])
    ).status_code == (404)


# The return document.


def test_the_return_document_shows_lines_credit_note_refunds_and_approver(
    cashier_client, cashier, manager, password, sale
):
    cashier_client.post(
        create_url(sale),
        return_data(
            sale,
            {"CASE-1": (1, True), "CHG-1": 1},
            approver_username="manager",
            approver_password=password,
            reason="Both faulty",
        ),
    )
    sale_return = Return.objects.get()
    response = cashier_client.get(sale_return.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "RET-000001",
        sale.number,
        "Clear case",
        "USB-C charger",
        "Back in stock",
        "Damaged: not restocked",
        "$37.00",
        "Both faulty",
        str(manager),
        reverse("invoices:invoice_detail", args=[sale_return.credit_note_id]),
    ]:
        assert text in page, text
    [refund] = response.context["refunds"]
    assert refund.amount == Decimal("-37.00")


def test_each_return_document_lists_only_its_own_refunds(manager_client, manager, sale):
    services.open_shift(by=manager, opening_float="0")
    manager_client.post(create_url(sale), return_data(sale, {"CASE-1": 1}))
    manager_client.post(create_url(sale), return_data(sale, {"CHG-1": 1}))
    first, second = Return.objects.order_by("pk")
    assert [
        r.amount
        for r in manager_client.get(first.get_absolute_url()).context["refunds"]
    ] == [Decimal("-12.00")]
    assert [
        r.amount
        for r in manager_client.get(second.get_absolute_url()).context["refunds"]
    ] == [Decimal("-25.00")]


# Voids.


def test_an_admin_voids_a_sale_and_everything_it_did_is_reversed(
    manager_client, manager, sale, products
):
    case, charger = products
    assert manager_client.get(
        reverse("sales:sale_void", args=[sale.pk])
    ).status_code == (200)
    invoices = Invoice.objects.count()
    response = manager_client.post(
        reverse("sales:sale_void", args=[sale.pk]), {"reason": "Rang up twice"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:receipt", args=[sale.pk])
    sale.refresh_from_db()
    assert (sale.status, sale.voided_by, sale.void_reason) == (
        SaleStatus.VOIDED,
        manager,
        "Rang up twice",
    )
    assert (on_hand(case), on_hand(charger)) == (10, 10)
    refund = Payment.objects.get(amount__lt=0)
    assert (refund.amount, refund.method) == (Decimal("-49.00"), "cash")
    assert Invoice.objects.count() == invoices + 1  # a credit note, nothing deleted
    assert Invoice.objects.get(pk=sale.invoice_id).balance == Decimal("0.00")
    assert SaleLine.objects.filter(sale=sale).count() == 2


def test_a_void_needs_a_reason(manager_client, sale):
    before = written()
    response = manager_client.post(
        reverse("sales:sale_void", args=[sale.pk]), {"reason": " "}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert written() == before


def test_a_sale_of_a_closed_shift_cannot_be_voided(manager_client, cashier, sale):
    shift = services.current_shift(cashier)
    services.close_shift(shift, by=cashier, counted={"cash": "99.00"})
    before = written()
    response = manager_client.post(
        reverse("sales:sale_void", args=[sale.pk]), {"reason": "Too late"}
    )
    assert response.status_code == 200
    assert any("make a return instead" in m for m in messages_of(response))
    assert written() == before
    assert Sale.objects.get(pk=sale.pk).status == SaleStatus.COMPLETED


def test_a_sale_with_returns_or_already_voided_is_refused(
    manager_client, manager, sale
):
    services.void_sale(sale, by=manager, reason="First")
    before = written()
    response = manager_client.post(
        reverse("sales:sale_void", args=[sale.pk]), {"reason": "Again"}
    )
    assert response.status_code == 200
    assert any("already voided" in m for m in messages_of(response))
    assert written() == before


# The customer's page.


def test_the_sales_panel_is_registered_for_the_customer_page(db):
    [panel] = [p for p in PANELS if p.url_name == "sales:customer_sales"]
    assert (panel.title, panel.order, panel.permission) == (
        "Sales",
        5,
        "sales.view_sale",
    )


def test_the_customer_panel_lists_their_sales_newest_first_ten_a_page(
    cashier_client, cashier, manager, customer, products
):
    stock.receive_stock(
        [stock.StockLine(products[0], 20, "4.00")],
        by=manager,
        supplier=products[0].supplier,
    )
    sales = [
        make_sale(cashier, [(products[0], 1)], customer=customer) for _ in range(12)
    ]
    make_sale(cashier, [(products[0], 1)])  # someone else's
    url = reverse("sales:customer_sales", args=[customer.pk])
    response = cashier_client.get(url)
    assert response.status_code == 200
    shown = [s.number for s in response.context["page"]]
    assert shown == [s.number for s in reversed(sales)][:10]
    page = response.content.decode()
    assert "<html" not in page  # a fragment for htmx
    assert f'hx-get="{url}?page=2"' in page
    assert reverse("sales:receipt", args=[sales[-1].pk]) in page
    second = cashier_client.get(url, {"page": 2}, HTTP_HX_REQUEST="true")
    assert [s.number for s in second.context["page"]] == [
        sales[1].number,
        sales[0].number,
    ]


def test_the_customer_panel_of_a_customer_without_sales(cashier_client, customer):
    response = cashier_client.get(reverse("sales:customer_sales", args=[customer.pk]))
    assert "No sales yet." in response.content.decode()


# Django admin: sales and returns are read, never written.


def test_django_admin_shows_sales_and_returns_read_only(manager_client, sale, manager):
    services.return_items(
        sale,
        [services.ReturnInput(line_of(sale, "CASE-1").pk, 1)],
        by=sale.cashier,
        approver=manager,
        reason="x",
    )
    for model, obj in [("sale", sale), ("return", Return.objects.get())]:
        assert (
            manager_client.get(reverse(f"admin:sales_{model}_changelist")).status_code
            == 200
        )
        response = manager_client.get(
            reverse(f"admin:sales_{model}_change", args=[obj.pk])
        )
        assert response.status_code == 200
        assert b'name="_save"' not in response.content
        assert manager_client.get(reverse(f"admin:sales_{model}_add")).status_code == (
            403
        )
        delete = reverse(f"admin:sales_{model}_delete", args=[obj.pk])
        assert manager_client.post(delete, {"post": "yes"}).status_code == 403
    assert manager_client.get(reverse("admin:sales_cart_changelist")).status_code == 200
    assert Sale.objects.filter(pk=sale.pk).exists()


def test_an_admins_signature_on_a_return_checks_their_password_once(
    cashier_client, sale, manager, password, password_checks
):
    data = return_data(
        sale, {"CASE-1": 1}, approver_username="manager", approver_password=password
    )
    assert cashier_client.post(create_url(sale), data).status_code == 302
    assert password_checks == ["manager"]
    assert Return.objects.get().approved_by == manager


def test_wrong_admin_passwords_at_the_till_count_towards_the_sign_in_lockout(
    cashier_client, sale, manager
):
    data = return_data(
        sale, {"CASE-1": 1}, approver_username="manager", approver_password="guess"
    )
    responses = [cashier_client.post(create_url(sale), data) for _ in range(5)]
    assert AccessAttempt.objects.get(username="manager").failures_since_start == 5
    assert responses[-1].status_code == 429  # locked out, as on the sign-in page
    assert not Return.objects.exists()
