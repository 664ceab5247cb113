from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from pos_project.spreadsheets import cell, restore_text, safe_text


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("x","y")'],
)
def test_text_beginning_like_a_formula_gets_a_quote_and_comes_back(text):
    assert safe_text(text) == "'" + text
    assert restore_text(safe_text(text)) == text


@pytest.mark.parametrize("text", ["Screen", "", "'quoted", "1+1", " =1", "a=b"])
def test_other_text_is_left_as_it_is(text):
    assert safe_text(text) == text
    assert restore_text(text) == text


def test_a_cell_holds_text_as_a_string_and_numbers_as_numbers():
    sheet = Workbook(write_only=True).create_sheet()
    text = cell(sheet, "=1+1")
    assert (text.value, text.data_type) == ("'=1+1", "s")
    number = cell(sheet, Decimal("-12.50"), number_format="#,##0.00")
    assert (number.value, number.data_type) == (Decimal("-12.50"), "n")
    day = cell(sheet, date(2026, 1, 2))
    assert day.is_date
