from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ShopSettings
from accounts.services import next_number
from customers.tests.factories import CustomerFactory
from invoices import services
from invoices.models import Invoice, InvoiceStatus, Payment
from invoices.tests.factories import line, make_invoice
from pos_project.idempotency import KeyReused


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Ana Lopez", address="1 High St", tax_id="VAT-1")


@pytest.fixture
def invoice(manager, customer):
    """INV for 120.00 gross (100.00 net + 20% tax), prices excluding tax."""
    shop = ShopSettings.load()
    shop.prices_include_tax = False
    shop.save()
    return make_invoice(
        by=manager, customer=customer, lines=[line(unit_price="100.00")]
    )


def pay(invoice, by, amount, method="cash", **kwargs):
    return services.record_payment(
        invoice, by=by, amount=amount, method=method, **kwargs
    )


def fresh(invoice):
    return Invoice.objects.get(pk=invoice.pk)


# Creating and issuing.


def test_an_issued_invoice_gets_a_number_dates_and_a_snapshot_of_the_customer(
    invoice, customer
):
    today = timezone.localdate()
    assert invoice.number == "INV-000001"
    assert invoice.status == InvoiceStatus.ISSUED
    assert (invoice.issue_date, invoice.due_date) == (today, today + timedelta(days=14))
    assert (invoice.subtotal, invoice.tax_total, invoice.total, invoice.balance) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
        Decimal("120.00"),
    )
    customer.name = "Ana Lopez-Smith"
    customer.save()
    assert fresh(invoice).bill_to_name == "Ana Lopez"
    assert fresh(invoice).bill_to_tax_id == "VAT-1"


def test_lines_snapshot_prices_and_add_up(manager):
    invoice = make_invoice(
        by=manager,
        lines=[
            line("Screen", 1, "89.99", "20", sku="SCR-1"),
            line("Case", 2, "9.99", "5", discount="1.98"),
        ],
    )
    screen, case = invoice.lines.all()
    assert (screen.sku, screen.unit_price, screen.tax_rate) == (
        "SCR-1",
        Decimal("89.99"),
        Decimal("20.00"),
    )
    assert case.gross == Decimal("18.00")
    assert invoice.total == screen.gross + case.gross
    assert invoice.discount_total == Decimal("1.98")


def test_a_walk_in_invoice_has_no_customer(manager):
    invoice = make_invoice(by=manager, customer=None)
    assert invoice.customer is None
    assert invoice.bill_to_name == ""


def test_a_draft_has_no_number_until_it_is_issued(manager):
    draft = make_invoice(by=manager, issue=False)
    second = make_invoice(by=manager)
    assert (draft.number, draft.status) == (None, InvoiceStatus.DRAFT)
    assert second.number == "INV-000001"
    issued = services.issue_invoice(draft, by=manager)
    assert issued.number == "INV-000002"
    with pytest.raises(ValidationError):
        services.issue_invoice(issued, by=manager)


def test_payment_terms_come_from_the_shop_unless_given(manager):
    shop = ShopSettings.load()
    shop.payment_terms_days = 30
    shop.save()
    today = timezone.localdate()
    assert make_invoice(by=manager).due_date == today + timedelta(days=30)
    assert make_invoice(by=manager, due_days=0).due_date == today


@pytest.mark.parametrize(
    "bad",
    [
        line(description="  "),
        line(quantity=0),
        line(quantity=Decimal("1.005")),
        line(unit_price="-1.00"),
        line(unit_price="1.001"),
        line(discount="200.00"),
    ],
)
def test_a_bad_line_is_refused_and_nothing_is_written(manager, bad):
    with pytest.raises(ValidationError):
        make_invoice(by=manager, lines=[line(), bad])
    assert not Invoice.objects.exists()


def test_an_invoice_needs_lines(manager):
    with pytest.raises(ValidationError):
        services.create_invoice([], by=manager)


def test_a_deactivated_customer_cannot_be_billed(manager, customer):
    customer.active = False
    customer.save()
    with pytest.raises(ValidationError):
        make_invoice(by=manager, customer=customer)


def test_numbers_stay_gapless_when_a_transaction_fails(manager):
    make_invoice(by=manager)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_invoice(by=manager)
        raise RuntimeError("the till crashed after numbering")
    assert make_invoice(by=manager).number == "INV-000002"


