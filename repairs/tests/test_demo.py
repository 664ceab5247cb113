from io import StringIO

from django.core import mail
from django.core.management import call_command

from repairs.history import suggest_for
from repairs.models import MessageTemplate, Status, Ticket


def test_demo_repairs_fill_every_status_quietly_with_a_history(db):
    active_before = set(
        MessageTemplate.objects.filter(active=True).values_list("status", flat=True)
    )
    call_command(
        "demo_data",
        "--customers", "40", "--invoices", "5", "--sales", "10", "--repairs", "80",
        stdout=StringIO(),
    )  # fmt: skip

    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    collected = Ticket.objects.filter(status=Status.COLLECTED)
    assert collected.count() >= 80
    assert not collected.filter(minutes_spent__isnull=True).exists()
    assert Ticket.objects.overdue().exists()
    assert mail.outbox == []
    active_after = set(
        MessageTemplate.objects.filter(active=True).values_list("status", flat=True)
    )
    assert active_after == active_before
    call_command("check_stock", stdout=StringIO())
    # The history is old enough to be history, and good enough to suggest from.
    oldest = collected.order_by("closed_at").first()
    assert (Ticket.objects.latest("created_at").created_at - oldest.closed_at).days > 90
    suggestions = [suggest_for(t) for t in Ticket.objects.open()]
    assert any(s.enough_history for s in suggestions)
