from django.urls import path

from . import documents, views

app_name = "invoices"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("invoices/<int:pk>/credit/", views.invoice_credit, name="invoice_credit"),
    path("invoices/<int:pk>/pay/", views.payment_create, name="payment_create"),
    path("invoices/<int:pk>/pdf/", documents.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/email/", documents.invoice_email, name="invoice_email"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("receivables/", documents.receivables, name="receivables"),
    path(
        "receivables/export.<str:fmt>",
        documents.receivables_export,
        name="receivables_export",
    ),
    path(
        "customers/<int:pk>/pay/",
        views.customer_payment,
        name="customer_payment",
    ),
    path(
        "customers/<int:pk>/invoices/",
        views.customer_invoices,
        name="customer_invoices",
    ),
    path(
        "customers/<int:pk>/payments/",
        views.customer_payments,
        name="customer_payments",
    ),
    path(
        "customers/<int:pk>/statement/",
        documents.customer_statement,
        name="customer_statement",
    ),
]
