from django.urls import path

from . import views

app_name = "repairs"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_create, name="ticket_create"),
    path("warranty-check/", views.warranty_check, name="warranty_check"),
    path("parts/search/", views.part_search, name="part_search"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/edit/", views.ticket_update, name="ticket_update"),
    path("<int:pk>/status/", views.ticket_status, name="ticket_status"),
    path("<int:pk>/labour/", views.labour_add, name="labour_add"),
    path("<int:pk>/parts/", views.part_add, name="part_add"),
    path("<int:pk>/approve/", views.estimate_approve, name="estimate_approve"),
    path("<int:pk>/passcode/", views.passcode_update, name="passcode_update"),
    path("<int:pk>/deposit/", views.deposit_create, name="deposit_create"),
    path("<int:pk>/collect/", views.ticket_collect, name="ticket_collect"),
    path("<int:pk>/suggestion/", views.ticket_suggestion, name="ticket_suggestion"),
    path(
        "<int:pk>/suggestion/apply/",
        views.suggestion_apply,
        name="suggestion_apply",
    ),
    path("<int:pk>/slip/", views.claim_slip, name="claim_slip"),
    path("<int:pk>/label/", views.device_label, name="device_label"),
    path("lines/<int:pk>/", views.line_update, name="line_update"),
    path("lines/<int:pk>/fit/", views.line_fit, name="line_fit"),
    path("lines/<int:pk>/unfit/", views.line_unfit, name="line_unfit"),
    path("lines/<int:pk>/remove/", views.line_remove, name="line_remove"),
    path("deposits/<int:pk>/refund/", views.deposit_refund, name="deposit_refund"),
    path("messages/", views.message_list, name="message_list"),
    path("messages/<str:status>/", views.message_update, name="message_update"),
    path("customers/<int:pk>/", views.customer_panel, name="customer_panel"),
    path("status/<str:token>/", views.public_status, name="public_status"),
    path("status/<str:token>/approve/", views.public_approve, name="public_approve"),
]
