"""Template tags and filters available in every template (settings builtins)."""

from datetime import date, datetime, time
from decimal import Decimal

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from pos_project.assets import ASSETS
from pos_project.money import format_money

register = template.Library()


@register.filter
def money(value):
    """An amount in the shop's currency: {{ invoice.total|money }} -> $1,234.50."""
    if value is None or value == "":
        return ""
    return format_money(value)


@register.filter
def get_item(mapping, key):
    """{{ row|get_item:column.key }}: a dict's value by a key held in a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def percent(value):
    """A fraction as a percentage with one decimal: 0.256 -> 25.6%."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)) * 100:.1f}%"


@register.filter
def day_or_time(value):
    """A date as "21 Nov 2026"; a datetime at midnight too, else with its time."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        if value.time() == time.min:
            return date_format(value.date(), "j M Y")
        return date_format(value, "j M Y H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return value if value is not None else ""


@register.simple_tag
def vendor_css(name):
    """A stylesheet from static/vendor/; with STATIC_CDN on, from the CDN with
    SRI, switched to the local copy by cdn-fallback.js if it did not load."""
    asset = ASSETS[name]
    local = static(asset.local)
    if not settings.STATIC_CDN:
        return format_html('<link rel="stylesheet" href="{}">', local)
    return format_html(
        '<link rel="stylesheet" href="{}" integrity="{}" crossorigin="anonymous" '
        'data-local="{}">',
        asset.cdn_url,
        asset.integrity,
        local,
    )


@register.simple_tag
def vendor_js(name):
    """A script from static/vendor/; with STATIC_CDN on, from the CDN with SRI,
    then the local copy if it did not load (static/js/cdn-fallback.js)."""
    asset = ASSETS[name]
    local = static(asset.local)
    if not settings.STATIC_CDN:
        return format_html('<script src="{}"></script>', local)
    return format_html(
        '<script src="{}" integrity="{}" crossorigin="anonymous"></script>'
        '<script src="{}" data-probe="{}" data-local="{}"></script>',
        asset.cdn_url,
        asset.integrity,
        static("js/cdn-fallback.js"),
        asset.probe,
        local,
    )


@register.simple_tag
def live(topics):
    """`<div id="board" {% live "repairs" %}>`: this part of the page is redrawn
    when another screen changes the topic's data (accounts/live.py)."""
    from accounts.live import TOPICS

    names = topics.split()
    if not names:
        return ""
    unknown = [name for name in names if name not in TOPICS]
    if unknown:
        raise template.TemplateSyntaxError(f"Unknown live topics: {unknown}")
    return format_html('data-live="{}"', " ".join(names))


@register.simple_tag(takes_context=True)
def live_page(context):
    """<body>'s attributes for static/js/live.js: where and with which key to
    poll, and since when this page's data is current."""
    from accounts.live import live_key

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return format_html(
        'data-live-url="{}" data-live-key="{}" data-live-since="{}"',
        reverse("live"),
        live_key(user),
        getattr(request, "live_since", 0),
    )
