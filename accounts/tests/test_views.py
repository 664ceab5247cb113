"""The accounts pages as each role sees them, then the database state."""

import io
import json
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import services
from accounts.forms import ShopSettingsForm
from accounts.models import Role, ShopSettings, User
from accounts.tests.factories import UserFactory

NEW_PASSWORD = "plum-orchard-lantern"
SIGN_IN = reverse("accounts:login")
HOME = reverse("reports:home")
BAD_LOGIN = "Please enter a correct username and password"

STAFF_PAGES = ["staff_list", "staff_create", "staff_detail", "staff_update"]
STAFF_PAGES += ["staff_password", "staff_deactivate", "staff_reactivate"]
POST_ONLY = {"logout", "staff_deactivate", "staff_reactivate"}


def html(response):
    return response.content.decode()


def url(name, member=None):
    """The URL of an accounts page; pages about one member need `member`."""
    name = name if ":" in name else f"accounts:{name}"
    about_one = name.removeprefix("accounts:") in STAFF_PAGES[2:]
    return reverse(name, args=[member.pk] if about_one else [])


def visit(client, name, member=None):
    """GET the page, or POST to it when it only takes a POST."""
    return (client.post if name in POST_ONLY else client.get)(url(name, member))


def fresh(user):
    return User.objects.get(pk=user.pk)


def snapshot():
    """Everything these views could write, to prove a refusal wrote nothing."""
    ShopSettings.load()  # any page creates it on first use; that is no change
    users = list(User.objects.order_by("pk").values())
    return users, list(ShopSettings.objects.values())


def sign_in(client, username, password):
    return client.post(SIGN_IN, {"username": username, "password": password})


def signed_in_id(client):
    return client.session.get("_auth_user_id")


def can_sign_in(username, password):
    response = sign_in(Client(raise_request_exception=False), username, password)
    return response.status_code == 302 and response.url == HOME


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload():
    return SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")


def new_member(**overrides):
    data = {"username": "newbie", "first_name": "Nia", "last_name": "New"}
    data |= {"email": "nia@shop.example", "role": Role.USER}
    data |= {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return data | overrides


def new_password(first=NEW_PASSWORD, second=NEW_PASSWORD):
    return {"new_password1": first, "new_password2": second}


def edit(member, **overrides):
    data = {"first_name": member.first_name, "last_name": member.last_name}
    return data | {"email": member.email, "role": member.role} | overrides


def shop_form(**overrides):
    """Valid POST data for the settings form, from its current values."""
    form = ShopSettingsForm(instance=ShopSettings.load())
    data = {name: form[name].value() for name in form.fields if name in form.initial}
    return {k: v for k, v in data.items() if v is not False} | overrides


# Data that would change something on any of these pages if it were accepted.
INTRUSION = new_member(role=Role.SUPER_ADMIN) | new_password()
INTRUSION |= {"name": "Hijacked", "paper_width": "a4", "payment_methods": ["cash"]}


# Denials


@pytest.mark.parametrize(
    "name",
    ["reports:home", "account", "password_change", "logout", "shop_settings"]
    + STAFF_PAGES,
)
def test_anonymous_visitors_are_sent_to_sign_in(client, cashier, name):
    before = snapshot()
    for response in (
        visit(client, name, cashier),
        client.post(url(name, cashier), INTRUSION),
    ):
        assert response.status_code == 302
        assert response.url == f"{SIGN_IN}?next={url(name, cashier)}"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "name"),
    [("cashier_client", name) for name in [*STAFF_PAGES, "shop_settings"]]
    + [("manager_client", "shop_settings")],
)
def test_staff_without_the_permission_are_refused(request, actor, name):
    client = request.getfixturevalue(actor)
    target = UserFactory(username="target", first_name="Tess", role=Role.USER)
    before = snapshot()
    assert visit(client, name, target).status_code == 403
    assert client.post(url(name, target), INTRUSION).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", STAFF_PAGES[3:])
