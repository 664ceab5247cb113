import re
import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import PaymentMethod, ShopSettings
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from inventory.tests.factories import ServiceFactory
from invoices.models import InvoiceStatus, Payment
from invoices.services import record_payment
from repairs import services
from repairs.history import forget_index
from repairs.models import MessageTemplate, Status, Ticket

from .factories import IMEI, make_ticket, ready_ticket, stocked_part

pytestmark = pytest.mark.django_db


def intake_data(for_customer=None, **overrides):
    data = {
        "customer": for_customer.pk if for_customer else "",
        "device_type": "phone",
        "brand": "Samsung",
        "model": "Galaxy S21",
        "imei": IMEI,
        "serial": "",
        "problem": "Does not charge",
        "accessories": "Case",
        "condition_notes": "",
        "passcode": "0000",
        "priority": "2",
        "promised_date": "",
        "technician": "",
        "warranty_days": "90",
        "deposit_amount": "",
        "deposit_method": "cash",
        "deposit_reference": "",
        "idempotency_key": "intake-key-0000000001",
        "new_customer_name": "",
        "new_customer_phone": "",
        "new_customer_email": "",
    }
    data.update(overrides)
    return data


# Intake.


def test_intake_books_the_device_in_with_a_deposit(cashier_client, cashier):
    customer = CustomerFactory()
    response = cashier_client.post(
        reverse("repairs:ticket_create"),
        intake_data(customer, deposit_amount="25.00"),
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{ticket.get_absolute_url()}?booked=1"
    assert (ticket.customer, ticket.created_by) == (customer, cashier)
    assert ticket.invoice.payments.get().amount == Decimal("25.00")
    assert services.reveal_passcode(ticket) == "0000"


def test_intake_adds_a_new_customer_inline(cashier_client):
    cashier_client.post(
        reverse("repairs:ticket_create"),
        intake_data(new_customer_name="Ann Lee", new_customer_phone="0170 123 456"),
    )

    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Ann Lee"
    assert ticket.customer.phone_digits == "0170123456"


def test_a_double_submitted_intake_books_one_ticket(cashier_client):
    data = intake_data(CustomerFactory(), deposit_amount="10.00")
    cashier_client.post(reverse("repairs:ticket_create"), data)
    cashier_client.post(reverse("repairs:ticket_create"), data)

    assert Ticket.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"imei": "35693803564380X"}, "only digits"),
        ({"imei": "", "serial": ""}, "IMEI or serial"),
        ({"brand": ""}, "This field is required"),
        ({"deposit_amount": "-5"}, "more than zero"),
        ({"deposit_amount": "abc"}, "Enter an amount"),
        ({"customer": ""}, "Find the customer"),
        ({"idempotency_key": ""}, "form has expired"),
        ({"warranty_days": "-1"}, "greater than or equal to 0"),
    ],
)
def test_bad_intake_shows_why_and_writes_nothing(cashier_client, overrides, message):
    customers = Customer.objects.count()
    response = cashier_client.post(
        reverse("repairs:ticket_create"),
        intake_data(CustomerFactory(), **overrides),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Ticket.objects.exists()
    assert Customer.objects.count() <= customers + 1  # only the factory's


def test_the_intake_page_flags_a_device_under_warranty(cashier_client, cashier):
    earlier = ready_ticket(by=cashier)
    record_payment(earlier.invoice, by=cashier, amount="50.00", method="cash")
    services.change_status(earlier, "collected", by=cashier)

    hint = cashier_client.get(reverse("repairs:warranty_check"), {"imei": IMEI})
    nothing = cashier_client.get(reverse("repairs:warranty_check"), {"imei": "12ab"})

    assert earlier.number in hint.content.decode()
    assert "Under warranty" in hint.content.decode()
    assert nothing.content.decode().strip() == ""


# The board.


def test_the_board_shows_open_tickets_in_their_columns(cashier_client, cashier):
    waiting = make_ticket(by=cashier)
    ready = ready_ticket(by=cashier, imei="", serial="SER123")

    html = cashier_client.get(reverse("repairs:ticket_list")).content.decode()

    received = html.split('data-status="received"')[1].split("</section>")[0]
    ready_column = html.split('data-status="ready"')[1].split("</section>")[0]
    assert waiting.number in received and ready.number not in received
    assert ready.number in ready_column


def test_the_board_searches_by_phone_and_serial(cashier_client, cashier):
    customer = CustomerFactory(phone="+44 7700 900123")
    mine = make_ticket(by=cashier, customer=customer)
    other = make_ticket(by=cashier, imei="", serial="ABC-999")

    by_phone = cashier_client.get(
        reverse("repairs:ticket_list"), {"q": "07700900123"[-6:]}
    ).content.decode()
    by_serial = cashier_client.get(
        reverse("repairs:ticket_list"), {"q": "abc-999", "view": "table"}
    ).content.decode()

    assert mine.number in by_phone and other.number not in by_phone
    assert other.number in by_serial and mine.number not in by_serial


def test_the_overdue_filter(cashier_client, cashier):
    from datetime import timedelta

    from django.utils import timezone

    late = make_ticket(by=cashier)
    Ticket.objects.filter(pk=late.pk).update(
        promised_date=timezone.localdate() - timedelta(days=2)
    )
    on_time = make_ticket(by=cashier, imei="", serial="S2")

    html = cashier_client.get(
        reverse("repairs:ticket_list"), {"overdue": "on"}
    ).content.decode()

    assert late.number in html and on_time.number not in html


@pytest.mark.parametrize("many", [2, 25])
def test_the_board_runs_a_fixed_number_of_queries(
    cashier_client, cashier, many, django_assert_max_num_queries
):
    for n in range(many):
        make_ticket(by=cashier, imei="", serial=f"SER{n}")
    with django_assert_max_num_queries(8):
        cashier_client.get(reverse("repairs:ticket_list"))
    with django_assert_max_num_queries(9):
        cashier_client.get(reverse("repairs:ticket_list"), {"view": "table"})


# The ticket.


def test_the_ticket_page_runs_a_fixed_number_of_queries(
    cashier_client, cashier, manager, django_assert_max_num_queries
):
    ticket = make_ticket(by=cashier, deposit=services.Deposit("5.00", "cash"))
    for n in range(6):
        services.add_labour(ticket, by=cashier, description=f"L{n}", unit_price="1.00")
        line = services.add_part(ticket, by=cashier, product=stocked_part(by=manager))
        services.fit_part(line, by=cashier)
    with django_assert_max_num_queries(16):
        response = cashier_client.get(ticket.get_absolute_url())
    assert response.status_code == 200


def test_status_buttons_move_the_ticket(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    response = cashier_client.post(
        reverse("repairs:ticket_status", args=[ticket.pk]),
        {"to": "diagnosing", "note": "On the bench"},
        follow=True,
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.DIAGNOSING
    assert "now diagnosing" in response.content.decode()


def test_a_senseless_status_shows_why_and_changes_nothing(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    response = cashier_client.post(
        reverse("repairs:ticket_status", args=[ticket.pk]),
        {"to": "collected"},
        follow=True,
    )

    assert "cannot become collected" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.RECEIVED


def test_adding_labour_and_a_fitted_part(cashier_client, cashier, manager):
    ticket = make_ticket(by=cashier)
    part = stocked_part(by=manager, quantity=2)
    cashier_client.post(
        reverse("repairs:labour_add", args=[ticket.pk]),
        {"description": "Fitting", "quantity": "1", "unit_price": "35.00"},
    )
    cashier_client.post(
        reverse("repairs:part_add", args=[ticket.pk]),
        {"product": part.pk, "quantity": "1", "unit_price": "", "fit_now": "on"},
    )

    assert services.estimate_total(ticket) == Decimal("124.00")
    part.refresh_from_db()
    assert part.on_hand == 1


def test_a_part_out_of_stock_is_refused_on_the_page(cashier_client, cashier, manager):
    ticket = make_ticket(by=cashier)
    part = stocked_part(by=manager, quantity=1)
    response = cashier_client.post(
        reverse("repairs:part_add", args=[ticket.pk]),
        {"product": part.pk, "quantity": "3", "fit_now": "on"},
        follow=True,
    )

    assert "Not enough stock of iPhone 12 screen" in response.content.decode()
    assert not ticket.lines.exists()  # all or nothing: the line went too


def test_a_negative_price_is_refused_on_the_page(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    response = cashier_client.post(
        reverse("repairs:labour_add", args=[ticket.pk]),
        {"description": "Fitting", "quantity": "1", "unit_price": "-1"},
        follow=True,
    )

    assert "A price cannot be negative" in response.content.decode()
    assert not ticket.lines.exists()


def test_the_part_search_shows_stock(cashier_client, manager):
    stocked_part(by=manager, quantity=4)
    html = cashier_client.get(
        reverse("repairs:part_search"), {"q": "iphone 12"}
    ).content.decode()
    assert "iPhone 12 screen" in html and "4 in stock" in html


# Money and collection.


def test_collection_is_paid_at_the_till_then_handed_over(cashier_client, cashier):
    from sales.services import open_shift

    open_shift(by=cashier, opening_float="0.00")
    ticket = ready_ticket(by=cashier)
    collect = reverse("repairs:ticket_collect", args=[ticket.pk])
    page = cashier_client.get(collect).content.decode()
    pay = reverse("sales:invoice_pay", args=[ticket.invoice_id])
    assert "Take $50.00 at the till" in page
    assert f"{pay}?next=%2Frepairs%2F{ticket.pk}%2Fcollect%2F" in page

    paid = cashier_client.post(
        pay,
        {
            "amount": "50.00",
            "method": "card",
            "reference": "4242",
            "idempotency_key": "collect-key-00000001",
            "next": collect,
        },
    )
    assert paid["Location"] == collect
    cashier_client.post(
        reverse("repairs:ticket_status", args=[ticket.pk]),
        {"to": "collected", "from": "collect"},
    )

    ticket.refresh_from_db()
    assert ticket.invoice.status == InvoiceStatus.PAID
    assert ticket.status == Status.COLLECTED


def test_a_cashier_cannot_let_it_go_on_account(cashier_client, cashier):
    ticket = ready_ticket(by=cashier)
    response = cashier_client.post(
        reverse("repairs:ticket_status", args=[ticket.pk]),
        {"to": "collected", "on_account": "on", "from": "collect"},
        follow=True,
    )

    assert "Only an Admin" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.READY


def test_an_admin_refunds_a_deposit(manager_client, cashier):
    ticket = make_ticket(by=cashier, deposit=services.Deposit("30.00", "cash"))
    deposit = ticket.invoice.payments.get()
    manager_client.post(
        reverse("repairs:deposit_refund", args=[deposit.pk]),
        {
            "amount": "30.00",
            "method": "cash",
            "reason": "Customer cancelled",
            "reference": "",
            "idempotency_key": "refund-key-000000001",
        },
    )

    ticket.invoice.refresh_from_db()
    assert ticket.invoice.amount_paid == Decimal("0.00")


def test_deposits_are_taken_on_the_ticket(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    cashier_client.post(
        reverse("repairs:deposit_create", args=[ticket.pk]),
        {"amount": "15.00", "method": "cash", "idempotency_key": "dep-key-0000000001"},
    )
    response = cashier_client.post(
        reverse("repairs:deposit_create", args=[ticket.pk]),
        {"amount": "0", "method": "cash", "idempotency_key": "dep-key-0000000002"},
        follow=True,
    )

    assert ticket.invoice.payments.get().amount == Decimal("15.00")
    assert "more than zero" in response.content.decode()


# Documents.


def test_the_claim_slip_has_the_terms_and_a_qr_code(cashier_client, cashier):
    ticket = make_ticket(by=cashier, accessories="Charger", passcode="4711")
    html = cashier_client.get(
        reverse("repairs:claim_slip", args=[ticket.pk])
    ).content.decode()

    assert ticket.number in html and "Charger" in html
    assert "<svg" in html and "not responsible for data loss" in html
    assert "4711" not in html  # never the passcode


def test_the_claim_slip_pdf(cashier_client, cashier, tmp_path):
    ticket = make_ticket(by=cashier)
    response = cashier_client.get(
        reverse("repairs:claim_slip", args=[ticket.pk]), {"format": "pdf"}
    )
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "slip.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["/usr/bin/pdftotext", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ticket.number in text and "Galaxy" not in text and "iPhone 12" in text


def pdf_pages(content):
    """[(width, height)] in points of each page of a PDF, read by pdfinfo."""
    info = subprocess.run(
        ["/usr/bin/pdfinfo", "-f", "1", "-l", "99", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [
        tuple(float(n) for n in re.search(r"([\d.]+) x ([\d.]+) pts", line).groups())
        for line in info.splitlines()
        if re.match(r"Page +\d+ size:", line)
    ]


@pytest.mark.parametrize("paper, width_mm", [("80mm", 80), ("58mm", 58)])
def test_a_claim_slip_pdf_is_one_roll_page_however_long_the_terms(
    cashier_client, cashier, paper, width_mm
):
    shop = ShopSettings.load()
    shop.repair_terms = "\n".join(f"{n}. A condition of repair." for n in range(60))
    shop.save()
    ticket = make_ticket(by=cashier)
    response = cashier_client.get(
        reverse("repairs:claim_slip", args=[ticket.pk]),
        {"format": "pdf", "paper": paper},
    )
    [(width, height)] = pdf_pages(response.content)
    assert round(width / 72 * 25.4) == width_mm
    assert height / 72 * 25.4 > 250  # the fixed page was 170 or 190 mm
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-", "-"],
        input=response.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "59. A condition of repair." in text


def test_an_a4_claim_slip_pdf_is_on_a4(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    response = cashier_client.get(
        reverse("repairs:claim_slip", args=[ticket.pk]),
        {"format": "pdf", "paper": "a4"},
    )
    [(width, height)] = pdf_pages(response.content)
    assert (round(width), round(height)) == (595, 842)


def test_the_device_label(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    html = cashier_client.get(
        reverse("repairs:device_label", args=[ticket.pk])
    ).content.decode()
    assert ticket.number in html and ticket.customer.name in html


# The public status page.


def test_the_public_page_shows_the_status_and_nothing_else(client, cashier):
    ticket = make_ticket(by=cashier, passcode="9999")
    other = make_ticket(by=cashier, imei="", serial="OTHER")

    response = client.get(ticket.get_public_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert ticket.number in html and "Received" in html
    for private in (
        "9999",
        ticket.customer.name,
        ticket.customer.phone,
        cashier.username,
        other.number,
        "navbar",
    ):
        assert private not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"  # "no-referrer" breaks CSRF


def test_a_wrong_token_is_not_found(client):
    assert (
        client.get(reverse("repairs:public_status", args=["nope"])).status_code == 404
    )


def test_the_customer_approves_on_the_public_page(client, cashier):
    ticket = make_ticket(by=cashier)
    services.add_labour(ticket, by=cashier, description="Fitting", unit_price="70.00")
    services.change_status(ticket, "diagnosing", by=cashier)
    services.change_status(ticket, "awaiting_approval", by=cashier)

    page = client.get(ticket.get_public_url()).content.decode()
    assert "Approve the repair for $70.00" in page
    response = client.post(
        reverse("repairs:public_approve", args=[ticket.public_token]), follow=True
    )

    assert "the repair goes ahead" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_REPAIR
    assert ticket.approval.method == "status_page"


def test_approving_twice_on_the_public_page_is_refused(client, cashier):
    ticket = make_ticket(by=cashier)
    services.add_labour(ticket, by=cashier, description="Fitting", unit_price="70.00")
    services.change_status(ticket, "diagnosing", by=cashier)
    services.change_status(ticket, "awaiting_approval", by=cashier)
    url = reverse("repairs:public_approve", args=[ticket.public_token])
    client.post(url)
    response = client.post(url, follow=True)

    assert ticket.approvals.count() == 1
    assert response.status_code == 200


# The customer emails.


def test_an_admin_words_the_ready_email(manager_client, cashier):
    make_ticket(by=cashier)
    url = reverse("repairs:message_update", args=["ready"])
    manager_client.post(
        url,
        {"active": "on", "subject": "{device} is done", "body": "Come by, {customer}"},
    )
    template = MessageTemplate.objects.get(status="ready")
    assert template.subject == "{device} is done"

    bad = manager_client.post(
        url, {"active": "on", "subject": "Hi {name}", "body": "{customer"}
    ).content.decode()
    assert "{name} is not a placeholder" in bad and "Check the braces" in bad
    template.refresh_from_db()
    assert template.subject == "{device} is done"


def test_the_email_goes_out_when_ready(
    cashier_client, cashier, django_capture_on_commit_callbacks
):
    ticket = make_ticket(by=cashier)
    services.add_labour(ticket, by=cashier, description="Fitting", unit_price="5.00")
    services.change_status(ticket, "in_repair", by=cashier)
    with django_capture_on_commit_callbacks(execute=True):
        cashier_client.post(
            reverse("repairs:ticket_status", args=[ticket.pk]), {"to": "ready"}
        )
    assert [m.to for m in mail.outbox] == [[ticket.customer.email]]


# The customer's page and suggestions.


def test_the_customer_panel_lists_their_repairs(cashier_client, cashier):
    ticket = make_ticket(by=cashier)
    html = cashier_client.get(
        reverse("repairs:customer_panel", args=[ticket.customer.pk])
    ).content.decode()
    assert ticket.number in html


def test_too_little_history_falls_back_to_service_prices(cashier_client, cashier):
    forget_index()
    ServiceFactory(name="Screen replacement labour", sale_price=Decimal("45.00"))
    ticket = make_ticket(by=cashier)

    html = cashier_client.get(
        reverse("repairs:ticket_suggestion", args=[ticket.pk])
    ).content.decode()

    assert "not enough" in html.lower()
    assert "Screen replacement labour" in html and "$45.00" in html


def _collected(by, *, problem, price, part=None, imei=""):
    ticket = make_ticket(by=by, problem=problem, imei=imei, serial="S")
    if part:
        line = services.add_part(ticket, by=by, product=part)
        services.fit_part(line, by=by)
        price = Decimal(price) - part.sale_price
    services.add_labour(ticket, by=by, description="Labour", unit_price=price)
    services.change_status(ticket, "in_repair", by=by)
    ticket = services.change_status(ticket, "ready", by=by, minutes_spent=40)
    record_payment(
        ticket.invoice,
        by=by,
        amount=ticket.invoice.balance,
        method=PaymentMethod.CASH,
    )
    return services.change_status(ticket, "collected", by=by)


def test_similar_past_repairs_suggest_a_price_and_their_parts(
    cashier_client, cashier, manager
):
    forget_index()
    part = stocked_part(by=manager, quantity=20)
    past = [
        _collected(cashier, problem="Cracked screen", price=price, part=part)
        for price in ("120.00", "130.00", "125.00", "135.00")
    ]
    _collected(cashier, problem="Battery drains fast", price="60.00")
    ticket = make_ticket(by=cashier, problem="screen cracked after a drop")

    html = cashier_client.get(
        reverse("repairs:ticket_suggestion", args=[ticket.pk])
    ).content.decode()

    assert 'data-testid="suggested-price"' in html
    assert "iPhone 12 screen" in html
    assert past[0].number in html
    cashier_client.post(
        reverse("repairs:suggestion_apply", args=[ticket.pk]),
        {"part": [str(part.pk)], "labour": "1"},
    )
    kinds = sorted(ticket.lines.values_list("kind", flat=True))
    assert kinds == ["labour", "part"]
    assert Decimal("120.00") <= services.estimate_total(ticket) <= Decimal("135.00")
