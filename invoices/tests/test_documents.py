"""Invoice PDFs and emails, receivables ageing and exports, customer statements."""

import base64
import subprocess
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from smtplib import SMTPException
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import ShopSettings
from customers.tests.factories import CustomerFactory
from invoices import services, tasks
from invoices.documents import logo_data_uri
from invoices.models import Invoice, Payment
from invoices.receivables import ageing, balance_before, statement
from invoices.tests.factories import line, make_invoice
from pos_project import pdf
from pos_project.pdf import StaticFilesFetcher
from pos_project.tasks import enqueue_on_commit

# A 1 x 1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


def set_due(invoice, due_date):
    Invoice.objects.filter(pk=invoice.pk).update(due_date=due_date)


@pytest.fixture
def shop(db):
    """Tax added on top, so a 100.00 line makes a 120.00 invoice."""
    shop = ShopSettings.load()
    shop.name = "Fixit Phones"
    shop.address = "12 High Street\nLeeds LS1 4AB"
    shop.phone = "0113 496 0000"
    shop.email = "hello@fixit.example"
    shop.tax_id = "GB 123 4567 89"
    shop.prices_include_tax = False
    shop.payment_methods = ["cash", "card", "bank_transfer"]
    shop.save()
    return shop


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="Ada Lovelace",
        email="ada@mail.example",
        address="1 Analytical Way\nLondon",
        tax_id="UK-ADA-1",
    )


@pytest.fixture
def invoice(shop, customer, manager):
    return make_invoice(
        by=manager,
        customer=customer,
        lines=[
            line("Screen repair", unit_price="80.00", sku="SCR-6S"),
            line("Tempered glass", quantity=2, unit_price="10.00"),
        ],
        notes="90 days warranty on parts.",
    )


# Invoice and credit note PDFs.


