"""Emails to customers about their repairs, queued after commit."""

import logging
from email.utils import formataddr
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage

from accounts.models import ShopSettings
from pos_project.money import format_money

from .models import MessageTemplate, Ticket

logger = logging.getLogger(__name__)


class _Blank(dict):
    """Unknown placeholders print as typed instead of failing the email."""

    def __missing__(self, key):
        return "{" + key + "}"


def message_values(ticket: Ticket, shop: ShopSettings) -> dict:
    return _Blank(
        customer=ticket.customer.name,
        number=ticket.number,
        device=ticket.device,
        status=ticket.get_status_display(),
        balance=format_money(max(ticket.invoice.balance, 0)),
        link=settings.SITE_URL + ticket.get_public_url(),
        shop=shop.name,
        shop_phone=shop.phone,
    )


def render_message(template: MessageTemplate, ticket: Ticket, shop: ShopSettings):
    """(subject, body) with the ticket's values in the placeholders."""
    values = message_values(ticket, shop)
    return (
        template.subject.format_map(values).replace("\n", " "),
        template.body.format_map(values),
    )


@shared_task(bind=True, max_retries=5)
def email_status(self, ticket_id: int, status: str) -> bool:
    """Email the customer that their repair reached `status`; False if not sent.

    Sent only if the ticket is still at that status when the task runs, so a
    ticket moved on quickly does not send stale news.
    """
    ticket = (
        Ticket.objects.select_related("customer", "invoice")
        .filter(pk=ticket_id)
        .first()
    )
    template = MessageTemplate.objects.filter(status=status, active=True).first()
    if ticket is None or template is None or ticket.status != status:
        return False
    address = ticket.customer.email.strip()
    if not address:
        return False
    shop = ShopSettings.load()
    subject, body = render_message(template, ticket, shop)
    message = EmailMessage(
        subject=subject,
        body=body.strip() + "\n",
        from_email=formataddr((shop.name, settings.DEFAULT_FROM_EMAIL)),
        to=[address],
        reply_to=[shop.email] if shop.email else None,
    )
    try:
        message.send()
    except (SMTPException, OSError) as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
    logger.info("Emailed %s about %s", address, ticket)
    return True
