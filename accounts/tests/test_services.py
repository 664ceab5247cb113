"""Every rule of accounts.services and accounts.access, against the real database."""

import io

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from PIL import Image

from accounts import services
from accounts.access import APPROVE_RETURNS
from accounts.models import PaperWidth, PaymentMethod, Role, ShopSettings, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-lantern"


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload():
    return SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")


def signs_in(user, password):
    request = RequestFactory().post("/")
    return authenticate(request=request, username=user.username, password=password)


def fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.fixture
def cashier():
    return UserFactory(username="cashier", role=Role.USER)


@pytest.fixture
def manager():
    return UserFactory(username="manager", role=Role.ADMIN)


@pytest.fixture
def owner():
    return UserFactory(username="owner", role=Role.SUPER_ADMIN)


def create(by, **overrides):
    fields = {"username": "newbie", "password": NEW_PASSWORD, "first_name": "Nia"}
    return services.create_staff(by=by, **{**fields, **overrides})


# create_staff


def test_admin_creates_a_user(manager):
    create(manager, role=Role.USER)

    assert User.objects.get(username="newbie").role == Role.USER


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPER_ADMIN])
def test_admin_cannot_create_an_admin_or_a_super_admin(manager, role):
    with pytest.raises(ValidationError, match="cannot give the role"):
        create(manager, role=role)

    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("role", Role.values)
def test_super_admin_creates_any_role(owner, role):
    create(owner, role=role)

    assert User.objects.get(username="newbie").role == role


def test_a_taken_username_is_refused_whatever_its_case(manager, cashier):
    with pytest.raises(ValidationError, match="is taken"):
        create(manager, username="CASHIER")

    assert User.objects.filter(username__iexact="cashier").count() == 1


@pytest.mark.parametrize("weak", ["12345678", "Ab1!x", "password"])
def test_a_weak_password_is_refused_and_nothing_is_written(manager, weak):
    with pytest.raises(ValidationError):
        create(manager, password=weak)

    assert not User.objects.filter(username="newbie").exists()


def test_the_password_is_stored_hashed(manager):
    create(manager)

    user = User.objects.get(username="newbie")
    assert user.password != NEW_PASSWORD
    assert NEW_PASSWORD not in user.password
    assert user.check_password(NEW_PASSWORD)


def test_creating_staff_records_who_did_it(manager):
    user = create(manager)

    entry = user.history.get()
    assert entry.history_type == "+"
    assert entry.history_user == manager


# update_staff


def update(user, by, **overrides):
    fields = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
    }
    return services.update_staff(user, by=by, **{**fields, **overrides})


def test_admin_edits_a_user(manager, cashier):
    update(cashier, manager, first_name="Carla", email="carla@shop.example")

    cashier = fresh(cashier)
    assert (cashier.first_name, cashier.email) == ("Carla", "carla@shop.example")
    assert cashier.history.latest().history_user == manager


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPER_ADMIN])
def test_admin_cannot_edit_an_admin_or_a_super_admin(manager, role):
    target = UserFactory(username="target", first_name="Tom", role=role)

    with pytest.raises(ValidationError, match="cannot change staff"):
        update(target, manager, first_name="Changed")

    assert fresh(target).first_name == "Tom"


def test_admin_cannot_promote_a_user_to_admin(manager, cashier):
    with pytest.raises(ValidationError, match="cannot give the role Admin"):
        update(cashier, manager, role=Role.ADMIN)

    assert fresh(cashier).role == Role.USER


# An Admin is already refused as staff of role Admin; a Super Admin by the
# self rule, even though another Super Admin would remain.
@pytest.mark.parametrize(
    ("role", "new_role", "message"),
    [
        (Role.ADMIN, Role.USER, "cannot change staff with the role Admin"),
        (Role.SUPER_ADMIN, Role.ADMIN, "cannot change your own role"),
    ],
)
def test_nobody_can_change_their_own_role(role, new_role, message):
    UserFactory(username="other-owner", role=Role.SUPER_ADMIN)
    me = UserFactory(username="me", role=role)

    with pytest.raises(ValidationError, match=message):
        update(me, me, role=new_role)

    assert fresh(me).role == role


def test_the_last_active_super_admin_cannot_be_demoted(owner):
    other = UserFactory(username="other-owner", role=Role.SUPER_ADMIN)
    # `other` deactivates `owner`; `owner`, still signed in with a stale copy of
    # themselves, then tries to demote the only active Super Admin left.
    services.set_staff_active(owner, by=other, active=False)

    with pytest.raises(ValidationError, match="at least one active Super Admin"):
        update(other, owner, role=Role.ADMIN)

    assert fresh(other).role == Role.SUPER_ADMIN