@pytest.mark.django_db(transaction=True)
def test_document_numbers_are_only_given_inside_a_transaction():
    with pytest.raises(RuntimeError):
        next_number("invoice")


# Payments.


def test_a_part_payment_leaves_a_balance_and_marks_it_partially_paid(invoice, cashier):
    payment = pay(invoice, cashier, "50.00", reference="1234")
    invoice = fresh(invoice)
    assert (invoice.amount_paid, invoice.balance, invoice.status) == (
        Decimal("50.00"),
        Decimal("70.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )
    assert (payment.received_by, payment.reference) == (cashier, "1234")


def test_paying_the_rest_marks_it_paid(invoice, cashier):
    pay(invoice, cashier, "50.00")
    pay(invoice, cashier, "70.00", method="card")
    invoice = fresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)
    assert invoice.payments.count() == 2


@pytest.mark.parametrize(
    "amount", ["0", "-5.00", "120.01", "10.005", "abc", "NaN", None, "1e3"]
)
def test_a_bad_amount_is_refused_and_nothing_is_written(invoice, cashier, amount):
    with pytest.raises(ValidationError):
        pay(invoice, cashier, amount)
    assert not Payment.objects.exists()
    assert fresh(invoice).balance == Decimal("120.00")


def test_a_method_the_shop_does_not_offer_is_refused(invoice, cashier):
    with pytest.raises(ValidationError):
        pay(invoice, cashier, "10.00", method="cheque")  # not offered by default
    with pytest.raises(ValidationError):
        pay(invoice, cashier, "10.00", method="bitcoin")
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "reference, refused",
    [
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("5555555555554444", True),
        ("4111111111111112", False),  # fails the Luhn check
        ("1234", False),
        ("TID 998877 AUTH 12", False),
    ],
)
def test_a_full_card_number_is_never_stored(invoice, cashier, reference, refused):
    if refused:
        with pytest.raises(ValidationError, match="full card number"):
            pay(invoice, cashier, "10.00", method="card", reference=reference)
        assert not Payment.objects.exists()
    else:
        assert pay(invoice, cashier, "10.00", method="card", reference=reference)


def test_a_repeated_idempotency_key_records_one_payment(invoice, cashier):
    first = pay(invoice, cashier, "20.00", idempotency_key="form-token-1")
    again = pay(invoice, cashier, "20.00", idempotency_key="form-token-1")
    assert again == first
    assert fresh(invoice).balance == Decimal("100.00")


def pay_once(invoice, by, amount, key="k-1", method="cash", **kwargs):
    return services.record_payment_once(
        invoice, by=by, key=key, amount=amount, method=method, **kwargs
    )


def test_a_clients_key_takes_a_payment_once(invoice, cashier):
    first = pay_once(invoice, cashier, "20.00", reference=" 7781 ")
    again = pay_once(invoice, cashier, "20", reference="7781")
    assert (first.created, again.created) == (True, False)
    assert again.obj == first.obj
    assert Payment.objects.get() == first.obj
    assert fresh(invoice).balance == Decimal("100.00")


@pytest.mark.parametrize(
    "change",
    [{"amount": "21.00"}, {"method": "card"}, {"note": "Second instalment"}],
)
def test_a_clients_key_sent_with_another_payment_is_refused(invoice, cashier, change):
    made = pay_once(invoice, cashier, "20.00").obj
    with pytest.raises(KeyReused) as refused:
        pay_once(invoice, cashier, **{"amount": "20.00", **change})
    assert refused.value.messages == [
        f"This Idempotency-Key already recorded payment {made.pk} (20.00 on "
        "Invoice INV-000001), for a different request. Use a new key for a new "
        "payment."
    ]
    assert refused.value.made == made
    assert Payment.objects.count() == 1


def test_a_clients_key_for_another_invoice_is_refused(invoice, cashier, manager):
    pay_once(invoice, cashier, "20.00")
    other = make_invoice(by=manager)
    with pytest.raises(KeyReused):
        pay_once(other, cashier, "20.00")
    assert not other.payments.exists()


def test_a_refused_payment_uses_up_no_key(invoice, cashier):
    with pytest.raises(ValidationError, match="more than the 120.00 left"):
        pay_once(invoice, cashier, "500.00")
    assert pay_once(invoice, cashier, "50.00").created


