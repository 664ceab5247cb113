from django.apps import AppConfig


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = "Repairs"

    def ready(self):
        from accounts import live
        from accounts.access import VIEW_REPAIRS
        from customers.panels import register_panel

        from . import checks  # noqa: F401 (registers the system checks)
        from .models import EstimateApproval, StatusChange, Ticket, TicketLine

        for model in (Ticket, TicketLine, StatusChange, EstimateApproval):
            live.watch(model, "repairs")

        register_panel(
            "Repairs",
            "repairs:customer_panel",
            order=30,
            permission=VIEW_REPAIRS,
            live="repairs",
        )
