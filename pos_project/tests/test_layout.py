"""Rules about where code goes, read from the source files."""

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "tests", "migrations", "node_modules", "static", "bench"}

# Names that open a transaction or take a lock: only services do that.
TRANSACTION_NAMES = {"transaction", "atomic", "select_for_update"}


# A module's own copy of a money constant (ZERO, CENT, a money column's shape).
MONEY_CONSTANT = re.compile(
    r'^[A-Z_]+ = (Decimal\("0\.0[01]"\)|\{"max_digits": 12, "decimal_places": 2\})',
    re.MULTILINE,
)


def project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if not (SKIPPED & set(parts) or any(part.startswith(".") for part in parts)):
            yield path


def view_and_api_modules():
    """Every `views.py` and `api.py`, and every module of a `views/` or `api/`
    package, of the project's apps."""
    for path in project_modules():
        parts = path.relative_to(ROOT).parts
        if path.name in ("views.py", "api.py") or {"views", "api"} & set(parts[:-1]):
            yield path


def names_in_code(path):
    """The names a module's code uses (not its comments or strings)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return {token.string for token in tokens if token.type == tokenize.NAME}


def test_the_view_and_api_modules_are_found():
    found = {str(path.relative_to(ROOT)) for path in view_and_api_modules()}
    assert {
        "sales/views/till.py",
        "invoices/api.py",
        "repairs/api/views.py",
        "repairs/views.py",
        "pos_project/api.py",
    } <= found


def test_no_view_or_api_module_opens_a_transaction_or_takes_a_lock():
    """Views and API modules translate; services decide, each in one
    transaction, taking the locks they need (docs/development.md)."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(names_in_code(path) & TRANSACTION_NAMES)
        for path in view_and_api_modules()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_money_constants_have_one_home():
    """ZERO, CENT and MONEY (a money column's digits) live in pos_project.money."""
    copies = [
        str(path.relative_to(ROOT))
        for path in project_modules()
        if MONEY_CONSTANT.search(path.read_text())
    ]
    assert copies == ["pos_project/money.py"]
