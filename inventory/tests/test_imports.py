import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import TaxRate
from inventory import services
from inventory.imports import apply_product_import, check_product_file, summarise
from inventory.models import Category, Product, ProductImport, Supplier
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    SupplierFactory,
    TaxRateFactory,
)

HEADER = ["SKU", "Name", "Barcode", "Category", "Sale price", "Tax rate"]


@pytest.fixture
def standard(db):
    """The default tax rate (instead of the "No tax" one the migrations add)."""
    TaxRate.objects.update(is_default=False)
    return TaxRateFactory(name="Standard", rate=Decimal("20.00"), is_default=True)


@pytest.fixture
def reduced(db):
    return TaxRateFactory(name="Reduced", rate=Decimal("5.00"))


@pytest.fixture
def phone(standard):
    return ProductFactory(
        sku="PH-1", name="Phone", barcode="4001", sale_price=Decimal("199.00")
    )


@pytest.fixture
def case(standard):
    return ProductFactory(
        sku="CASE-1", name="Case", barcode="4002", sale_price=Decimal("9.99")
    )


def csv_upload(rows, name="products.csv", delimiter=",", bom=False):
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    data = text.getvalue().encode("utf-8-sig" if bom else "utf-8")
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(rows, name="products.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    return SimpleUploadedFile(name, xlsx_bytes(workbook))


def exported_workbook(manager_client):
    response = manager_client.get(reverse("inventory:product_export"))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def exported_rows(manager_client):
    """The product export as a list of rows (the header first)."""
    sheet = exported_workbook(manager_client).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_errors(upload):
    return [error for row in summarise(upload)["rows"] for error in row["errors"]]


# Round trips: export, change, import.


def test_an_exported_workbook_with_one_changed_price_updates_that_product(
    manager_client, manager, phone, case
):
    workbook = exported_workbook(manager_client)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    sku_column, price_column = header.index("SKU"), header.index("Sale price")
    for row in sheet.iter_rows(min_row=2):
        if row[sku_column].value == "PH-1":
            row[price_column].value = 189.5
    upload = check_product_file(
        SimpleUploadedFile("products.xlsx", xlsx_bytes(workbook)), by=manager
    )

    preview = summarise(upload)
    assert (preview["creates"], preview["updates"], preview["unchanged"]) == (0, 1, 1)
    assert preview["can_apply"]
    changed = next(row for row in preview["rows"] if row["action"] == "update")
    assert changed["changes"] == [
        {"label": "Sale price", "old": "199.00", "new": "189.50"}
    ]
    assert any("On hand column is ignored" in notice for notice in preview["notices"])

    assert apply_product_import(upload, by=manager) == (0, 1)
    phone.refresh_from_db()
    case.refresh_from_db()
    assert phone.sale_price == Decimal("189.50")
    assert case.sale_price == Decimal("9.99")
    latest = phone.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == manager
    assert latest.sale_price == Decimal("189.50")


def test_an_exported_list_saved_as_semicolon_csv_with_a_bom_updates_a_price(
    manager_client, manager, phone, case
):
    rows = exported_rows(manager_client)
    sku_column, price_column = rows[0].index("SKU"), rows[0].index("Sale price")
    for row in rows[1:]:
        if row[sku_column] == "CASE-1":
            row[price_column] = "12,50"
    cells = [["" if value is None else value for value in row] for row in rows]
    upload = check_product_file(csv_upload(cells, delimiter=";", bom=True), by=manager)

    preview = summarise(upload)
    assert (preview["creates"], preview["updates"], preview["unchanged"]) == (0, 1, 1)
    assert apply_product_import(upload, by=manager) == (0, 1)
    case.refresh_from_db()
    assert case.sale_price == Decimal("12.50")
    assert case.history.filter(history_type="~", history_user=manager).exists()


def test_new_products_are_created_with_a_new_category_and_the_default_tax_rate(
    manager, standard, reduced
):
    upload = check_product_file(
        csv_upload(
            [
                HEADER,
                ["NEW-1", "Charger", "5001", "Chargers", "15.00", ""],
                ["NEW-2", "Cable", "", "chargers", "4.5", "5%"],
            ]
        ),
        by=manager,
    )

    preview = summarise(upload)
    assert (preview["creates"], preview["updates"], preview["with_errors"]) == (2, 0, 0)
    assert "New categories to create: Chargers." in preview["notices"]

    assert apply_product_import(upload, by=manager) == (2, 0)
    charger = Product.objects.get(sku="NEW-1")
    cable = Product.objects.get(sku="NEW-2")
    assert Category.objects.filter(name__iexact="chargers").count() == 1
    assert charger.category == cable.category
    assert charger.category.name == "Chargers"
    assert charger.tax_rate == standard
    assert cable.tax_rate == reduced
    assert cable.sale_price == Decimal("4.50")
    assert charger.barcode == "5001"
    assert charger.history.get().history_user == manager


def test_a_new_supplier_is_created_and_noted_in_the_preview(manager, standard):
    upload = check_product_file(
        csv_upload(
            [["SKU", "Name", "Sale price", "Supplier"], ["S-1", "Fan", "8", "Acme"]]
        ),
        by=manager,
    )

    assert "New suppliers to create: Acme." in summarise(upload)["notices"]
    apply_product_import(upload, by=manager)
    assert Product.objects.get(sku="S-1").supplier == Supplier.objects.get(name="Acme")


def test_blank_cells_in_an_update_leave_the_product_as_it_is(manager, phone):
    upload = check_product_file(
        csv_upload([HEADER, ["ph-1", "", "", "", "205", ""]]), by=manager
    )

    row = summarise(upload)["rows"][0]
    assert row["action"] == "update"
    assert [change["label"] for change in row["changes"]] == ["Sale price"]
    apply_product_import(upload, by=manager)
    phone.refresh_from_db()
    assert phone.sale_price == Decimal("205.00")
    assert (phone.name, phone.barcode, phone.sku) == ("Phone", "4001", "PH-1")


def test_a_row_equal_to_the_product_is_unchanged_and_writes_no_history(manager, phone):
    upload = check_product_file(
        csv_upload([HEADER, ["PH-1", "Phone", "4001", "", "199", "Standard"]]),
        by=manager,
    )

    assert summarise(upload)["unchanged"] == 1
    assert apply_product_import(upload, by=manager) == (0, 0)
    assert phone.history.count() == 1


def test_float_cells_from_excel_are_read_from_their_decimal_form(manager, standard):
    upload = check_product_file(
        xlsx_upload(
            [
                ["SKU", "Name", "Sale price", "Cost price", "Reorder level", "Barcode"],
                ["F-1", "Float", 19.99, 0.1, 5.0, 4006381333931],
                ["F-2", "Too fine", 1.005, 0, 1, None],
            ]
        ),
        by=manager,
    )

    rows = summarise(upload)["rows"]
    assert rows[0]["errors"] == []
    assert row_errors(upload) == ["Row 3: sale price '1.005' has more than 2 decimals."]
    values = upload.rows[0]["values"]
    assert values["sale_price"] == "19.99"
    assert values["cost_price"] == "0.10"
    assert values["reorder_level"] == "5"
    assert values["barcode"] == "4006381333931"


# Bad input: the row's error, apply refused, nothing written.


@pytest.mark.parametrize(
    "bad_row, error",
    [
        (
            ["BAD-1", "Thing", "", "", "-1", ""],
            "Row 3: sale price '-1' is below zero.",
        ),
        (
            ["BAD-1", "Thing", "", "", "1.234", ""],
            "Row 3: sale price '1.234' has more than 2 decimals.",
        ),
        (
            ["BAD-1", "Thing", "", "", "abc", ""],
            "Row 3: sale price 'abc' is not a number.",
        ),
        (
            ["BAD-1", "Thing", "", "", "NaN", ""],
            "Row 3: sale price 'NaN' is not a number.",
        ),
        (
            ["ok-1", "Thing", "", "", "1", ""],
            "Row 3: SKU 'ok-1' is also on row 2.",
        ),
        (
            ["BAD-1", "Thing", "4001", "", "1", ""],
            "Row 3: barcode '4001' already belongs to Phone (SKU PH-1).",
        ),
        (
            ["BAD-1", "Thing", "6001", "", "1", ""],
            "Row 3: barcode '6001' is also on row 2.",
        ),
        (
            ["BAD-1", "Thing", "", "", "1", "Luxury"],
            "Row 3: tax rate 'Luxury' is unknown; use the name or percent of one of: "
            "Standard (20%), No tax (0%).",
        ),
        (
            ["BAD-1", "N" * 201, "", "", "1", ""],
            "Row 3: the name is 201 characters long; at most 200 are allowed.",
        ),
        (
            ["BAD-1", "", "", "", "1", ""],
            "Row 3: a new product needs a name.",
        ),
        (
            ["BAD-1", "Thing", "", "", "", ""],
            "Row 3: a new product needs a sale price.",
        ),
        (
            ["", "Thing", "", "", "1", ""],
            "Row 3: the SKU is empty.",
        ),
    ],
    ids=[
        "negative price",
        "three decimals",
        "text price",
        "not a number",
        "duplicate sku in file",
        "barcode of another product",
        "duplicate barcode in file",
        "unknown tax rate",
        "name too long",
        "new product without a name",
        "new product without a price",
        "no sku",
    ],
)
def test_a_bad_row_is_reported_and_the_import_is_refused(
    manager, phone, bad_row, error
):
    good_row = ["OK-1", "Good", "6001", "", "1", ""]
    upload = check_product_file(csv_upload([HEADER, good_row, bad_row]), by=manager)

    assert row_errors(upload) == [error]
    preview = summarise(upload)
    assert preview["with_errors"] == 1
    assert not preview["can_apply"]
    with pytest.raises(ValidationError, match="has errors"):
        apply_product_import(upload, by=manager)
    assert set(Product.objects.values_list("sku", flat=True)) == {"PH-1"}
    assert ProductImport.objects.get().applied_at is None


def test_bad_booleans_and_reorder_levels_are_reported(manager, phone):
    upload = check_product_file(
        csv_upload(
            [
                ["SKU", "Tracks stock", "Active", "Reorder level"],
                ["PH-1", "maybe", "yes", "-2"],
                ["PH-1x", "", "", "2.5"],
            ]
        ),
        by=manager,
    )

    assert row_errors(upload) == [
        "Row 2: tracks stock 'maybe' is not yes or no.",
        "Row 2: reorder level '-2' is below zero.",
        "Row 3: reorder level '2.5' is not a whole number.",
        "Row 3: a new product needs a name.",
        "Row 3: a new product needs a sale price.",
    ]


def test_a_service_switch_is_refused_while_the_product_holds_stock(manager, phone):
    services.create_product(
        by=manager,
        opening_stock=3,
        sku="ST-1",
        name="Stocked",
        sale_price=1,
        tax_rate=phone.tax_rate,
    )
    upload = check_product_file(
        csv_upload([["SKU", "Tracks stock"], ["ST-1", "no"]]), by=manager
    )

    assert row_errors(upload) == [
        "Row 2: Stocked has 3 in stock; count it down to zero before it stops "
        "tracking stock."
    ]


def test_html_in_a_name_is_stored_as_text_and_escaped_in_the_preview(
    manager_client, manager, standard
):
    name = '<script>alert("x")</script> Speaker'
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["HT-1", name, "30"]]), by=manager
    )
    assert row_errors(upload) == []

    page = manager_client.get(upload.get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Speaker" in page

    apply_product_import(upload, by=manager)
    assert Product.objects.get(sku="HT-1").name == name


def test_the_on_hand_column_and_unknown_columns_are_ignored_with_a_notice(
    manager, phone
):
    upload = check_product_file(
        csv_upload(
            [["sku", "On hand", "Colour", "sale_price"], ["PH-1", "50", "red", "1"]]
        ),
        by=manager,
    )

    notices = summarise(upload)["notices"]
    assert "Ignored unknown columns: Colour." in notices
    assert any("On hand column is ignored" in notice for notice in notices)
    apply_product_import(upload, by=manager)
    phone.refresh_from_db()
    assert phone.on_hand == 0
    assert phone.sale_price == Decimal("1.00")


# Broken files: a form error, no ProductImport.

BROKEN_FILES = [
    ("random.xlsx", bytes(range(256)) * 8, "not a readable Excel .xlsx workbook"),
    ("empty.csv", b"", "empty"),
    ("no-sku.csv", b"Name,Sale price\nPhone,1\n", "The first row has no SKU column."),
    ("header-only.csv", b"SKU,Name\n", "no products below it"),
    ("latin1.csv", "SKU,Name\nX,Café\n".encode("latin-1"), "not UTF-8 text"),
    ("nul.csv", b"SKU,Name\nX,\x00\n", "not a CSV text file"),
]


@pytest.mark.parametrize(
    "filename, content, message", BROKEN_FILES, ids=[f[0] for f in BROKEN_FILES]
)
def test_a_broken_file_is_refused_with_a_clear_message(
    manager, standard, filename, content, message
):
    with pytest.raises(ValidationError, match=message):
        check_product_file(SimpleUploadedFile(filename, content), by=manager)
    assert not ProductImport.objects.exists()


@pytest.mark.parametrize(
    "filename, content, message", BROKEN_FILES[:3], ids=[f[0] for f in BROKEN_FILES[:3]]
)
def test_a_broken_file_shows_the_error_on_the_upload_form(
    manager_client, standard, filename, content, message
):
    response = manager_client.post(
        reverse("inventory:product_import"),
        {"file": SimpleUploadedFile(filename, content)},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProductImport.objects.exists()


def test_a_file_with_more_than_20000_rows_is_refused(manager, standard):
    rows = [["SKU", "Name", "Sale price"]]
    rows += [[f"S-{n}", "Thing", "1"] for n in range(20_001)]

    with pytest.raises(ValidationError, match="more than 20,000 product rows"):
        check_product_file(csv_upload(rows), by=manager)


def test_the_preview_lists_the_first_500_rows_with_a_note(manager, standard):
    rows = [["SKU", "Name", "Sale price"]]
    rows += [[f"S-{n}", "Thing", "1"] for n in range(501)]
    rows.append(["S-0", "Again", "1"])
    upload = check_product_file(csv_upload(rows), by=manager)

    preview = summarise(upload)
    assert len(preview["rows"]) == 500
    assert preview["rows_note"] == "Showing the first 500 of 502 rows."
    assert preview["hidden_errors"] == ["Row 503: SKU 'S-0' is also on row 2."]


def test_checking_a_file_takes_the_same_queries_for_5_rows_as_for_50(manager, phone):
    def queries_for(count):
        rows = [HEADER, ["PH-1", "Phone", "", "New cat", "1", "20%"]]
        rows += [
            [f"N-{n}", "Thing", f"7{n}", f"Cat {n}", "1", ""] for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            check_product_file(csv_upload(rows), by=manager)
        return len(queries)

    assert queries_for(5) == queries_for(50)


# Applying: all or nothing, once, by the uploader.


def test_a_row_that_fails_at_apply_time_leaves_everything_unwritten(manager, phone):
    upload = check_product_file(
        csv_upload(
            [
                HEADER,
                ["PH-1", "", "", "", "150", ""],
                ["A-1", "First", "", "New category", "1", ""],
                ["A-2", "Second", "", "", "2", ""],
            ]
        ),
        by=manager,
    )
    assert summarise(upload)["can_apply"]
    ProductFactory(sku="A-2", name="Added meanwhile", barcode="")

    with pytest.raises(ValidationError) as refused:
        apply_product_import(upload, by=manager)

    assert "Row 4: SKU 'A-2' was added by someone else since the preview." in (
        refused.value.messages
    )
    assert not Product.objects.filter(sku="A-1").exists()
    assert not Category.objects.filter(name="New category").exists()
    phone.refresh_from_db()
    assert phone.sale_price == Decimal("199.00")
    upload.refresh_from_db()
    assert upload.applied_at is None


def test_a_product_changed_since_the_preview_stops_the_import(manager, phone):
    upload = check_product_file(
        csv_upload(
            [HEADER, ["PH-1", "", "", "", "150", ""], ["B-1", "B", "", "", "1", ""]]
        ),
        by=manager,
    )
    services.update_product(phone, by=manager, sale_price=Decimal("175.00"))

    with pytest.raises(ValidationError, match="changed by someone else"):
        apply_product_import(upload, by=manager)
    assert not Product.objects.filter(sku="B-1").exists()
    assert Product.objects.get(sku="PH-1").sale_price == Decimal("175.00")


def test_a_barcode_taken_since_the_preview_stops_the_import(manager, phone):
    upload = check_product_file(
        csv_upload([HEADER, ["C-1", "C", "7777", "", "1", ""]]), by=manager
    )
    services.update_product(phone, by=manager, barcode="7777")

    with pytest.raises(ValidationError, match="already belongs to Phone"):
        apply_product_import(upload, by=manager)
    assert not Product.objects.filter(sku="C-1").exists()


def test_applying_an_import_twice_is_refused(manager, standard):
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["T-1", "Twice", "3"]]), by=manager
    )
    assert apply_product_import(upload, by=manager) == (1, 0)
    assert upload.applied_at is not None

    with pytest.raises(ValidationError, match="already been applied"):
        apply_product_import(ProductImport.objects.get(pk=upload.pk), by=manager)
    assert Product.objects.filter(sku="T-1").count() == 1
    assert not summarise(upload)["can_apply"]


