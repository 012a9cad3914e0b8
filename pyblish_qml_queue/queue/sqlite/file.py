"""One SQLite file opened for the job store: connections, transactions, errors.

WAL with ``synchronous=FULL``, so a committed write survives kill -9 and power
loss; one connection per thread; ``BEGIN IMMEDIATE`` for every read-then-write.
At open the file is checked and migrated (see :mod:`.schema`); a corrupt
file is moved aside and a fresh one starts (see :attr:`SQLiteFile.recovered_from`).

The whole file is checked (``PRAGMA quick_check``) at open only when its last close
was not clean (:func:`.schema.closed_cleanly`); otherwise its header and schema are, and
the whole file on a thread :data:`CHECK_DELAY` s after open. Damage found there is
logged and the clean-close marker removed, so the next open checks the file and moves
it aside (:attr:`SQLiteFile.damaged`).

The job store (:mod:`.store`) has one of these; it knows nothing of jobs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.queue.sqlite import schema
from pyblish_qml_queue.queue.store import StoreBusy, StoreError, StoreFull

log = logging.getLogger(__name__)


def storable(value):
    """``value``, with any text SQLite cannot store (a lone surrogate, as in a file
    name that is not UTF-8) escaped as ``\\udcff``; other values unchanged."""
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _storable_params(params):
    if isinstance(params, dict):
        return {key: storable(value) for key, value in params.items()}
    return tuple(storable(value) for value in params)


class _Connection(sqlite3.Connection):
    """A connection the file can reference weakly (to close all of them), that
    stores any text a plugin produced (errors, records, titles, names) without
    raising: text SQLite cannot encode is escaped, never refused."""

    def execute(self, sql, parameters=()):
        return super().execute(sql, _storable_params(parameters))

    def executemany(self, sql, seq_of_parameters):
        return super().executemany(sql, (_storable_params(p) for p in seq_of_parameters))


def _emptied(path: str) -> bool:
    """Whether ``path`` is a zero-byte file (with no WAL) that nobody is creating now:
    a store that lost its content, never a new one (SQLite would take it as empty)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_size or (os.path.exists(path + "-wal") and os.path.getsize(path + "-wal")):
        return False
    return time.time() - st.st_mtime > EMPTY_AGE


#: A zero-byte store younger than this (seconds) is one being created right now.
EMPTY_AGE = 5.0
#: Seconds after open that the whole file is checked on a thread, when its open checked
#: only its header and schema: after the app's first frame and first page of jobs.
CHECK_DELAY = 5.0
_EMPTY = "the file is empty (0 bytes)"


