from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = "Sales"

    def ready(self):
        from accounts import live
        from accounts.access import VIEW_SALES
        from customers.panels import register_panel

        from .models import CashMovement, Return, Sale, Shift

        live.watch(Sale, "sales")
        live.watch(Return, "sales")
        live.watch(Shift, "sales")
        live.watch(CashMovement, "sales")

        register_panel(
            "Sales",
            "sales:customer_sales",
            order=5,
            permission=VIEW_SALES,
            live="sales",
        )
