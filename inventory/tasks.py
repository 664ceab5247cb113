from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from accounts.services import managers, notify

from .models import Product


@shared_task
def alert_low_stock(product_ids):
    """Tell Admins, in the app and by email, that these products ran low.

    Those restocked above their reorder level since (a delivery booked before
    a queued alert went out) are left out: they need nothing.
    """
    products = list(
        Product.objects.low_stock().filter(pk__in=product_ids).order_by("name")
    )
    if not products:
        return
    recipients = list(managers())
    for product in products:
        state = "is out of stock" if product.on_hand <= 0 else "is running low"
        notify(
            recipients,
            kind="low_stock",
            title=f"{product.name} {state}",
            body=f"{product.on_hand} left (reorder level {product.reorder_level}).",
            url=product.get_absolute_url(),
        )
    emails = [user.email for user in recipients if user.email]
    if emails:
        lines = [
            f"- {p.name} (SKU {p.sku}): {p.on_hand} left, "
            f"reorder level {p.reorder_level}"
            for p in products
        ]
        send_mail(
            subject=f"Low stock: {', '.join(p.name for p in products)}"[:150],
            message="These products need reordering:\n\n"
            + "\n".join(lines)
            + f"\n\nAll low-stock products: {settings.SITE_URL}"
            + reverse("inventory:low_stock")
            + "\n",
            from_email=None,
            recipient_list=emails,
        )
