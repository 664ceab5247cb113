from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .access import staff_required

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", staff_required(auth_views.LogoutView.as_view()), name="logout"),
    path("account/", views.account, name="account"),
    path(
        "account/password/",
        staff_required(views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path("account/api-tokens/new/", views.token_create, name="token_create"),
    path(
        "account/api-tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"
    ),
    path("api-tokens/", views.ApiTokenListView.as_view(), name="token_list"),
    path("staff/", views.StaffListView.as_view(), name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_update, name="staff_update"),
    path("staff/<int:pk>/password/", views.staff_password, name="staff_password"),
    path(
        "staff/<int:pk>/deactivate/",
        views.staff_set_active,
        {"active": False},
        name="staff_deactivate",
    ),
    path(
        "staff/<int:pk>/reactivate/",
        views.staff_set_active,
        {"active": True},
        name="staff_reactivate",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path(
        "notifications/<int:pk>/open/",
        views.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/read-all/",
        views.notifications_read_all,
        name="notifications_read_all",
    ),
    path("settings/", views.shop_settings, name="shop_settings"),
    path("settings/logo/<int:version>/", views.shop_logo, name="shop_logo"),
]