def test_only_the_uploader_can_apply_an_import(manager, owner, standard):
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["O-1", "Other", "3"]]), by=manager
    )

    with pytest.raises(ValidationError, match="Only the person who uploaded"):
        apply_product_import(upload, by=owner)
    assert not Product.objects.filter(sku="O-1").exists()


def test_an_update_only_file_without_name_column_cannot_add_products(manager, phone):
    upload = check_product_file(
        csv_upload([["SKU", "Sale price"], ["PH-1", "180"], ["NEW-9", "5"]]), by=manager
    )

    preview = summarise(upload)
    assert any("no Name column" in notice for notice in preview["notices"])
    assert row_errors(upload) == ["Row 3: a new product needs a name."]


def test_a_tax_rate_can_be_given_by_name_or_percent(manager, phone, reduced):
    upload = check_product_file(
        csv_upload(
            [
                ["SKU", "Name", "Sale price", "Tax rate"],
                ["PH-1", "", "", "reduced"],
                ["X-1", "A", "1", "5 %"],
                ["X-2", "B", "1", "Standard (20%)"],
            ]
        ),
        by=manager,
    )

    assert row_errors(upload) == []
    assert apply_product_import(upload, by=manager) == (2, 1)
    assert Product.objects.get(sku="PH-1").tax_rate == reduced
    assert Product.objects.get(sku="X-1").tax_rate == reduced
    assert Product.objects.get(sku="X-2").tax_rate.name == "Standard"


