"""The customer services: every rule about creating and changing customers."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers import demo
from customers.models import Customer
from customers.services import create_customer, set_customer_active, update_customer
from customers.tests.factories import CustomerFactory


def fresh(customer):
    return Customer.objects.get(pk=customer.pk)


def test_create_customer_keeps_the_phone_digits_and_trims_the_text(cashier):
    customer = create_customer(
        by=cashier,
        name="  Jane Doe ",
        phone=" +1 (555) 013-4 ",
        email=" jane@mail.example ",
        credit_limit=Decimal("250.00"),
    )
    saved = fresh(customer)
    assert saved.name == "Jane Doe"
    assert saved.phone == "+1 (555) 013-4"
    assert saved.phone_digits == "15550134"
    assert saved.email == "jane@mail.example"
    assert saved.credit_limit == Decimal("250.00")
    assert saved.active is True


def test_update_customer_recomputes_the_phone_digits(cashier):
    customer = CustomerFactory(phone="555 0100")
    update_customer(customer, by=cashier, phone="(555) 201-3344")
    assert fresh(customer).phone_digits == "5552013344"


def test_update_customer_leaves_the_fields_it_is_not_given(cashier):
    customer = CustomerFactory(name="Jane Doe", notes="Prefers texts")
    update_customer(customer, by=cashier, email="new@mail.example")
    saved = fresh(customer)
    assert [saved.name, saved.notes] == ["Jane Doe", "Prefers texts"]
    assert saved.email == "new@mail.example"


def test_a_customer_may_have_no_phone_and_no_limit(cashier):
    customer = create_customer(by=cashier, name="Walk-in Will")
    saved = fresh(customer)
    assert [saved.phone, saved.phone_digits, saved.credit_limit] == ["", "", None]


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "not-an-email"),
        ("credit_limit", Decimal("-0.01")),
        ("name", "N" * 201),
        ("name", "   "),
    ],
)
def test_create_customer_refuses_invalid_details_and_saves_nothing(
    cashier, field, value
):
    fields = {"name": "Jane Doe", field: value}
    with pytest.raises(ValidationError) as refusal:
        create_customer(by=cashier, **fields)
    assert field in refusal.value.message_dict
    assert not Customer.objects.exists()


def test_update_customer_refuses_a_negative_credit_limit_and_changes_nothing(
    cashier,
):
    customer = CustomerFactory(credit_limit=Decimal("100.00"))
    with pytest.raises(ValidationError) as refusal:
        update_customer(customer, by=cashier, credit_limit=Decimal("-5"))
    assert "credit_limit" in refusal.value.message_dict
    assert fresh(customer).credit_limit == Decimal("100.00")


def test_the_services_refuse_fields_they_do_not_manage(cashier):
    customer = CustomerFactory()
    with pytest.raises(ValidationError, match="Unknown customer fields: active"):
        update_customer(customer, by=cashier, active=False)
    with pytest.raises(ValidationError, match="phone_digits"):
        create_customer(by=cashier, name="Jane", phone_digits="1")
    assert fresh(customer).active is True


def test_a_customer_is_deactivated_and_reactivated_never_deleted(cashier):
    customer = CustomerFactory()
    set_customer_active(customer, by=cashier, active=False)
    assert fresh(customer).active is False
    set_customer_active(customer, by=cashier, active=True)
    assert fresh(customer).active is True
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_deactivating_an_inactive_customer_records_no_change(cashier):
    customer = CustomerFactory(active=False)
    before = customer.history.count()
    set_customer_active(customer, by=cashier, active=False)
    assert customer.history.count() == before


def test_the_history_records_who_created_changed_and_deactivated(cashier, manager):
    customer = create_customer(by=cashier, name="Jane Doe", phone="555 0134")
    update_customer(customer, by=manager, notes="VIP")
    set_customer_active(customer, by=manager, active=False)
    records = list(customer.history.order_by("history_id"))
    assert [r.history_type for r in records] == ["+", "~", "~"]
    assert [r.history_user for r in records] == [cashier, manager, manager]
    assert [r.notes for r in records] == ["", "VIP", "VIP"]
    assert [r.active for r in records] == [True, True, False]


# Reads the screens rely on.


def test_duplicates_of_matches_the_phone_however_typed_and_email_in_any_case(db):
    jane = CustomerFactory(phone="+1 (555) 013-4", email="Jane@Mail.example")
    CustomerFactory(phone="555 9999", email="other@mail.example")
    assert list(Customer.objects.duplicates_of(phone="1 555 0134")) == [jane]
    assert list(Customer.objects.duplicates_of(email="jane@mail.EXAMPLE ")) == [jane]
    assert not Customer.objects.duplicates_of(phone="1 555 0134", exclude_pk=jane.pk)
    assert not Customer.objects.duplicates_of(phone="", email="")


# Demo data.


def load_demo(**options):
    lines = []
    demo.load({"customers": 300} | options, lines.append)
    return lines


def test_the_demo_customers_are_realistic_and_varied(db):
    load_demo()
    customers = Customer.objects.all()
    assert customers.count() == 300
    assert 100 <= customers.exclude(email="").count() <= 250
    assert customers.exclude(tax_id="").filter(credit_limit__isnull=False).count() >= 10
    assert customers.exclude(notes="").count() >= 20
    assert 3 <= customers.filter(active=False).count() <= 12
    assert customers.filter(marketing_consent=True).exists()
    assert not customers.filter(phone="").exists()
    mismatched = [c for c in customers if c.phone_digits != demo.phone_digits(c.phone)]
    assert not mismatched
    assert Customer.history.count() == 300


def test_the_demo_customers_are_the_same_every_time(db):
    load_demo(customers=40)
    first = list(Customer.objects.order_by("pk").values_list("name", "phone"))
    Customer.history.all().delete()
    Customer.objects.all().delete()
    load_demo(customers=40)
    assert list(Customer.objects.order_by("pk").values_list("name", "phone")) == first


def test_the_demo_loads_once_and_takes_a_size(db):
    load_demo(customers=25)
    lines = load_demo(customers=300)
    assert Customer.objects.count() == 25
    assert "not loaded" in lines[0]
