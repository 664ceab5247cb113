"""Products to and from spreadsheets: the columns export writes and import reads."""

import tempfile

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pos_project.spreadsheets import cell

# The columns of the product spreadsheet, in order: export writes them and
# import reads them (matching headers in any order). on_hand is written for
# information and ignored on import: stock only changes through moves.
COLUMNS = [
    ("sku", "SKU", 16),
    ("name", "Name", 40),
    ("barcode", "Barcode", 16),
    ("category", "Category", 20),
    ("supplier", "Supplier", 20),
    ("sale_price", "Sale price", 12),
    ("cost_price", "Cost price", 12),
    ("tax_rate", "Tax rate", 16),
    ("tracks_stock", "Tracks stock", 12),
    ("reorder_level", "Reorder level", 13),
    ("active", "Active", 8),
    ("description", "Description", 40),
    ("on_hand", "On hand", 10),
]
MONEY_FORMAT = "#,##0.00"


def product_row(product):
    return [
        product.sku,
        product.name,
        product.barcode,
        product.category.name if product.category else "",
        product.supplier.name if product.supplier else "",
        product.sale_price,
        product.cost_price,
        product.tax_rate.name,
        "yes" if product.tracks_stock else "no",
        product.reorder_level,
        "yes" if product.active else "no",
        product.description,
        product.on_hand if product.tracks_stock else None,
    ]


def product_workbook_response(products):
    """An .xlsx download of `products`, written row by row in constant memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Products")
    for index, (_key, _label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([cell(sheet, label, bold=True) for _key, label, _width in COLUMNS])
    money_columns = {5, 6}
    for product in products.iterator(chunk_size=2000):
        sheet.append(
            [
                cell(
                    sheet,
                    value,
                    number_format=MONEY_FORMAT if index in money_columns else None,
                )
                for index, value in enumerate(product_row(product))
            ]
        )
    # FileResponse streams the file and closes it when the download ends.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(spool)
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"products-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
