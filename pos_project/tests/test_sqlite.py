import fcntl
import sqlite3
import threading

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from pos_project.sqlite.base import CHECKPOINT_EVERY


def is_locked(path):
    """Whether another open file holds the lock on `path`."""
    with open(path, "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return False


def connect(tmp_path, django_db_blocker, **options):
    """A connection to a SQLite file through the project's backend."""
    database = tmp_path / "pos.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "pos_project.sqlite",
                "NAME": str(database),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", **options},
            }
        }
    )
    with django_db_blocker.unblock():
        wrapper = handler["default"]
        with wrapper.cursor() as cursor:
            cursor.execute("CREATE TABLE item (name TEXT)")
            # In the database file itself, not only in a write-ahead log.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield wrapper, tmp_path / "pos.sqlite3.writer-lock"
        wrapper.close()


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
