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
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


def render_pdf(template_name, context, *, request=None) -> bytes:
    """The template rendered with `context` as PDF bytes."""
    html = render_to_string(template_name, context, request=request)
    base_url = request.build_absolute_uri("/") if request else settings.SITE_URL + "/"
    fetcher = StaticFilesFetcher(urljoin(base_url, settings.STATIC_URL))
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


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
