"""SQLite whose write transactions queue on a file lock instead of polling.

SQLite lets one writer in at a time. A transaction that finds the database
locked polls it, sleeping longer after each try (1, 2, 5, 10 ... 100 ms), so
under load a till often sleeps well past the moment the lock came free, and a
busy shop's checkouts wait for nothing. Here a transaction first takes an
exclusive lock on a file next to the database (flock); the kernel wakes the
next waiting process as soon as it is released, so writers queue in order. The
lock goes with the transaction's commit or rollback, the connection's close,
or the process's end. A write outside a transaction (autocommit: a session
the middleware saves) is a transaction of its own in SQLite, so it queues too,
for that one statement. An in-memory database has no file to lock.

The threads of one process (runserver's) queue first on a lock of the
process, and only the one at its head waits for the file: a lock of the
process can be waited for with a time limit, a file lock cannot. A thread
that waits longer than the busy timeout gets "database is locked", as from
SQLite itself, instead of waiting for ever on a transaction that waits for it
(one that waits on another thread, which has a write to make first).

A small write a transaction leaves to run after its commit (the live updates'
bump: see accounts.live) runs here as its last statement instead, since after
the commit it would have to queue for the lock again, behind every till.

In WAL mode SQLite copies the log back into the database file (a checkpoint)
as part of the commit that filled it past 1000 pages, writing and syncing
while the committing till still holds the lock file, and every till behind it
waits (measured in docs/performance.md). Here a connection checkpoints itself
after every CHECKPOINT_EVERY write transactions, once it has let the next
writer in. A passive checkpoint waits for no reader or writer: the tills go on
writing to the log meanwhile. SQLite's own checkpoint stays as a backstop, at a larger
log (AUTOCHECKPOINT_PAGES), for a process that writes much in few transactions.
"""

import fcntl
import logging
import os
import threading

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

log = logging.getLogger(__name__)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

# An on-commit callback with this attribute true is a small write that may run
# as the transaction's last statement instead (see the module's doc).
WRITE_BEFORE_COMMIT = "write_before_commit"

# Checkpoints (see the module's doc): one passive checkpoint per this many
# write transactions of a connection, and SQLite's own past this many pages.
CHECKPOINT_EVERY = 100
AUTOCHECKPOINT_PAGES = 10_000


# SQLite's busy timeout when the settings give none (Python's sqlite3 default).
DEFAULT_TIMEOUT = 5.0

# The writer lock's file -> the lock that the threads of this process queue on.
_process_locks = {}
_process_locks_guard = threading.Lock()


def _process_lock(path):
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


def _forget_process_locks():
    # A child process inherits locks held by threads that it does not have.
    global _process_locks_guard
    _process_locks.clear()
    _process_locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_process_locks)


def _queue_autocommit_writes(execute, sql, params, many, context):
    """An execute wrapper: a write in autocommit mode waits for the lock."""
    db = context["connection"]
    if (
        db._writer_lock is not None
        or not db.get_autocommit()
        or not sql.lstrip()[:7].upper().startswith(WRITES)
    ):
        return execute(sql, params, many, context)
    db._wait_for_writers()
    try:
        result = execute(sql, params, many, context)
    finally:
        db._let_writers_in()
    db._count_write()
    return result


class DatabaseWrapper(base.DatabaseWrapper):
    # While a transaction holds the writer lock: (the lock file's descriptor,
    # the process's lock).
    _writer_lock = None
    _writes = 0  # write transactions since this connection's last checkpoint

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(_queue_autocommit_writes)

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        return connection

    def _start_transaction_under_autocommit(self):
        self._wait_for_writers()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._let_writers_in()
            raise

    def _commit(self):
        wrote = self._writer_lock is not None
        try:
            self._write_before_commit()
            result = super()._commit()
        finally:
            self._let_writers_in()
        if wrote:
            self._count_write()
        return result

    def _write_before_commit(self):
        early = [
            hook
            for hook in self.run_on_commit
            if getattr(hook[1], WRITE_BEFORE_COMMIT, False)
        ]
        if not early:
            return
        self.run_on_commit = [hook for hook in self.run_on_commit if hook not in early]
        for _savepoints, callback, _robust in early:
            try:
                callback()
            except Exception:
                # As a robust on-commit callback: the transaction still commits.
                log.exception("%r failed before the commit", callback)

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._let_writers_in()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._let_writers_in()

    def _wait_for_writers(self):
        if self._writer_lock is not None or self.is_in_memory_db():
            return
        path = f"{self.settings_dict['NAME']}.writer-lock"
        in_process = _process_lock(path)
        timeout = self.settings_dict["OPTIONS"].get("timeout", DEFAULT_TIMEOUT)
        if not in_process.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            except BaseException:
                os.close(descriptor)
                raise
        except BaseException:
            in_process.release()
            raise
        self._writer_lock = (descriptor, in_process)

    def _let_writers_in(self):
        if self._writer_lock is not None:
            (descriptor, in_process), self._writer_lock = self._writer_lock, None
            try:
                os.close(descriptor)  # closing it releases the file lock
            finally:
                in_process.release()

    def _count_write(self):
        """After a write, with the lock file let go: checkpoint every so often."""
        self._writes += 1
        if self._writes < CHECKPOINT_EVERY or self.is_in_memory_db():
            return
        self._writes = 0
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            # The write is done; SQLite's own checkpoint is the backstop.
            log.exception("A WAL checkpoint failed")
