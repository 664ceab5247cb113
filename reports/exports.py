"""A report as an Excel workbook or a PDF, from the same rows as its page.

Excel: openpyxl in write-only mode, so a workbook of 100,000 rows is written
row by row to a temporary file without holding it in memory; numbers stay
numbers and dates dates, with the shop's currency format, a frozen header, set
column widths, a totals row, and the filters on a second sheet.

PDF: WeasyPrint, A4 (landscape for wide reports), the shop's header, the
filters, the chart drawn as SVG on the server, the table and "page x of y".
"""

import re
import tempfile
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from pos_project.pdf import render_pdf
from pos_project.spreadsheets import safe_text, set_value

from .base import DATE, DECIMAL, INT, MONEY, PERCENT, TEXT

PROGRESS_EVERY = 2000  # rows between progress reports of a background export
WIDTHS = {TEXT: 28, INT: 11, MONEY: 14, PERCENT: 10, DATE: 13, DECIMAL: 12}


def money_format():
    places = settings.CURRENCY_DECIMAL_PLACES
    decimals = "." + "0" * places if places else ""
    symbol = settings.CURRENCY_SYMBOL.replace('"', "")
    return f'"{symbol}"#,##0{decimals};-"{symbol}"#,##0{decimals}'


def number_formats():
    return {
        MONEY: money_format(),
        INT: "#,##0",
        PERCENT: "0.0%",
        DATE: "d mmm yyyy",
        DECIMAL: "#,##0.00",
    }


PLAIN = {int, float, Decimal, date}  # stored as they are (not bool, datetime)


def excel_value(value):
    """What openpyxl can store: naive local datetimes, numbers, text that no
    spreadsheet reads as a formula (pos_project.spreadsheets); None (no cell
    written at all) for empty text."""
    if type(value) is str:  # the most common values, the cheapest test first
        return safe_text(value) or None
    if type(value) in PLAIN:
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, (int, float, Decimal, date)):
        return value
    return safe_text(str(value))


def write_excel(report, rows, totals, params, *, shop, progress=None):
    """The report as an .xlsx in a temporary file, rewound; `progress(n)` is
    called every few thousand rows."""
    workbook = Workbook(write_only=True)
    # Excel sheet names: at most 31 characters, none of \ / ? * [ ] :
    sheet = workbook.create_sheet(re.sub(r"[\\/*?:\[\]]", " ", report.title)[:31])
    formats = number_formats()
    for index, column in enumerate(report.columns, start=1):
        width = column.width or WIDTHS.get(column.kind, 16)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in report.columns:
        cell = set_value(WriteOnlyCell(sheet), str(column.label))
        cell.font = bold
        if column.kind != TEXT:
            cell.alignment = Alignment(horizontal="right")
        header.append(cell)
    sheet.append(header)
    keys = [column.key for column in report.columns]
    # Only numbers and dates need a cell with a format: one per column, used
    # again on every row (a write-only sheet writes a row out as it is
    # appended). Text goes as plain values, neutralised by excel_value: openpyxl
    # types a text that does not start with "=" as a string. A cell object per
    # text value (of its own, or one per column passed again) cost a third
    # more time of a large export.
    formatted = []
    for position, column in enumerate(report.columns):
        if column.kind in formats:
            cell = WriteOnlyCell(sheet)
            cell.number_format = formats[column.kind]
            formatted.append((position, cell))
    done = 0
    for row in rows:
        values = [excel_value(row.get(key)) for key in keys]
        for position, cell in formatted:
            if values[position] is not None:
                values[position] = set_value(cell, values[position])
        sheet.append(values)
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done)
    if totals:
        cells = []
        for position, column in enumerate(report.columns):
            value = totals.get(column.key) if column.total else None
            if position == 0 and value is None:
                value = "Total"
            cell = set_value(WriteOnlyCell(sheet), excel_value(value))
            cell.font = bold
            if column.kind in formats and value != "Total":
                cell.number_format = formats[column.kind]
            cells.append(cell)
        sheet.append(cells)
    about = workbook.create_sheet("Filters")
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 60
    for label, value in [
        ("Report", report.title),
        ("Shop", shop.name),
        ("Made", timezone.localtime().strftime("%d %b %Y %H:%M")),
        *params.describe(),
        ("Rows", done),
    ]:
        about.append([set_value(WriteOnlyCell(about), v) for v in (label, value)])
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    workbook.save(output)
    output.seek(0)
    return output


def pdf_rows(report, rows):
    """The rows as text cells for the PDF table: [(text, is_number)]."""
    from pos_project.money import format_money

    def show(column, value):
        if value is None or value == "":
            return ""
        if column.kind == MONEY:
            return format_money(value)
        if column.kind == PERCENT:
            return f"{Decimal(str(value)) * 100:.1f}%"
        if column.kind == INT:
            return f"{int(value):,}"
        if column.kind == DECIMAL:
            return f"{Decimal(str(value)):,.2f}"
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%d %b %Y %H:%M")
        if isinstance(value, date):
            return value.strftime("%d %b %Y")
        return str(value)

    for row in rows:
        yield [(show(c, row.get(c.key)), c.kind != TEXT) for c in report.columns]


def write_pdf(report, rows, totals, params, *, shop, chart_svg=""):
    context = {
        "report": report,
        "shop": shop,
        "params": params,
        "filters": params.describe(),
        "rows": pdf_rows(report, rows),
        "totals": next(pdf_rows(report, [totals]), None) if totals else None,
        "chart": chart_svg,
        "made": timezone.localtime(),
    }
    return render_pdf("reports/pdf/report.html", context)


# A chart for the PDF: Chart.js needs a browser, so the PDF gets plain SVG.

PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997"]


def chart_svg(labels, series, *, width=760, height=240):
    """A bar chart of `series` ([(name, [values])]) over `labels`, as SVG text."""
    if not labels or not series:
        return ""
    values = [float(v or 0) for _, data in series for v in data]
    top = max(max(values, default=0), 0) or 1
    bottom = min(min(values, default=0), 0)
    span = top - bottom
    left, right, upper, lower = 56, 8, 10, 46
    plot_w, plot_h = width - left - right, height - upper - lower
    group_w = plot_w / len(labels)
    bar_w = max(group_w * 0.8 / len(series), 1)

    def y(value):
        return upper + plot_h * (top - value) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" '
        'font-size="9">'
    ]
    for step in range(5):
        value = bottom + span * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y(value) + 3:.1f}" text-anchor="end">'
            f"{value:,.0f}</text>"
        )
    for index, (_, data) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for position, raw in enumerate(data):
            value = float(raw or 0)
            x = left + group_w * position + group_w * 0.1 + bar_w * index
            y0, y1 = sorted((y(0), y(value)))
            parts.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}"/>'
            )
    every = max(1, len(labels) // 16)
    for position, label in enumerate(labels):
        if position % every:
            continue
        x = left + group_w * (position + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{height - lower + 12}" text-anchor="middle">'
            f"{escape(str(label)[:14])}</text>"
        )
    for index, (name, _) in enumerate(series):
        x = left + index * 150
        parts.append(
            f'<rect x="{x}" y="{height - 16}" width="9" height="9" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{x + 13}" y="{height - 8}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
