from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.static import serve

from accounts import live

from . import views

urlpatterns = [
    path("", include("reports.urls")),
    path("", include("accounts.urls")),
    path("inventory/", include("inventory.urls")),
    path("customers/", include("customers.urls")),
    path("billing/", include("invoices.urls")),
    path("repairs/", include("repairs.urls")),
    path("", include("sales.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("pos_project.api_urls")),
    path("healthz", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(live.POLL_PATH.lstrip("/"), live.poll, name="live"),
]

if settings.DEBUG:
    # Uploaded product images; in production the web server in front serves
    # MEDIA_ROOT at MEDIA_URL.
    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$",
            login_not_required(serve),
            {"document_root": settings.MEDIA_ROOT},
            name="media",
        )
    ]
