"""What the claim slip, the device label and the public status page show."""

from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.safestring import mark_safe

from accounts.models import PaperWidth

from .models import CLOSED_STATUSES, Status

# The customer's view of the workflow: a few plain steps, not our statuses.
PUBLIC_STEPS = [
    ("Received", {Status.RECEIVED}),
    ("Being checked", {Status.DIAGNOSING, Status.AWAITING_APPROVAL}),
    ("Being repaired", {Status.AWAITING_PARTS, Status.IN_REPAIR}),
    ("Ready for collection", {Status.READY}),
    ("Collected", {Status.COLLECTED}),
]


def qr_svg(data: str) -> str:
    """`data` as an inline SVG QR code (no image files, prints sharp)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=1,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return mark_safe(svg[svg.index("<svg") :])  # noqa: S308 (made by qrcode here)


def public_link(ticket, request=None):
    path = ticket.get_public_url()
    return request.build_absolute_uri(path) if request else settings.SITE_URL + path


def slip_context(ticket, *, shop, paper, request=None):
    if paper not in PaperWidth.values:
        paper = shop.paper_width
    link = public_link(ticket, request)
    return {
        "ticket": ticket,
        "shop": shop,
        "paper": paper,
        "link": link,
        "qr": qr_svg(link),
    }


def public_steps(ticket):
    """[(label, state)] where state is "done", "current" or "todo"."""
    if ticket.status in (Status.CANCELLED, Status.RETURNED):
        return []
    steps, reached = [], False
    for label, statuses in reversed(PUBLIC_STEPS):
        if ticket.status in statuses:
            steps.append(
                (label, "done" if ticket.status in CLOSED_STATUSES else "current")
            )
            reached = True
        else:
            steps.append((label, "done" if reached else "todo"))
    return list(reversed(steps))
