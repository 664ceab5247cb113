"""Read-only aggregations for dashboards and reports. Nothing here writes."""

from datetime import timedelta
from decimal import Decimal

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


def dashboard(today=None):
    """The Admin's figures at a glance: a handful of aggregate queries."""
    from django.db.models import Sum

    from invoices.models import Invoice
    from repairs.models import OPEN_STATUSES, Status, Ticket
    from sales.models import Sale, SaleStatus

    from .filters import start_of

    today = today or timezone.localdate()
    first = today - timedelta(days=13)
    completed = Sale.objects.filter(status=SaleStatus.COMPLETED)
    by_day = dict(
        completed.filter(created_at__gte=start_of(first - timedelta(days=7)))
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(total=Sum("total"))
        .order_by()
    )
    week_ago = today - timedelta(days=7)
    # Today until now, against the same day last week until the same time.
    now = timezone.localtime()
    same_time_last_week = now - timedelta(days=7)
    last_week = completed.filter(
        created_at__gte=start_of(week_ago), created_at__lt=same_time_last_week
    ).aggregate(total=Sum("total"), n=Count("pk"))
    this_day = completed.filter(created_at__gte=start_of(today)).aggregate(
        total=Sum("total"), n=Count("pk")
    )
    zero = Decimal("0.00")
    repairs = Ticket.objects.filter(status__in=OPEN_STATUSES).counts_by_status()
    return {
        "today_total": this_day["total"] or zero,
        "today_count": this_day["n"],
        "last_week_total": last_week["total"] or zero,
        "last_week_count": last_week["n"],
        "last_week_day": week_ago,
        "repairs": [(Status(s).label, repairs.get(s, 0)) for s in OPEN_STATUSES],
        "repairs_open": sum(repairs.values()),
        "repairs_overdue": Ticket.objects.overdue(today).count(),
        "low_stock": Product.objects.active().low_stock().count(),
        "outstanding": Invoice.objects.open().aggregate(
            total=Sum("balance", default=zero)
        )["total"],
        "sales_chart": {
            "labels": [
                (first + timedelta(days=d)).strftime("%a %d") for d in range(14)
            ],
            "datasets": [
                {
                    "label": "Sales",
                    "values": [
                        float(by_day.get(first + timedelta(days=d), 0) or 0)
                        for d in range(14)
                    ],
                    "money": True,
                },
                {
                    "label": "Same day a week before",
                    "values": [
                        float(by_day.get(first + timedelta(days=d - 7), 0) or 0)
                        for d in range(14)
                    ],
                    "money": True,
                },
            ],
            "kind": "bar",
        },
        "repairs_chart": {
            "labels": [Status(s).label for s in OPEN_STATUSES],
            "datasets": [
                {
                    "label": "Open repairs",
                    "values": [repairs.get(s, 0) for s in OPEN_STATUSES],
                    "money": False,
                }
            ],
            "kind": "doughnut",
        },
    }
