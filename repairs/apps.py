from django.apps import AppConfig

from pos_project.documents import register_document


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
        # A claim slip scanned at the till opens its ticket (to collect it).
        register_document(r"RP-\d+", ticket_page)


def ticket_page(number, user):
    from accounts.access import VIEW_REPAIRS

    from .models import Ticket

    if not user.has_perm(VIEW_REPAIRS):
        return None
    # "RP-45" is RP-000045 too, as numbers are printed padded.
    number = f"RP-{int(number.partition('-')[2]):06d}"
    ticket = Ticket.objects.filter(number=number).only("pk").first()
    return ticket.get_absolute_url() if ticket else None
