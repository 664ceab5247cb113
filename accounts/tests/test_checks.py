import sys
import types

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
