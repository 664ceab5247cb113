"""The REST API's URLs: /api/v1/ (docs/api.md), its schema and its docs."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import routers

from accounts.api_access import ApiAccessMixin
from customers.api import CustomerViewSet
from inventory.api import ProductViewSet, StockMoveViewSet


class ApiRootView(ApiAccessMixin, routers.APIRootView):
    """The REST API, version 1. See /api/docs/ for every endpoint."""

    required_perms = {"read": []}


class Router(routers.DefaultRouter):
    APIRootView = ApiRootView
    # No `.json` suffixes: the Accept header (or ?format=json) chooses.
    include_format_suffixes = False


router = Router()
router.register("products", ProductViewSet, basename="product")
router.register("stock-moves", StockMoveViewSet, basename="stockmove")
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="api")),
    # The schema describes the API, not the shop's data, so it is public.
    path(
        "schema/", login_not_required(SpectacularAPIView.as_view()), name="api_schema"
    ),
    path(
        "docs/",
        login_not_required(SpectacularSwaggerView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
]