def test_with_two_super_admins_one_can_demote_the_other(owner):
    other = UserFactory(username="other-owner", role=Role.SUPER_ADMIN)

    update(other, owner, role=Role.ADMIN)

    assert fresh(other).role == Role.ADMIN


# set_staff_password


def test_a_new_password_replaces_the_old_one(manager, cashier):
    services.set_staff_password(cashier, by=manager, password=NEW_PASSWORD)

    cashier = fresh(cashier)
    assert cashier.check_password(NEW_PASSWORD)
    assert not cashier.check_password(PASSWORD)


def test_admin_cannot_set_an_admins_password(manager):
    target = UserFactory(username="target", role=Role.ADMIN)

    with pytest.raises(ValidationError, match="cannot change staff"):
        services.set_staff_password(target, by=manager, password=NEW_PASSWORD)

    assert fresh(target).check_password(PASSWORD)


def test_a_weak_new_password_is_refused_and_the_old_one_still_works(manager, cashier):
    with pytest.raises(ValidationError):
        services.set_staff_password(cashier, by=manager, password="12345678")

    assert fresh(cashier).check_password(PASSWORD)


# set_staff_active


def test_deactivating_then_reactivating_a_member(manager, cashier):
    services.set_staff_active(cashier, by=manager, active=False)
    assert fresh(cashier).is_active is False

    services.set_staff_active(cashier, by=manager, active=True)
    assert fresh(cashier).is_active is True
    assert [h.is_active for h in cashier.history.order_by("history_date")][-2:] == [
        False,
        True,
    ]


def test_a_deactivated_member_cannot_sign_in(manager, cashier):
    assert signs_in(cashier, PASSWORD) == cashier

    services.set_staff_active(cashier, by=manager, active=False)

    assert signs_in(cashier, PASSWORD) is None


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (Role.ADMIN, "cannot change staff with the role Admin"),
        (Role.SUPER_ADMIN, "deactivate yourself"),
    ],
)
def test_nobody_can_deactivate_themselves(role, message):
    UserFactory(username="other-owner", role=Role.SUPER_ADMIN)
    me = UserFactory(username="me", role=role)

    with pytest.raises(ValidationError, match=message):
        services.set_staff_active(me, by=me, active=False)

    assert fresh(me).is_active is True


def test_the_last_active_super_admin_cannot_be_deactivated(owner):
    other = UserFactory(username="other-owner", role=Role.SUPER_ADMIN)
    services.set_staff_active(owner, by=other, active=False)

    with pytest.raises(ValidationError, match="at least one active Super Admin"):
        services.set_staff_active(other, by=owner, active=False)

    assert fresh(other).is_active is True


def test_deactivating_never_deletes_the_row(manager, cashier):
    services.set_staff_active(cashier, by=manager, active=False)

    assert User.objects.filter(pk=cashier.pk).exists()
    assert User.objects.count() == 2


# update_shop_settings


def test_super_admin_saves_the_shop_settings(owner):
    services.update_shop_settings(
        by=owner,
        name="Corner Shop",
        address="1 High Street",
        paper_width=PaperWidth.A4,
        prices_include_tax=False,
        payment_methods=[PaymentMethod.CASH, PaymentMethod.CHEQUE],
    )

    shop = ShopSettings.load()
    assert (shop.name, shop.address, shop.paper_width) == (
        "Corner Shop",
        "1 High Street",
        PaperWidth.A4,
    )
    assert shop.prices_include_tax is False
    assert shop.payment_methods == ["cash", "cheque"]


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
def test_only_a_super_admin_may_change_the_shop_settings(role):
    actor = UserFactory(username="actor", role=role)
    ShopSettings.load()

    with pytest.raises(ValidationError, match="Only a Super Admin"):
        services.update_shop_settings(by=actor, name="Hijacked")

    assert ShopSettings.load().name == "My Shop"


def test_an_unknown_setting_is_refused(owner):
    with pytest.raises(ValidationError, match="Unknown settings: colour"):
        services.update_shop_settings(by=owner, name="Renamed", colour="red")

    assert ShopSettings.load().name == "My Shop"


@pytest.mark.parametrize(
    ("methods", "message"),
    [([], "at least one method"), (["cash", "bitcoin"], "Unknown payment methods")],
)
def test_payment_methods_must_be_known_and_not_empty(owner, methods, message):
    with pytest.raises(ValidationError, match=message):
        services.update_shop_settings(by=owner, payment_methods=methods)

    assert ShopSettings.load().payment_methods == ShopSettings().payment_methods


