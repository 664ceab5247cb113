"""The SQLite backend (pos_project/sqlite/base.py) and the Django it builds on.

The backend overrides methods of Django's SQLite backend that are not part of
Django's public API. The first tests say which, with the signatures the
backend expects; the others check the behaviour it gets from them. .ci/run
runs this module against the newest Django of the series as well.
"""

import fcntl
import inspect
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.sqlite3 import base as django_sqlite
from django.db.utils import ConnectionHandler

from pos_project.sqlite import base as project_sqlite
from pos_project.sqlite.base import CHECKPOINT_EVERY

ROOT = Path(__file__).resolve().parents[2]
ALIAS = "writer_lock_tests"

# What the backend overrides or uses of Django's SQLite backend, with the
# signature it is written against. A new override belongs here too.
OVERRIDDEN = {
    "__init__": "(self, settings_dict, alias='default')",
    "get_new_connection": "(self, conn_params)",
    "_start_transaction_under_autocommit": "(self)",
    "_commit": "(self)",
    "_rollback": "(self)",
    "_close": "(self)",
}
USED = {
    "is_in_memory_db": "(self)",
    "get_autocommit": "(self)",
    "on_commit": "(self, func, robust=False)",
}


def test_the_backend_overrides_only_the_django_methods_it_was_written_against():
    own = {
        name
        for name, value in vars(project_sqlite.DatabaseWrapper).items()
        if callable(value) and name in dir(django_sqlite.DatabaseWrapper)
    }
    assert own == set(OVERRIDDEN)


@pytest.mark.parametrize("name", [*OVERRIDDEN, *USED])
def test_django_has_the_methods_the_backend_relies_on_as_it_expects(name):
    expected = {**OVERRIDDEN, **USED}[name]
    method = getattr(django_sqlite.DatabaseWrapper, name, None)
    assert method is not None, f"Django's SQLite backend has no {name} any more"
    assert str(inspect.signature(method)) == expected


def test_django_keeps_on_commit_callbacks_as_the_backend_reads_them(db):
    """(savepoint ids, callback, robust): the backend picks out the callbacks
    that write before the commit (and accounts.live finds its own)."""

    def callback():
        pass

    with transaction.atomic():
        transaction.on_commit(callback, robust=True)
        assert connection.run_on_commit[-1] == (
            set(connection.savepoint_ids),
            callback,
            True,
        )
    assert isinstance(connection.execute_wrappers, list)


def is_locked(path):
    """Whether another open file holds the lock on `path`."""
    with open(path, "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return False


def settings_for(database, **options):
    return {
        "ENGINE": "pos_project.sqlite",
        "NAME": str(database),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", **options},
    }


def handler_for(database, **options):
    """Connections to `database` (its own, not the tests' database)."""
    settings = settings_for(database, **options)
    return ConnectionHandler({"default": settings, ALIAS: settings})


def connect(tmp_path, django_db_blocker, **options):
    """A connection to a SQLite file through the project's backend, also known
    to transaction.atomic() and on_commit() as `using=ALIAS` in this thread."""
    database = tmp_path / "pos.sqlite3"
    handler = handler_for(database, **options)
    with django_db_blocker.unblock():
        wrapper = handler[ALIAS]
        with wrapper.cursor() as cursor:
            cursor.execute("CREATE TABLE item (name TEXT)")
            # In the database file itself, not only in a write-ahead log.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connections[ALIAS] = wrapper
        try:
            yield wrapper, tmp_path / "pos.sqlite3.writer-lock"
        finally:
            del connections[ALIAS]
            wrapper.close()


def items(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT name FROM item ORDER BY rowid")
        return [name for (name,) in cursor.fetchall()]


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    yield from connect(tmp_path, django_db_blocker)


@pytest.fixture
def sqlite_wal_file(tmp_path, django_db_blocker):
    """As the project's settings open it: a write-ahead log."""
    yield from connect(
        tmp_path, django_db_blocker, init_command="PRAGMA journal_mode=WAL;"
    )


def begin(wrapper):
    # What transaction.atomic does when it opens the outermost block.
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_sqlite_write_transaction_holds_the_writer_lock_until_it_ends(
    sqlite_file, end
):
    wrapper, lock = sqlite_file
    begin(wrapper)
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO item VALUES ('case')")
    assert is_locked(lock)
    getattr(wrapper, end)()
    if end != "close":
        wrapper.set_autocommit(True)
    assert not is_locked(lock)


def test_sqlite_reads_outside_a_transaction_take_no_writer_lock(sqlite_file):
    wrapper, lock = sqlite_file
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM item")
        assert is_locked(lock) is False


def test_a_sqlite_write_outside_a_transaction_queues_on_the_writer_lock(sqlite_file):
    """An autocommit write (the live updates' bump) waits for the writer before
    it, as a transaction does, instead of polling SQLite's own lock."""
    wrapper, lock = sqlite_file
    wrapper.inc_thread_sharing()
    done = threading.Event()

    def write():
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('case')")
        done.set()

    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another till's transaction
        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.3)
        fcntl.flock(held, fcntl.LOCK_UN)
    writer.join(5)
    wrapper.dec_thread_sharing()
    assert done.is_set()
    assert not is_locked(lock)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT name FROM item")
        assert cursor.fetchall() == [("case",)]


def test_the_project_uses_its_sqlite_backend_for_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert connection.settings_dict["ENGINE"] == "pos_project.sqlite"


def rows_in_the_database_file(wrapper):
    """The items the database file holds, leaving out its write-ahead log."""
    path = wrapper.settings_dict["NAME"]
    reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return reader.execute("SELECT count(*) FROM item").fetchone()[0]
    finally:
        reader.close()


def test_sqlite_checkpoints_its_log_every_so_many_writes_with_the_lock_let_go(
    sqlite_wal_file,
):
    """Not in the commit that fills the log, where every till waits behind it."""
    wrapper, lock = sqlite_wal_file
    counted_with_the_lock_held = []
    count_write = wrapper._count_write

    def counting():
        counted_with_the_lock_held.append(is_locked(lock))
        count_write()

    wrapper._count_write = counting
    for _ in range(CHECKPOINT_EVERY - 1):
        begin(wrapper)
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('case')")
        wrapper.commit()
        wrapper.set_autocommit(True)
    assert rows_in_the_database_file(wrapper) == 0  # all still in the log
    with wrapper.cursor() as cursor:  # a write outside a transaction counts too
        cursor.execute("INSERT INTO item VALUES ('case')")
    assert rows_in_the_database_file(wrapper) == CHECKPOINT_EVERY
    assert counted_with_the_lock_held == [False] * CHECKPOINT_EVERY
    with wrapper.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone() == (10_000,)  # SQLite's own, as a backstop


# A process that holds the writer lock (a transaction) until its input ends.
HOLDER = """
import sys
import django
from django.conf import settings
settings.configure(DATABASES={"default": %r})
django.setup()
from django.db import connection, transaction
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO item VALUES ('other process')")
    print("holding", flush=True)
    sys.stdin.read()
"""


def test_writers_of_two_processes_queue_on_the_writer_lock(sqlite_file):
    """A second process's transaction waits for the first to end, and is not
    refused for finding the database locked."""
    wrapper, lock = sqlite_file
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER % settings_for(wrapper.settings_dict["NAME"])],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        wrapper.inc_thread_sharing()
        done = threading.Event()

        def write():
            connections[ALIAS] = wrapper
            with transaction.atomic(using=ALIAS), wrapper.cursor() as cursor:
                cursor.execute("INSERT INTO item VALUES ('this process')")
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.5)
        assert is_locked(lock)
    finally:
        holder.stdin.close()
        holder.wait(30)
    writer.join(10)
    wrapper.dec_thread_sharing()
    assert done.is_set()
    assert items(wrapper) == ["other process", "this process"]
    assert not is_locked(lock)


