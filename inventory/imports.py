"""Importing and updating products from CSV or Excel files.

A file is checked first (`check_product_file`): every row's errors are listed in
a preview and nothing is written. Applying (`apply_product_import`) writes the
whole file in one transaction, or nothing.

`ProductImport.rows` holds one entry per product row of the file: its line
number, action ("create", "update" or "unchanged"), the normalised values as
strings, the changes of an update ({field: [old, new]}), errors and notes. Its
`columns` and `notices` describe the file as a whole (ignored columns, say).
"""

import csv
import datetime
import io
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import TaxRate
from pos_project.money import CENT
from pos_project.spreadsheets import restore_text

from .exports import COLUMNS
from .models import MAX_REORDER_LEVEL, Category, Product, ProductImport, Supplier
from .services import create_product, update_product

MAX_ROWS = 20_000
SHOWN_ROWS = 500
SHOWN_PROBLEMS = 20
# An .xlsx is a zip: a few MB can unpack to gigabytes of XML. 20,000 rows of
# these columns take well under this.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MONEY_LIMIT = Decimal(10) ** 10  # max_digits=12 with 2 decimal places

LABELS = {key: label for key, label, _width in COLUMNS}
IGNORED_COLUMNS = {"on_hand"}
IMPORTED = [key for key, _label, _width in COLUMNS if key not in IGNORED_COLUMNS]
TEXT_FIELDS = ("sku", "name", "barcode", "description")
MONEY_FIELDS = ("sale_price", "cost_price")
BOOLEAN_FIELDS = ("tracks_stock", "active")
NAMED_FIELDS = {"category": Category, "supplier": Supplier}
MAX_LENGTHS = {
    **{name: Product._meta.get_field(name).max_length for name in TEXT_FIELDS},
    **{
        key: model._meta.get_field("name").max_length
        for key, model in NAMED_FIELDS.items()
    },
}
TRUE_WORDS = {"yes", "true", "1"}
FALSE_WORDS = {"no", "false", "0"}
ACTION_LABELS = {"create": "New", "update": "Update", "unchanged": "No change"}


def _normal_header(text):
    return " ".join(str(text).replace("_", " ").split()).lower()


HEADER_KEYS = {
    **{_normal_header(key): key for key in LABELS},
    **{_normal_header(label): key for key, label in LABELS.items()},
}


# Reading the file: [(line number, [cell text])] for the rows that are not blank.


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # A code such as a barcode typed into a number cell.
        return str(int(value))
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    # The export put a quote before a name beginning like a formula.
    return restore_text(str(value).replace("\x00", "")).strip()


def _keep(rows, line, cells):
    """Add a row unless it is blank; False once there are too many to read on."""
    if any(cells):
        rows.append((line, cells))
    # The header plus one row too many is enough to refuse the file.
    return len(rows) <= MAX_ROWS + 1


def _read_csv(upload):
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text. In Excel choose Save as > CSV UTF-8, "
            "or upload the .xlsx workbook."
        ) from None
    if "\x00" in text:
        # A binary file renamed .csv; PostgreSQL cannot store NUL in text either.
        raise ValidationError(
            "The file contains NUL characters: it is not a CSV text file."
        )
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # Header labels hold neither character, so the header shows the delimiter
    # (Excel writes ";" where the decimal separator is a comma).
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for line, cells in enumerate(reader, start=1):
            # The export put a quote before a name beginning like a formula.
            cells = [restore_text(cell).strip() for cell in cells]
            if not _keep(rows, line, cells):
                break
    except csv.Error as exc:
        raise ValidationError(f"The CSV file cannot be read ({exc}).") from exc
    return rows


def _read_xlsx(upload):
    not_a_workbook = ValidationError(
        "The file is not a readable Excel .xlsx workbook. Open it in Excel and "
        "save it again as .xlsx, or upload a CSV file."
    )
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise not_a_workbook from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError("The workbook is too large once unpacked; split it.")
    upload.seek(0)
    rows = []
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl raises all sorts on a damaged file (KeyError, XML errors...).
        raise not_a_workbook from exc
    try:
        if not workbook.worksheets:
            raise ValidationError("The workbook has no worksheet.")
        sheet = workbook.worksheets[0]
        # Some programs write a wrong used range; read what is really there.
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not _keep(rows, line, [_cell_text(value) for value in values]):
                break
    except ValidationError:
        raise
    except Exception as exc:
        raise not_a_workbook from exc
    finally:
        workbook.close()
    return rows