def test_drafts_void_and_paid_invoices_take_no_payments(manager, cashier, invoice):
    draft = make_invoice(by=manager, issue=False)
    void = services.void_invoice(make_invoice(by=manager), by=manager, reason="typo")
    pay(invoice, cashier, "120.00")
    for closed in (draft, void, invoice):
        with pytest.raises(ValidationError):
            pay(closed, cashier, "1.00")


def split(*tenders):
    return [services.PaymentInput(*tender) for tender in tenders]


def test_several_payments_are_taken_at_once_with_one_balance_update(invoice, cashier):
    made = services.record_payments(
        invoice,
        split(("card", "20.00", "1234", "t:0"), ("cash", "100.00", "", "t:1")),
        by=cashier,
    )
    assert [(p.method, p.amount, p.reference) for p in made] == [
        ("card", Decimal("20.00"), "1234"),
        ("cash", Decimal("100.00"), ""),
    ]
    invoice = fresh(invoice)
    assert (invoice.amount_paid, invoice.balance, invoice.status) == (
        Decimal("120.00"),
        Decimal("0.00"),
        InvoiceStatus.PAID,
    )


# Refused together, on 120.00 to pay.
REFUSED_TENDERS = [
    [("cash", "100.00"), ("card", "20.01")],  # more than the balance together
    [("cash", "10.00"), ("cheque", "10.00")],  # not offered
    [("cash", "10.00"), ("card", "10.00", "4111 1111 1111 1111")],  # a card number
    [("cash", "10.00"), ("card", "0")],
]


@pytest.mark.parametrize("tenders", REFUSED_TENDERS)
def test_payments_taken_at_once_are_all_refused_if_one_is(invoice, cashier, tenders):
    with pytest.raises(ValidationError):
        services.record_payments(invoice, split(*tenders), by=cashier)
    assert not Payment.objects.exists()
    assert fresh(invoice).balance == Decimal("120.00")


def test_payments_taken_at_once_keep_their_idempotency_keys(invoice, cashier, manager):
    first = services.record_payments(
        invoice, split(("cash", "20.00", "", "k:0")), by=cashier
    )
    again = services.record_payments(
        invoice,
        split(("cash", "20.00", "", "k:0"), ("card", "5.00", "", "k:1")),
        by=cashier,
    )
    assert again[0] == first[0]
    assert fresh(invoice).balance == Decimal("95.00")
    with pytest.raises(ValidationError, match="another invoice"):
        services.record_payments(
            make_invoice(by=manager), split(("cash", "1.00", "", "k:1")), by=cashier
        )


def test_paid_invoices_take_no_payments_at_once(invoice, cashier):
    pay(invoice, cashier, "120.00")
    with pytest.raises(ValidationError, match="takes no payments"):
        services.record_payments(invoice, split(("cash", "1.00")), by=cashier)