def test_existing_categories_and_suppliers_match_whatever_the_case(manager, phone):
    category = CategoryFactory(name="Audio")
    supplier = SupplierFactory(name="Acme Ltd")
    upload = check_product_file(
        csv_upload(
            [
                ["SKU", "Category", "Supplier"],
                ["PH-1", "AUDIO", "acme ltd"],
            ]
        ),
        by=manager,
    )

    assert not any("New " in notice for notice in summarise(upload)["notices"])
    apply_product_import(upload, by=manager)
    phone.refresh_from_db()
    assert (phone.category, phone.supplier) == (category, supplier)
    assert Category.objects.filter(name__iexact="audio").count() == 1


# Access and the pages.


def test_a_user_may_not_open_the_upload_page(cashier_client):
    response = cashier_client.get(reverse("inventory:product_import"))

    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("inventory:product_import"))

    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


def test_the_upload_page_explains_the_columns_and_links_to_the_export(manager_client):
    page = manager_client.get(reverse("inventory:product_import")).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert reverse("inventory:product_export") in page
    assert "Sale price" in page


def test_an_admin_uploads_previews_and_applies_a_file_through_the_pages(
    manager_client, standard
):
    upload = xlsx_upload(
        [["SKU", "Name", "Sale price"], ["W-1", "Widget", 2.5], ["W-2", "Gadget", "3"]]
    )
    response = manager_client.post(
        reverse("inventory:product_import"), {"file": upload}, follow=True
    )
    assert response.status_code == 200
    assert b"Apply the import" in response.content
    assert b"2 new" in response.content
    preview_url = response.redirect_chain[-1][0]

    response = manager_client.post(preview_url, follow=True)

    assert response.redirect_chain[-1][0] == reverse("inventory:product_list")
    assert Product.objects.get(sku="W-1").sale_price == Decimal("2.50")
    assert Product.objects.get(sku="W-2").name == "Gadget"
    assert ProductImport.objects.get().applied_at is not None
    page = manager_client.get(preview_url).content.decode()
    assert "This import was applied" in page
    assert "Apply the import" not in page


