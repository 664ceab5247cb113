"""Background work for billing: emailing invoices.

Queued with pos_project.tasks.enqueue_on_commit, so nothing is sent for an
action that rolled back; without a broker the task runs in process.
"""

import logging
from email.utils import formataddr
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from accounts.models import ShopSettings, User

from . import documents
from .models import Invoice

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5)
def email_invoice(self, invoice_id: int, sender_id: int) -> bool:
    """Email the invoice's PDF to its customer; False when there is no one to send to.

    The address is read when the task runs, so a correction made in between
    is used, and a draft or void invoice is never sent.
    """
    try:
        invoice = documents.document_queryset().get(pk=invoice_id)
    except Invoice.DoesNotExist:
        logger.warning("Invoice %s to email no longer exists", invoice_id)
        return False
    try:
        address = documents.check_can_email(invoice)
    except ValidationError as exc:
        logger.warning("Not emailing %s: %s", invoice, " ".join(exc.messages))
        return False
    sender = User.objects.filter(pk=sender_id).first()
    shop = ShopSettings.load()
    context = {
        "invoice": invoice,
        "customer": invoice.customer,
        "shop": shop,
        "sender": sender,
    }
    message = EmailMessage(
        subject=f"{invoice} from {shop.name}",
        body=render_to_string("invoices/email/invoice.txt", context).strip() + "\n",
        from_email=formataddr((shop.name, settings.DEFAULT_FROM_EMAIL)),
        to=[address],
        reply_to=[shop.email] if shop.email else None,
    )
    message.attach(
        documents.invoice_filename(invoice),
        documents.invoice_pdf_bytes(invoice),
        "application/pdf",
    )
    try:
        message.send()
    except (SMTPException, OSError) as exc:
        if self.request.is_eager:
            raise  # in process: the view tells the user at once
        # A worker tries again later: in 1, 2, 4, 8 then 16 minutes.
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
    logger.info("Emailed %s to %s for %s", invoice, address, sender)
    return True
