from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/exports/<uuid:pk>/", views.export_job, name="export_job"),
    path(
        "reports/exports/<uuid:pk>/download/",
        views.export_download,
        name="export_download",
    ),
    path("reports/<slug:slug>/", views.report_detail, name="report_detail"),
]
