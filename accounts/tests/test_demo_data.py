from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import Role, ShopSettings, User

# Small sizes: these tests are about accounts; sales/tests/test_demo.py loads
# the full demo once.
SMALL = ["--customers", "20", "--invoices", "5", "--sales", "10", "--repairs", "5"]


def run(*args, **env):
    out = StringIO()
    call_command("demo_data", *args, *SMALL, stdout=out)
    return out.getvalue()


def can_sign_in(username, password):
    request = RequestFactory().post("/sign-in/")
    return authenticate(request=request, username=username, password=password)


def test_demo_data_creates_one_login_per_role_and_prints_them(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "shop-demo-secret")
    output = run()
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {
        "owner": Role.SUPER_ADMIN,
        "manager": Role.ADMIN,
        "cashier": Role.USER,
        "technician": Role.USER,
    }
    for username in roles:
        assert username in output
        assert can_sign_in(username, "shop-demo-secret")
    assert "shop-demo-secret" in output
    assert ShopSettings.load().name == "FixIt Phone & PC Repair"


def test_demo_data_is_idempotent(db):
    run("--password", "first-password-1")
    run("--password", "second-password-2")
    assert User.objects.count() == 4
    # What exists is kept: the password is the one set the first time.
    assert can_sign_in("cashier", "first-password-1")


def test_if_empty_leaves_a_database_with_staff_alone(db):
    User.objects.create_user("existing", password="whatever-pass-1")
    output = run("--if-empty")
    assert "not loaded" in output
    assert list(User.objects.values_list("username", flat=True)) == ["existing"]


def test_shop_details_edited_by_the_owner_are_not_overwritten(db):
    shop = ShopSettings.load()
    shop.name = "Bench Repairs"
    shop.save()
    run()
    assert ShopSettings.load().name == "Bench Repairs"
