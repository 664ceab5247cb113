from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("search/", views.customer_search, name="customer_search"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_update, name="customer_update"),
    path(
        "<int:pk>/deactivate/",
        views.customer_set_active,
        {"active": False},
        name="customer_deactivate",
    ),
    path(
        "<int:pk>/reactivate/",
        views.customer_set_active,
        {"active": True},
        name="customer_reactivate",
    ),
]
