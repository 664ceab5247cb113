from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self):
        from accounts import live
        from accounts.access import VIEW_INVOICES
        from customers.panels import register_panel

        from .models import Invoice, Payment

        # Balances, statuses and payments on every open screen.
        live.watch(Invoice, "billing")
        live.watch(Payment, "billing")

        register_panel(
            "Invoices and balance",
            "invoices:customer_invoices",
            order=10,
            permission=VIEW_INVOICES,
            live="billing",
        )
        register_panel(
            "Payments",
            "invoices:customer_payments",
            order=20,
            permission=VIEW_INVOICES,
            live="billing",
        )