def _read_rows(upload):
    name = upload.name.lower()
    upload.seek(0)
    if name.endswith(".csv"):
        return _read_csv(upload)
    if name.endswith(".xlsx"):
        return _read_xlsx(upload)
    raise ValidationError("Upload a .csv or .xlsx file.")


def _read_header(cells):
    """{cell index: field key} and notices about the other columns."""
    columns, ignored = {}, []
    for index, text in enumerate(cells):
        if not text:
            continue
        key = HEADER_KEYS.get(_normal_header(text))
        if key is None:
            ignored.append(text)
        elif key in columns.values():
            raise ValidationError(f"The column {LABELS[key]} appears twice.")
        else:
            columns[index] = key
    if "sku" not in columns.values():
        raise ValidationError(
            "The first row has no SKU column. It must hold the column names "
            f"({', '.join(LABELS[key] for key in IMPORTED)}): export the products "
            "to get a file with the right columns."
        )
    notices = []
    if ignored:
        notices.append(f"Ignored unknown columns: {', '.join(ignored)}.")
    if "on_hand" in columns.values():
        notices.append(
            "The On hand column is ignored: stock only changes through stock moves "
            "(receive, adjust or count stock)."
        )
    for key in ("name", "sale_price"):
        if key not in columns.values():
            notices.append(
                f"There is no {LABELS[key]} column, so new products cannot be added: "
                "only existing ones are updated."
            )
    return {index: key for index, key in columns.items() if key in IMPORTED}, notices


# Checking rows against the database.


class _Problem(Exception):
    """A value that cannot be used; the message follows "Row N: "."""


def _quote(text):
    text = str(text)
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def _money(key, text):
    label = LABELS[key].lower()
    candidate = text
    if candidate.count(",") == 1 and "." not in candidate:
        candidate = candidate.replace(",", ".")  # a decimal comma
    try:
        value = Decimal(candidate)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _Problem(f"{label} {_quote(text)} is not a number.")
    if value < 0:
        raise _Problem(f"{label} {_quote(text)} is below zero.")
    if value >= MONEY_LIMIT:
        raise _Problem(f"{label} {_quote(text)} is too large.")
    if value != value.quantize(CENT):
        raise _Problem(f"{label} {_quote(text)} has more than 2 decimals.")
    return abs(value.quantize(CENT))


def _boolean(key, text):
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Problem(f"{LABELS[key].lower()} {_quote(text)} is not yes or no.")


def _whole_number(key, text):
    label = LABELS[key].lower()
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.to_integral_value():
        raise _Problem(f"{label} {_quote(text)} is not a whole number.")
    if value < 0:
        raise _Problem(f"{label} {_quote(text)} is below zero.")
    if value > MAX_REORDER_LEVEL:
        raise _Problem(f"{label} {_quote(text)} is above {MAX_REORDER_LEVEL:,}.")
    return int(value)