def test_a_preview_with_errors_has_no_apply_button(manager_client, manager, standard):
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["E-1", "Err", "x"]]), by=manager
    )

    page = manager_client.get(upload.get_absolute_url()).content.decode()

    assert "Apply the import" not in page
    assert "Fix the file and upload it again" in page
    assert "Row 2: sale price &#x27;x&#x27; is not a number." in page


def test_posting_apply_for_a_file_with_errors_shows_the_refusal(
    manager_client, manager, standard
):
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["E-1", "Err", "x"]]), by=manager
    )

    response = manager_client.post(upload.get_absolute_url())

    assert response.status_code == 200
    assert "This file has errors" in response.content.decode()
    assert not Product.objects.exists()


def test_another_admin_cannot_apply_someone_elses_import_through_the_page(
    owner_client, manager, standard
):
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["P-1", "Mine", "1"]]), by=manager
    )

    response = owner_client.post(upload.get_absolute_url())

    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "Only the person who uploaded" in response.content.decode()
    assert not Product.objects.exists()
    upload.refresh_from_db()
    assert upload.applied_at is None


def test_an_exported_name_that_looks_like_a_formula_stays_text(manager_client):
    ProductFactory(name='=HYPERLINK("http://example.com","click")', sku="F-1")
    response = manager_client.get(reverse("inventory:product_export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("http://example.com","click")']
    assert sheet["B2"].data_type == "s"


FORMULAS = ['=HYPERLINK("http://evil.example/c","x")', "+1+2", "-2+3", "@SUM(1,2)"]


@pytest.fixture
def formula_products():
    category = CategoryFactory(name="-Cables")
    return [
        ProductFactory(
            name=formula,
            sku=f"-F{index}",
            barcode=f"+{index}",
            description=f"\t{formula}",
            category=category,
            reorder_level=3,
        )
        for index, formula in enumerate(FORMULAS)
    ]


def test_no_cell_of_the_product_export_is_a_formula(manager_client, formula_products):
    sheet = exported_workbook(manager_client).active
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    header = [cell.value for cell in sheet[1]]
    for label in ("Sale price", "Cost price", "Reorder level"):
        values = [row[header.index(label)].value for row in rows]
        assert all(isinstance(value, int | float) for value in values), label
    names = {row[header.index("Name")].value for row in rows}
    assert names == {"'" + formula for formula in FORMULAS}


@pytest.mark.parametrize("as_csv", [False, True])
def test_a_product_export_with_formula_like_names_imports_back_unchanged(
    manager_client, manager, formula_products, as_csv
):
    if as_csv:
        rows = exported_rows(manager_client)
        cells = [["" if value is None else value for value in row] for row in rows]
        upload = csv_upload(cells)
    else:
        upload = SimpleUploadedFile(
            "products.xlsx", xlsx_bytes(exported_workbook(manager_client))
        )
    preview = summarise(check_product_file(upload, by=manager))
    assert (preview["creates"], preview["updates"], preview["unchanged"]) == (
        0,
        0,
        len(FORMULAS),
    )


def test_only_the_uploader_is_offered_the_apply_button(manager_client, owner, manager):
    upload = check_product_file(
        csv_upload([["SKU", "Name", "Sale price"], ["N-1", "New", "5.00"]]), by=owner
    )
    page = manager_client.get(upload.get_absolute_url()).content.decode()
    assert "Apply the import" not in page
    assert "only they can apply it" in page
