"""Fixtures for the whole suite: fast hashing and a signed-in client per role."""

import faulthandler
import importlib
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db import connection
from django.db.models.signals import post_migrate

from accounts.models import Role
from accounts.tests.factories import PASSWORD, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
HAVE_BROWSER = bool(shutil.which(CHROMIUM))
ARTIFACTS = Path(__file__).parent / "test-artifacts"
VIEWPORTS = {
    "till": {"width": 1366, "height": 768},
    "tablet": {"width": 820, "height": 1180},
    "phone": {"width": 390, "height": 844},
}
# The time limit of tests marked slow or browser (the others': pytest.ini).
LONG_TIMEOUT = 300


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    for item in items:
        if (
            "slow" in item.keywords or "browser" in item.keywords
        ) and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(LONG_TIMEOUT))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if "browser" in item.keywords and not HAVE_BROWSER and not REQUIRE_BROWSER:
            item.add_marker(
                pytest.mark.skip(reason=f"browser tests need {CHROMIUM} (not found)")
            )


def pytest_terminal_summary(terminalreporter):
    if not HAVE_BROWSER and not REQUIRE_BROWSER:
        terminalreporter.write_sep(
            "!",
            f"BROWSER TESTS SKIPPED: {CHROMIUM} not found. Install it with "
            "`sudo apt-get install chromium libatomic1` "
            "(with REQUIRE_BROWSER=1 they fail instead).",
            red=True,
            bold=True,
        )


# -- Time limits ---------------------------------------------------------------

# A test that outlives its limit (pytest-timeout) fails with every thread's
# stack. A deadlock that holds the GIL stops every Python thread, the
# timeout's too: then faulthandler's watchdog, which needs no GIL, ends the
# process with the stacks this much later.
HANG_GRACE_SECONDS = 10
_terminal = {}


def pytest_configure(config):
    # Output is not captured at this point: this is the terminal's stderr.
    _terminal["stderr"] = os.dup(2)


def _time_limit(item):
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        limit = marker.args[0] if marker.args else marker.kwargs.get("timeout")
    else:
        limit = item.config.getoption("timeout") or item.config.getini("timeout")
    return float(limit or 0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    limit = _time_limit(item)
    if limit > 0:
        faulthandler.dump_traceback_later(
            limit + HANG_GRACE_SECONDS, exit=True, file=_terminal["stderr"]
        )
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


# -- The test database ---------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, tmp_path_factory
):
    """On SQLite, a new database file per run (and per xdist worker).

    Not one in memory: a live server's request threads would then all share the
    test's one connection (Django hands it to them, having no other way to
    reach an in-memory database), and a query calling one of Django's SQL
    functions written in Python deadlocks with another thread reading from the
    same connection: the first holds the connection's mutex and waits for the
    GIL, the second holds the GIL and waits for the mutex, and the whole
    process stops (pos_project/tests/test_live_server.py). With a file, each
    thread has a connection of its own, as under `manage.py runserver`, and
    writers queue on the writer lock as they do there.
    """
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "pos_project.sqlite":
        return
    folder = tmp_path_factory.mktemp("database")
    database["TEST"] = {
        **database.get("TEST", {}),
        "NAME": str(folder / "test.sqlite3"),
    }
    # A database thrown away after the run need not survive a power cut.
    database["OPTIONS"] = {
        **database["OPTIONS"],
        "init_command": database["OPTIONS"]["init_command"] + "PRAGMA synchronous=OFF;",
    }


# Every test client loads the middleware afresh, and WhiteNoise, which serves
# static/ through the finders in tests, would list and stat every static file
# of every app for each client (about 20 ms of CPU, a tenth of the suite).
# With autorefresh it looks a file up only when one is asked for.
django_settings.WHITENOISE_AUTOREFRESH = True


# What data migrations put in a new database: (migration module, function).
DATA_MIGRATIONS = [
    ("accounts.migrations.0003_default_tax_rate", "create_default_rate"),
    ("repairs.migrations.0002_default_messages", "add_messages"),
]


def _rows_from_data_migrations(sender, **kwargs):
    """A transactional test ends by emptying every table (Django's flush), data
    migrations' rows too (the default tax rate, the repair emails). The flush
    ends with the post_migrate signal, as a migration does: the rows come back
    here, once, for whatever test comes next, instead of being checked for
    before every test."""
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(
            kwargs.get("apps") or django_apps, None
        )


