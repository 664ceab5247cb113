"""Customers over the REST API, for each role."""

from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory

CUSTOMERS = "/api/v1/customers/"
ROLES = [Role.USER, Role.ADMIN, Role.SUPER_ADMIN]


def detail(customer):
    return f"{CUSTOMERS}{customer.pk}/"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_customers(api_client, role):
    customer = CustomerFactory(name="Ada Lovelace")
    response = api_client(UserFactory(role=role)).get(CUSTOMERS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["name"], row["phone"]) == (
        customer.pk,
        "Ada Lovelace",
        customer.phone,
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_adds_a_customer(api_client, role):
    member = UserFactory(role=role)
    response = api_client(member).post(
        CUSTOMERS,
        {"name": " Grace Hopper ", "phone": "+1 (555) 010-2030", "credit_limit": "250"},
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get()
    assert response.json()["id"] == customer.pk
    assert customer.name == "Grace Hopper"
    assert customer.phone_digits == "15550102030"
    assert customer.credit_limit == Decimal("250.00")
    assert customer.history.get().history_user == member


@pytest.mark.parametrize("role", ROLES)
def test_every_role_edits_a_customer(api_client, role):
    customer = CustomerFactory(name="Old name")
    response = api_client(UserFactory(role=role)).patch(
        detail(customer), {"name": "New name"}
    )
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.name == "New name"


def test_customers_need_credentials(api_client):
    response = api_client().post(CUSTOMERS, {"name": "Nobody"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Customer.objects.exists()


def test_bad_input_is_400_with_the_fields_and_writes_nothing(api_client, cashier):
    response = api_client(cashier).post(
        CUSTOMERS, {"name": "", "email": "not-an-email", "credit_limit": "-5"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "email", "credit_limit"}
    assert not Customer.objects.exists()


def test_a_bad_edit_leaves_the_customer_as_it_was(api_client, cashier):
    customer = CustomerFactory(name="Kept")
    response = api_client(cashier).put(detail(customer), {"name": ""})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.name == "Kept"


def test_active_is_changed_by_deactivating_not_by_editing(api_client, cashier):
    customer = CustomerFactory()
    response = api_client(cashier).patch(detail(customer), {"active": False})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.active


def test_customers_cannot_be_deleted(api_client, manager):
    customer = CustomerFactory()
    response = api_client(manager).delete(detail(customer))
    assert response.status_code == 405
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_customers_filter_by_search_and_state(api_client, cashier):
    CustomerFactory(name="Ada Lovelace", phone="+44 20 7946 0001")
    CustomerFactory(name="Alan Turing", active=False)
    client = api_client(cashier)

    def names(**params):
        response = client.get(CUSTOMERS, params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names(q="lovelace") == ["Ada Lovelace"]
    assert names(q="7946 0001") == ["Ada Lovelace"]
    assert names(active="false") == ["Alan Turing"]
    assert names(ordering="-name") == ["Alan Turing", "Ada Lovelace"]


def test_customers_are_paginated(api_client, cashier):
    CustomerFactory.create_batch(3)
    body = api_client(cashier).get(CUSTOMERS, {"page_size": 2, "page": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 1)
    assert body["previous"] and body["next"] is None


def test_a_page_past_the_end_is_404_with_the_error_body(api_client, cashier):
    response = api_client(cashier).get(CUSTOMERS, {"page": 9})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_customer_list_costs_a_fixed_number_of_queries(
    api_client, cashier, django_assert_max_num_queries
):
    CustomerFactory.create_batch(20)
    client = api_client(cashier)
    # The token and its last use, the count, the page.
    with django_assert_max_num_queries(4):
        response = client.get(CUSTOMERS)
    assert len(response.json()["results"]) == 20