@pytest.fixture
def sqlite_file_impatient(tmp_path, django_db_blocker):
    """With a busy timeout of 0.3 s."""
    yield from connect(tmp_path, django_db_blocker, timeout=0.3)


def test_a_writer_waits_for_one_of_the_same_process_at_most_the_busy_timeout(
    sqlite_file_impatient, django_db_blocker
):
    """A transaction waiting on a thread that has a write to make first: that
    write fails after the busy timeout, as when SQLite itself finds the
    database locked, instead of both waiting for ever."""
    wrapper, lock = sqlite_file_impatient
    handler = handler_for(wrapper.settings_dict["NAME"], timeout=0.3)
    outcome = []

    def write_in_another_thread():
        with django_db_blocker.unblock():
            other = handler[ALIAS]
            try:
                with other.cursor() as cursor:
                    cursor.execute("INSERT INTO item VALUES ('other thread')")
                outcome.append("written")
            except OperationalError as error:
                outcome.append(str(error))
            finally:
                other.close()

    with transaction.atomic(using=ALIAS):
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('first')")
        other = threading.Thread(target=write_in_another_thread)
        started = time.monotonic()
        other.start()
        other.join(10)  # the transaction waits for that thread
        waited = time.monotonic() - started
    assert not other.is_alive(), "the other thread still waits for the lock"
    assert outcome == ["database is locked"]
    assert 0.3 <= waited < 5
    assert items(wrapper) == ["first"]
    assert not is_locked(lock)


def bump_before_commit(wrapper, lock, seen, fail=False):
    def bump():
        seen.append(("bump", is_locked(lock), wrapper.in_atomic_block))
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('bump')")
        if fail:
            raise RuntimeError("a bump that fails")

    bump.write_before_commit = True
    transaction.on_commit(bump, using=ALIAS, robust=True)


def test_a_write_before_commit_callback_is_the_transactions_last_statement(
    sqlite_file,
):
    """It runs with the writer lock still held and commits with the
    transaction; the other callbacks run after the commit, as Django runs them."""
    wrapper, lock = sqlite_file
    seen = []
    with transaction.atomic(using=ALIAS):
        transaction.on_commit(
            lambda: seen.append(("after", is_locked(lock), items(wrapper))),
            using=ALIAS,
        )
        bump_before_commit(wrapper, lock, seen)
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('sale')")
        assert seen == []
    assert seen == [("bump", True, False), ("after", False, ["sale", "bump"])]


def test_a_write_before_commit_callback_of_a_rolled_back_block_never_runs(
    sqlite_file,
):
    wrapper, lock = sqlite_file
    seen = []
    with transaction.atomic(using=ALIAS):
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('sale')")
        with pytest.raises(ZeroDivisionError), transaction.atomic(using=ALIAS):
            bump_before_commit(wrapper, lock, seen)
            raise ZeroDivisionError
    with pytest.raises(ZeroDivisionError), transaction.atomic(using=ALIAS):
        bump_before_commit(wrapper, lock, seen)
        raise ZeroDivisionError
    assert seen == []
    assert items(wrapper) == ["sale"]
    assert not is_locked(lock)


def test_a_write_before_commit_callback_that_fails_does_not_stop_the_commit(
    sqlite_file, caplog
):
    wrapper, lock = sqlite_file
    seen = []
    with transaction.atomic(using=ALIAS):
        with wrapper.cursor() as cursor:
            cursor.execute("INSERT INTO item VALUES ('sale')")
        bump_before_commit(wrapper, lock, seen, fail=True)
    assert items(wrapper) == ["sale", "bump"]
    assert "failed before the commit" in caplog.text
    assert not is_locked(lock)
