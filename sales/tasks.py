"""Background work for the till: emailing receipts.

Queued with pos_project.tasks.enqueue_on_commit, so nothing is sent for an
action that rolled back; without a broker the task runs in process.
"""

import logging
from email.utils import formataddr
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from accounts.models import ShopSettings, User

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5)
def email_receipt(self, sale_id: int, sender_id: int) -> bool:
    """Email the sale's receipt as a PDF to its customer; False if there is no one.

    The address is read when the task runs, so a correction made in between
    is used.
    """
    # The receipt module queues this task, so it is imported when the task runs.
    from .views.receipts import (
        receipt_context,
        receipt_filename,
        receipt_pdf_bytes,
        receipt_queryset,
    )

    sale = receipt_queryset().filter(pk=sale_id).first()
    if sale is None:
        logger.warning("Sale %s to email no longer exists", sale_id)
        return False
    address = sale.customer.email.strip() if sale.customer else ""
    if not address:
        logger.warning("Not emailing %s: its customer has no email address", sale)
        return False
    shop = ShopSettings.load()
    sender = User.objects.filter(pk=sender_id).first()
    context = receipt_context(sale, shop=shop, paper=shop.paper_width, for_pdf=True)
    body = render_to_string(
        "sales/email/receipt.txt",
        {**context, "customer": sale.customer, "sender": sender},
    )
    message = EmailMessage(
        subject=f"Your receipt {sale.number} from {shop.name}",
        body=body.strip() + "\n",
        from_email=formataddr((shop.name, settings.DEFAULT_FROM_EMAIL)),
        to=[address],
        reply_to=[shop.email] if shop.email else None,
    )
    message.attach(
        receipt_filename(sale), receipt_pdf_bytes(context), "application/pdf"
    )
    try:
        message.send()
    except (SMTPException, OSError) as exc:
        if self.request.is_eager:
            raise  # in process: logged by enqueue_on_commit
        # A worker tries again later: in 1, 2, 4, 8 then 16 minutes.
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
    logger.info("Emailed receipt %s to %s for %s", sale.number, address, sender)
    return True
