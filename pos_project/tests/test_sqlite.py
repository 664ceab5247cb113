import fcntl
import threading

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler


def is_locked(path):
    """Whether another open file holds the lock on `path`."""
    with open(path, "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return False


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    """A connection to a SQLite file through the project's backend."""
    database = tmp_path / "pos.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "pos_project.sqlite",
                "NAME": str(database),
                "OPTIONS": {"transaction_mode": "IMMEDIATE"},
            }
        }
    )
    with django_db_blocker.unblock():
        wrapper = handler["default"]
        with wrapper.cursor() as cursor:
            cursor.execute("CREATE TABLE item (name TEXT)")
        yield wrapper, tmp_path / "pos.sqlite3.writer-lock"
        wrapper.close()


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
