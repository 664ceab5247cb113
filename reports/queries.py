"""Read-only aggregations for dashboards and reports. Nothing here writes."""

from datetime import timedelta

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Role, User
from inventory.models import Product


def active_staff_by_role():
    """{role label: number of active staff}, every role present."""
    counts = dict(
        User.objects.active().values_list("role").annotate(n=Count("pk")).order_by()
    )
    return {role.label: counts.get(role.value, 0) for role in Role}


def sign_ins_by_day(days=14):
    """[(date, successful sign-ins)] for the last `days` days, today last."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    counts = dict(
        AccessLog.objects.annotate(day=TruncDate("attempt_time"))
        .filter(day__gte=first)
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        (first + timedelta(d), counts.get(first + timedelta(d), 0)) for d in range(days)
    ]


def locked_sign_ins():
    """Username and address pairs locked out right now, newest first."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).order_by("-attempt_time")


def shop_setup_gaps(shop):
    """Labels of the shop details that receipts and invoices need but are empty."""
    wanted = ["address", "phone", "email", "tax_id"]
    gaps = [
        shop._meta.get_field(name).verbose_name
        for name in wanted
        if not getattr(shop, name)
    ]
    if not shop.has_logo:
        gaps.append("logo")
    return gaps


def low_stock(limit=8):
    """(number of active products at or below their reorder level, the emptiest)."""
    products = Product.objects.active().low_stock()
    return products.count(), list(products.order_by("on_hand", "name")[:limit])
