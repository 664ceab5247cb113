"""API tokens: the services, the authentication class, and the pages."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_auth import ApiRateThrottle
from accounts.models import ApiToken, Role, ShopSettings
from accounts.services import create_api_token, revoke_api_token
from accounts.tests.factories import UserFactory

API = "/api/v1/products/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# Services.


def test_create_api_token_returns_the_key_once_and_stores_only_its_hash(cashier):
    token, key = create_api_token(cashier, by=cashier, name=" Stock sync ")
    token.refresh_from_db()
    assert len(key) >= 50
    assert token.name == "Stock sync"
    assert token.prefix == key[:8]
    assert token.key_hash == ApiToken.hash_key(key) != key
    assert key not in {token.prefix, token.key_hash, token.name}
    assert token.expires_at is None and token.revoked_at is None


def test_create_api_token_gives_each_token_its_own_key(cashier):
    _first, key1 = create_api_token(cashier, by=cashier, name="One")
    _second, key2 = create_api_token(cashier, by=cashier, name="Two")
    assert key1 != key2


def test_create_api_token_refuses_a_token_for_someone_else(owner, cashier):
    with pytest.raises(ValidationError, match="for themselves only"):
        create_api_token(cashier, by=owner, name="Theirs")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("name", "expires_in", "message"),
    [
        ("  ", None, "Give the token a name"),
        ("Sync", timedelta(minutes=-1), "must be in the future"),
    ],
)
def test_create_api_token_refuses_bad_input(cashier, name, expires_in, message):
    expires_at = timezone.now() + expires_in if expires_in else None
    with pytest.raises(ValidationError, match=message):
        create_api_token(cashier, by=cashier, name=name, expires_at=expires_at)
    assert not ApiToken.objects.exists()


def test_create_api_token_refuses_a_deactivated_account(db):
    former = UserFactory(is_active=False)
    with pytest.raises(ValidationError, match="deactivated"):
        create_api_token(former, by=former, name="Sync")


def test_revoke_api_token_by_its_owner_records_who_and_when(cashier):
    token, _key = create_api_token(cashier, by=cashier, name="Sync")
    revoke_api_token(token, by=cashier)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == cashier
    assert token.state == "revoked"


def test_revoking_twice_keeps_the_first_revocation(cashier, owner):
    token, _key = create_api_token(cashier, by=cashier, name="Sync")
    first = revoke_api_token(token, by=cashier).revoked_at
    revoke_api_token(token, by=owner)
    token.refresh_from_db()
    assert (token.revoked_at, token.revoked_by) == (first, cashier)


def test_an_admin_cannot_revoke_someone_elses_token(cashier, manager):
    token, _key = create_api_token(cashier, by=cashier, name="Sync")
    with pytest.raises(ValidationError, match="only your own"):
        revoke_api_token(token, by=manager)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_super_admin_can_revoke_anyones_token(manager, owner):
    token, _key = create_api_token(manager, by=manager, name="Sync")
    revoke_api_token(token, by=owner)
    token.refresh_from_db()
    assert token.revoked_by == owner


# Authentication.


def test_a_valid_token_authenticates_as_its_owner(cashier):
    token, key = create_api_token(cashier, by=cashier, name="Sync")
    response = token_client(key).get(API)
    assert response.status_code == 200
    assert response.wsgi_request.user == cashier
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_request_without_credentials_is_asked_for_a_token(db):
    response = APIClient().get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ("wrong", "Unknown API token."),
        ("revoked", "This API token has been revoked."),
        ("expired", "This API token expired on"),
        ("inactive", "account this API token belongs to is deactivated"),
    ],
)
def test_unusable_tokens_get_401_with_the_reason(cashier, spoil, message):
    token, key = create_api_token(cashier, by=cashier, name="Sync")
    if spoil == "wrong":
        key = key[:-1] + ("A" if key[-1] != "A" else "B")
    elif spoil == "revoked":
        revoke_api_token(token, by=cashier)
    elif spoil == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        cashier.is_active = False
        cashier.save()
    response = token_client(key).get(API)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == 401
    assert error["code"] == "authentication_failed"
    assert message in error["message"]


def test_a_token_before_its_expiry_works(cashier):
    _token, key = create_api_token(
        cashier, by=cashier, name="Sync", expires_at=timezone.now() + timedelta(days=1)
    )
    assert token_client(key).get(API).status_code == 200


@pytest.mark.parametrize("header", ["Token", "Token two parts", "Token caf\u00e9"])
def test_a_malformed_authorization_header_gets_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("latin-1"))
    response = client.get(API)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_last_used_is_written_at_most_once_a_minute(cashier):
    token, key = create_api_token(cashier, by=cashier, name="Sync")
    client = token_client(key)
    recently = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recently)
    client.get(API)
    token.refresh_from_db()
    assert token.last_used_at == recently

    a_while_ago = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_while_ago)
    client.get(API)
    token.refresh_from_db()
    assert token.last_used_at > a_while_ago


def test_the_session_of_a_signed_in_member_of_staff_works_too(cashier_client):
    assert cashier_client.get(API).status_code == 200


def test_requests_are_throttled_per_token(cashier, monkeypatch):
    monkeypatch.setattr(ApiRateThrottle, "THROTTLE_RATES", {"api": "2/min"})
    _token, key = create_api_token(cashier, by=cashier, name="One")
    _other, other_key = create_api_token(cashier, by=cashier, name="Two")
    client = token_client(key)
    assert [client.get(API).status_code for _ in range(2)] == [200, 200]
    response = client.get(API)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert token_client(other_key).get(API).status_code == 200


# Pages.


def test_the_account_page_lists_only_your_own_tokens(cashier, cashier_client, manager):
    create_api_token(cashier, by=cashier, name="My stock sync")
    create_api_token(manager, by=manager, name="Manager's reporting")
    response = cashier_client.get(reverse("accounts:account"))
    assert response.status_code == 200
    assert b"My stock sync" in response.content
    assert b"Manager&#x27;s reporting" not in response.content
    assert b"Everyone&#x27;s tokens" not in response.content


def test_creating_a_token_shows_the_key_once(cashier, cashier_client):
    response = cashier_client.post(
        reverse("accounts:token_create"), {"name": "Stock sync", "expires_in_days": 30}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["key"]
    assert key.encode() in response.content
    token = ApiToken.objects.get(user=cashier)
    assert token.key_hash == ApiToken.hash_key(key)
    assert (token.expires_at - timezone.now()).days == 29
    # Never again: not on the account page, not in the session.
    page = cashier_client.get(reverse("accounts:account"))
    assert key.encode() not in page.content
    assert token.prefix.encode() in page.content
    assert key not in str(dict(cashier_client.session))
    assert token_client(key).get(API).status_code == 200


def test_a_token_without_a_name_is_refused_on_the_page(cashier, cashier_client):
    response = cashier_client.post(reverse("accounts:token_create"), {"name": ""})
    assert response.status_code == 200
    assert response.context["token_form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_the_create_page_accepts_only_post(cashier_client):
    assert cashier_client.get(reverse("accounts:token_create")).status_code == 405


def test_revoking_your_own_token_on_the_page(cashier, cashier_client):
    token, key = create_api_token(cashier, by=cashier, name="Sync")
    response = cashier_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")
    token.refresh_from_db()
    assert token.revoked_by == cashier
    assert token_client(key).get(API).status_code == 401


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
def test_staff_cannot_revoke_someone_elses_token(owner, role, client):
    token, _key = create_api_token(owner, by=owner, name="Owner's sync")
    client.force_login(UserFactory(role=role))
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("role", [Role.USER, Role.ADMIN])
def test_only_super_admins_see_everyones_tokens(db, role, client):
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("accounts:token_list")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    for url in (reverse("accounts:token_list"), reverse("accounts:token_create")):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_super_admin_sees_and_revokes_everyones_tokens(
    owner, owner_client, cashier, manager
):
    theirs, _key = create_api_token(cashier, by=cashier, name="Cashier's sync")
    create_api_token(manager, by=manager, name="Manager's reporting")
    page = owner_client.get(reverse("accounts:token_list"))
    assert page.status_code == 200
    assert b"Cashier&#x27;s sync" in page.content
    assert b"Manager&#x27;s reporting" in page.content
    response = owner_client.post(reverse("accounts:token_revoke", args=[theirs.pk]))
    assert response["Location"] == reverse("accounts:token_list")
    theirs.refresh_from_db()
    assert theirs.revoked_by == owner


def test_the_token_list_costs_a_fixed_number_of_queries(
    owner_client, django_assert_max_num_queries
):
    for n in range(5):
        user = UserFactory()
        token, _key = create_api_token(user, by=user, name=f"Sync {n}")
        revoke_api_token(token, by=user)
    ShopSettings.load()
    with django_assert_max_num_queries(6):
        assert owner_client.get(reverse("accounts:token_list")).status_code == 200