def test_admin_is_refused_pages_that_change_an_admin(manager_client, password, name):
    other = UserFactory(username="other-manager", first_name="Otto", role=Role.ADMIN)
    before = snapshot()
    assert visit(manager_client, name, other).status_code == 403
    data = edit(other, role=Role.USER) | new_password()
    assert manager_client.post(url(name, other), data).status_code == 403
    assert snapshot() == before
    assert fresh(other).check_password(password)


# Sign-in, lockout and sign-out


def test_signing_in_with_the_right_password_goes_home(client, cashier, password):
    assert 'name="password"' in html(client.get(SIGN_IN))
    response = sign_in(client, "cashier", password)
    assert (response.status_code, response.url) == (302, HOME)
    assert signed_in_id(client) == str(cashier.pk)
    assert client.get(HOME).status_code == 200


@pytest.mark.parametrize("case", ["wrong password", "deactivated"])
def test_sign_in_refuses_a_wrong_password_or_a_deactivated_member(
    client, cashier, manager, password, case
):
    if case == "deactivated":
        services.set_staff_active(cashier, by=manager, active=False)
    else:
        password = "not-the-password"
    response = sign_in(client, "cashier", password)
    assert response.status_code == 200
    assert BAD_LOGIN in html(response)
    assert signed_in_id(client) is None


def fail_five_times(username):
    till = Client()
    statuses = [
        sign_in(till, username, "not-the-password").status_code for _ in range(5)
    ]
    # The fifth failure reaches the limit and is answered with the lockout page.
    assert statuses == [200, 200, 200, 200, 429]


def test_five_failures_lock_the_username_even_for_the_right_password(
    client, cashier, password
):
    fail_five_times("cashier")
    response = sign_in(client, "cashier", password)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in html(response)
    assert signed_in_id(client) is None


def test_after_five_failures_the_right_password_is_refused(cashier, password):
    fail_five_times("cashier")
    assert not can_sign_in("cashier", password)
    assert AccessAttempt.objects.get(username="cashier").failures_since_start >= 5


def test_a_lockout_does_not_block_another_username(client, cashier, manager, password):
    fail_five_times("cashier")
    assert sign_in(client, "manager", password).status_code == 302
    assert signed_in_id(client) == str(manager.pk)


def test_a_lockout_lifts_by_itself_after_15_minutes(client, cashier, password):
    fail_five_times("cashier")
    assert not can_sign_in("cashier", password)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert sign_in(client, "cashier", password).status_code == 302
    assert signed_in_id(client) == str(cashier.pk)


def test_signing_out_needs_a_post(cashier_client, cashier):
    assert cashier_client.get(url("logout")).status_code == 405
    assert signed_in_id(cashier_client) == str(cashier.pk)
    assert cashier_client.post(url("logout")).status_code == 302
    assert signed_in_id(cashier_client) is None
    assert cashier_client.get(HOME).status_code == 302


# The signed-in member's own account


def test_staff_update_their_own_details(cashier_client, cashier):
    assert 'value="Chloe"' in html(cashier_client.get(url("account")))
    data = {"first_name": "Carla", "last_name": "Cole", "email": "carla@shop.example"}
    assert cashier_client.post(url("account"), data).status_code == 302
    cashier = fresh(cashier)
    assert [cashier.first_name, cashier.last_name, cashier.email] == [*data.values()]
    assert cashier.history.latest().history_user == cashier


def test_a_bad_email_on_the_account_page_writes_nothing(cashier_client):
    before = snapshot()
    data = {"first_name": "Carla", "last_name": "Cole", "email": "not-an-email"}
    response = cashier_client.post(url("account"), data)
    assert response.status_code == 200
    assert "Enter a valid email address." in html(response)
    assert snapshot() == before


def test_staff_change_their_own_password_and_stay_signed_in(
    cashier_client, cashier, password
):
    data = {"old_password": password} | new_password()
    assert cashier_client.post(url("password_change"), data).status_code == 302
    assert fresh(cashier).check_password(NEW_PASSWORD)
    assert cashier_client.get(HOME).status_code == 200