post_migrate.connect(
    _rows_from_data_migrations,
    sender=django_apps.get_app_config("repairs"),
    dispatch_uid="conftest.rows_from_data_migrations",
)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def cashier(db):
    return UserFactory(username="cashier", first_name="Chloe", role=Role.USER)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="Marcus", role=Role.ADMIN)


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", first_name="Olivia", role=Role.SUPER_ADMIN)


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def cashier_client(cashier, client_class):
    return _client_for(client_class, cashier)


@pytest.fixture
def manager_client(manager, client_class):
    return _client_for(client_class, manager)


@pytest.fixture
def owner_client(owner, client_class):
    return _client_for(client_class, owner)


@pytest.fixture
def client_class():
    from django.test import Client

    return Client


@pytest.fixture
def api_client(db):
    """api_client(user): a REST API client sending a fresh token of `user`
    (none: anonymous). Throttle counts start from zero."""
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from accounts.services import create_api_token

    cache.clear()

    def make(user=None):
        client = APIClient()
        if user is not None:
            _token, key = create_api_token(user, by=user, name="Tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def race():
    """race(threads, work): run work(i) in threads released at the same instant.

    Returns each thread's result or the exception it raised. For concurrency
    tests on PostgreSQL (with transaction=True, so threads see each other).
    """

    def run_race(threads, work):
        barrier = threading.Barrier(threads)
        results = [None] * threads

        def run(i):
            try:
                barrier.wait()
                results[i] = work(i)
            except Exception as exc:  # noqa: BLE001 (the outcome is what is tested)
                results[i] = exc
            finally:
                connection.close()

        workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        return results

    return run_race


# Browser tests: Debian's Chromium, never a downloaded browser.


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def artifacts():
    """A folder for screenshots that people look at (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def open_page(browser):
    """open_page(viewport): a page in a fresh context, closed after the test."""
    contexts = []

    def open_(viewport="till"):
        context = browser.new_context(viewport=VIEWPORTS[viewport])
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


# Every browser test fails on a Content-Security-Policy violation, a console
# error, an uncaught exception or a request for anything outside this machine
# (such requests fail, as in a shop whose internet is down). A test that
# provokes an error on purpose says so: browser_errors.allow(r"status of 409").

OUTSIDE = re.compile(r"^(?:https?|wss?)://(?!(?:127\.0\.0\.1|localhost|\[::1\])[:/])")
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.disposition} ${event.effectiveDirective} refused ` +
    `${event.blockedURI || "inline"} in ${event.sourceFile || event.documentURI}` +
    `:${event.lineNumber} ${event.sample}`
  );
}, true);
"""


class BrowserErrors:
    def __init__(self):
        self.problems = []
        self.allowed = []

    def allow(self, pattern):
        """Console errors and outside requests matching `pattern` (a regular
        expression) are expected."""
        self.allowed.append(re.compile(pattern))

    def _allowed(self, text):
        return any(pattern.search(text) for pattern in self.allowed)

    def watch(self, context):
        def console(message):
            if message.type == "error" and not self._allowed(message.text):
                self.problems.append(f"console error: {message.text}")

        def uncaught(error):
            self.problems.append(f"uncaught: {error}")

        def watch_page(page):
            page.on("console", console)
            page.on("pageerror", uncaught)

        def outside(request):
            if OUTSIDE.match(request.url) and not self._allowed(request.url):
                self.problems.append(f"request outside: {request.url}")

        context.expose_function(
            "__cspViolation", lambda text: self.problems.append(f"CSP: {text}")
        )
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("page", watch_page)
        context.on("request", outside)
        context.route(OUTSIDE, lambda route: route.abort("internetdisconnected"))
        return context


@pytest.fixture(autouse=True)
def browser_errors(request, monkeypatch):
    """Watches every browser context a test opens; fails the test on problems."""
    errors = BrowserErrors()
    if request.node.get_closest_marker("browser") is None:
        yield errors
        return
    browser = request.getfixturevalue("browser")
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        return errors.watch(new_context(*args, **kwargs))

    def watched_page(*args, **kwargs):
        return watched_context(*args, **kwargs).new_page()

    monkeypatch.setattr(browser, "new_context", watched_context)
    monkeypatch.setattr(browser, "new_page", watched_page)
    yield errors
    for context in browser.contexts:
        context.close()
    assert not errors.problems, "\n".join(errors.problems)
