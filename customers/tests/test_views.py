"""The customer pages as staff see them, then the database state."""

import re
from decimal import Decimal

import factory
import pytest
from django.http import HttpResponse
from django.template import Context, RequestContext, Template
from django.urls import include, path, reverse

from accounts.access import staff_required
from accounts.models import ShopSettings
from accounts.tests.factories import PASSWORD
from customers import panels
from customers.forms import CustomerForm
from customers.models import Customer
from customers.services import CUSTOMER_FIELDS
from customers.tests.factories import CustomerFactory

SIGN_IN = reverse("accounts:login")
NAUGHTY = "<b>Bold</b> & Co"
NAUGHTY_ESCAPED = "&lt;b&gt;Bold&lt;/b&gt; &amp; Co"


def html(response):
    return response.content.decode()


def url(name, *args):
    return reverse(f"customers:{name}", args=[getattr(a, "pk", a) for a in args])


def fresh(customer):
    return Customer.objects.get(pk=customer.pk)


def snapshot():
    """Everything these views could write, to prove a refusal wrote nothing."""
    return (
        list(Customer.objects.order_by("pk").values()),
        Customer.history.count(),
    )


def new_customer(**overrides):
    """POST data for the new-customer form; a None override leaves a field out."""
    data = {
        "name": "Jane Doe",
        "phone": "+1 (555) 201-3344",
        "email": "jane@mail.example",
        "address": "12 Elm Avenue\nSpringfield",
        "tax_id": "",
        "credit_limit": "",
        "notes": "Prefers texts",
        "marketing_consent": "on",
    }
    return {k: v for k, v in (data | overrides).items() if v is not None}


def edit(customer, **overrides):
    """POST data for the edit form from the customer's current values."""
    form = CustomerForm(instance=customer)
    data = {name: form[name].value() for name in form.fields}
    data = {k: "" if v is None else v for k, v in (data | overrides).items()}
    return {k: v for k, v in data.items() if v is not False}


def listed(client, **query):
    response = client.get(url("customer_list"), query)
    assert response.status_code == 200
    return [row.record.name for row in response.context["table"].paginated_rows]


def found(client, text):
    response = client.get(url("customer_search"), {"q": text})
    assert response.status_code == 200
    return response


def found_names(client, text):
    return [c.name for c in found(client, text).context["customers"]]


# Access