def test_a_wrong_old_password_changes_nothing(cashier_client, cashier, password):
    data = {"old_password": "not-the-password"} | new_password()
    response = cashier_client.post(url("password_change"), data)
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in html(response)
    assert fresh(cashier).check_password(password)


# Staff list


def listed(client, **query):
    response = client.get(url("staff_list"), query)
    assert response.status_code == 200
    return {row.record.username for row in response.context["table"].paginated_rows}


@pytest.mark.parametrize("actor", ["manager_client", "owner_client"])
def test_admins_and_super_admins_see_every_member(
    request, actor, cashier, manager, owner
):
    client = request.getfixturevalue(actor)
    assert listed(client) == {"cashier", "manager", "owner"}
    assert url("staff_detail", cashier) in html(client.get(url("staff_list")))


def test_the_staff_list_searches_and_filters_by_role(manager_client, cashier, owner):
    UserFactory(username="second-manager", role=Role.ADMIN)
    assert listed(manager_client, q="chlo") == {"cashier"}
    assert listed(manager_client, role="admin") == {"manager", "second-manager"}


STAFF_LIST_QUERY_BUDGET = 6


@pytest.mark.parametrize("staff", [5, 40])
def test_the_staff_list_keeps_to_its_query_budget(
    manager_client, django_assert_max_num_queries, staff
):
    UserFactory.create_batch(staff - 1)
    ShopSettings.load()  # created once, by the first page ever shown
    with django_assert_max_num_queries(STAFF_LIST_QUERY_BUDGET):
        response = manager_client.get(url("staff_list"))
    assert len(response.context["table"].paginated_rows) == min(staff, 25)


# Staff create


def test_admin_creates_a_user_who_can_sign_in(manager_client):
    response = manager_client.post(url("staff_create"), new_member())
    member = User.objects.get(username="newbie")
    assert response.url == url("staff_detail", member)
    assert member.role == Role.USER
    assert can_sign_in("newbie", NEW_PASSWORD)


def test_admin_is_not_offered_role_admin_and_cannot_post_it(manager_client):
    form = html(manager_client.get(url("staff_create")))
    assert '<option value="user"' in form
    assert '<option value="admin"' not in form
    assert '<option value="super_admin"' not in form
    response = manager_client.post(url("staff_create"), new_member(role=Role.ADMIN))
    assert response.status_code == 200
    assert "Select a valid choice" in html(response)
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password2": "another-long-phrase"}, "The two password fields didn"),
        ({"username": "cashier"}, "A user with that username already exists."),
        ({"username": "CASHIER"}, "The username &#x27;CASHIER&#x27; is taken."),
        ({"password1": "12345678", "password2": "12345678"}, "too common"),
    ],
    ids=["mismatched", "duplicate", "duplicate-in-other-case", "weak"],
)
def test_bad_new_member_input_shows_an_error(
    manager_client, cashier, overrides, message
):
    before = snapshot()
    response = manager_client.post(url("staff_create"), new_member(**overrides))
    assert response.status_code == 200
    assert message in html(response)
    assert snapshot() == before


def test_super_admin_creates_an_admin(owner_client):
    response = owner_client.post(url("staff_create"), new_member(role=Role.ADMIN))
    assert response.status_code == 302
    assert User.objects.get(username="newbie").role == Role.ADMIN


# Staff detail


@pytest.mark.parametrize("role", Role.values)
def test_admin_sees_any_members_details_and_history(manager_client, owner, role):
    member = UserFactory(username="member", first_name="Mo", role=Role.USER)
    services.set_staff_active(member, by=owner, active=False)
    User.objects.filter(pk=member.pk).update(role=role)
    response = manager_client.get(url("staff_detail", member))
    assert response.status_code == 200
    assert "member@shop.example" in html(response)
    history = html(response).split("Changes to this account", 1)[1]
    assert str(owner) in history
    assert "deactivated" in history


# Staff update, password, deactivate and reactivate


