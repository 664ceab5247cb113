from django.shortcuts import render

from accounts.access import (
    CHANGE_SHOP_SETTINGS,
    MANAGE_STAFF,
    MANAGE_STOCK,
    staff_required,
)
from accounts.models import ShopSettings

from . import queries


@staff_required
def home(request):
    """The landing page: each role sees the panels it may act on."""
    context = {}
    if request.user.has_perm(MANAGE_STAFF):
        sign_ins = queries.sign_ins_by_day()
        context.update(
            staff_by_role=queries.active_staff_by_role(),
            locked=list(queries.locked_sign_ins()[:10]),
            sign_in_chart={
                "labels": [day.strftime("%a %d") for day, _ in sign_ins],
                "values": [count for _, count in sign_ins],
            },
        )
    if request.user.has_perm(MANAGE_STOCK):
        context["low_stock_count"], context["low_stock"] = queries.low_stock()
    if request.user.has_perm(CHANGE_SHOP_SETTINGS):
        context["setup_gaps"] = queries.shop_setup_gaps(ShopSettings.load())
    return render(request, "reports/home.html", context)
