"""Front-end libraries: served from static/vendor/, or from a public CDN with
SRI where the shop turns it on (STATIC_CDN), falling back to the local copies.

Each file in static/vendor/ is byte-for-byte the CDN's file, so one SRI hash
covers both; a test recomputes every hash from the local copy.
"""

from dataclasses import dataclass

# The Content-Security-Policy allows this origin when STATIC_CDN is on.
CDN_ORIGIN = "https://cdn.jsdelivr.net"
CDN = f"{CDN_ORIGIN}/npm"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    path: str
    local: str
    integrity: str
    # A JavaScript global that exists once the script has run; the fallback
    # loads the local copy when it is missing.
    probe: str = ""

    @property
    def cdn_url(self) -> str:
        return f"{CDN}/{self.package}@{self.version}/{self.path}"


ASSETS = {
    "bootstrap-css": Asset(
        package="bootstrap",
        version="5.3.8",
        path="dist/css/bootstrap.min.css",
        local="vendor/bootstrap-5.3.8/bootstrap.min.css",
        integrity="sha384-sRIl4kxILFvY47J16cr9ZwB07vP4J8+LH7qKQnuqkuIAvNWLzeN8tE5YBujZqJLB",
    ),
    "bootstrap-icons": Asset(
        package="bootstrap-icons",
        version="1.13.2",
        path="font/bootstrap-icons.min.css",
        local="vendor/bootstrap-icons-1.13.2/bootstrap-icons.min.css",
        integrity="sha384-nWN3KqaaVcbEsCjLSV+2jMjh62Iny/+mN3srM8TZeM8N6aj7eDl5wwYggjAJ4/sJ",
    ),
    "bootstrap-js": Asset(
        package="bootstrap",
        version="5.3.8",
        path="dist/js/bootstrap.bundle.min.js",
        local="vendor/bootstrap-5.3.8/bootstrap.bundle.min.js",
        integrity="sha384-FKyoEForCGlyvwx9Hj09JcYn3nv7wiPVlz7YYwJrWVcXK/BmnVDxM+D2scQbITxI",
        probe="bootstrap",
    ),
    "htmx": Asset(
        package="htmx.org",
        version="2.0.11",
        path="dist/htmx.min.js",
        local="vendor/htmx-2.0.11/htmx.min.js",
        integrity="sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg",
        probe="htmx",
    ),
    "chartjs": Asset(
        package="chart.js",
        version="4.6.1",
        path="dist/chart.umd.min.js",
        local="vendor/chartjs-4.6.1/chart.umd.min.js",
        integrity="sha384-Emf5ZVIUiarAdhkgtqK+5/Z5qIvM6QoVrS+qAVtfyZVuD5lIHrac0me485+Antp0",
        probe="Chart",
    ),
}
