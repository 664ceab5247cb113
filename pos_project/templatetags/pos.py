"""Template tags and filters available in every template (settings builtins)."""

from django import template
from django.conf import settings
from django.templatetags.static import static
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


@register.simple_tag
def vendor_css(name):
    """A stylesheet from the CDN with SRI, switching to the local copy on error."""
    asset = ASSETS[name]
    local = static(asset.local)
    if not settings.ASSETS_CDN:
        return format_html('<link rel="stylesheet" href="{}">', local)
    return format_html(
        '<link rel="stylesheet" href="{}" integrity="{}" crossorigin="anonymous" '
        "onerror=\"this.onerror=null;this.removeAttribute('integrity');"
        "this.href='{}'\">",
        asset.cdn_url,
        asset.integrity,
        local,
    )


@register.simple_tag
def vendor_js(name):
    """A script from the CDN with SRI, then the local copy if it did not load."""
    asset = ASSETS[name]
    local = static(asset.local)
    if not settings.ASSETS_CDN:
        return format_html('<script src="{}"></script>', local)
    # document.write keeps the fallback synchronous, so scripts after it still
    # find the library defined.
    return format_html(
        '<script src="{}" integrity="{}" crossorigin="anonymous"></script>'
        "<script>window.{} || document.write('<script src=\"{}\"><\\/script>')"
        "</script>",
        asset.cdn_url,
        asset.integrity,
        asset.probe,
        local,
    )