def test_a_logo_is_stored_with_its_content_type(owner):
    services.update_shop_settings(by=owner, logo=png_upload())

    shop = ShopSettings.objects.get()
    assert bytes(shop.logo) == png_bytes()
    assert bytes(shop.logo).startswith(b"\x89PNG")
    assert shop.logo_content_type == "image/png"
    assert shop.has_logo


def test_a_logo_over_512_kb_is_refused(owner):
    ShopSettings.load()
    big = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"\0" * (512 * 1024), content_type="image/png"
    )

    with pytest.raises(ValidationError, match="at most 512 KB"):
        services.update_shop_settings(by=owner, logo=big)

    shop = ShopSettings.objects.get()
    assert (bytes(shop.logo), shop.logo_content_type) == (b"", "")


def test_remove_logo_clears_it(owner):
    services.update_shop_settings(by=owner, logo=png_upload())

    services.update_shop_settings(by=owner, remove_logo=True)

    shop = ShopSettings.objects.get()
    assert (bytes(shop.logo), shop.logo_content_type) == (b"", "")
    assert not shop.has_logo


def test_saving_the_shop_settings_records_who_did_it(owner):
    services.update_shop_settings(by=owner, phone="0123 456")

    entry = ShopSettings.objects.get().history.latest()
    assert entry.phone == "0123 456"
    assert entry.history_user == owner


# accounts.access.RoleBackend


def test_a_user_cannot_manage_staff(cashier):
    assert not cashier.has_perm("accounts.manage_staff")
    assert not cashier.has_module_perms("accounts")


def test_an_admin_manages_staff_but_not_admins_nor_the_shop(manager):
    assert manager.has_perm("accounts.manage_staff")
    assert manager.has_perm("accounts.change_user")
    assert manager.has_perm("axes.delete_accessattempt")
    assert not manager.has_perm("accounts.manage_admins")
    assert not manager.has_perm("accounts.change_shopsettings")
    assert not manager.has_perm("accounts.delete_user")
    assert manager.has_module_perms("axes")
    assert not manager.has_module_perms("auth")


def test_a_super_admin_has_every_permission(owner):
    assert owner.has_perm("accounts.manage_admins")
    assert owner.has_perm("accounts.change_shopsettings")
    assert owner.has_perm("anything.at_all")


def test_an_inactive_admin_has_no_permission():
    manager = UserFactory(username="gone", role=Role.ADMIN, is_active=False)

    assert not manager.has_perm("accounts.manage_staff")
    assert manager.get_all_permissions() == set()


@pytest.mark.parametrize(
    ("role", "is_staff", "is_superuser"),
    [
        (Role.USER, False, False),
        (Role.ADMIN, True, False),
        (Role.SUPER_ADMIN, True, True),
    ],
)
def test_django_admin_flags_follow_the_role(role, is_staff, is_superuser):
    user = UserFactory(username="someone", role=role)

    assert (user.is_staff, user.is_superuser) == (is_staff, is_superuser)


def test_create_superuser_makes_a_super_admin():
    User.objects.create_superuser("boss", "boss@shop.example", NEW_PASSWORD)

    boss = User.objects.get(username="boss")
    assert boss.role == Role.SUPER_ADMIN
    assert boss.is_superuser
    assert boss.check_password(NEW_PASSWORD)


# An Admin's signature at someone else's till.


def approve(username, password, request=None):
    return services.authenticate_approver(
        username,
        password,
        permission=APPROVE_RETURNS,
        request=request or RequestFactory().post("/till/"),
    )


def test_an_admins_password_signs_for_what_their_role_allows(manager):
    assert approve(" manager ", PASSWORD) == manager


@pytest.mark.parametrize(
    ("username", "password"),
    [("manager", "wrong-password"), ("cashier", PASSWORD), ("nobody", PASSWORD)],
)
def test_anyone_else_is_refused(cashier, manager, username, password):
    with pytest.raises(ValidationError, match="not an Admin's username and password"):
        approve(username, password)


@pytest.mark.parametrize(("username", "password"), [("", PASSWORD), ("manager", "")])
def test_an_approval_needs_a_username_and_a_password(manager, username, password):
    with pytest.raises(ValidationError, match="must enter their username and pass"):
        approve(username, password)


def test_each_wrong_password_counts_once_towards_the_sign_in_lockout(manager):
    for attempt in range(1, 6):
        with pytest.raises(ValidationError):
            approve("manager", "wrong-password")
        failures = AccessAttempt.objects.get(username="manager").failures_since_start
        assert failures == attempt
    request = RequestFactory().post("/till/")
    with pytest.raises(services.ApproverLockedOut, match="Too many wrong passwords"):
        approve("manager", PASSWORD, request)
    # django-axes' middleware answers such a request with the lockout page.
    assert request.axes_locked_out
