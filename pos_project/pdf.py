"""PDF documents from templates, through WeasyPrint.

Templates link static files as everywhere else (`{% static 'css/x.css' %}`);
the base URL makes those links absolute and the fetcher below reads them
straight from the static folders, so a PDF never makes a network request,
neither to the app itself nor to an address a document's text might carry.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# WeasyPrint needs a page height: a slip for a thermal roll is laid out on a
# long strip first, then printed on a page exactly as tall as it came out.
ROLL_STRIP_HEIGHT = "3000mm"


def _document(template_name, context, request):
    html = render_to_string(template_name, context, request=request)
    base_url = request.build_absolute_uri("/") if request else settings.SITE_URL + "/"
    fetcher = StaticFilesFetcher(urljoin(base_url, settings.STATIC_URL))
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher)


def render_pdf(template_name, context, *, request=None) -> bytes:
    """The template rendered with `context` as PDF bytes."""
    return _document(template_name, context, request).write_pdf()


def render_roll_pdf(template_name, context, *, width: str, request=None) -> bytes:
    """The template as a PDF for a thermal roll `width` wide ("80mm"): one page
    as tall as what it prints, whatever its length (a receipt, a claim slip)."""
    document = _document(template_name, context, request)
    strip = document.render(
        stylesheets=[CSS(string=f"@page {{ size: {width} {ROLL_STRIP_HEIGHT} }}")]
    )
    height = _content_height(strip)
    return document.write_pdf(
        stylesheets=[CSS(string=f"@page {{ size: {width} {height}px }}")]
    )


def _content_height(rendered):
    """How tall (CSS px) the laid-out document is on the first page."""
    try:
        root = rendered.pages[0]._page_box.children[0]
        return max(int(root.margin_height()) + 2, 100)
    except (AttributeError, IndexError):  # another WeasyPrint: an A4-long strip
        return 1123


def pdf_response(pdf_bytes: bytes, filename: str, *, inline: bool = True):
    """An HTTP response carrying a PDF: shown in the browser, or downloaded."""
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    # Invoices and statements carry customers' details: no shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


class StaticFilesFetcher(URLFetcher):
    """Serves URLs under `static_prefix` from the static folders; `data:` URIs
    as they are; refuses everything else (WeasyPrint then leaves it out).
    """

    def __init__(self, static_prefix: str):
        super().__init__(allowed_protocols={"data"})
        self.static_prefix = static_prefix

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(self.static_prefix):
            name = unquote(urlsplit(url[len(self.static_prefix) :]).path)
            path = static_file_path(name)
            if path is not None:
                mime_type = mimetypes.guess_type(path.name)[0]
                return URLFetcherResponse(
                    path.as_uri(),
                    path.read_bytes(),
                    headers={"Content-Type": mime_type or "application/octet-stream"},
                )
        raise ValueError(f"A PDF only loads the app's static files, not {url}")


def static_file_path(name: str) -> Path | None:
    """Where the static file `name` is: collected (hashed names) or in the app."""
    try:
        if getattr(settings, "STATIC_MANIFEST", False) and (
            staticfiles_storage.exists(name)
        ):
            found = staticfiles_storage.path(name)
        else:
            found = finders.find(name)
    except (SuspiciousFileOperation, ValueError):
        return None
    return Path(found) if found and Path(found).is_file() else None