class SQLiteFile:
    """An SQLite file with the job store's schema, shared by this process's threads.

    Args:
        path: The database file (its folder is created).
        busy_timeout: Seconds to wait for another process's write lock.
        migrations: The schema's migrations, oldest first (see
            :data:`.schema.MIGRATIONS`, the default).
        full_check: ``PRAGMA quick_check`` the whole file at open, however it was
            closed (``doctor``); by default only when it was not closed cleanly.

    Attributes:
        path: The database file in use.
        recovered_from: Where a corrupt file found at open was moved, else None.
            Tell the user: the jobs in it are not in the queue.
        damaged: What the check after open found wrong with the file, else None (the
            next open moves it aside).
        checked: Set once the whole file was checked (at open, or on the thread).

    Raises:
        StoreError: SQLite is older than 3.35, or the file was written by a newer
            version of this package.
    """

    def __init__(
        self,
        path: str,
        busy_timeout: float = 30.0,
        migrations=schema.MIGRATIONS,
        full_check: bool = False,
    ):
        schema.require_sqlite()
        self.path = os.path.abspath(path)
        self._migrations = tuple(migrations)
        self.recovered_from = None
        self.damaged = None
        self.checked = threading.Event()
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        self._opened = False  # open and checked: a close then marks it closed cleanly
        self._checker = None  # the thread checking the whole file after open
        self._checking = None  # its connection
        self._closing = threading.Event()
        paths.make_private_dir(os.path.dirname(self.path))
        self._emptied = _emptied(self.path)
        self._full = full_check or not schema.closed_cleanly(self.path)
        paths.make_private_file(self.path)  # SQLite gives -wal and -shm its mode
        try:
            self._open()
        except StoreError:
            self.close(clean=False)
            raise
        except schema.Corrupt as exc:
            self.recovered_from = schema.move_aside(self.path, lambda: self.close(clean=False))
            log.debug("Corruption found in %s: %s", self.recovered_from, exc)
            log.warning(
                "The job store at %s was %s; moved it to %s and started a fresh "
                "store. Jobs in it are not in the queue.",
                self.path,
                "empty (0 bytes)" if str(exc) == _EMPTY else "corrupt",
                self.recovered_from,
            )
            self._full = True  # a fresh file: checked whole at once, no thread
            try:
                self._open()
            except schema.Corrupt as again:
                raise StoreError(f"could not start a fresh job store at {self.path}: {again}")
        self._opened = True
        if self._full:
            self.checked.set()
        else:
            self._checker = threading.Thread(
                target=self._check_later, daemon=True, name="store-check"
            )
            self._checker.start()

    def _open(self) -> None:
        """Check and migrate the file; raise :class:`.schema.Corrupt` if damaged."""
        if self._emptied:
            self._emptied = False
            raise schema.Corrupt(_EMPTY)
        problem = schema.header_problem(self.path)
        if problem:
            raise schema.Corrupt(problem)
        try:
            schema.check(self.connection(), full=self._full)
        except sqlite3.DatabaseError as exc:
            if schema.is_corruption(exc):
                raise schema.Corrupt(str(exc))
            raise self._error(exc) from exc
        try:
            # Reads take no write lock: a file at the current schema needs none, so
            # `jobs`/`show` and the app open while another process holds a write lock.
            current = self.connection().execute("PRAGMA user_version").fetchone()[0]
            if current == len(self._migrations):
                return
            with self.transaction() as conn:
                schema.migrate(conn, self._migrations, self.path)
        except StoreError as exc:
            if schema.is_corruption(exc.__cause__):
                raise schema.Corrupt(str(exc.__cause__))
            raise

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                factory=_Connection,
            )
            # Registered before the first statement, so that a failure leaves it to
            # close(): on a corrupt file, closing it may delete the WAL we keep aside.
            self._local.conn = conn
            self._local.depth = 0
            with self._connections_lock:
                self._connections.add(conn)
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
        return conn

    @contextlib.contextmanager
    def transaction(self, write: bool = True):
        """One transaction on this thread's connection; rolled back on any error.

        ``write`` takes the write lock at once (``BEGIN IMMEDIATE``), as every
        read-then-write must; otherwise a read snapshot (``BEGIN``). Nested calls
        join the outer transaction.

        Raises:
            StoreFull: the disk (or the file's size limit) is full; nothing was written.
            StoreBusy: another process held the lock past the busy timeout.
        """
        conn = self.connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        self._local.depth = 1
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("Rollback failed on %s", self.path)
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from exc
            raise
        finally:
            self._local.depth = 0

    def read(self, sql: str, args=()) -> list:
        """The rows of one query outside a transaction."""
        try:
            return self.connection().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> StoreError:
        """The :class:`StoreError` to raise for an SQLite error (others are logged)."""
        name = getattr(exc, "sqlite_errorname", "")
        text = str(exc)
        if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
            return StoreFull(
                f"The disk holding the job store {self.path} is full; nothing was written. "
                "Free some space and try again."
            )
        if name.startswith("SQLITE_BUSY") or "database is locked" in text:
            return StoreBusy(
                f"The job store {self.path} stayed locked by another process for more than "
                f"{self._busy_timeout:g} s; try again."
            )
        log.error("Job store error on %s", self.path, exc_info=exc)
        return StoreError(f"The job store {self.path} failed ({text}); see the log for details.")

    def _check_later(self) -> None:
        """The whole file's check after an open that checked its header and schema only
        (the body of the ``store-check`` thread): damage is logged, :attr:`damaged`
        says what, and the next open checks the file and moves it aside."""
        if self._closing.wait(CHECK_DELAY):
            return
        try:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=self._busy_timeout,
                check_same_thread=False,
            )  # fmt: skip
        except sqlite3.Error as exc:
            log.warning("Could not check the job store %s after open: %s", self.path, exc)
            return
        self._checking = conn
        problem = None
        try:
            if self._closing.is_set():
                return
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                problem = "; ".join(str(r[0]) for r in rows[:5])
        except sqlite3.Error as exc:
            if self._closing.is_set():
                return  # interrupted by close()
            if not schema.is_corruption(exc):
                log.warning("Could not check the job store %s after open: %s", self.path, exc)
                return
            problem = str(exc)
        finally:
            self._checking = None
            conn.close()
        if problem is None:
            self.checked.set()
            return
        self.damaged = problem
        schema.forget_closed(self.path)
        log.debug("Corruption found in %s: %s", self.path, problem)
        log.error(
            "The job store at %s is damaged (%s). The queue goes on with what it can read; "
            "restart the app (or run 'pyblish-qml-queue doctor'): the store is then moved "
            "aside and a fresh one started, and 'pyblish-qml-queue doctor --salvage' puts "
            "back the jobs it still holds.",
            self.path,
            problem,
        )
        self.checked.set()

    def close(self, clean: bool = True) -> None:
        """Close every connection this file has open (from any thread); a store that
        opened well and found no damage is then marked closed cleanly (when no WAL is
        left: the last process to close it), so the next open checks less."""
        self._closing.set()
        checking = self._checking
        if checking is not None:
            checking.interrupt()
        if self._checker is not None and self._checker is not threading.current_thread():
            self._checker.join(2.0)
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:
                log.exception("Closing a connection to %s failed", self.path)
        self._local = threading.local()
        if clean and self._opened and self.damaged is None:
            schema.mark_closed(self.path)