def test_invoice_pdf_shows_the_shop_the_customer_the_lines_and_the_totals(
    cashier_client, invoice
):
    services.record_payment(invoice, by=invoice.created_by, amount="50", method="card")

    response = cashier_client.get(reverse("invoices:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="INV-000001.pdf"'
    text = pdf_text(response.content)
    for expected in [
        "Fixit Phones",
        "12 High Street",
        "0113 496 0000",
        "hello@fixit.example",
        "Tax ID GB 123 4567 89",
        "INVOICE",
        "INV-000001",
        "Ada Lovelace",
        "1 Analytical Way",
        "Tax ID UK-ADA-1",
        "Screen repair",
        "SKU SCR-6S",
        "Tempered glass",
        "90 days warranty on parts.",
        "Partially paid",
        "Page 1 of 1",
    ]:
        assert expected in text
    assert "Subtotal" in text and "$100.00" in text
    assert "$20.00" in text  # tax at 20 %
    assert "$120.00" in text
    assert "−$50.00" in text  # paid
    assert "Balance due" in text and "$70.00" in text
    assert "DRAFT" not in text and "VOID" not in text


def test_invoice_pdf_breaks_tax_down_by_rate(cashier_client, shop, manager):
    lines = [
        line("Labour", unit_price="50.00", tax_rate="20"),
        line("Book", unit_price="10.00", tax_rate="0"),
    ]
    invoice = make_invoice(by=manager, lines=lines)

    text = pdf_text(
        cashier_client.get(reverse("invoices:invoice_pdf", args=[invoice.pk])).content
    )

    rows = [" ".join(row.split()) for row in text.splitlines()]
    assert any(row.startswith("0% $10.00 $0.00") for row in rows)
    assert any(row.startswith("20% $50.00 $10.00") for row in rows)
    assert "$70.00" in text


def test_walk_in_invoice_pdf_says_walk_in_customer(cashier_client, shop, manager):
    invoice = make_invoice(by=manager)

    text = pdf_text(
        cashier_client.get(reverse("invoices:invoice_pdf", args=[invoice.pk])).content
    )

    assert "Walk-in customer" in text


def test_draft_invoice_pdf_says_draft(cashier_client, shop, customer, manager):
    draft = make_invoice(by=manager, customer=customer, issue=False)

    response = cashier_client.get(reverse("invoices:invoice_pdf", args=[draft.pk]))

    assert response["Content-Disposition"] == (
        f'inline; filename="draft-invoice-{draft.pk}.pdf"'
    )
    text = pdf_text(response.content)
    assert "DRAFT" in text
    assert "Ada Lovelace" in text  # the customer as they are now


def test_void_invoice_pdf_says_void_and_asks_for_nothing(cashier_client, invoice):
    services.void_invoice(invoice, by=invoice.created_by, reason="Typed twice")

    response = cashier_client.get(reverse("invoices:invoice_pdf", args=[invoice.pk]))

    text = pdf_text(response.content)
    assert "VOID" in text
    assert "Typed twice" in text
    assert "Balance due" not in text


def test_credit_note_pdf_names_the_invoice_it_credits(cashier_client, invoice):
    note = services.credit_invoice(
        invoice,
        [line("Tempered glass", unit_price="10.00")],
        by=invoice.created_by,
        reason="One glass came back unused",
    )

    response = cashier_client.get(reverse("invoices:invoice_pdf", args=[note.pk]))
    original = cashier_client.get(reverse("invoices:invoice_pdf", args=[invoice.pk]))

    assert response["Content-Disposition"] == 'inline; filename="CN-000001.pdf"'
    text = pdf_text(response.content)
    assert "CREDIT NOTE" in text
    assert "Credit note for INV-000001" in text
    assert "$12.00" in text
    assert "One glass came back unused" in text
    original_text = pdf_text(original.content)
    assert "CN-000001" in original_text
    assert "Credited" in original_text and "−$12.00" in original_text
    assert "$108.00" in original_text


def test_a_long_invoice_runs_onto_more_pages(cashier_client, shop, manager):
    lines = [line(f"Part number {n}", unit_price="1.00") for n in range(1, 51)]
    invoice = make_invoice(by=manager, lines=lines)

    text = pdf_text(
        cashier_client.get(reverse("invoices:invoice_pdf", args=[invoice.pk])).content
    )

    assert "Page 1 of 2" in text and "Page 2 of 2" in text
    assert "Part number 50" in text
    assert "$60.00" in text


def test_invoice_pdf_carries_the_shop_logo(
    cashier_client, invoice, shop, tmp_path, django_assert_max_num_queries
):
    shop.logo, shop.logo_content_type = PNG, "image/png"
    shop.save()
    services.record_payment(invoice, by=invoice.created_by, amount="5", method="cash")

    # Session, user, invoice, lines, payments, credit notes, shop and its logo.
    with django_assert_max_num_queries(8):
        response = cashier_client.get(
            reverse("invoices:invoice_pdf", args=[invoice.pk])
        )

    assert logo_data_uri(ShopSettings.load()).startswith("data:image/png;base64,")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(response.content)
    listing = subprocess.run(
        ["/usr/bin/pdfimages", "-list", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    kinds = [row.split()[2] for row in listing.strip().splitlines()[2:]]
    assert kinds.count("image") == 1


def test_invoice_pdf_of_a_missing_invoice_is_404(cashier_client, db):
    response = cashier_client.get(reverse("invoices:invoice_pdf", args=[999]))

    assert response.status_code == 404


def test_pdfs_load_static_files_and_nothing_else():
    fetcher = StaticFilesFetcher("http://testserver/static/")

    css = fetcher("http://testserver/static/css/pos.css")

    assert b".chart-box" in css.read()
    for url in [
        "http://testserver/static/../settings.py",
        "http://testserver/static/css/missing.css",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ]:
        with pytest.raises(ValueError):
            fetcher(url)


def test_render_pdf_resolves_static_links_from_the_static_folders(
    settings, tmp_path, rf
):
    (tmp_path / "probe.html").write_text(
        "{% load static %}<link rel='stylesheet' href='{% static 'css/pos.css' %}'>"
        "<img src='https://cdn.example/remote.png'><p>Static probe</p>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    found, original = [], pdf.static_file_path

    def lookup(name):
        found.append((name, original(name)))
        return found[-1][1]

    with mock.patch.object(pdf, "static_file_path", lookup):
        content = pdf.render_pdf("probe.html", {}, request=rf.get("/"))

    assert "Static probe" in pdf_text(content)
    [(name, path)] = found  # the remote image was never looked up
    assert name == "css/pos.css"
    assert path == settings.BASE_DIR / "static" / "css" / "pos.css"


# Emailing an invoice.


def test_emailing_an_invoice_sends_its_pdf_to_the_customer(
    cashier_client, cashier, invoice, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("invoices:invoice_email", args=[invoice.pk])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = cashier_client.post(url)

    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == invoice.get_absolute_url()
    assert messages_of(response) == [
        "Invoice INV-000001 is on its way to ada@mail.example."
    ]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ada@mail.example"]
    assert email.reply_to == ["hello@fixit.example"]
    assert email.subject == "Invoice INV-000001 from Fixit Phones"
    assert "Fixit Phones" in email.from_email
    assert "Dear Ada Lovelace" in email.body
    assert "Balance due: $120.00" in email.body
    assert "Chloe" in email.body  # who sent it
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == ("INV-000001.pdf", "application/pdf")
    assert "INV-000001" in pdf_text(content)


@pytest.mark.parametrize(
    "setup, message",
    [
        ("no_email", "This customer has no email address"),
        ("walk_in", "walk-in sale with no customer"),
        ("draft", "A draft cannot be emailed"),
        ("void", "is void"),
    ],
)
def test_emailing_refuses_with_a_clear_message(
    cashier_client,
    shop,
    customer,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
    setup,
    message,
):
    if setup == "no_email":
        customer.email = ""
        customer.save()
    invoice = make_invoice(
        by=manager,
        customer=None if setup == "walk_in" else customer,
        issue=setup != "draft",
    )
    if setup == "void":
        services.void_invoice(invoice, by=manager, reason="Mistake")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = cashier_client.post(
            reverse("invoices:invoice_email", args=[invoice.pk])
        )

    assert response.status_code == 302
    assert response["Location"] == invoice.get_absolute_url()
    [shown] = messages_of(response)
    assert message in shown
    assert callbacks == []
    assert mailoutbox == []


def test_emailing_sends_nothing_when_the_transaction_rolls_back(
    invoice, cashier, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_on_commit(tasks.email_invoice, invoice.pk, cashier.pk)
        raise RuntimeError("the action failed after queueing the email")

    assert callbacks == []
    assert mailoutbox == []


def test_email_task_skips_an_invoice_voided_before_it_ran(invoice, manager, mailoutbox):
    services.void_invoice(invoice, by=manager, reason="Wrong customer")

    assert tasks.email_invoice(invoice.pk, manager.pk) is False
    assert tasks.email_invoice(999, manager.pk) is False
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_failure_is_logged_not_an_error_page(
    cashier_client, invoice, mailoutbox, caplog
):
    # A real commit: without a broker the task runs inside the request.
    url = reverse("invoices:invoice_email", args=[invoice.pk])

    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=SMTPException("down")
    ):
        response = cashier_client.post(url)

    assert response.status_code == 302
    assert "invoices.tasks.email_invoice failed" in caplog.text
    assert mailoutbox == []


def test_emailing_takes_a_post_only(cashier_client, invoice, mailoutbox):
    response = cashier_client.get(reverse("invoices:invoice_email", args=[invoice.pk]))

    assert response.status_code == 405
    assert mailoutbox == []


# Receivables and ageing.


@pytest.fixture
def aged(shop, manager):
    """Open invoices of three customers with known due dates, and ones that never count.

    Totals are 120.00 per 100.00 line (20 % tax added).
    """
    acme = CustomerFactory(name="Acme Ltd")
    bolt = CustomerFactory(name="Bolt & Co")
    cara = CustomerFactory(name="Cara Jones")

    def bill(customer, due_in_days, unit_price="100.00"):
        invoice = make_invoice(
            by=manager, customer=customer, lines=[line(unit_price=unit_price)]
        )
        set_due(invoice, timezone.localdate() + timedelta(days=due_in_days))
        return invoice

    bill(acme, 5)  # current: 120.00
    bill(acme, 0)  # due today, still current: 120.00
    bill(acme, -1)  # 1-30: 120.00
    part_paid = bill(acme, -30)  # 1-30: 120.00 - 20.00 = 100.00
    services.record_payment(part_paid, by=manager, amount="20.00", method="cash")
    bill(bolt, -31)  # 31-60: 120.00
    bill(bolt, -60, "50.00")  # 31-60: 60.00
    bill(bolt, -61)  # 61-90: 120.00
    bill(bolt, -90, "10.00")  # 61-90: 12.00
    bill(cara, -91)  # over 90: 120.00
    # Never counted: paid, void, draft, credited in full.
    paid = bill(cara, -200)
    services.record_payment(paid, by=manager, amount="120.00", method="card")
    services.void_invoice(bill(cara, -200), by=manager, reason="Mistake")
    make_invoice(by=manager, customer=cara, issue=False)
    credited = bill(cara, -200)
    services.credit_invoice(credited, [line()], by=manager, reason="Returned")
    return {"acme": acme, "bolt": bolt, "cara": cara}


def test_ageing_puts_each_customer_in_buckets_by_days_past_due(aged):
    report = ageing()

    rows = {row.name: row for row in report.rows}
    assert [row.name for row in report.rows] == ["Acme Ltd", "Bolt & Co", "Cara Jones"]
    assert rows["Acme Ltd"].buckets == {
        "current": Decimal("240.00"),
        "days_1_30": Decimal("220.00"),
        "days_31_60": Decimal("0.00"),
        "days_61_90": Decimal("0.00"),
        "over_90": Decimal("0.00"),
    }
    assert rows["Acme Ltd"].total == Decimal("460.00")
    assert rows["Acme Ltd"].invoices == 4
    assert rows["Bolt & Co"].amounts == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("180.00"),
        Decimal("132.00"),
        Decimal("0.00"),
    ]
    assert rows["Bolt & Co"].total == Decimal("312.00")
    assert rows["Bolt & Co"].oldest_due == days_ago(90)
    assert rows["Cara Jones"].amounts == [Decimal("0.00")] * 4 + [Decimal("120.00")]
    assert report.total_amounts == [
        Decimal("240.00"),
        Decimal("220.00"),
        Decimal("180.00"),
        Decimal("132.00"),
        Decimal("120.00"),
    ]
    assert report.total == Decimal("892.00")
    assert report.total == sum(
        (i.balance for i in Invoice.objects.open()), Decimal("0")
    )


def test_ageing_as_of_another_day_counts_ages_from_that_day(aged):
    report = ageing(on=timezone.localdate() + timedelta(days=30))

    assert report.total_amounts == [
        Decimal("0.00"),
        Decimal("240.00"),  # due in 5 days and today: 25 and 30 days past
        Decimal("220.00"),  # 31 and 60 days past
        Decimal("180.00"),  # 61 and 90 days past
        Decimal("252.00"),  # 91, 120 and 121 days past
    ]
    assert report.total == Decimal("892.00")


def test_ageing_keeps_customers_owing_at_least_the_minimum(aged):
    report = ageing(min_balance=Decimal("312.00"))

    assert [row.name for row in report.rows] == ["Acme Ltd", "Bolt & Co"]
    assert report.total == Decimal("772.00")


def test_ageing_lists_open_invoices_without_a_customer_on_one_row(shop, manager):
    make_invoice(by=manager)

    [row] = ageing().rows

    assert row.customer_id is None
    assert row.name == "No customer (walk-in)"
    assert row.total == Decimal("120.00")


def test_receivables_page_shows_rows_totals_links_and_chart(manager_client, aged):
    response = manager_client.get(reverse("invoices:receivables"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Ltd" in html and "Bolt &amp; Co" in html
    assert f'href="{aged["acme"].get_absolute_url()}"' in html
    assert "$892.00" in html
    assert 'id="ageing-data"' in html and 'data-chart="bar"' in html
    assert "chart.umd.min.js" in html
    assert response.context["chart"] == {
        "labels": ["Current", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"],
        "values": ["240.00", "220.00", "180.00", "132.00", "120.00"],
    }
    assert f"on={timezone.localdate().isoformat()}" in response.context["export_query"]


def test_receivables_page_filters_through_the_url(manager_client, aged):
    on = timezone.localdate() + timedelta(days=30)

    response = manager_client.get(
        reverse("invoices:receivables"), {"on": on.isoformat(), "min": "400"}
    )

    report = response.context["report"]
    assert report.on == on
    assert [row.name for row in report.rows] == ["Acme Ltd"]
    assert response.context["export_query"] == f"on={on.isoformat()}&min=400"


@pytest.mark.parametrize(
    "params",
    [
        {"on": "31/02/2026", "min": "-5"},
        {"on": "0001-01-01", "min": "NaN"},
        {"on": "2026-13-01", "min": "12.345"},
    ],
)
def test_receivables_page_shows_bad_filters_and_falls_back(
    manager_client, aged, params
):
    response = manager_client.get(reverse("invoices:receivables"), params)

    assert response.status_code == 200
    form = response.context["form"]
    assert "on" in form.errors and "min" in form.errors
    assert 'class="invalid-feedback"' in response.content.decode()
    assert response.context["report"].on == timezone.localdate()
    assert response.context["report"].total == Decimal("892.00")


@pytest.mark.parametrize("customers", [5, 50])
def test_receivables_page_queries_stay_flat(
    manager_client, shop, manager, customers, django_assert_max_num_queries
):
    for n in range(customers):
        invoice = make_invoice(by=manager, customer=CustomerFactory(name=f"C{n:03}"))
        set_due(invoice, days_ago(n * 3))

    # Session, user, the ageing, shop settings and unread notifications.
    with django_assert_max_num_queries(5):
        response = manager_client.get(reverse("invoices:receivables"))
    with django_assert_max_num_queries(4):
        export = manager_client.get(
            reverse("invoices:receivables_export", args=["xlsx"])
        )

    assert len(response.context["report"].rows) == customers
    workbook = load_workbook(BytesIO(b"".join(export.streaming_content)))
    assert workbook["Receivables"].max_row == customers + 2


# Exports.


def test_receivables_excel_export_has_numbers_a_totals_row_and_the_filters(
    manager_client, aged
):
    aged["cara"].name = '=HYPERLINK("http://evil.example")'
    aged["cara"].save()

    response = manager_client.get(
        reverse("invoices:receivables_export", args=["xlsx"]), {"min": "100"}
    )

    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="receivables-{today}.xlsx"'
    )
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Receivables", "Filters"]
    sheet = workbook["Receivables"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Customer",
        "Open invoices",
        "Oldest due",
        "Current",
        "1–30 days",
        "31–60 days",
        "61–90 days",
        "Over 90 days",
        "Total",
    )
    assert rows[1][0] == "Acme Ltd"
    assert rows[1][1] == 4
    assert rows[1][3:] == (240, 220, 0, 0, 0, 460)
    assert rows[3][0] == '\'=HYPERLINK("http://evil.example")'
    assert sheet.cell(row=4, column=1).data_type == "s"
    assert not any(
        cell.data_type == "f" for sheet_ in workbook for row in sheet_ for cell in row
    )
    assert rows[-1][0] == "Total"
    assert rows[-1][1] == 9
    assert rows[-1][3:] == (240, 220, 180, 132, 120, 892)
    assert all(isinstance(value, int | float) for value in rows[-1][3:])
    assert sheet.cell(row=2, column=4).number_format == '"$"#,##0.00;-"$"#,##0.00'
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 36
    filters = dict(workbook["Filters"].iter_rows(values_only=True))
    assert filters["As of"].date().isoformat() == today
    assert filters["Owing at least"] == 100


def test_receivables_pdf_export_renders_the_table(manager_client, aged):
    response = manager_client.get(reverse("invoices:receivables_export", args=["pdf"]))

    assert response.status_code == 200
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="receivables-{today.isoformat()}.pdf"'
    )
    text = " ".join(pdf_text(response.content).split())
    for expected in [
        "Fixit Phones",
        "RECEIVABLES",
        f"As of {today.day} {today:%b %Y}",
        "Owing at least any amount",
        "Acme Ltd",
        "Bolt & Co",
        "OVER 90 DAYS",
        "$892.00",
        "Page 1 of 1",
    ]:
        assert expected in text


def test_unknown_export_format_is_404(manager_client, db):
    response = manager_client.get(reverse("invoices:receivables_export", args=["csv"]))

    assert response.status_code == 404


def test_export_with_bad_filters_goes_back_to_the_page(manager_client, db):
    url = reverse("invoices:receivables_export", args=["xlsx"])

    response = manager_client.get(url, {"on": "nonsense"})

    assert response.status_code == 302
    assert response["Location"] == reverse("invoices:receivables") + "?on=nonsense"


# Customer statements.


@pytest.fixture
def history(shop, customer, manager):
    """A customer's account across a statement period of the last 30 days.

    Before: INV-000001 for 120.00 (45 days ago) and 50.00 paid on it (40 days
    ago). In the period: credit note 24.00 on INV-000001 (20 days ago),
    INV-000002 for 60.00 (10 days ago) paid in full (5 days ago), 10.00 of that
    refunded (2 days ago), then 30.00 more on INV-000001 (yesterday).
    """
    first = make_invoice(by=manager, customer=customer, lines=[line()])
    Invoice.objects.filter(pk=first.pk).update(
        issue_date=days_ago(45), due_date=days_ago(31)
    )
    paid = services.record_payment(first, by=manager, amount="50.00", method="cash")
    note = services.credit_invoice(
        first, [line(unit_price="20.00")], by=manager, reason="Discount agreed"
    )
    second = make_invoice(
        by=manager, customer=customer, lines=[line(unit_price="50.00")]
    )
    card = services.record_payment(second, by=manager, amount="60.00", method="card")
    refund = services.refund_payment(
        card, by=manager, amount="10.00", reason="Overcharged"
    )
    later = services.record_payment(
        first, by=manager, amount="30.00", method="bank_transfer", reference="TX-991"
    )
    Invoice.objects.filter(pk=note.pk).update(issue_date=days_ago(20))
    Invoice.objects.filter(pk=second.pk).update(issue_date=days_ago(10))
    now = timezone.now()
    for payment, days in [(paid, 40), (card, 5), (refund, 2), (later, 1)]:
        Payment.objects.filter(pk=payment.pk).update(
            received_at=now - timedelta(days=days)
        )
    # Never on a statement: a void invoice and a draft.
    services.void_invoice(
        make_invoice(by=manager, customer=customer), by=manager, reason="Twice"
    )
    make_invoice(by=manager, customer=customer, issue=False)
    # Someone else's account.
    make_invoice(by=manager, customer=CustomerFactory())
    return customer


def test_statement_runs_from_the_opening_to_the_closing_balance(history):
    account = statement(history, start=days_ago(30), end=timezone.localdate())

    assert account.opening == Decimal("70.00")
    assert [(e.kind, e.reference, e.amount, e.balance) for e in account.entries] == [
        ("credit_note", "INV-000001", Decimal("-24.00"), Decimal("46.00")),
        ("invoice", "INV-000002", Decimal("60.00"), Decimal("106.00")),
        ("payment", "INV-000002", Decimal("-60.00"), Decimal("46.00")),
        ("refund", "INV-000002", Decimal("10.00"), Decimal("56.00")),
        ("payment", "INV-000001", Decimal("-30.00"), Decimal("26.00")),
    ]
    assert account.closing == Decimal("26.00")
    assert account.charges == Decimal("70.00")
    assert account.credits == Decimal("114.00")
    assert account.closing == account.opening + account.charges - account.credits
    assert account.closing == Invoice.objects.filter(customer=history).total_balance()


def test_statement_of_an_earlier_period_closes_at_that_day_s_balance(history):
    account = statement(history, start=days_ago(60), end=days_ago(15))

    assert account.opening == Decimal("0.00")
    assert [e.balance for e in account.entries] == [
        Decimal("120.00"),
        Decimal("70.00"),
        Decimal("46.00"),
    ]
    assert account.closing == Decimal("46.00")
    assert account.closing == balance_before(history, days_ago(14))
    later = statement(history, start=days_ago(14), end=timezone.localdate())
    assert later.opening == account.closing
    assert later.closing == Decimal("26.00")


def test_statement_pdf_shows_the_balances(cashier_client, history):
    response = cashier_client.get(
        reverse("invoices:customer_statement", args=[history.pk]),
        {"start": days_ago(30).isoformat(), "end": timezone.localdate().isoformat()},
    )

    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'inline; filename="statement-ada-lovelace-{today}.pdf"'
    )
    text = pdf_text(response.content)
    for expected in [
        "Fixit Phones",
        "STATEMENT",
        "Ada Lovelace",
        "Opening balance",
        "$70.00",
        "Credit note CN-000001",
        "Invoice INV-000002",
        "Refund (Card)",
        "Payment (Bank transfer,",  # the reference may wrap to the next line
        "TX-991)",
        "$106.00",
        "Closing balance",
        "$26.00",
        "Page 1 of 1",
    ]:
        assert expected in text
    assert "INV-000003" not in text  # void


def test_statement_without_dates_shows_the_form_for_the_last_90_days(
    cashier_client, customer
):
    response = cashier_client.get(
        reverse("invoices:customer_statement", args=[customer.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    form = response.context["form"]
    assert form.initial == {"start": days_ago(90), "end": timezone.localdate()}
    assert f'value="{days_ago(90).isoformat()}"' in response.content.decode()


@pytest.mark.parametrize(
    "params, error",
    [
        ({"start": "2020-03-10", "end": "2020-03-01"}, "before the start date"),
        ({"start": "not a date", "end": "2020-03-01"}, "Enter a valid date."),
        ({"start": "2020-02-30", "end": ""}, "Enter a valid date."),
        ({"start": "2020-01-01", "end": "9999-12-31"}, "cannot end after today"),
        ({"end": "2020-03-01"}, "This field is required."),
    ],
)
def test_statement_with_bad_dates_shows_the_form_with_the_error(
    cashier_client, customer, params, error
):
    response = cashier_client.get(
        reverse("invoices:customer_statement", args=[customer.pk]), params
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert error in response.content.decode()


def test_statement_of_a_missing_customer_is_404(cashier_client, db):
    response = cashier_client.get(reverse("invoices:customer_statement", args=[999]))

    assert response.status_code == 404


# Who may use what.


@pytest.fixture
def urls(invoice, customer):
    return {
        "pdf": reverse("invoices:invoice_pdf", args=[invoice.pk]),
        "email": reverse("invoices:invoice_email", args=[invoice.pk]),
        "receivables": reverse("invoices:receivables"),
        "xlsx": reverse("invoices:receivables_export", args=["xlsx"]),
        "export_pdf": reverse("invoices:receivables_export", args=["pdf"]),
        "statement": reverse("invoices:customer_statement", args=[customer.pk]),
    }


def test_anonymous_visitors_are_sent_to_sign_in(client, urls, mailoutbox):
    for name, url in urls.items():
        response = client.post(url) if name == "email" else client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(f"/sign-in/?next={url}"), name
    assert mailoutbox == []


def test_users_may_not_see_receivables_or_export_them(cashier_client, urls):
    for name in ["receivables", "xlsx", "export_pdf"]:
        assert cashier_client.get(urls[name]).status_code == 403, name
    assert (
        cashier_client.get(reverse("invoices:receivables_export", args=["csv"]))
    ).status_code == 403


def test_users_may_print_email_and_make_statements(
    cashier_client, urls, mailoutbox, django_capture_on_commit_callbacks
):
    assert cashier_client.get(urls["pdf"]).status_code == 200
    assert cashier_client.get(urls["statement"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert cashier_client.post(urls["email"]).status_code == 302
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("who", ["manager_client", "owner_client"])
def test_admins_and_super_admins_see_receivables(request, urls, who):
    client = request.getfixturevalue(who)

    for name in ["receivables", "xlsx", "export_pdf"]:
        assert client.get(urls[name]).status_code == 200, name
