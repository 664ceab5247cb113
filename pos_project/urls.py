from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", include("reports.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.health, name="health"),
]
