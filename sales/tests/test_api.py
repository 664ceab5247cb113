"""Sales and cash shifts over the REST API, for each role."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, ShopSettings
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from inventory import services as stock
from inventory.models import Product, StockMove
from inventory.tests.factories import ProductFactory, ServiceFactory
from invoices.models import Invoice, InvoiceStatus, Payment
from sales import services
from sales.models import Cart, CartStatus, Sale, SaleStatus, Shift
from sales.services import ReturnInput, Tender
from sales.tests.factories import make_sale

SALES = "/api/v1/sales/"
SHIFTS = "/api/v1/shifts/"
ROLES = [Role.USER, Role.ADMIN, Role.SUPER_ADMIN]
# The token and its last use, the count, the page (cashier, customer and
# invoice joined), then the lines, payments and returns of the whole page.
SALE_LIST_QUERIES = 7
# A sale, whatever its number of lines: the token, the key's lookup, the
# shop, the products, the key claimed, the locked shift, the two numbers, the
# invoice, sale, lines, stock and payments written (with their savepoints),
# then the sale read back as the list reads it.
SALE_POST_QUERIES = 24


def open_till(user, opening_float="50.00"):
    return services.open_shift(by=user, opening_float=opening_float)


def post_sale(client, body, key="order-1001"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(SALES, body, format="json", **headers)


def cash_sale(product, quantity=1, amount=None):
    amount = amount or str(product.sale_price * quantity)
    return {
        "lines": [{"product": product.pk, "quantity": quantity}],
        "payments": [{"method": "cash", "amount": amount}],
    }


def written():
    """What a sale writes, counted: nothing may change on a refusal."""
    return (
        Sale.objects.count(),
        Invoice.objects.count(),
        Payment.objects.count(),
        StockMove.objects.count(),
    )


def error_of(response, status=400):
    assert response.status_code == status, response.json()
    return response.json()["error"]


# Reading sales.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_sales(api_client, role, cashier, case):
    sale = make_sale(cashier, [(case, 2)])
    response = api_client(UserFactory(role=role)).get(SALES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["number"], row["status"]) == (
        sale.pk,
        "R-000001",
        "completed",
    )
    assert (row["cashier"], row["cashier_name"]) == (
        cashier.pk,
        "Chloe " + cashier.last_name,
    )
    assert row["shift"] == sale.shift_id
    assert row["total"] == "24.00"


def test_sales_need_credentials(api_client, cashier, case):
    sale = make_sale(cashier, [(case, 1)])
    client = api_client()
    assert client.get(SALES).status_code == 401
    assert client.get(f"{SALES}{sale.pk}/").status_code == 401
    response = post_sale(client, cash_sale(case))
    assert error_of(response, 401)["code"] == "not_authenticated"
    assert Sale.objects.count() == 1


def test_a_sale_reads_as_its_receipt(api_client, cashier, case, charger):
    customer = CustomerFactory(name="Ada Lovelace")
    open_till(cashier)
    cart = services.active_cart(cashier)
    services.add_to_cart(cart, by=cashier, product=case, quantity=2)
    line = services.add_to_cart(cart, by=cashier, product=charger)
    services.set_line_discount(cart, line.pk, by=cashier, kind="percent", value="10")
    services.set_cart_discount(cart, by=cashier, kind="amount", value="2.00")
    services.set_cart_customer(cart, by=cashier, customer=customer)
    sale = services.checkout(
        cart,
        by=cashier,
        tenders=[Tender("cash", "50.00"), Tender("card", "14.50", "1234")],
        token="till-token-1",
    )

    response = api_client(cashier).get(f"{SALES}{sale.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["customer"], body["customer_name"]) == (customer.pk, "Ada Lovelace")
    assert (body["invoice"], body["invoice_number"]) == (sale.invoice_id, "INV-000001")
    assert [
        (line["name"], line["sku"], line["quantity"], line["unit_price"])
        for line in body["lines"]
    ] == [
        ("Clear case", "CASE-1", 2, "12.00"),
        ("USB-C charger", "CHG-20W", 1, "25.00"),
    ]
    assert [line["discount"] for line in body["lines"]] == ["1.03", "3.47"]
    assert sum(Decimal(line["gross"]) for line in body["lines"]) == Decimal("44.50")
    assert (body["discount_total"], body["total"]) == ("4.50", "44.50")
    assert Decimal(body["subtotal"]) + Decimal(body["tax_total"]) == Decimal("44.50")
    assert (body["tendered"], body["change_given"]) == ("64.50", "20.00")
    assert body["paid_by_method"] == {"cash": "30.00", "card": "14.50"}
    assert body["balance_due"] == "0.00"
    assert [(p["method"], p["amount"], p["reference"]) for p in body["payments"]] == [
        ("cash", "30.00", ""),
        ("card", "14.50", "1234"),
    ]
    assert body["returns"] == []
    assert body["voided_at"] is None


def test_returns_and_voids_show_on_the_sale(api_client, cashier, manager, case):
    returned = make_sale(cashier, [(case, 3)])
    services.return_items(
        returned,
        [ReturnInput(returned.lines.get(), 1)],
        by=cashier,
        approver=manager,
        reason="Wrong colour",
    )
    voided = make_sale(cashier, [(case, 1)])
    services.void_sale(voided, by=manager, reason="Rung up twice")
    client = api_client(cashier)

    body = client.get(f"{SALES}{returned.pk}/").json()
    assert [
        (line["returned_quantity"], line["returnable"]) for line in body["lines"]
    ] == [(1, 2)]
    assert [(r["number"], r["total"]) for r in body["returns"]] == [
        ("RET-000001", "12.00")
    ]
    assert body["paid_by_method"] == {"cash": "24.00"}

    body = client.get(f"{SALES}{voided.pk}/").json()
    assert body["status"] == "voided"
    assert body["voided_by"] == manager.pk
    assert body["void_reason"] == "Rung up twice"
    assert body["paid_by_method"] == {"cash": "0.00"}


def numbers(response):
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


def test_sales_filter_by_customer_cashier_shift_number_and_dates(
    api_client, cashier, manager, case
):
    customer = CustomerFactory()
    first = make_sale(cashier, [(case, 1)], customer=customer)
    make_sale(manager, [(case, 1)])
    make_sale(cashier, [(case, 1)])
    Sale.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=3)
    )
    client = api_client(manager)
    assert numbers(client.get(SALES, {"customer": customer.pk})) == ["R-000001"]
    assert numbers(client.get(SALES, {"cashier": manager.pk})) == ["R-000002"]
    assert numbers(client.get(SALES, {"shift": first.shift_id})) == [
        "R-000003",
        "R-000001",
    ]
    assert numbers(client.get(SALES, {"number": "2"})) == ["R-000002"]
    assert numbers(client.get(SALES, {"number": "r-000003"})) == ["R-000003"]
    yesterday = (timezone.now() - timezone.timedelta(days=1)).isoformat()
    assert numbers(client.get(SALES, {"created_before": yesterday})) == ["R-000001"]
    assert numbers(client.get(SALES, {"created_after": yesterday})) == [
        "R-000003",
        "R-000002",
    ]
    assert numbers(client.get(SALES, {"status": "voided"})) == []


def test_a_bad_sale_filter_is_400(api_client, cashier):
    error = error_of(api_client(cashier).get(SALES, {"customer": "x"}))
    assert "customer" in error["fields"]


def test_sales_are_ordered_on_request(api_client, cashier, case, charger):
    make_sale(cashier, [(charger, 1)])
    make_sale(cashier, [(case, 1)])
    client = api_client(cashier)
    assert numbers(client.get(SALES)) == ["R-000002", "R-000001"]
    assert numbers(client.get(SALES, {"ordering": "total"})) == ["R-000002", "R-000001"]
    assert numbers(client.get(SALES, {"ordering": "number"})) == [
        "R-000001",
        "R-000002",
    ]


def test_the_sale_list_costs_a_fixed_number_of_queries(
    api_client, cashier, manager, case, django_assert_max_num_queries
):
    for _ in range(9):
        sale = make_sale(cashier, [(case, 1)], customer=CustomerFactory())
    services.return_items(
        sale,
        [ReturnInput(sale.lines.get(), 1)],
        by=cashier,
        approver=manager,
        reason="x",
    )
    client = api_client(cashier)
    with django_assert_max_num_queries(SALE_LIST_QUERIES):
        response = client.get(SALES)
    assert len(response.json()["results"]) == 9


# Selling.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sells_through_the_checkout(api_client, role, case):
    member = UserFactory(role=role)
    shift = open_till(member)

    response = post_sale(api_client(member), cash_sale(case, 2, "30.00"))

    assert response.status_code == 201, response.json()
    assert response["Idempotent-Replayed"] == "false"
    sale = Sale.objects.get()
    assert response["Location"].endswith(f"{SALES}{sale.pk}/")
    body = response.json()
    assert (body["id"], body["number"]) == (sale.pk, "R-000001")
    assert (body["total"], body["change_given"]) == ("24.00", "6.00")
    assert (sale.cashier, sale.shift) == (member, shift)
    assert sale.invoice.number == "INV-000001"
    assert sale.invoice.status == InvoiceStatus.PAID
    assert Product.objects.get(pk=case.pk).on_hand == 8
    move = StockMove.objects.get(product=case, reason="sale")
    assert (move.quantity, move.user) == (-2, member)


def test_a_sale_by_code_with_discounts_and_a_split_tender(
    api_client, cashier, cashier_client, case, charger
):
    open_till(cashier)
    body = {
        "lines": [
            {"code": "5012345678900", "quantity": 2},
            {"code": "chg-20w", "discount": {"kind": "percent", "value": "10"}},
        ],
        "discount": {"kind": "amount", "value": "2.00"},
        "payments": [
            {"method": "cash", "amount": "50.00"},
            {"method": "card", "amount": "14.50", "reference": "1234"},
        ],
    }

    response = post_sale(api_client(cashier), body)

    assert response.status_code == 201, response.json()
    sale = Sale.objects.get()
    assert [(line.product, line.quantity) for line in sale.lines.all()] == [
        (case, 2),
        (charger, 1),
    ]
    assert (sale.discount_total, sale.total) == (Decimal("4.50"), Decimal("44.50"))
    assert (sale.tendered, sale.change_given) == (Decimal("64.50"), Decimal("20.00"))
    assert sorted(
        sale.invoice.payments.values_list("method", "amount", "reference")
    ) == [
        ("card", Decimal("14.50"), "1234"),
        ("cash", Decimal("30.00"), ""),
    ]
    assert response.json()["paid_by_method"] == {"cash": "30.00", "card": "14.50"}
    # Its receipt prints what was handed over, as a till sale's does.
    receipt = cashier_client.get(reverse("sales:receipt", args=[sale.pk]))
    assert receipt.status_code == 200
    assert receipt.context["tendered"] == [
        ("Cash", Decimal("50.00")),
        ("Card", Decimal("14.50")),
    ]
    assert receipt.context["change"] == Decimal("20.00")


def test_the_api_sells_exactly_as_the_till_does(
    api_client, cashier, manager, case, charger
):
    till_sale = make_sale(manager, [(case, 3), (charger, 1)])
    open_till(cashier)
    response = post_sale(
        api_client(cashier),
        {
            "lines": [{"product": case.pk, "quantity": 3}, {"product": charger.pk}],
            "payments": [{"method": "cash", "amount": str(till_sale.total)}],
        },
    )
    assert response.status_code == 201, response.json()
    api_sale = Sale.objects.get(pk=response.json()["id"])
    fields = ["subtotal", "discount_total", "tax_total", "total"]
    assert [getattr(api_sale, f) for f in fields] == [
        getattr(till_sale, f) for f in fields
    ]
    line_fields = [
        "name",
        "sku",
        "quantity",
        "unit_price",
        "discount",
        "net",
        "tax",
        "gross",
    ]
    assert list(api_sale.lines.values_list(*line_fields)) == list(
        till_sale.lines.values_list(*line_fields)
    )
    assert [line.unit_cost for line in api_sale.lines.all()] == [
        Decimal("8.00"),
        Decimal("8.00"),
    ]


def test_a_sale_leaves_the_cashiers_till_cart_alone(api_client, cashier, case, charger):
    open_till(cashier)
    cart = services.active_cart(cashier)
    services.add_to_cart(cart, by=cashier, product=charger, quantity=2)
    response = post_sale(api_client(cashier), cash_sale(case))
    assert response.status_code == 201, response.json()
    cart.refresh_from_db()
    assert cart.status == CartStatus.ACTIVE
    assert [(line.product, line.quantity) for line in cart.lines.all()] == [
        (charger, 2)
    ]
    assert Cart.objects.count() == 1


def test_a_sale_on_account_needs_a_customer_within_their_limit(
    api_client, cashier, case
):
    open_till(cashier)
    client = api_client(cashier)
    customer = CustomerFactory(credit_limit=Decimal("30.00"))
    before = written()
    walk_in = {"lines": [{"product": case.pk}]}
    error = error_of(post_sale(client, walk_in, key="a"))
    assert error["message"] == (
        "12.00 is still to pay. Take the rest, or attach a customer to put it on "
        "their account."
    )
    too_much = {"customer": customer.pk, "lines": [{"product": case.pk, "quantity": 3}]}
    error = error_of(post_sale(client, too_much, key="b"))
    assert error["message"] == (
        f"{customer} would owe 36.00, over their credit limit of 30.00."
    )
    assert written() == before

    response = post_sale(client, {**walk_in, "customer": customer.pk}, key="c")

    assert response.status_code == 201, response.json()
    assert response.json()["balance_due"] == "12.00"
    assert response.json()["payments"] == []
    assert Sale.objects.get().invoice.status == InvoiceStatus.ISSUED


def test_a_large_discount_needs_an_admins_token(api_client, cashier, manager, case):
    body = {
        "lines": [{"product": case.pk, "discount": {"kind": "percent", "value": "25"}}],
        "payments": [{"method": "cash", "amount": "9.00"}],
    }
    open_till(cashier)
    open_till(manager)
    before = written()
    error = error_of(post_sale(api_client(cashier), body))
    assert error["message"] == (
        "A discount of 25.00% is more than the 10.00% staff may give: an Admin "
        "must approve it."
    )
    assert written() == before
    response = post_sale(api_client(manager), body)
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "9.00"


@pytest.mark.parametrize("lines", [2, 12])
def test_a_sale_costs_the_same_queries_for_any_number_of_lines(
    api_client, cashier, manager, lines, django_assert_max_num_queries
):
    products = [ProductFactory(sale_price=Decimal("1.00")) for _ in range(lines)]
    stock.record_opening_stock([stock.StockLine(p, 5) for p in products], by=manager)
    open_till(cashier)
    client = api_client(cashier)
    # The shop's settings and the number counters exist in a running shop.
    assert post_sale(client, cash_sale(products[0]), key="first").status_code == 201
    body = {
        "lines": [{"product": p.pk} for p in products],
        "payments": [{"method": "cash", "amount": f"{lines}.00"}],
    }
    with django_assert_max_num_queries(SALE_POST_QUERIES):
        response = post_sale(client, body, key="second")
    assert response.status_code == 201, response.json()


# The Idempotency-Key.


def test_a_retry_with_the_same_key_returns_the_same_sale(api_client, cashier, case):
    open_till(cashier)
    client = api_client(cashier)
    first = post_sale(client, cash_sale(case), key="web-order-7781")
    assert first.status_code == 201
    # The same order, its numbers written differently.
    again = cash_sale(case, amount="12")
    again["lines"][0]["quantity"] = 1

    retry = post_sale(client, again, key="web-order-7781")

    assert retry.status_code == 200, retry.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Sale.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Product.objects.get(pk=case.pk).on_hand == 9


def test_a_retry_is_answered_even_after_the_shift_closed(api_client, cashier, case):
    shift = open_till(cashier)
    client = api_client(cashier)
    first = post_sale(client, cash_sale(case))
    services.close_shift(shift, by=cashier, counted={"cash": Decimal("62.00")})
    retry = post_sale(client, cash_sale(case))
    assert retry.status_code == 200, retry.json()
    assert retry.json()["id"] == first.json()["id"]


def test_the_same_key_for_a_different_order_is_409_and_sells_nothing(
    api_client, cashier, case
):
    open_till(cashier)
    client = api_client(cashier)
    first = post_sale(client, cash_sale(case))
    before = written()

    response = post_sale(client, cash_sale(case, 2))

    error = error_of(response, 409)
    assert error["code"] == "idempotency_key_reused"
    assert error["message"] == (
        "This key already made sale R-000001, for a different order. Use a new "
        "key for a new sale."
    )
    assert written() == before
    assert first.json()["number"] == "R-000001"


def test_each_member_of_staff_has_their_own_keys(api_client, cashier, manager, case):
    open_till(cashier)
    open_till(manager)
    mine = post_sale(api_client(cashier), cash_sale(case), key="1")
    theirs = post_sale(api_client(manager), cash_sale(case), key="1")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert Sale.objects.count() == 2


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "Send an Idempotency-Key header"),
        ("", "Send an Idempotency-Key header"),
        ("k" * 65, "The Idempotency-Key is 1 to 64 letters, digits or punctuation"),
        ("two words", "The Idempotency-Key is 1 to 64 letters, digits or punctuation"),
    ],
)
def test_a_sale_needs_a_good_idempotency_key(api_client, cashier, case, key, message):
    open_till(cashier)
    before = written()
    error = error_of(post_sale(api_client(cashier), cash_sale(case), key=key))
    assert error["message"].startswith(message)
    assert written() == before


def test_a_64_character_key_is_enough(api_client, cashier, case):
    open_till(cashier)
    response = post_sale(api_client(cashier), cash_sale(case), key="k" * 64)
    assert response.status_code == 201, response.json()


# Refusals: a 400 with the reason, and nothing written.


def test_a_sale_without_an_open_shift_is_refused(api_client, cashier, case):
    before = written()
    error = error_of(post_sale(api_client(cashier), cash_sale(case)))
    assert error["message"] == "Open a shift before taking money."
    assert written() == before


def test_short_stock_is_refused_by_name_and_leaves_no_gap(api_client, cashier, case):
    open_till(cashier)
    client = api_client(cashier)
    before = written()
    error = error_of(post_sale(client, cash_sale(case, 11), key="a"))
    assert error["message"] == "Not enough stock of Clear case: 10 in stock, 11 wanted."
    assert written() == before
    assert Product.objects.get(pk=case.pk).on_hand == 10

    response = post_sale(client, cash_sale(case, 10), key="b")

    assert response.status_code == 201, response.json()
    assert response.json()["number"] == "R-000001"
    assert response.json()["invoice_number"] == "INV-000001"


def line_of(**fields):
    return {"lines": [fields], "payments": [{"method": "cash", "amount": "500.00"}]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"payments": []}, "lines", "This field is required."),
        ({"lines": []}, "lines", "This list may not be empty."),
        (line_of(product=10**9), None, "No product has the id 1000000000."),
        (line_of(code="0000"), None, "No product has the barcode or SKU '0000'."),
        (line_of(), "lines", "Give the product's id or its code (barcode or SKU)"),
        (
            line_of(product=1, code="CASE-1"),
            "lines",
            "Give the product's id or its code",
        ),
        (line_of(code="CASE-1", quantity=0), "lines", "greater than or equal to 1"),
        (line_of(code="CASE-1", quantity=-1), "lines", "greater than or equal to 1"),
        (
            line_of(code="CASE-1", quantity="1.5"),
            "lines",
            "A valid integer is required.",
        ),
        (line_of(code="CASE-1", quantity=10**6), "lines", "less than or equal to 9999"),
        (
            line_of(code="CASE-1", quantity=10**30),
            "lines",
            "less than or equal to 9999",
        ),
        (
            line_of(code="CASE-1", unit_price="0.01"),
            "lines",
            "Prices and totals come from the shop's products: leave this out.",
        ),
        (
            {**line_of(code="CASE-1"), "total": "1.00"},
            "total",
            "Prices and totals come from the shop's products: leave this out.",
        ),
        (
            {**line_of(code="CASE-1"), "note": "x"},
            "note",
            "Not a field of this request.",
        ),
        (
            line_of(code="CASE-1", discount={"kind": "percent", "value": "101"}),
            None,
            "A discount cannot be more than 100%.",
        ),
        (
            line_of(code="CASE-1", discount={"kind": "half", "value": "1"}),
            "lines",
            '"half" is not a valid choice.',
        ),
    ],
)
def test_bad_lines_are_400_and_write_nothing(
    api_client, cashier, case, body, field, message
):
    open_till(cashier)
    before = written()
    error = error_of(post_sale(api_client(cashier), body))
    if field is None:
        assert error["message"].startswith(message)
    else:
        assert any(message in text for text in error["fields"][field]), error
    assert written() == before


def tendered(*payments):
    return {"lines": [{"code": "CASE-1"}], "payments": list(payments)}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            tendered({"method": "cheque", "amount": "12.00"}),
            "The shop does not take payments by 'cheque'.",
        ),
        (
            tendered({"method": "bitcoin", "amount": "12.00"}),
            "The shop does not take payments by 'bitcoin'.",
        ),
        (
            tendered({"method": "card", "amount": "20.00"}),
            "Only cash can be more than the total; check the card amounts.",
        ),
        (
            tendered(
                {"method": "card", "amount": "12.00", "reference": "4111111111111111"}
            ),
            "That reference looks like a full card number",
        ),
        (
            tendered({"method": "store_credit", "amount": "12.00"}),
            "Store credit is taken from the customer's page.",
        ),
        (tendered({"method": "cash", "amount": "0"}), "greater than or equal to 0.01"),
        (
            tendered({"method": "cash", "amount": "1.001"}),
            "no more than 2 decimal places",
        ),
        (tendered({"method": "cash", "amount": "1e20"}), "no more than 12 digits"),
    ],
)
def test_bad_payments_are_400_and_write_nothing(
    api_client, cashier, case, body, message
):
    open_till(cashier)
    before = written()
    error = error_of(post_sale(api_client(cashier), body))
    assert message in " ".join(
        [error["message"], *sum(error.get("fields", {}).values(), [])]
    )
    assert written() == before


def test_a_product_no_longer_sold_is_refused(api_client, cashier, case):
    open_till(cashier)
    Product.objects.filter(pk=case.pk).update(active=False)
    before = written()
    error = error_of(post_sale(api_client(cashier), cash_sale(case)))
    assert error["message"] == "No longer sold: Clear case. Remove it."
    assert written() == before


def test_a_deactivated_customer_is_refused(api_client, cashier, case):
    open_till(cashier)
    customer = CustomerFactory(active=False)
    error = error_of(
        post_sale(api_client(cashier), {**cash_sale(case), "customer": customer.pk})
    )
    assert error["message"] == f"{customer} is deactivated."
    assert not Sale.objects.exists()


def test_services_without_stock_sell_in_any_quantity(api_client, cashier, standard):
    labour = ServiceFactory(
        name="Screen fitting", sale_price=Decimal("30.00"), tax_rate=standard
    )
    open_till(cashier)
    response = post_sale(api_client(cashier), cash_sale(labour, 3))
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "90.00"
    assert not StockMove.objects.filter(product=labour).exists()


def test_methods_the_shop_switched_off_are_refused(api_client, cashier, case):
    shop = ShopSettings.load()
    shop.payment_methods = ["card"]
    shop.save()
    open_till(cashier)
    error = error_of(post_sale(api_client(cashier), cash_sale(case)))
    assert error["message"] == "The shop does not take payments by 'cash'."


# Shifts.


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_a_shift_and_sells_in_it(api_client, role, case):
    member = UserFactory(role=role)
    client = api_client(member)

    response = client.post(SHIFTS, {"opening_float": "80.00"}, format="json")

    assert response.status_code == 201, response.json()
    shift = Shift.objects.get()
    body = response.json()
    assert (body["id"], body["status"], body["opening_float"]) == (
        shift.pk,
        "open",
        "80.00",
    )
    assert (shift.cashier, shift.opening_float) == (member, Decimal("80.00"))
    assert post_sale(client, cash_sale(case)).json()["shift"] == shift.pk


def test_a_second_open_shift_is_refused(api_client, cashier):
    open_till(cashier)
    response = api_client(cashier).post(SHIFTS, {"opening_float": "10"}, format="json")
    assert (
        error_of(response)["message"]
        == "You already have an open shift; close it first."
    )
    assert Shift.objects.count() == 1


@pytest.mark.parametrize("opening_float", ["-1", "1.001", "lots", None])
def test_a_bad_float_is_400(api_client, cashier, opening_float):
    response = api_client(cashier).post(
        SHIFTS, {"opening_float": opening_float}, format="json"
    )
    assert "opening_float" in error_of(response)["fields"]
    assert not Shift.objects.exists()


def test_shifts_need_credentials(api_client):
    client = api_client()
    assert client.get(SHIFTS).status_code == 401
    assert client.post(SHIFTS, {"opening_float": "1"}, format="json").status_code == 401
    assert not Shift.objects.exists()


def test_staff_see_their_own_shifts_and_admins_every_one(api_client, cashier, manager):
    mine = open_till(cashier)
    theirs = open_till(manager)
    client = api_client(cashier)
    assert [row["id"] for row in client.get(SHIFTS).json()["results"]] == [mine.pk]
    assert client.get(f"{SHIFTS}{mine.pk}/").status_code == 200
    assert error_of(client.get(f"{SHIFTS}{theirs.pk}/"), 403)["code"] == (
        "permission_denied"
    )
    admin = api_client(manager)
    assert [row["id"] for row in admin.get(SHIFTS).json()["results"]] == [
        theirs.pk,
        mine.pk,
    ]
    assert admin.get(f"{SHIFTS}{mine.pk}/").json()["cashier_name"] == str(cashier)


def test_shifts_filter_by_cashier_and_status(api_client, cashier, manager):
    closed = open_till(cashier)
    services.close_shift(closed, by=cashier, counted={"cash": Decimal("50.00")})
    current = open_till(cashier)
    other = open_till(manager)
    client = api_client(manager)

    def ids(**params):
        response = client.get(SHIFTS, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="open") == [other.pk, current.pk]
    assert ids(cashier=cashier.pk) == [current.pk, closed.pk]
    assert ids(cashier=cashier.pk, status="closed") == [closed.pk]


# Racing on PostgreSQL.


def racing_clients(api_client, users):
    return [api_client(user) for user in users]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_posts_with_one_key_make_one_sale(api_client, race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    case = ProductFactory(name="Case", sale_price=Decimal("12.00"))
    stock.record_opening_stock([stock.StockLine(case, 5)], by=manager)
    cashier = UserFactory(username="web-shop", role=Role.USER)
    open_till(cashier)
    clients = [api_client(cashier) for _ in range(10)]

    results = race(10, lambda i: post_sale(clients[i], cash_sale(case), key="same"))

    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] * 9 + [201], [r.json() for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    assert Sale.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Product.objects.get(pk=case.pk).on_hand == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_racing_with_different_orders_makes_one_sale(api_client, race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    case = ProductFactory(name="Case", sale_price=Decimal("12.00"))
    stock.record_opening_stock([stock.StockLine(case, 20)], by=manager)
    cashier = UserFactory(username="web-shop", role=Role.USER)
    open_till(cashier)
    clients = [api_client(cashier) for _ in range(5)]

    results = race(
        5, lambda i: post_sale(clients[i], cash_sale(case, i + 1, "100.00"), key="k")
    )

    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 4, [r.json() for r in results]
    assert Sale.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_competing_sales_never_oversell_and_leave_no_gaps(api_client, race):
    manager = UserFactory(username="boss", role=Role.ADMIN)
    screen = ProductFactory(name="Last screens", sale_price=Decimal("50.00"))
    stock.record_opening_stock([stock.StockLine(screen, 7)], by=manager)
    cashiers = [UserFactory(username=f"till{i}", role=Role.USER) for i in range(8)]
    for cashier in cashiers:
        open_till(cashier)
    clients = [api_client(cashier) for cashier in cashiers]

    results = race(
        8, lambda i: post_sale(clients[i], cash_sale(screen, 2), key=f"order-{i}")
    )

    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 3 + [400] * 5, [r.json() for r in results]
    refusals = [r.json()["error"]["message"] for r in results if r.status_code == 400]
    assert all(m.startswith("Not enough stock of Last screens") for m in refusals)
    assert Product.objects.get(pk=screen.pk).on_hand == 1
    assert sorted(Sale.objects.values_list("number", flat=True)) == [
        "R-000001",
        "R-000002",
        "R-000003",
    ]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "INV-000001",
        "INV-000002",
        "INV-000003",
    ]
    assert Payment.objects.count() == 3
    assert Sale.objects.filter(status=SaleStatus.COMPLETED).count() == 3
