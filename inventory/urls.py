from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product_list"),
    path("products/export.xlsx", views.product_export, name="product_export"),
    path("products/search/", views.product_search, name="product_search"),
    path("products/import/", views.product_import, name="product_import"),
    path(
        "products/import/<int:pk>/",
        views.product_import_preview,
        name="product_import_preview",
    ),
    path("products/labels/", views.product_labels, name="product_labels"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_update, name="product_update"),
    path(
        "products/<int:pk>/deactivate/",
        views.product_set_active,
        {"active": False},
        name="product_deactivate",
    ),
    path(
        "products/<int:pk>/reactivate/",
        views.product_set_active,
        {"active": True},
        name="product_reactivate",
    ),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("products/<int:pk>/adjust/", views.stock_adjust, name="stock_adjust"),
    path("stock/low/", views.low_stock, name="low_stock"),
    path("stock/receive/", views.stock_receive, name="stock_receive"),
    path("stock/receipts/<int:pk>/", views.receipt_detail, name="receipt_detail"),
    path("stock/count/", views.stock_count, name="stock_count"),
    path("stock/counts/<int:pk>/", views.count_detail, name="count_detail"),
    path("categories/", views.CategoryListView.as_view(), name="category_list"),
    path("categories/new/", views.CategoryCreateView.as_view(), name="category_create"),
    path(
        "categories/<int:pk>/edit/",
        views.CategoryUpdateView.as_view(),
        name="category_update",
    ),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierCreateView.as_view(), name="supplier_create"),
    path(
        "suppliers/<int:pk>/edit/",
        views.SupplierUpdateView.as_view(),
        name="supplier_update",
    ),
]