def test_admin_edits_a_user(manager_client, manager, cashier):
    data = edit(cashier, first_name="Carla", email="carla@shop.example")
    assert manager_client.post(url("staff_update", cashier), data).status_code == 302
    cashier = fresh(cashier)
    assert (cashier.first_name, cashier.email) == ("Carla", "carla@shop.example")
    assert cashier.history.latest().history_user == manager


def test_super_admin_edits_an_admin(owner_client, manager):
    data = edit(manager, first_name="Max", role=Role.USER)
    assert owner_client.post(url("staff_update", manager), data).status_code == 302
    assert (fresh(manager).first_name, fresh(manager).role) == ("Max", Role.USER)


def test_a_super_admin_cannot_change_their_own_role(owner_client, owner):
    UserFactory(username="other-owner", role=Role.SUPER_ADMIN)
    before = snapshot()
    response = owner_client.post(url("staff_update", owner), edit(owner, role="admin"))
    assert response.status_code == 200
    assert "You cannot change your own role" in html(response)
    assert snapshot() == before


def test_admin_sets_a_users_password(manager_client, cashier, password):
    response = manager_client.post(url("staff_password", cashier), new_password())
    assert response.status_code == 302
    assert can_sign_in("cashier", NEW_PASSWORD)
    assert not can_sign_in("cashier", password)


def test_mismatched_new_passwords_show_an_error(manager_client, cashier, password):
    data = new_password(second="another-long-phrase")
    response = manager_client.post(url("staff_password", cashier), data)
    assert response.status_code == 200
    assert "The two password fields didn" in html(response)
    assert fresh(cashier).check_password(password)


def test_admin_deactivates_then_reactivates_a_user_by_post_only(
    manager_client, cashier
):
    assert manager_client.get(url("staff_deactivate", cashier)).status_code == 405
    assert fresh(cashier).is_active is True
    assert manager_client.post(url("staff_deactivate", cashier)).status_code == 302
    assert fresh(cashier).is_active is False
    assert User.objects.filter(username="cashier").exists()
    assert manager_client.get(url("staff_reactivate", cashier)).status_code == 405
    assert manager_client.post(url("staff_reactivate", cashier)).status_code == 302
    assert fresh(cashier).is_active is True


def test_a_super_admin_cannot_deactivate_themselves(owner_client, owner):
    response = owner_client.post(url("staff_deactivate", owner), follow=True)
    assert response.status_code == 200
    assert "You cannot change your own role or deactivate yourself" in html(response)
    assert fresh(owner).is_active is True


# Shop settings and logo


def test_super_admin_saves_the_shop_settings(owner_client, owner):
    assert 'value="My Shop"' in html(owner_client.get(url("shop_settings")))
    data = shop_form(name="Corner Shop", address="1 High Street", paper_width="58mm")
    data |= {"payment_methods": ["cheque", "cash"], "allow_negative_stock": "on"}
    assert owner_client.post(url("shop_settings"), data).status_code == 302
    shop = ShopSettings.load()
    assert [shop.name, shop.address, shop.paper_width] == [
        "Corner Shop",
        "1 High Street",
        "58mm",
    ]
    assert shop.payment_methods == ["cash", "cheque"]
    assert shop.allow_negative_stock is True
    assert shop.history.latest().history_user == owner


