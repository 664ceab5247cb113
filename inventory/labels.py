"""Printable barcode labels for products (PDF through WeasyPrint)."""

import base64
from dataclasses import dataclass

import barcode
from barcode.errors import BarcodeError
from barcode.writer import SVGWriter, pt2mm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from weasyprint import HTML

from pos_project.money import format_money

LABEL_FORMATS = [
    ("a4-3x8", "A4 sheet, 3 × 8 labels (70 × 37 mm)"),
    ("58x40", "58 mm label printer (58 × 40 mm)"),
]

MAX_LABELS = 1_000


@dataclass(frozen=True)
class Layout:
    """How many labels a page holds and the room a label leaves for its barcode."""

    per_row: int
    rows: int
    barcode_width: float  # mm, quiet zones included
    bar_height: float  # mm
    font_size: float  # pt, the digits under the bars


LAYOUTS = {
    "a4-3x8": Layout(per_row=3, rows=8, barcode_width=60, bar_height=11, font_size=9),
    "58x40": Layout(per_row=1, rows=1, barcode_width=52, bar_height=13, font_size=9),
}

# GS1 codes by length: (python-barcode name, printed name). The "with guard"
# variants draw the long guard bars and split the digits as on retail packs.
GS1_SYMBOLOGIES = {
    13: ("ean13-guard", "EAN-13"),
    8: ("ean8-guard", "EAN-8"),
    12: ("upca", "UPC-A"),
}
CODE128 = ("code128", "Code 128")

# Module widths in mm: 0.33 is EAN-13 at 100 % magnification; the barcode is
# narrowed only when it would not fit the label.
NOMINAL_MODULE = 0.33
# Quiet zones in modules: GS1 asks for 11 left of an EAN-13 (7 for EAN-8, 9 for
# UPC-A), Code 128 for 10. The EAN-8's is widened to hold its "<" and ">" marks.
QUIET_MODULES = {"EAN-13": 11, "EAN-8": 9, "UPC-A": 9, "Code 128": 10}
# DejaVu Sans Mono's advance is 0.6 em; used to shrink long digit lines.
MONO_ADVANCE = 0.6


def gs1_check_digit_ok(digits: str) -> bool:
    """Whether the last digit of an EAN/UPC is the check digit of the others."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(body[::-1]))
    return (10 - total % 10) % 10 == check


def symbology_for(code: str) -> tuple[str, str]:
    """(python-barcode name, printed name) of the symbology that encodes `code`."""
    digits = code.isascii() and code.isdigit()
    if digits and len(code) in GS1_SYMBOLOGIES and gs1_check_digit_ok(code):
        return GS1_SYMBOLOGIES[len(code)]
    return CODE128


def barcode_svg(product, *, width: float = 60, bar_height: float = 11, font_size=9):
    """(SVG text, symbology name) of the product's barcode, or of its SKU.

    The SVG is at most `width` mm wide: bars are narrowed below the nominal
    module for long codes. (None, None) when neither code can be encoded.
    """
    for code in (product.barcode, product.sku):
        if not code:
            continue
        name, printed = symbology_for(code)
        try:
            symbol = barcode.get(name, code, writer=_DOMWriter())
        except BarcodeError:
            continue
        modules = len(symbol.build()[0]) + 2 * QUIET_MODULES[printed]
        module = min(NOMINAL_MODULE, width / modules)
        text = symbol.get_fullcode()
        # Long Code 128 digits would run past the bars: shrink them to fit.
        size = min(font_size, width / (len(text) * MONO_ADVANCE * pt2mm(1)))
        document = symbol.render(
            {
                "module_width": module,
                "module_height": bar_height,
                # GS1 guard bars reach 5 modules below the others, into the digits.
                "guard_height_factor": 1 + 5 * module / bar_height,
                "quiet_zone": QUIET_MODULES[printed] * module,
                "font_size": size,
                # Baseline one em below the bars, room for the digits' cap height.
                "text_distance": pt2mm(size) * 1.05,
                "margin_top": 0,
                "margin_bottom": 0,
            }
        )
        return _compact_svg(document, size), printed
    return None, None


class _DOMWriter(SVGWriter):
    """python-barcode's SVG writer, handing back its DOM rather than bytes."""

    def _finish(self):
        return self._document


def _compact_svg(document, font_size: float) -> str:
    """python-barcode's SVG with its bars merged into one path, without XML prolog.

    WeasyPrint draws every SVG element on its own: one path instead of some 40
    rectangles makes a thousand labels several times faster. Lengths become
    user units of a millimetre (the viewBox), as a path takes no units.
    """
    root = document.documentElement
    width, height = (_mm(root.getAttribute(name)) for name in ("width", "height"))
    root.setAttribute("viewBox", f"0 0 {width:.3f} {height:.3f}")
    root.setAttribute("font-family", "DejaVu Sans Mono, Liberation Mono, monospace")
    group = root.getElementsByTagName("g")[0]
    for node in list(group.childNodes):
        if node.nodeType == node.TEXT_NODE:  # toprettyxml's indentation
            group.removeChild(node)
    bars = []
    for rect in group.getElementsByTagName("rect"):
        if rect.getAttribute("width").endswith("%"):
            continue  # the white background
        x, y, w, h = (
            _mm(rect.getAttribute(name)) for name in ("x", "y", "width", "height")
        )
        bars.append(f"M{x:.3f} {y:.3f}h{w:.3f}v{h:.3f}h{-w:.3f}z")
        group.removeChild(rect)
    path = document.createElement("path")
    path.setAttribute("d", "".join(bars))
    path.setAttribute("fill", "black")
    group.appendChild(path)
    for text in group.getElementsByTagName("text"):
        text.setAttribute("x", f"{_mm(text.getAttribute('x')):.3f}")
        text.setAttribute("y", f"{_mm(text.getAttribute('y')):.3f}")
        text.setAttribute(
            "style", f"font-size:{pt2mm(font_size):.3f}px;text-anchor:middle"
        )
    return root.toxml()


def _mm(length: str) -> float:
    return float(length.removesuffix("mm"))


def check_label_count(items) -> None:
    """Refuse more than MAX_LABELS labels in one PDF."""
    if sum(copies for _product, copies in items) > MAX_LABELS:
        raise ValidationError("At most 1,000 labels at a time.")


def render_labels_pdf(items, *, label_format: str, show_price: bool) -> bytes:
    """The labels for [(product, copies)] as PDF bytes."""
    check_label_count(items)
    layout = LAYOUTS[label_format]
    labels = []
    for product, copies in items:
        svg, symbology = barcode_svg(
            product,
            width=layout.barcode_width,
            bar_height=layout.bar_height,
            font_size=layout.font_size,
        )
        label = {
            "name": product.name,
            "sku": product.sku,
            "price": format_money(product.sale_price) if show_price else "",
            # A data URI lets WeasyPrint load each product's barcode once for
            # all its copies.
            "barcode": _data_uri(svg) if svg else "",
            "symbology": symbology,
        }
        labels.extend([label] * copies)
    rows = _chunks(labels, layout.per_row)
    pages = _chunks(rows, layout.rows)
    html = render_to_string(
        "inventory/labels_pdf.html", {"pages": pages, "label_format": label_format}
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _data_uri(svg: str) -> str:
    encoded = base64.b64encode(svg.encode()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _chunks(seq, size):
    return [seq[start : start + size] for start in range(0, len(seq), size)]
