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


def test_scripts_load_from_the_cdn_with_sri_and_fall_back_to_the_local_copy():
    html = Template('{% vendor_js "htmx" %}').render(Context())
    assert 'src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"' in html
    assert f'integrity="{ASSETS["htmx"].integrity}"' in html
    assert 'crossorigin="anonymous"' in html
    assert "window.htmx || document.write" in html
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html


def test_stylesheets_switch_to_the_local_copy_on_error():
    html = Template('{% vendor_css "bootstrap-css" %}').render(Context())
    assert "onerror=" in html
    assert "/static/vendor/bootstrap-5.3.8/bootstrap.min.css" in html


def test_without_the_cdn_only_local_copies_are_used(settings):
    settings.ASSETS_CDN = False
    html = Template('{% vendor_js "chartjs" %}{% vendor_css "bootstrap-css" %}').render(
        Context()
    )
    assert "cdn.jsdelivr.net" not in html
    assert "/static/vendor/chartjs-4.6.1/chart.umd.min.js" in html
