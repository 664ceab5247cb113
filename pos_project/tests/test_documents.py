"""pos_project.documents: scanned document numbers and the pages they open."""

from django.contrib.auth.models import AnonymousUser

from accounts.models import Role
from accounts.tests.factories import UserFactory
from pos_project import documents
from repairs.tests.factories import make_ticket


def test_the_apps_register_receipts_and_claim_slips():
    patterns = {finder.pattern.pattern for finder in documents.FINDERS}
    assert {r"R-\d+", r"RP-\d+"} <= patterns


def test_registering_a_pattern_twice_keeps_one(monkeypatch):
    monkeypatch.setattr(documents, "FINDERS", [])
    documents.register_document(r"X-\d+", lambda number, user: f"/x/{number}/")
    documents.register_document(r"X-\d+", lambda number, user: "/other/")
    assert documents.page_of(" x-7 ", None) == "/x/X-7/"
    assert documents.page_of("X-", None) is None
    assert len(documents.FINDERS) == 1


def test_a_claim_slip_opens_its_ticket_for_staff_only(db):
    technician = UserFactory(role=Role.USER)
    ticket = make_ticket(by=technician)
    number = int(ticket.number.partition("-")[2])
    assert documents.page_of(f"RP-{number}", technician) == ticket.get_absolute_url()
    assert documents.page_of(ticket.number, AnonymousUser()) is None
    assert documents.page_of("RP-999999", technician) is None
