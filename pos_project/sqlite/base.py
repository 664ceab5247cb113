"""SQLite whose write transactions queue on a file lock instead of polling.

SQLite lets one writer in at a time. A transaction that finds the database
locked polls it, sleeping longer after each try (1, 2, 5, 10 ... 100 ms), so
under load a till often sleeps well past the moment the lock came free, and a
busy shop's checkouts wait for nothing. Here a transaction first takes an
exclusive lock on a file next to the database (flock); the kernel wakes the
next waiting process as soon as it is released, so writers queue in order. The
lock goes with the transaction's commit or rollback, the connection's close,
or the process's end. An in-memory database (the tests) has no file to lock.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock = None  # the lock file's descriptor while a transaction holds it

    def _start_transaction_under_autocommit(self):
        self._wait_for_writers()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._let_writers_in()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._let_writers_in()

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
        descriptor = os.open(
            f"{self.settings_dict['NAME']}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600
        )
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except BaseException:
            os.close(descriptor)
            raise
        self._writer_lock = descriptor

    def _let_writers_in(self):
        if self._writer_lock is not None:
            descriptor, self._writer_lock = self._writer_lock, None
            os.close(descriptor)  # closing it releases the lock
