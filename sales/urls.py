from django.urls import path

from .views import payments, receipts, returns, shifts, till

app_name = "sales"

urlpatterns = [
    # The till (views/till.py).
    path("till/", till.till, name="till"),
    path("till/scan/", till.scan, name="till_scan"),
    path("till/search/", till.search, name="till_search"),
    path("till/add/<int:product_id>/", till.add, name="cart_add"),
    path("till/lines/<int:pk>/", till.line, name="cart_line"),
    path("till/discount/", till.discount, name="cart_discount"),
    path("till/approve/", till.approve, name="cart_approve"),
    path("till/customer/", till.customer, name="cart_customer"),
    path("till/clear/", till.clear, name="cart_clear"),
    path("till/park/", till.park, name="cart_park"),
    path("till/parked/", till.parked, name="parked_list"),
    path("till/parked/<int:pk>/resume/", till.resume, name="cart_resume"),
    path("till/checkout/", till.checkout, name="checkout"),
    path("till/invoices/<int:pk>/pay/", payments.invoice_pay, name="invoice_pay"),
    # Receipts (views/receipts.py).
    path("sales/<int:pk>/receipt/", receipts.receipt, name="receipt"),
    path("sales/<int:pk>/receipt.pdf", receipts.receipt_pdf, name="receipt_pdf"),
    path("sales/<int:pk>/email/", receipts.receipt_email, name="receipt_email"),
    path("receipt-preview/", receipts.preview, name="receipt_preview"),
    # Sales, voids and returns (views/returns.py).
    path("sales/", returns.sale_list, name="sale_list"),
    path("sales/<int:pk>/void/", returns.sale_void, name="sale_void"),
    path("sales/<int:pk>/return/", returns.return_create, name="return_create"),
    path("returns/", returns.return_start, name="return_start"),
    path("returns/<int:pk>/", returns.return_detail, name="return_detail"),
    path("customers/<int:pk>/sales/", returns.customer_sales, name="customer_sales"),
    # Cash shifts (views/shifts.py).
    path("shifts/", shifts.shift_list, name="shift_list"),
    path("shifts/open/", shifts.shift_open, name="shift_open"),
    path("shifts/<int:pk>/", shifts.shift_detail, name="shift_detail"),
    path("shifts/<int:pk>/cash/", shifts.shift_cash, name="shift_cash"),
    path("shifts/<int:pk>/close/", shifts.shift_close, name="shift_close"),
    path("shifts/<int:pk>/z-report.pdf", shifts.shift_pdf, name="shift_pdf"),
]
