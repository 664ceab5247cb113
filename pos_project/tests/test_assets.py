import base64
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from pos_project.assets import ASSETS


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_local_copy_matches_the_cdn_integrity_hash(name):
    asset = ASSETS[name]
    data = (Path(settings.BASE_DIR) / "static" / asset.local).read_bytes()
    digest = base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert asset.integrity == f"sha384-{digest}"


def test_htmx_is_pinned_to_the_2_0_series():
    assert ASSETS["htmx"].version.startswith("2.0.")


def test_by_default_only_the_local_copies_are_used():
    html = Template('{% vendor_js "chartjs" %}{% vendor_css "bootstrap-css" %}').render(
        Context()
    )
    assert "cdn.jsdelivr.net" not in html
    assert '<script src="/static/vendor/chartjs-4.6.1/chart.umd.min.js">' in html
    assert '<link rel="stylesheet" href="/static/vendor/bootstrap-5.3.8/' in html


def test_with_the_cdn_on_scripts_load_from_it_with_sri_then_the_local_copy(
    settings,
):
    settings.STATIC_CDN = True
    html = Template('{% vendor_js "htmx" %}').render(Context())
    assert 'src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"' in html
    assert f'integrity="{ASSETS["htmx"].integrity}"' in html
    assert 'crossorigin="anonymous"' in html
    # The fallback is a static script (the Content-Security-Policy runs no
    # inline one), told which global to probe and where the local copy is.
    assert (
        '<script src="/static/js/cdn-fallback.js" data-probe="htmx" '
        'data-local="/static/vendor/htmx-2.0.11/htmx.min.js"></script>'
    ) in html


def test_with_the_cdn_on_stylesheets_name_their_local_copy(settings):
    settings.STATIC_CDN = True
    html = Template('{% vendor_css "bootstrap-css" %}').render(Context())
    assert "https://cdn.jsdelivr.net/npm/bootstrap@5.3.8/" in html
    assert f'integrity="{ASSETS["bootstrap-css"].integrity}"' in html
    assert 'data-local="/static/vendor/bootstrap-5.3.8/bootstrap.min.css"' in html
    assert "onerror" not in html
