"""Values every template may use."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def shop(request):
    """The shop's settings (read only if a template uses them) and currency."""
    from accounts.models import ShopSettings

    return {
        "shop": SimpleLazyObject(ShopSettings.load),
        "currency_code": settings.CURRENCY_CODE,
        "currency_symbol": settings.CURRENCY_SYMBOL,
    }