def test_an_invoice_made_with_its_payments_is_written_counting_them(
    manager, cashier, customer
):
    made = make_invoice(
        by=cashier,
        customer=customer,
        lines=[line(unit_price="100.00", tax_rate="0.00")],
        payments=split(("card", "20.00", "1234", "m:0"), ("cash", "30.00", "", "m:1")),
    )
    invoice = fresh(made)
    assert (invoice.amount_paid, invoice.balance, invoice.status) == (
        Decimal("50.00"),
        Decimal("50.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )
    assert (made.amount_paid, made.balance, made.status) == (
        invoice.amount_paid,
        invoice.balance,
        invoice.status,
    )
    assert sorted(
        invoice.payments.values_list("method", "amount", "reference", "idempotency_key")
    ) == [
        ("card", Decimal("20.00"), "1234", "m:0"),
        ("cash", Decimal("30.00"), "", "m:1"),
    ]
    paid = make_invoice(
        by=cashier,
        lines=[line(unit_price="100.00", tax_rate="0.00")],
        payments=split(("cash", "100.00")),
    )
    assert (fresh(paid).balance, fresh(paid).status) == (
        Decimal("0.00"),
        InvoiceStatus.PAID,
    )


@pytest.mark.parametrize("tenders", REFUSED_TENDERS)
def test_an_invoice_with_a_refused_payment_is_not_made(manager, cashier, tenders):
    with pytest.raises(ValidationError):
        make_invoice(
            by=cashier,
            lines=[line(unit_price="120.00", tax_rate="0.00")],
            payments=split(*tenders),
        )
    assert not Invoice.objects.exists()
    assert not Payment.objects.exists()
    assert next_number("invoice") == 1  # no number used


def test_a_draft_is_not_made_with_payments(manager, cashier):
    with pytest.raises(ValidationError, match="draft takes no payments"):
        make_invoice(by=cashier, issue=False, payments=split(("cash", "1.00")))
    assert not Invoice.objects.exists()


def test_an_invoice_made_with_store_credit_draws_it_from_the_customers_credit(
    credit, cashier, customer
):
    made = make_invoice(
        by=cashier,
        customer=customer,
        lines=[line(unit_price="20.00", tax_rate="0.00")],
        payments=split(("store_credit", "20.00")),
    )
    assert fresh(made).status == InvoiceStatus.PAID
    assert fresh(credit).balance == Decimal("-10.00")
    assert services.store_credit_of(customer) == Decimal("10.00")


# Refunds, voids and credit notes.


def test_a_refund_is_a_negative_payment_linked_to_what_it_refunds(
    invoice, cashier, manager
):
    payment = pay(invoice, cashier, "120.00")
    refund = services.refund_payment(
        payment, by=manager, amount="20.00", reason="goodwill"
    )
    assert (refund.amount, refund.refund_of, refund.method) == (
        Decimal("-20.00"),
        payment,
        "cash",
    )
    invoice = fresh(invoice)
    assert (invoice.amount_paid, invoice.balance, invoice.status) == (
        Decimal("100.00"),
        Decimal("20.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )


def test_nobody_refunds_more_than_was_paid_and_only_admins_refund(
    invoice, cashier, manager
):
    payment = pay(invoice, cashier, "50.00")
    services.refund_payment(payment, by=manager, amount="30.00", reason="x")
    with pytest.raises(ValidationError):
        services.refund_payment(payment, by=manager, amount="20.01", reason="x")
    with pytest.raises(ValidationError):
        services.refund_payment(payment, by=cashier, amount="1.00", reason="x")
    assert fresh(invoice).amount_paid == Decimal("20.00")


def test_an_invoice_is_voided_only_by_an_admin_and_only_while_unpaid(
    invoice, cashier, manager
):
    with pytest.raises(ValidationError):
        services.void_invoice(invoice, by=cashier, reason="wrong customer")
    with pytest.raises(ValidationError):
        services.void_invoice(invoice, by=manager, reason=" ")
    paid = make_invoice(by=manager)
    pay(paid, cashier, "1.00")
    with pytest.raises(ValidationError):
        services.void_invoice(paid, by=manager, reason="wrong customer")
    voided = services.void_invoice(invoice, by=manager, reason="wrong customer")
    assert (voided.status, voided.void_reason, voided.voided_by) == (
        InvoiceStatus.VOID,
        "wrong customer",
        manager,
    )
    assert voided.number == "INV-000001"  # the number stays used


def test_a_credit_note_takes_lines_off_the_balance(invoice, manager):
    note = services.credit_invoice(
        invoice,
        [line("Screen returned", 1, "25.00")],
        by=manager,
        reason="part returned",
    )
    assert note.number == "CN-000001"
    assert note.credited_invoice == invoice
    assert (note.total, note.balance) == (Decimal("30.00"), Decimal("0.00"))
    invoice = fresh(invoice)
    assert (invoice.amount_credited, invoice.balance, invoice.status) == (
        Decimal("30.00"),
        Decimal("90.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )


def test_crediting_a_paid_invoice_leaves_money_owed_to_the_customer(
    invoice, cashier, manager
):
    payment = pay(invoice, cashier, "120.00")
    services.credit_invoice(
        invoice, [line(unit_price="100.00")], by=manager, reason="x"
    )
    assert fresh(invoice).balance == Decimal("-120.00")
    services.refund_payment(payment, by=manager, amount="120.00", reason="returned")
    assert fresh(invoice).balance == Decimal("0.00")


def test_a_credit_note_cannot_exceed_what_is_left_to_credit(invoice, manager, cashier):
    services.credit_invoice(invoice, [line(unit_price="60.00")], by=manager, reason="x")
    with pytest.raises(ValidationError):
        services.credit_invoice(
            invoice, [line(unit_price="40.01")], by=manager, reason="x"
        )
    with pytest.raises(ValidationError):
        services.credit_invoice(
            invoice, [line(unit_price="1.00")], by=cashier, reason="x"
        )
    assert fresh(invoice).amount_credited == Decimal("72.00")
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_a_customer_balance_is_the_sum_of_their_invoice_balances(
    manager, cashier, customer
):
    first = make_invoice(
        by=manager, customer=customer, lines=[line(unit_price="50.00")]
    )
    make_invoice(by=manager, customer=customer, lines=[line(unit_price="30.00")])
    void = make_invoice(by=manager, customer=customer)
    services.void_invoice(void, by=manager, reason="duplicate")
    make_invoice(by=manager, customer=customer, issue=False)  # drafts are not owed
    pay(first, cashier, "10.00")
    owed = Invoice.objects.filter(customer=customer).total_balance()
    assert owed == Decimal("70.00")  # (50 - 10) + 30, prices including tax


@pytest.mark.parametrize(
    "total, paid", [("74.00", "44.40"), ("0.30", "0.10"), ("119.99", "0.07")]
)
def test_awkward_amounts_still_add_up_in_the_database(manager, cashier, total, paid):
    # SQLite computes decimals in floating point; the balance check must hold there.
    invoice = make_invoice(by=manager, lines=[line(unit_price=total, tax_rate="0")])
    pay(invoice, cashier, paid)
    assert fresh(invoice).balance == Decimal(total) - Decimal(paid)


def test_a_draft_keeps_its_payment_terms_until_it_is_issued(manager):
    draft = make_invoice(by=manager, issue=False, due_days=30)
    issued = services.issue_invoice(draft, by=manager)
    assert issued.due_date == issued.issue_date + timedelta(days=30)
    other = services.issue_invoice(
        make_invoice(by=manager, issue=False), by=manager, due_days=3
    )
    assert other.due_date == other.issue_date + timedelta(days=3)


def test_a_payment_form_token_cannot_be_reused_for_another_invoice(
    invoice, cashier, manager
):
    pay(invoice, cashier, "10.00", idempotency_key="token-9")
    other = make_invoice(by=manager)
    with pytest.raises(ValidationError, match="another invoice"):
        pay(other, cashier, "10.00", idempotency_key="token-9")
    assert not other.payments.exists()


def test_a_reference_longer_than_40_characters_is_refused(invoice, cashier):
    with pytest.raises(ValidationError):
        pay(invoice, cashier, "10.00", reference="x" * 41)
    assert not Payment.objects.exists()


# Store credit.


@pytest.fixture
def credit(manager, cashier, customer):
    """A customer with 30.00 of store credit: a paid invoice partly credited."""
    paid = make_invoice(by=manager, customer=customer, lines=[line(unit_price="50.00")])
    pay(paid, cashier, "50.00")
    services.credit_invoice(
        paid, [line(unit_price="30.00")], by=manager, reason="return"
    )
    assert services.store_credit_of(customer) == Decimal("30.00")
    return paid


def test_store_credit_pays_an_invoice_once_and_moves_no_money(
    credit, manager, cashier, customer
):
    new = make_invoice(by=manager, customer=customer, lines=[line(unit_price="20.00")])
    before = Invoice.objects.filter(customer=customer).total_balance()
    pay(new, cashier, "20.00", method="store_credit")
    assert fresh(new).status == InvoiceStatus.PAID
    assert fresh(credit).balance == Decimal("-10.00")
    assert services.store_credit_of(customer) == Decimal("10.00")
    # Credit moved from one invoice to another: the customer owes the same.
    assert Invoice.objects.filter(customer=customer).total_balance() == before


def test_nobody_spends_more_store_credit_than_there_is(
    credit, manager, cashier, customer
):
    new = make_invoice(by=manager, customer=customer, lines=[line(unit_price="50.00")])
    with pytest.raises(ValidationError, match="has 30.00 of store credit"):
        pay(new, cashier, "30.01", method="store_credit")
    assert not new.payments.exists()
    assert fresh(credit).balance == Decimal("-30.00")


def test_a_walk_in_invoice_cannot_be_paid_with_store_credit(manager, cashier):
    walk_in = make_invoice(by=manager)
    with pytest.raises(ValidationError, match="needs a customer"):
        pay(walk_in, cashier, "1.00", method="store_credit")
