from django.apps import AppConfig


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = "Repairs"

    def ready(self):
        from accounts.access import VIEW_REPAIRS
        from customers.panels import register_panel

        from . import checks  # noqa: F401 (registers the system checks)

        register_panel(
            "Repairs", "repairs:customer_panel", order=30, permission=VIEW_REPAIRS
        )