def test_no_payment_methods_is_a_form_error(owner_client):
    before = snapshot()
    data = shop_form(name="Renamed")
    del data["payment_methods"]
    response = owner_client.post(url("shop_settings"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["payment_methods"]
    assert errors == ["This field is required."]
    assert "This field is required." in html(response)
    assert snapshot() == before


def test_an_uploaded_logo_is_stored_and_served_to_anyone(owner_client, client):
    assert client.get(reverse("accounts:shop_logo", args=[1])).status_code == 404
    data = shop_form(logo_upload=png_upload())
    assert owner_client.post(url("shop_settings"), data).status_code == 302
    logo_url = ShopSettings.load().logo_url
    assert logo_url.startswith("/settings/logo/")
    logo = client.get(logo_url)
    assert (logo.status_code, logo["Content-Type"]) == (200, "image/png")
    assert logo.content == png_bytes()


def test_a_text_file_is_refused_as_a_logo(owner_client):
    before = snapshot()
    text = SimpleUploadedFile("logo.png", b"hello, world", content_type="image/png")
    response = owner_client.post(url("shop_settings"), shop_form(logo_upload=text))
    assert response.status_code == 200
    assert "Upload a valid image" in html(response)
    assert snapshot() == before


# Home page


def test_a_user_sees_no_staff_link_nor_staff_panel(cashier_client):
    page = html(cashier_client.get(HOME))
    assert f'href="{url("staff_list")}"' not in page
    assert 'data-testid="panel-staff"' not in page
    assert 'id="sign-in-data"' not in page


def test_admin_sees_the_staff_panel_with_real_counts(client, manager, password):
    UserFactory(username="till-1", role=Role.USER)
    UserFactory(username="till-2", role=Role.USER)
    UserFactory(username="gone", role=Role.USER, is_active=False)
    sign_in(client, "manager", password)
    response = client.get(HOME)
    assert 'data-testid="panel-staff"' in html(response)
    counts = response.context["staff_by_role"]
    assert counts == {"User": 2, "Admin": 1, "Super Admin": 0}
    chart = re.search(r'id="sign-in-data"[^>]*>(.*?)</script>', html(response))
    data = json.loads(chart.group(1))
    assert len(data["labels"]) == len(data["values"]) == 14
    assert data["values"][-1] == sum(data["values"]) == 1


def test_super_admin_sees_the_setup_gaps_until_the_shop_is_complete(
    owner_client, owner
):
    response = owner_client.get(HOME)
    assert 'data-testid="setup-gaps"' in html(response)
    assert "address" in response.context["setup_gaps"]
    services.update_shop_settings(
        by=owner,
        address="1 High Street",
        phone="0123 456",
        email="shop@shop.example",
        tax_id="GB123",
        logo=png_upload(),
    )
    response = owner_client.get(HOME)
    assert 'data-testid="setup-gaps"' not in html(response)
    assert response.context["setup_gaps"] == []


# Django admin


def admin_url(member):
    return reverse("admin:accounts_user_change", args=[member.pk])


def admin_form(member, **overrides):
    data = {"username": member.username, "is_active": "on"}
    return data | edit(member) | overrides


def test_admin_lists_and_edits_only_role_user_in_django_admin(
    manager_client, cashier, owner
):
    response = manager_client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    assert {user.username for user in response.context["cl"].result_list} == {"cashier"}
    assert admin_url(cashier) in html(response)
    assert admin_url(owner) not in html(response)
    data = admin_form(cashier, first_name="Carla")
    assert manager_client.post(admin_url(cashier), data).status_code == 302
    assert fresh(cashier).first_name == "Carla"


def test_admin_cannot_open_a_super_admins_page_in_django_admin(manager_client, owner):
    # Django admin hides the row (its queryset holds role User only), so the page
    # answers "does not exist" with a redirect rather than a 403.
    before = snapshot()
    response = manager_client.get(admin_url(owner))
    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    data = admin_form(owner, role=Role.USER)
    assert manager_client.post(admin_url(owner), data).status_code == 302
    assert snapshot() == before


def test_admin_cannot_give_role_admin_in_django_admin(manager_client, cashier):
    form = html(manager_client.get(admin_url(cashier)))
    assert '<option value="user" selected>' in form
    assert '<option value="admin"' not in form
    before = snapshot()
    response = manager_client.post(
        admin_url(cashier), admin_form(cashier, role="admin")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in html(response)
    assert snapshot() == before


@pytest.mark.parametrize("change", [{"role": "admin"}, {"is_active": ""}])
def test_the_last_super_admin_cannot_be_demoted_in_django_admin(
    owner_client, owner, change
):
    before = snapshot()
    response = owner_client.post(admin_url(owner), admin_form(owner, **change))
    assert response.status_code == 200
    assert "You cannot change your own role or deactivate yourself" in html(response)
    assert snapshot() == before