@pytest.mark.parametrize(
    "name, args, method",
    [
        ("customer_list", [], "get"),
        ("customer_create", [], "get"),
        ("customer_search", [], "get"),
        ("customer_detail", ["pk"], "get"),
        ("customer_update", ["pk"], "get"),
        ("customer_deactivate", ["pk"], "post"),
        ("customer_reactivate", ["pk"], "post"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name, args, method):
    customer = CustomerFactory()
    before = snapshot()
    target = url(name, *[customer for _ in args])
    response = getattr(client, method)(target)
    assert response.status_code == 302
    assert response.url == f"{SIGN_IN}?next={target}"
    assert snapshot() == before


@pytest.mark.parametrize("name", ["customer_deactivate", "customer_reactivate"])
def test_activation_changes_only_by_post(cashier_client, name):
    customer = CustomerFactory()
    assert cashier_client.get(url(name, customer)).status_code == 405
    assert fresh(customer).active is True


def test_every_customer_view_declares_its_access():
    from accounts.access import access_of
    from customers import urls

    rules = {p.name: access_of(p.callback) for p in urls.urlpatterns}
    assert rules == {
        "customer_list": "perm:customers.view_customer",
        "customer_create": "perm:customers.add_customer",
        "customer_search": "perm:customers.view_customer",
        "customer_detail": "perm:customers.view_customer",
        "customer_update": "perm:customers.change_customer",
        "customer_deactivate": "perm:customers.change_customer",
        "customer_reactivate": "perm:customers.change_customer",
    }


# The list


def test_staff_find_customers_on_the_list_by_name_phone_or_email(cashier_client):
    CustomerFactory(name="Jane Doe", phone="+1 (555) 013-4", email="jd@mail.example")
    CustomerFactory(name="Omar Khan", phone="555 777 1234", email="ok@mail.example")
    assert listed(cashier_client) == ["Jane Doe", "Omar Khan"]
    assert listed(cashier_client, q="jane") == ["Jane Doe"]
    assert listed(cashier_client, q="555 0134") == ["Jane Doe"]
    assert listed(cashier_client, q="OK@MAIL") == ["Omar Khan"]
    assert listed(cashier_client, q="nobody") == []


def test_the_list_filters_on_status(cashier_client):
    CustomerFactory(name="Active Ann")
    CustomerFactory(name="Gone Gary", active=False)
    assert listed(cashier_client, active="true") == ["Active Ann"]
    assert listed(cashier_client, active="false") == ["Gone Gary"]
    assert listed(cashier_client) == ["Active Ann", "Gone Gary"]


def test_the_list_links_each_customer_and_shows_fifty_a_page(cashier_client):
    CustomerFactory.create_batch(60)
    first = cashier_client.get(url("customer_list"))
    assert len(first.context["table"].paginated_rows) == 50
    assert len(listed(cashier_client, page=2)) == 10
    customer = first.context["table"].paginated_rows[0].record
    assert f'href="{url("customer_detail", customer)}"' in html(first)
    assert "60 customers" in html(first)


def test_the_list_hides_email_and_credit_limit_on_phones(cashier_client):
    CustomerFactory(email="jd@mail.example", credit_limit=Decimal("1500"))
    page_html = html(cashier_client.get(url("customer_list")))
    classes = [set(c.split()) for c in re.findall(r'class="([^"]*)"', page_html)]
    assert sum({"d-none", "d-md-table-cell"} <= c for c in classes) == 4
    assert "jd@mail.example</a></td>" in page_html
    assert "$1,500.00</td>" in page_html


def test_the_list_escapes_html_in_names(cashier_client):
    CustomerFactory(name=NAUGHTY)
    page_html = html(cashier_client.get(url("customer_list")))
    assert NAUGHTY_ESCAPED in page_html
    assert NAUGHTY not in page_html


CUSTOMER_LIST_QUERY_BUDGET = 6


@pytest.mark.parametrize("customers", [5, 60])
def test_the_customer_list_keeps_to_its_query_budget(
    cashier_client, django_assert_max_num_queries, customers
):
    CustomerFactory.create_batch(customers)
    ShopSettings.load()  # created once, by the first page ever shown
    with django_assert_max_num_queries(CUSTOMER_LIST_QUERY_BUDGET):
        response = cashier_client.get(url("customer_list"), {"q": "customer"})
    assert len(response.context["table"].paginated_rows) == min(customers, 50)


# The customer's page


@pytest.fixture
def no_panels():
    """No panels from the other apps for this test; theirs come back after it."""
    registered = list(panels.PANELS)
    panels.PANELS.clear()
    yield
    panels.PANELS[:] = registered


@pytest.fixture
def history_panels(no_panels):
    """Two panels, as other apps register them, for this test only."""
    panels.register_panel("Test sales", "customers:customer_update", order=1)
    panels.register_panel(
        "Test receivables",
        "customers:customer_detail",
        order=2,
        permission="invoices.view_receivables",
    )


def test_the_customer_page_shows_contact_details_and_notes(cashier_client):
    customer = CustomerFactory(
        name="Kestrel Accountancy",
        phone="+1 555 382 1001",
        email="accounts@kestrel.example",
        address="4 Kings Way\nSpringfield",
        tax_id="TX-1234-5678",
        credit_limit=Decimal("2500.00"),
        notes="Invoice monthly.",
        marketing_consent=True,
    )
    response = cashier_client.get(url("customer_detail", customer))
    page_html = html(response)
    assert response.status_code == 200
    for shown in [
        "Kestrel Accountancy",
        'href="tel:15553821001"',
        'href="mailto:accounts@kestrel.example"',
        "4 Kings Way<br>Springfield",
        "TX-1234-5678",
        'data-testid="credit-limit">$2,500.00<',
        "Invoice monthly.",
        "Agrees to offers",
    ]:
        assert shown in page_html
    assert f'href="{url("customer_update", customer)}"' in page_html


def test_the_customer_page_loads_each_panel_the_user_may_see(
    cashier_client, manager_client, history_panels
):
    customer = CustomerFactory()
    sales_url = url("customer_update", customer)
    receivables_url = url("customer_detail", customer)
    cashier_html = html(cashier_client.get(url("customer_detail", customer)))
    assert f'hx-get="{sales_url}" hx-trigger="load"' in cashier_html
    assert "Test sales" in cashier_html
    assert f'hx-get="{receivables_url}"' not in cashier_html
    manager_html = html(manager_client.get(url("customer_detail", customer)))
    assert manager_html.index("Test sales") < manager_html.index("Test receivables")
    assert f'hx-get="{receivables_url}" hx-trigger="load"' in manager_html


def test_the_customer_page_without_panels_says_there_is_no_history(
    cashier_client, no_panels
):
    customer = CustomerFactory()
    page_html = html(cashier_client.get(url("customer_detail", customer)))
    assert "hx-get" not in page_html
    assert "No history to show yet." in page_html


def test_a_deactivated_customer_still_opens_with_a_reactivate_button(cashier_client):
    customer = CustomerFactory(active=False)
    response = cashier_client.get(url("customer_detail", customer))
    assert response.status_code == 200
    assert "Inactive" in html(response)
    assert f'action="{url("customer_reactivate", customer)}"' in html(response)


def test_the_customer_page_escapes_html_in_names_and_notes(cashier_client):
    customer = CustomerFactory(name=NAUGHTY, notes="<script>alert(1)</script>")
    page_html = html(cashier_client.get(url("customer_detail", customer)))
    assert NAUGHTY_ESCAPED in page_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_html
    assert "<script>alert(1)" not in page_html


def test_an_unknown_customer_is_not_found(cashier_client):
    assert cashier_client.get(url("customer_detail", 999_999)).status_code == 404


CUSTOMER_PAGE_QUERY_BUDGET = 5


def test_the_customer_page_keeps_to_its_query_budget(
    cashier_client, django_assert_max_num_queries, history_panels
):
    customer = CustomerFactory()
    ShopSettings.load()
    with django_assert_max_num_queries(CUSTOMER_PAGE_QUERY_BUDGET):
        response = cashier_client.get(url("customer_detail", customer))
    assert response.status_code == 200


# Adding and editing


def test_the_form_edits_exactly_the_fields_the_services_take():
    assert set(CustomerForm._meta.fields) == CUSTOMER_FIELDS


def test_staff_add_a_customer(cashier_client, cashier):
    response = cashier_client.post(
        url("customer_create"), new_customer(credit_limit="750.00")
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == url("customer_detail", customer)
    assert customer.name == "Jane Doe"
    assert customer.phone_digits == "15552013344"
    assert customer.address == "12 Elm Avenue\nSpringfield"
    assert customer.credit_limit == Decimal("750.00")
    assert customer.marketing_consent is True
    assert customer.history.get().history_user == cashier
    page_html = html(cashier_client.get(response.url))
    assert "Jane Doe has been added." in page_html


def test_the_new_customer_form_opens_without_a_duplicate_warning(cashier_client):
    response = cashier_client.get(url("customer_create"))
    assert response.status_code == 200
    assert "Save anyway" not in html(response)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"email": "jane@"}, "email", "Enter a valid email address."),
        ({"credit_limit": "-1"}, "credit_limit", "greater than or equal to 0"),
        ({"credit_limit": "12.345"}, "credit_limit", "2 decimal places"),
        ({"name": "N" * 201}, "name", "at most 200 characters"),
    ],
)
def test_a_new_customer_with_bad_details_is_refused_and_nothing_is_written(
    cashier_client, overrides, field, message
):
    before = snapshot()
    response = cashier_client.post(url("customer_create"), new_customer(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message in html(response)
    assert snapshot() == before


def test_staff_edit_a_customer_and_the_history_records_who(cashier_client, cashier):
    customer = CustomerFactory(name="Jane Doe", phone="555 0100")
    response = cashier_client.post(
        url("customer_update", customer),
        edit(customer, phone="(555) 201-3344", notes="Moved to Elm Avenue"),
    )
    assert response.status_code == 302
    assert response.url == url("customer_detail", customer)
    saved = fresh(customer)
    assert [saved.phone, saved.phone_digits] == ["(555) 201-3344", "5552013344"]
    assert saved.notes == "Moved to Elm Avenue"
    assert saved.history.latest().history_user == cashier


def test_a_bad_edit_is_refused_and_the_page_keeps_the_saved_name(cashier_client):
    customer = CustomerFactory(name="Jane Doe", credit_limit=Decimal("100.00"))
    before = snapshot()
    response = cashier_client.post(
        url("customer_update", customer),
        edit(customer, name="Janet Doe", credit_limit="-5"),
    )
    assert response.status_code == 200
    assert "greater than or equal to 0" in html(response)
    assert '<h1 class="h3 mb-3 text-break">Edit Jane Doe</h1>' in html(response)
    assert snapshot() == before


# The duplicate warning


def test_a_duplicate_phone_is_warned_about_then_saved_anyway(cashier_client):
    existing = CustomerFactory(name="Jane Doe", phone="555-013-4567")
    data = new_customer(name="Jane Smith", phone="(555) 013 4567", email="")
    warned = cashier_client.post(url("customer_create"), data)
    assert warned.status_code == 200
    warning = " ".join(warned.context["form"].non_field_errors())
    assert "Another customer has this phone number or email" in warning
    assert f'href="{url("customer_detail", existing)}"' in html(warned)
    assert "Jane Doe</a> (555-013-4567, " in html(warned)
    assert 'name="confirm_duplicate"' in html(warned)
    assert "Save anyway: this is a different person" in html(warned)
    assert Customer.objects.count() == 1

    saved = cashier_client.post(
        url("customer_create"), data | {"confirm_duplicate": "on"}
    )
    assert saved.status_code == 302
    assert Customer.objects.filter(phone_digits="5550134567").count() == 2


def test_a_duplicate_email_is_warned_about_whatever_its_case(cashier_client):
    CustomerFactory(name="Omar Khan", email="omar@mail.example", active=False)
    response = cashier_client.post(
        url("customer_create"), new_customer(email="Omar@Mail.Example")
    )
    assert response.status_code == 200
    assert "Omar Khan</a> (" in html(response)
    assert "omar@mail.example, deactivated)" in html(response)
    assert not Customer.objects.filter(name="Jane Doe").exists()


def test_the_duplicate_warning_escapes_html_in_the_other_name(cashier_client):
    CustomerFactory(name=NAUGHTY, phone="555 0134")
    response = cashier_client.post(
        url("customer_create"), new_customer(phone="555-0134")
    )
    assert NAUGHTY_ESCAPED in html(response)
    assert NAUGHTY not in html(response)


def test_an_edit_that_keeps_a_shared_phone_is_not_warned_about(cashier_client):
    CustomerFactory(name="Ann Household", phone="555 0134")
    customer = CustomerFactory(name="Bob Household", phone="555-0134")
    response = cashier_client.post(
        url("customer_update", customer), edit(customer, notes="Ann's husband")
    )
    assert response.status_code == 302
    assert fresh(customer).notes == "Ann's husband"


def test_an_edit_to_another_customers_email_is_warned_about(cashier_client):
    CustomerFactory(name="Ann Other", email="ann@mail.example")
    customer = CustomerFactory(name="Bob", email="bob@mail.example")
    response = cashier_client.post(
        url("customer_update", customer), edit(customer, email="ANN@mail.example")
    )
    assert response.status_code == 200
    assert "Ann Other</a>" in html(response)
    assert fresh(customer).email == "bob@mail.example"


def test_a_customer_is_not_a_duplicate_of_themselves(cashier_client):
    customer = CustomerFactory(phone="555 0134", email="me@mail.example")
    response = cashier_client.post(
        url("customer_update", customer),
        edit(customer, phone="(555) 0134", email="ME@mail.example"),
    )
    assert response.status_code == 302
    assert fresh(customer).phone == "(555) 0134"


# Deactivating


def test_staff_deactivate_and_reactivate_a_customer(cashier_client, cashier):
    customer = CustomerFactory(name="Jane Doe")
    response = cashier_client.post(url("customer_deactivate", customer), follow=True)
    assert response.redirect_chain[-1][0] == url("customer_detail", customer)
    assert "Jane Doe has been deactivated." in html(response)
    assert fresh(customer).active is False
    assert fresh(customer).history.latest().history_user == cashier

    response = cashier_client.post(url("customer_reactivate", customer), follow=True)
    assert "Jane Doe is active again." in html(response)
    assert fresh(customer).active is True


# The quick search


def test_the_search_finds_by_name_phone_typed_differently_or_email(cashier_client):
    CustomerFactory(name="Jane Doe", phone="+1 (555) 013-4", email="jd@mail.example")
    CustomerFactory(name="Omar Khan", phone="555 777 1234", email="omar@x.example")
    assert found_names(cashier_client, "jan") == ["Jane Doe"]
    assert found_names(cashier_client, "555 0134") == ["Jane Doe"]
    assert found_names(cashier_client, "5550134") == ["Jane Doe"]
    assert found_names(cashier_client, "OMAR@X") == ["Omar Khan"]


def test_the_search_answers_buttons_carrying_the_customer(cashier_client):
    jane = CustomerFactory(name="Jane Doe", phone="+1 555 0134", email="j@m.example")
    fragment = html(found(cashier_client, "jane"))
    assert "<html" not in fragment
    assert f'data-customer-id="{jane.pk}"' in fragment
    assert 'data-customer-name="Jane Doe"' in fragment
    assert 'data-customer-phone="+1 555 0134"' in fragment
    assert '<button type="button"' in fragment
    assert "j@m.example" in fragment


def test_the_search_offers_only_active_customers(cashier_client):
    CustomerFactory(name="Jane Active")
    CustomerFactory(name="Jane Gone", active=False)
    assert found_names(cashier_client, "jane") == ["Jane Active"]


def test_the_search_offers_at_most_ten_customers_by_name(cashier_client):
    for n in range(12):
        CustomerFactory(name=f"Smith {chr(ord('L') - n)}")
    names = found_names(cashier_client, "smith")
    assert len(names) == 10
    assert names == sorted(names)


@pytest.mark.parametrize("text", ["", " ", "j", " j "])
def test_a_search_shorter_than_two_characters_answers_nothing(cashier_client, text):
    CustomerFactory(name="Jane Doe")
    assert html(found(cashier_client, text)).strip() == ""


def test_a_search_without_matches_says_so(cashier_client):
    CustomerFactory(name="Jane Doe")
    fragment = html(found(cashier_client, "zebra"))
    assert "No active customer matches “zebra”." in fragment
    assert f'href="{url("customer_create")}"' in fragment


def test_the_search_escapes_html(cashier_client):
    CustomerFactory(name=NAUGHTY)
    fragment = html(found(cashier_client, "<b>"))
    assert f'data-customer-name="{NAUGHTY_ESCAPED}"' in fragment
    assert NAUGHTY not in fragment
    assert html(found(cashier_client, "<i>zz")).count("&lt;i&gt;zz") == 1


CUSTOMER_SEARCH_QUERY_BUDGET = 3


@pytest.mark.parametrize("customers", [5, 60])
def test_the_search_keeps_to_its_query_budget(
    cashier_client, django_assert_max_num_queries, customers
):
    CustomerFactory.create_batch(
        customers, name=factory.Sequence(lambda n: f"Jane {n}")
    )
    with django_assert_max_num_queries(CUSTOMER_SEARCH_QUERY_BUDGET):
        response = found(cashier_client, "jane")
    assert len(response.context["customers"]) == min(customers, 10)


# The picker


PICKER = (
    '{% include "customers/includes/customer_picker.html"'
    " with field_name=field selected=customer only %}"
)


def render_picker(field="customer", customer=None):
    return Template(PICKER).render(Context({"field": field, "customer": customer}))


def test_the_picker_renders_a_search_box_and_an_empty_hidden_input(db):
    picker = render_picker()
    assert '<input type="hidden" name="customer" value=""' in picker
    assert f'hx-get="{url("customer_search")}"' in picker
    assert 'hx-trigger="input changed delay:200ms, search"' in picker
    assert 'type="search" name="q" form=""' in picker
    assert "js/customer-picker.js" in picker
    assert re.search(r'<div class="[^"]*\bd-none" data-picker-chosen>', picker)


def test_the_picker_shows_the_customer_already_chosen(db):
    customer = CustomerFactory(name=NAUGHTY, phone="555 0134")
    picker = render_picker("bill_to", customer)
    assert f'name="bill_to" value="{customer.pk}"' in picker
    assert f"data-picker-name>{NAUGHTY_ESCAPED}<" in picker
    assert 'class="input-group d-none" data-picker-search' in picker
    assert not re.search(r'<div class="[^"]*\bd-none" data-picker-chosen>', picker)


def test_several_pickers_share_a_page_without_clashing_ids(db):
    page = render_picker("customer") + render_picker("bill_to")
    assert 'name="customer"' in page
    assert 'name="bill_to"' in page
    assert page.count("data-customer-picker") == 2
    assert ' id="' not in page


# In a browser: the picker on a page of its own, typed at and picked from.


PICKER_PAGE = """{% extends "base.html" %}{% block content %}
<form method="post">
  <label class="form-label">Customer</label>
  {% include "customers/includes/customer_picker.html" with field_name="customer" only %}
  <label class="form-label mt-3">Bill to</label>
  {% include "customers/includes/customer_picker.html" with field_name="bill_to" selected=bill_to only %}
</form>{% endblock %}"""  # noqa: E501


@staff_required
def picker_page(request):
    bill_to = Customer.objects.filter(pk=request.GET.get("bill_to") or 0).first()
    context = RequestContext(request, {"bill_to": bill_to})
    return HttpResponse(Template(PICKER_PAGE).render(context))


urlpatterns = [
    path("picker-test/", picker_page, name="picker_test"),
    path("", include("pos_project.urls")),
]


def picked(page, field):
    return page.eval_on_selector(f"input[name={field}]", "input => input.value")


@pytest.mark.browser
@pytest.mark.urls(__name__)
def test_staff_pick_customers_with_the_keyboard_and_the_mouse(
    browser, live_server, transactional_db, cashier, artifacts
):
    jane = CustomerFactory(name="Jane Doe", phone="+1 (555) 013-4")
    janet = CustomerFactory(name="Janet Smith")
    jan = CustomerFactory(name="Jan Novak")
    CustomerFactory(name="Jane Gone", active=False)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{live_server.url}{SIGN_IN}")
    page.fill("#id_username", cashier.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/picker-test/?bill_to={janet.pk}")
    first, second = page.locator("[data-customer-picker]").all()
    assert second.locator("[data-picker-name]").inner_text() == "Janet Smith"
    assert picked(page, "bill_to") == str(janet.pk)

    # Keyboard: type, move down past the end and back up, Enter.
    first.locator("input[type=search]").fill("jan")
    options = first.locator("[data-customer-id]")
    options.nth(2).wait_for()
    assert [text.split("\n")[0] for text in options.all_inner_texts()] == [
        "Jan Novak",
        "Jane Doe",
        "Janet Smith",
    ]
    page.screenshot(path=artifacts / "customer-picker-results.png")
    for key in ["ArrowDown", "ArrowDown", "ArrowDown", "ArrowUp", "Enter"]:
        page.keyboard.press(key)
    assert picked(page, "customer") == str(jane.pk)
    assert first.locator("[data-picker-name]").inner_text() == "Jane Doe"
    assert options.count() == 0
    assert not first.locator("input[type=search]").is_visible()
    assert picked(page, "bill_to") == str(janet.pk)

    # Change, then a phone number typed another way: the only match takes Enter.
    second.locator("[data-picker-change]").click()
    assert picked(page, "bill_to") == ""
    assert second.locator("input[type=search]").evaluate(
        "input => input === document.activeElement"
    )
    page.keyboard.type("555 0134")
    second.locator("[data-customer-id]").first.wait_for()
    page.keyboard.press("Enter")
    assert picked(page, "bill_to") == str(jane.pk)

    # Mouse: a click picks, and only in its own picker.
    first.locator("[data-picker-change]").click()
    page.keyboard.type("novak")
    first.locator("[data-customer-id]").first.click()
    assert picked(page, "customer") == str(jan.pk)
    assert picked(page, "bill_to") == str(jane.pk)
    page.screenshot(path=artifacts / "customer-picker-chosen.png")
    context.close()


# Django admin


def test_admins_edit_customers_in_django_admin_through_the_services(
    manager_client, manager
):
    customer = CustomerFactory(name="Jane Doe", phone="555 0100")
    response = manager_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "name": "Jane Doe",
            "phone": "+1 (555) 013-4",
            "email": "",
            "address": "",
            "tax_id": "",
            "credit_limit": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    saved = fresh(customer)
    assert saved.phone_digits == "15550134"
    assert saved.active is False
    assert saved.history.latest().history_user == manager


def test_customers_cannot_be_deleted_in_django_admin(owner_client):
    customer = CustomerFactory()
    response = owner_client.post(
        reverse("admin:customers_customer_delete", args=[customer.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_django_admin_finds_a_customer_by_phone_digits(manager_client):
    CustomerFactory(name="Jane Doe", phone="+1 (555) 013-4")
    CustomerFactory(name="Omar Khan", phone="555 777 1234")
    response = manager_client.get(
        reverse("admin:customers_customer_changelist"), {"q": "5550134"}
    )
    assert [c.name for c in response.context["cl"].result_list] == ["Jane Doe"]
