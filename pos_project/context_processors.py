"""Values every template may use."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.models import Notification, ShopSettings


def shop(request):
    """The shop's settings and the user's unread notifications, read only if used."""
    user = getattr(request, "user", None)

    def unread():
        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.unread().filter(recipient=user).count()

    return {
        "shop": SimpleLazyObject(ShopSettings.load),
        "unread_notifications": SimpleLazyObject(unread),
        "currency_code": settings.CURRENCY_CODE,
        "currency_symbol": settings.CURRENCY_SYMBOL,
    }