def _as_text(value):
    """How a value is stored in the import and shown in the preview."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Category | Supplier | TaxRate):
        return value.name
    return str(value)


def _chunks(items, size=500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Catalogue:
    """What the rows are checked against: a few queries, however many rows."""

    def __init__(self, inputs):
        # SKUs match case-insensitively; Python folds case the same way on every
        # database (SQLite's LOWER() only knows ASCII).
        self.skus = defaultdict(list)
        self.barcodes = {}
        wanted = {
            values["sku"].lower() for _line, values in inputs if values.get("sku")
        }
        matched = set()
        everything = Product.objects.order_by().values_list(
            "pk", "sku", "barcode", "name"
        )
        for pk, sku, barcode, name in everything:
            if barcode:
                self.barcodes[barcode] = (pk, sku, name)
            if sku.lower() in wanted:
                self.skus[sku.lower()].append(sku)
                matched.add(pk)
        self.products = {}
        for chunk in _chunks(matched):
            for product in Product.objects.for_lists().filter(pk__in=chunk):
                self.products[product.sku] = product
        self.named = {}
        for key, model in NAMED_FIELDS.items():
            self.named[key] = {"exact": {}, "folded": {}, "new": {}}
            for instance in model.objects.all():
                self.named[key]["exact"][instance.name] = instance
                self.named[key]["folded"].setdefault(instance.name.lower(), instance)
        self.tax_rates = list(TaxRate.objects.all())
        self.default_tax_rate = next((t for t in self.tax_rates if t.is_default), None)

    def product(self, sku):
        """The product with this SKU (exact case first), or None."""
        if sku in self.products:
            return self.products[sku]
        found = self.skus.get(sku.lower(), [])
        if len(found) > 1:
            raise _Problem(
                f"SKU {_quote(sku)} matches several products ({', '.join(found)}); "
                "use the exact SKU."
            )
        return self.products[found[0]] if found else None

    def named_instance(self, key, text):
        """An existing category or supplier, else its name to create on apply."""
        known = self.named[key]
        instance = known["exact"].get(text) or known["folded"].get(text.lower())
        if instance is not None:
            return instance
        return known["new"].setdefault(text.lower(), text)

    def tax_rate(self, text):
        folded = text.lower()
        for rate in self.tax_rates:
            if folded in (rate.name.lower(), str(rate).lower()):
                return rate
        try:
            percent = Decimal(text.removesuffix("%").strip().replace(",", "."))
        except InvalidOperation:
            percent = None
        if percent is not None and percent.is_finite():
            matches = [r for r in self.tax_rates if r.rate == percent and r.active]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                names = ", ".join(rate.name for rate in matches)
                raise _Problem(
                    f"tax rate {_quote(text)} matches several tax rates ({names}); "
                    "use the name."
                )
        known = ", ".join(str(rate) for rate in self.tax_rates if rate.active)
        raise _Problem(
            f"tax rate {_quote(text)} is unknown; use the name or percent of one of: "
            f"{known or 'none (add tax rates first)'}."
        )


@dataclass
class _Row:
    line: int
    values: dict
    action: str = "create"
    product: Product | None = None
    typed: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def error(self, message):
        self.errors.append(f"Row {self.line}: {message}")

    @property
    def sku(self):
        return self.values.get("sku", "")

    @property
    def name(self):
        return self.values.get("name") or (self.product.name if self.product else "")

    def as_json(self):
        return {
            "line": self.line,
            "action": self.action,
            "sku": self.sku,
            "name": self.name,
            "values": self.values,
            "changes": self.changes,
            "errors": self.errors,
            "notes": self.notes,
        }


def _check_rows(inputs):
    """[_Row] for [(line, {field: text})]: normalised, compared and checked."""
    catalogue = _Catalogue(inputs)
    first_line_of = {"sku": {}, "barcode": {}}
    return [_check_row(line, given, catalogue, first_line_of) for line, given in inputs]


def _check_row(line, given, catalogue, first_line_of):
    row = _Row(line=line, values={})
    sku = given.get("sku", "")
    if not sku:
        row.error("the SKU is empty.")
    else:
        try:
            row.product = catalogue.product(sku)
        except _Problem as problem:
            row.error(str(problem))
        earlier = first_line_of["sku"].setdefault(sku.lower(), line)
        if earlier != line:
            row.error(f"SKU {_quote(sku)} is also on row {earlier}.")
    row.action = "update" if row.product else "create"
    for key in IMPORTED:
        text = given.get(key, "")
        if not text:
            continue
        try:
            row.typed[key] = _typed(key, text, catalogue, row)
        except _Problem as problem:
            row.error(str(problem))
            row.values[key] = text
        else:
            row.values[key] = _as_text(row.typed[key])
    if row.action == "create":
        _complete_new_product(row, catalogue)
    else:
        _compare(row)
    _check_barcode(row, catalogue, first_line_of)
    return row


def _typed(key, text, catalogue, row):
    limit = MAX_LENGTHS.get(key)
    if limit and len(text) > limit:
        raise _Problem(
            f"the {LABELS[key].lower()} is {len(text)} characters long; "
            f"at most {limit} are allowed."
        )
    if key in MONEY_FIELDS:
        return _money(key, text)
    if key in BOOLEAN_FIELDS:
        return _boolean(key, text)
    if key == "reorder_level":
        return _whole_number(key, text)
    if key == "tax_rate":
        return catalogue.tax_rate(text)
    if key in NAMED_FIELDS:
        instance = catalogue.named_instance(key, text)
        if isinstance(instance, str):
            row.notes.append(f"New {key} {_quote(instance)} will be created.")
        return instance
    return text


def _complete_new_product(row, catalogue):
    if "name" not in row.values:
        row.error("a new product needs a name.")
    if "sale_price" not in row.values:
        row.error("a new product needs a sale price.")
    if "tax_rate" not in row.values:
        if catalogue.default_tax_rate is None:
            row.error("there is no default tax rate; fill in the tax rate.")
        else:
            row.typed["tax_rate"] = catalogue.default_tax_rate
            row.values["tax_rate"] = catalogue.default_tax_rate.name
            row.notes.append("Default tax rate.")
    for key in ("supplier", "tax_rate"):
        instance = row.typed.get(key)
        if getattr(instance, "active", True) is False:
            row.error(f"{LABELS[key].lower()} {_quote(instance.name)} is not in use.")


def _compare(row):
    """The changes an update makes; blank cells leave a field as it is."""
    product = row.product
    for key, new in row.values.items():
        if key == "sku" or key not in row.typed:
            continue
        old = _as_text(getattr(product, key))
        if key in TEXT_FIELDS:
            old = old.strip()
        if old != new:
            row.changes[key] = [old, new]
    for key in ("supplier", "tax_rate"):
        instance = row.typed.get(key)
        if key in row.changes and getattr(instance, "active", True) is False:
            row.error(f"{LABELS[key].lower()} {_quote(instance.name)} is not in use.")
    if (
        row.typed.get("tracks_stock") is False
        and product.tracks_stock
        and product.on_hand
    ):
        row.error(
            f"{product.name} has {product.on_hand} in stock; count it down to zero "
            "before it stops tracking stock."
        )
    if not row.changes:
        row.action = "unchanged"


def _check_barcode(row, catalogue, first_line_of):
    barcode = row.typed.get("barcode")
    if not barcode:
        return
    earlier = first_line_of["barcode"].setdefault(barcode, row.line)
    if earlier != row.line:
        row.error(f"barcode {_quote(barcode)} is also on row {earlier}.")
    owner = catalogue.barcodes.get(barcode)
    if owner and (row.product is None or owner[0] != row.product.pk):
        _pk, sku, name = owner
        row.error(f"barcode {_quote(barcode)} already belongs to {name} (SKU {sku}).")


# The services.


def check_product_file(upload, *, by):
    """Parse and check an uploaded file; store the rows as a ProductImport."""
    rows = _read_rows(upload)
    if not rows:
        raise ValidationError("The file is empty.")
    _header_line, header = rows[0]
    columns, notices = _read_header(header)
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError(
            f"The file has more than {MAX_ROWS:,} product rows; split it into "
            "smaller files."
        )
    inputs = []
    for line, cells in rows[1:]:
        given = {
            key: cells[index]
            for index, key in columns.items()
            if index < len(cells) and cells[index]
        }
        if given:
            inputs.append((line, given))
    if not inputs:
        raise ValidationError("The file has a header row but no products below it.")
    checked = _check_rows(inputs)
    return ProductImport.objects.create(
        filename=upload.name.rsplit("/", 1)[-1][:255],
        columns=[LABELS[key] for key in columns.values()],
        notices=notices,
        rows=[row.as_json() for row in checked],
        created_by=by,
    )


def _display(row):
    changes = [
        {"label": LABELS[key], "old": old, "new": new}
        for key, (old, new) in row["changes"].items()
    ]
    details = []
    if row["action"] == "create":
        details = [
            {"label": LABELS[key], "value": row["values"][key]}
            for key in IMPORTED
            if key not in ("sku", "name") and row["values"].get(key)
        ]
    return {
        "line": row["line"],
        "action": row["action"],
        "action_label": ACTION_LABELS[row["action"]],
        "sku": row["sku"],
        "name": row["name"],
        "changes": changes,
        "details": details,
        "errors": row["errors"],
        "notes": row["notes"],
    }


def summarise(upload):
    """What the preview shows for a ProductImport."""
    rows = upload.rows
    actions = Counter(row["action"] for row in rows)
    with_errors = sum(1 for row in rows if row["errors"])
    notices = list(upload.notices)
    for key in NAMED_FIELDS:
        new = {
            row["values"][key]
            for row in rows
            if any(note.startswith(f"New {key} ") for note in row["notes"])
        }
        if new:
            plural = "categories" if key == "category" else "suppliers"
            notices.append(f"New {plural} to create: {', '.join(sorted(new))}.")
    hidden_errors = [message for row in rows[SHOWN_ROWS:] for message in row["errors"]]
    return {
        "total": len(rows),
        "creates": actions["create"],
        "updates": actions["update"],
        "unchanged": actions["unchanged"],
        "with_errors": with_errors,
        "rows": [_display(row) for row in rows[:SHOWN_ROWS]],
        "rows_note": (
            f"Showing the first {SHOWN_ROWS:,} of {len(rows):,} rows."
            if len(rows) > SHOWN_ROWS
            else ""
        ),
        "hidden_errors": hidden_errors[:SHOWN_ROWS],
        "notices": notices,
        "applied": upload.applied_at is not None,
        "can_apply": not with_errors and upload.applied_at is None,
    }


def _drift(before, now):
    """Why a row checked at preview time would now do something else, if it would."""
    where = f"Row {now.line}: SKU {_quote(now.sku)}"
    if before["action"] == "create" and now.action != "create":
        return [f"{where} was added by someone else since the preview."]
    if before["action"] != "create" and now.action == "create":
        return [f"{where} no longer exists."]
    if before["changes"] != now.changes:
        return [f"{where} was changed by someone else since the preview."]
    return []


def _refuse(problems):
    shown = problems[:SHOWN_PROBLEMS]
    if len(problems) > SHOWN_PROBLEMS:
        shown.append(f"… and {len(problems) - SHOWN_PROBLEMS} more problems.")
    shown.append("Nothing was imported: upload the file again to see a new preview.")
    raise ValidationError(shown)


def _create_named(key, rows, by):
    """The categories or suppliers the rows name that do not exist yet."""
    model = NAMED_FIELDS[key]
    created = {}
    for row in rows:
        name = row.typed.get(key)
        if isinstance(name, str) and name.lower() not in created:
            instance = model(name=name)
            instance.full_clean()
            instance._history_user = by
            instance.save()
            created[name.lower()] = instance
    for row in rows:
        if isinstance(row.typed.get(key), str):
            row.typed[key] = created[row.typed[key].lower()]


@transaction.atomic
def apply_product_import(upload, *, by):
    """Create and update the products of a checked import, all or nothing."""
    # The lock makes a second click on Apply wait, then see applied_at set.
    locked = ProductImport.objects.select_for_update().get(pk=upload.pk)
    if locked.created_by_id != by.pk:
        raise ValidationError("Only the person who uploaded this file can apply it.")
    if locked.applied_at is not None:
        raise ValidationError("This import has already been applied.")
    stored = locked.rows
    if any(row["errors"] for row in stored):
        raise ValidationError("This file has errors: fix them and upload it again.")
    # The database may have changed since the preview: check every row again.
    rows = _check_rows([(row["line"], row["values"]) for row in stored])
    problems = []
    for before, now in zip(stored, rows, strict=True):
        problems += now.errors or _drift(before, now)
    if problems:
        _refuse(problems)
    for key in NAMED_FIELDS:
        _create_named(key, rows, by)
    created = updated = 0
    for row in rows:
        try:
            if row.action == "create":
                fields = {key: row.typed[key] for key in row.typed}
                create_product(by=by, **fields)
                created += 1
            elif row.action == "update":
                fields = {key: row.typed[key] for key in row.changes}
                update_product(row.product, by=by, **fields)
                updated += 1
        except ValidationError as exc:
            _refuse([f"Row {row.line}: {message}" for message in exc.messages])
        except IntegrityError:
            _refuse([f"Row {row.line}: another change to SKU {row.sku} got in first."])
    locked.applied_at = timezone.now()
    locked.save(update_fields=["applied_at"])
    upload.applied_at = locked.applied_at
    return created, updated
