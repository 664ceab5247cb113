"""The Content-Security-Policy (django-csp), and its exceptions, one per view
that needs one.

docs/setup.md explains the policy and docs/development.md how pages live with
it: no inline script, no style="" attribute, no eval.
"""

from csp.constants import NONCE, NONE, SELF
from csp.decorators import csp_replace
from django.views.decorators.clickjacking import xframe_options_sameorigin

SAME_ORIGIN_FRAMES = {"frame-ancestors": [SELF]}


def directives(*, cdn: str = "") -> dict:
    """The policy: scripts, styles, fonts and requests from this site only (and
    from `cdn`, the origin of the front-end libraries where a shop loads them
    from one); an inline <script> or <style> only with the response's nonce;
    no style="" attribute, no inline handler, no eval; images also as data:
    URIs (the shop's logo on receipts); no plugins; forms post to this site;
    no page shown in another site's frame."""
    outside = [cdn] if cdn else []
    return {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, *outside],
        "style-src": [SELF, NONCE, *outside],
        "font-src": [SELF, *outside],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }


def framed_by_own_pages(view):
    """The view's page may be shown in a frame by this site's own pages (the
    receipt preview on the shop settings page), and by no other site."""
    view = csp_replace(SAME_ORIGIN_FRAMES, REPORT_ONLY=True)(view)
    view = csp_replace(SAME_ORIGIN_FRAMES)(view)
    return xframe_options_sameorigin(view)
