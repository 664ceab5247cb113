"""Repair tickets over the REST API (docs/api.md).

Every write calls the same service as the ticket page (repairs.services) and
needs the same permission; a refusal is a 400 with the service's own message.
The device's passcode is write-only: it is stored encrypted and never shown.

    /repairs/                 GET list, POST book a device in
    /repairs/{id}/            GET the ticket, PATCH its intake details
    /repairs/{id}/status/     GET where it stands, POST move it on
    /repairs/{id}/lines/      GET the estimate, POST add labour or a part
    /repairs/{id}/approval/   GET the approval, POST record the customer's yes
    /repairs/{id}/deposits/   GET the payments, POST take a deposit
    /repair-lines/{id}/       GET, PATCH (quantity, price, wording, fitted), DELETE

serializers.py holds what the endpoints answer, inputs.py what their writes
take, filters.py the list's filters and views.py the endpoints themselves.
"""

from .views import TicketLineViewSet, TicketViewSet

ROUTES = [
    ("repairs", TicketViewSet, "ticket"),
    ("repair-lines", TicketLineViewSet, "ticketline"),
]
