"""The Content-Security-Policy on every response (pos_project/content_policy.py).

The browser tests prove pages work under it (test_browser_csp.py); these check
the header itself, its nonce, its settings, and that no template brings back
what it refuses. The URL x role walk (accounts/tests/test_role_matrix.py)
checks that every HTML page of the app sends it.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from pos_project.assets import CDN_ORIGIN

ROOT = Path(settings.BASE_DIR)
POLICY = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"
STRICT = {
    "default-src": "'self'",
    "script-src": "'self' 'nonce-*'",
    "style-src": "'self' 'nonce-*'",
    "font-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header):
    """{"script-src": "'self' 'nonce-*'", ...}, nonces blanked."""
    header = re.sub(r"'nonce-[^']+'", "'nonce-*'", header)
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def nonce_of(header):
    return re.search(r"'nonce-([^']+)'", header).group(1)


@pytest.fixture
def ticket(cashier):
    from repairs.tests.factories import make_ticket

    return make_ticket(by=cashier)


def test_pages_send_the_strict_policy(cashier_client, ticket):
    # A page that uses a nonce (the claim slip's page size) and one that does not.
    slip = cashier_client.get(reverse("repairs:claim_slip", args=[ticket.pk]))
    assert directives(slip[POLICY]) == STRICT
    till = cashier_client.get(reverse("sales:till"), follow=True)
    assert directives(till[POLICY]) == {
        **STRICT,
        "script-src": "'self'",
        "style-src": "'self'",
    }
    assert REPORT_ONLY not in till


def test_signed_out_pages_and_errors_send_it_too(client, db):
    for response in (
        client.get(reverse("accounts:login")),
        client.get("/no-such-page/"),
        client.get(reverse("api_docs")),
    ):
        assert "'unsafe-inline'" not in response[POLICY]
        assert "frame-ancestors 'none'" in response[POLICY]


def test_each_response_gets_a_fresh_nonce_that_its_page_uses(cashier_client, ticket):
    url = reverse("repairs:claim_slip", args=[ticket.pk])
    first, second = cashier_client.get(url), cashier_client.get(url)
    nonces = {nonce_of(first[POLICY]), nonce_of(second[POLICY])}
    assert len(nonces) == 2
    for response in (first, second):
        nonce = nonce_of(response[POLICY])
        assert len(nonce) >= 22  # 128 random bits, base64
        assert f'<style nonce="{nonce}">' in response.content.decode()


def test_only_the_receipt_preview_may_be_framed_and_only_by_the_app(
    manager_client,
):
    preview = manager_client.get(reverse("sales:receipt_preview"))
    assert directives(preview[POLICY])["frame-ancestors"] == "'self'"
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    settings_page = manager_client.get(reverse("reports:home"))
    assert directives(settings_page[POLICY])["frame-ancestors"] == "'none'"


def test_report_only_mode_reports_without_blocking(client, db, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get(reverse("accounts:login"))
    assert POLICY not in response
    assert directives(response[REPORT_ONLY])["script-src"] == "'self'"


def policy_settings(**env):
    """CONTENT_SECURITY_POLICY and its report-only twin as a fresh process reads
    them from the environment."""
    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "from csp.utils import build_policy;"
        "print(build_policy(nonce='N'));"
        "print(build_policy(nonce='N', report_only=True))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "pos_project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    enforced, reported = result.stdout.split("\n")[:2]
    return enforced, reported


def test_the_policy_is_enforced_by_default_and_reported_only_when_asked():
    enforced, reported = policy_settings()
    assert directives(enforced) == STRICT and reported == ""
    enforced, reported = policy_settings(CSP_REPORT_ONLY="true")
    assert enforced == "" and directives(reported) == STRICT


def test_the_policy_allows_the_cdn_only_where_the_shop_turns_it_on():
    enforced, _ = policy_settings()
    assert "cdn" not in enforced
    enforced, _ = policy_settings(STATIC_CDN="true")
    for directive in ("script-src", "style-src", "font-src"):
        assert directives(enforced)[directive].endswith(f" {CDN_ORIGIN}")
    assert directives(enforced)["connect-src"] == "'self'"


# Templates of pages a browser shows. PDFs (WeasyPrint) and emails are not
# under the policy; the claim slip is both a page and a PDF.
NOT_BROWSER_PAGES = {"labels_pdf.html", "receipt_pdf.html"}
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\b(src|nonce)=)(?![^>]*json)[^>]*>"),
    "style block without a nonce": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>"),
    "style attribute": re.compile(r"""\sstyle=["']"""),
    "inline handler": re.compile(r"""\son[a-z]+=["']"""),
    "hx-on handler": re.compile(r"""\shx-on(:|-)"""),
    "javascript: link": re.compile(r"""=["']\s*javascript:""", re.IGNORECASE),
}


def browser_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        relative = path.relative_to(ROOT / "templates")
        if {"pdf", "email"} & set(relative.parts) or path.name in NOT_BROWSER_PAGES:
            continue
        yield relative, path.read_text()


def test_no_template_of_a_page_has_inline_code_or_style():
    found = [
        f"{relative}: {what}"
        for relative, text in browser_templates()
        for what, pattern in INLINE.items()
        if pattern.search(text)
    ]
    assert not found, "\n".join(found)


def test_the_inline_check_finds_what_it_looks_for():
    samples = {
        "inline script": "<script>alert(1)</script>",
        "style block without a nonce": "<style>p { color: red }</style>",
        "style attribute": '<p style="color: red">',
        "inline handler": '<button onclick="go()">',
        "hx-on handler": '<form hx-on:submit="go()">',
        "javascript: link": '<a href="javascript:go()">',
    }
    for what, sample in samples.items():
        assert INLINE[what].search(sample), what
    for allowed in (
        '<script src="/static/js/pos.js"></script>',
        '<script type="application/json" id="data">{}</script>',
        '<style nonce="{{ request.csp_nonce }}">',
        '<input data-confirm="Delete?">',
    ):
        assert not any(p.search(allowed) for p in INLINE.values()), allowed


def test_the_favicon_is_served(client, db):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].endswith("/static/img/favicon.ico")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO


def test_pages_link_the_favicon(cashier_client):
    page = cashier_client.get(reverse("reports:home")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg"' in page


def test_htmx_is_told_not_to_evaluate_code_nor_add_styles(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert config, "base.html configures htmx"
    values = json.loads(config.group(1))
    assert values["allowEval"] is False
    assert values["includeIndicatorStyles"] is False
    assert "style" not in values["attributesToSettle"]
