"""Cells of the spreadsheets the product writes, safe to open.

Text that people typed (a customer's or a product's name, a note) goes into
Excel workbooks. A spreadsheet reads text beginning with `=`, `+`, `-` or `@`
as a formula, and a tab or carriage return first can smuggle one past a
careless reader (OWASP's "CSV injection"): a customer called
`=HYPERLINK("http://evil.example/c","Customer")` would become a live link in the
manager's workbook. So every text cell is written here:

- typed as a string, which Excel never evaluates; and
- with a single quote before such a first character, so that the text stays
  text when the cell is edited, or the sheet is saved as CSV and opened again.

Numbers and dates are written as they are, and stay numbers and dates.
`restore_text` takes the quote off again when the product import reads back
a file that the product export wrote.
"""

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
BOLD = Font(bold=True)


def safe_text(text: str) -> str:
    """`text` that no spreadsheet reads as a formula."""
    if text.startswith(FORMULA_STARTS):
        return QUOTE + text
    return text


def restore_text(text: str) -> str:
    """The text that `safe_text` was given, from what it returned."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def set_value(cell, value):
    """Put `value` in `cell`: text as neutralised text, anything else as it is.

    The value goes in first: openpyxl types a text starting with "=" as a
    formula when it is assigned, and the type set after it is the one kept.
    """
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def cell(sheet, value, *, number_format=None, bold=False):
    """A write-only cell of `sheet` holding `value` (see `set_value`)."""
    new = set_value(WriteOnlyCell(sheet), value)
    if number_format:
        new.number_format = number_format
    if bold:
        new.font = BOLD
    return new


def row(sheet, values):
    """A row of cells for `sheet.append`, every value through `set_value`."""
    return [cell(sheet, value) for value in values]
