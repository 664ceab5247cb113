import sys
import types

import pytest
from django.http import HttpResponse
from django.urls import path

from accounts.access import perm_required, staff_required
from accounts.checks import check_views_declare_access


def undeclared(request):
    return HttpResponse("anyone signed in, by accident")


@staff_required
def declared(request):
    return HttpResponse("staff")


@perm_required("accounts.manage_staff")
def guarded(request):
    return HttpResponse("managers")


def urlconf(*patterns):
    module = types.ModuleType("role_check_urls")
    module.urlpatterns = list(patterns)
    sys.modules[module.__name__] = module
    return module.__name__


def test_the_project_passes_the_access_check():
    assert check_views_declare_access() == []


def test_a_view_without_an_access_rule_fails_the_check(settings):
    settings.ROOT_URLCONF = urlconf(
        path("ok/", declared, name="ok"),
        path("guarded/", guarded, name="guarded"),
        path("oops/", undeclared, name="oops"),
    )
    errors = check_views_declare_access()
    assert [e.id for e in errors] == ["accounts.E001"]
    assert "/oops/" in errors[0].msg


def test_an_unnamed_url_fails_the_check(settings):
    settings.ROOT_URLCONF = urlconf(path("anon/", declared))
    errors = check_views_declare_access()
    assert [e.id for e in errors] == ["accounts.E002"]


# Deployment checks: what production would get wrong without a word.


def deploy_warnings(**overrides):
    from django.core import checks

    from accounts import checks as account_checks

    return [
        message.id
        for check in (
            account_checks.site_url,
            account_checks.email_backend,
            account_checks.shared_cache,
        )
        for message in check(None)
        if message.level >= checks.WARNING
    ]


PRODUCTION = {
    "DEBUG": False,
    "SITE_URL": "https://pos.example.com",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    },
}


def configure(settings, **values):
    for name, value in {**PRODUCTION, **values}.items():
        setattr(settings, name, value)


def test_production_settings_pass_the_deploy_checks(settings):
    configure(settings)
    assert deploy_warnings() == []


@pytest.mark.parametrize(
    "site_url",
    [
        "http://127.0.0.1:8000",  # SITE_URL unset
        "http://localhost:8000",
        "https://localhost",
        "http://[::1]:8000",
        "http://0.0.0.0:8000",
        "",
    ],
)
def test_a_site_url_customers_cannot_reach_is_a_warning(settings, site_url):
    configure(settings, SITE_URL=site_url)
    assert deploy_warnings() == ["accounts.W001"]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",  # EMAIL_URL unset
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_email_that_never_leaves_the_server_is_a_warning(settings, backend):
    configure(settings, EMAIL_BACKEND=backend)
    assert deploy_warnings() == ["accounts.W002"]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",  # CACHE_URL unset
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_a_cache_each_worker_keeps_to_itself_is_a_warning(settings, backend):
    configure(settings, CACHES={"default": {"BACKEND": backend}})
    assert deploy_warnings() == ["accounts.W003"]


LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def test_a_per_process_cache_is_fine_while_debugging(settings):
    configure(
        settings,
        DEBUG=True,
        CACHES={"default": {"BACKEND": LOCMEM}},
    )
    assert deploy_warnings() == []
