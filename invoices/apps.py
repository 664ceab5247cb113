from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self):
        from accounts.access import VIEW_INVOICES
        from customers.panels import register_panel

        register_panel(
            "Invoices and balance",
            "invoices:customer_invoices",
            order=10,
            permission=VIEW_INVOICES,
        )
        register_panel(
            "Payments",
            "invoices:customer_payments",
            order=20,
            permission=VIEW_INVOICES,
        )
