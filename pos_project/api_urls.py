"""The REST API's URLs: /api/v1/ (docs/api.md), its schema and its docs."""

from importlib import import_module

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers

from accounts.api_access import ApiAccessMixin

from .api import not_found

# Each app's api.py lists its endpoints in ROUTES: (prefix, viewset, basename).
API_APPS = ["inventory", "customers", "sales", "invoices", "repairs", "reports"]


class ApiRootView(ApiAccessMixin, routers.APIRootView):
    """The REST API, version 1. See /api/docs/ for every endpoint."""

    required_perms = {"read": []}


class Router(routers.DefaultRouter):
    APIRootView = ApiRootView
    # No `.json` suffixes: the Accept header (or ?format=json) chooses.
    include_format_suffixes = False


router = Router()
for app in API_APPS:
    for prefix, viewset, basename in import_module(f"{app}.api").ROUTES:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="api")),
    # The schema describes the API, not the shop's data, so it is public.
    path(
        "schema/", login_not_required(SpectacularAPIView.as_view()), name="api_schema"
    ),
    # Swagger UI with its start-up script served apart (?script), not inline,
    # under the Content-Security-Policy.
    path(
        "docs/",
        login_not_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api_schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api_docs",
    ),
    # Any other URL under /api/ answers the API's JSON 404, not an HTML page.
    re_path(r"^", not_found, name="api_not_found"),
]
