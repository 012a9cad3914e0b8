"""The durable job store: one SQLite file in the user's data folder.

WAL with ``synchronous=FULL``, so a committed write survives kill -9 and power
loss; one connection per thread; ``BEGIN IMMEDIATE`` for every read-then-write.
A claim is one ``UPDATE ... WHERE id=(SELECT ...) RETURNING`` statement, and every
write made for a running job is fenced by its owner and lease. The schema is
versioned (``PRAGMA user_version``) and migrated in order at open; a corrupt file
is moved aside and a fresh store starts (see :attr:`SQLiteJobStore.recovered_from`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import weakref
from typing import Callable, Iterable, Optional

from ..host import paths
from . import model
from .model import Job, Step
from .store import (
    InvalidState,
    JobNotFound,
    JobStore,
    LeaseLost,
    StoreBusy,
    StoreError,
    StoreFull,
    lost_reason,
    recovered_state,
)

log = logging.getLogger(__name__)

#: The claim statement needs ``RETURNING``.
MIN_SQLITE = (3, 35, 0)
#: Shortest id prefix :meth:`SQLiteJobStore.get` accepts.
MIN_PREFIX = 4

_CLAIMABLE_SQL = "('queued', 'interrupted')"
_DONE_SQL = "('succeeded', 'skipped')"

SCHEMA_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        state TEXT NOT NULL,
        payload TEXT NOT NULL,
        host TEXT NOT NULL,
        host_application TEXT,
        host_machine TEXT,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        started REAL,
        finished REAL,
        position INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL DEFAULT 3,
        owner TEXT,
        lease_until REAL,
        error TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        steps_done INTEGER NOT NULL DEFAULT 0,
        steps_total INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX jobs_state ON jobs (state, position)",
    "CREATE INDEX jobs_position ON jobs (position)",
    f"CREATE INDEX jobs_queue ON jobs (position) WHERE state IN {_CLAIMABLE_SQL}",
    """CREATE TABLE steps (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        plugin TEXT NOT NULL,
        module TEXT NOT NULL,
        plugin_order REAL NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        instance TEXT,
        instance_id TEXT,
        state TEXT NOT NULL,
        started REAL,
        finished REAL,
        duration REAL,
        error TEXT,
        traceback TEXT,
        records TEXT NOT NULL DEFAULT '[]',
        changes TEXT NOT NULL DEFAULT '{}',
        runs INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, idx)
    ) WITHOUT ROWID""",
    """CREATE TABLE job_log (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        time REAL NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    "CREATE INDEX job_log_job ON job_log (job_id, id)",
)

#: Schema migrations, applied in order at open: entry ``n`` takes a file from schema
#: ``n`` to ``n + 1``. Each is a sequence of SQL statements or a callable taking the
#: connection; all run in one transaction. Append, never edit.
MIGRATIONS = (SCHEMA_V1,)

_JOB_COLUMNS = (
    "id, title, state, payload, created, updated, started, finished, position, attempts, "
    "max_attempts, owner, lease_until, error, cancel_requested"
)
_SUMMARY_COLUMNS = (
    "id, title, state, host, created, updated, started, finished, position, attempts, "
    "max_attempts, owner, lease_until, error, cancel_requested, steps_done, steps_total"
)
_STEP_COLUMNS = (
    "idx, plugin, module, plugin_order, label, instance, instance_id, state, started, "
    "finished, duration, error, traceback, records, changes, runs"
)
_FENCE = "id = ? AND owner = ? AND state = 'running' AND lease_until >= ?"


class _Connection(sqlite3.Connection):
    """A connection the store can reference weakly (to close all of them)."""


class _Corrupt(Exception):
    """The file is not a database or fails ``PRAGMA quick_check``."""


class SQLiteJobStore(JobStore):
    """A :class:`~pyblish_qml_queue.queue.store.JobStore` in one SQLite file.

    Args:
        path: The database file; None for ``paths.store_path()`` (folder created).
        clock: Seconds since the epoch; inject a fake to test leases.
        busy_timeout: Seconds to wait for another process's write lock.

    Attributes:
        path: The database file in use.
        recovered_from: Where a corrupt store found at open was moved, else None.
            Tell the user: the jobs in it are not in the queue.

    Raises:
        StoreError: SQLite is older than 3.35, or the file was written by a newer
            version of this package.
    """

    MIGRATIONS = MIGRATIONS

    def __init__(
        self,
        path: Optional[str] = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
    ):
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(
                f"SQLite {sqlite3.sqlite_version} is too old for the job store (it needs "
                f"{'.'.join(map(str, MIN_SQLITE))} or newer); run the app with a newer Python"
            )
        self.path = os.path.abspath(path or paths.store_path())
        self.recovered_from = None
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        try:
            self._open()
        except StoreError:
            self.close()
            raise
        except _Corrupt as exc:
            target = _corrupt_name(self.path)
            if os.path.exists(self.path + "-wal"):
                # Closing the last connection may delete the WAL: keep it as found.
                shutil.copyfile(self.path + "-wal", target + "-wal")
            self.close()
            _move_aside(self.path, target)
            self.recovered_from = target
            log.debug("Corruption found in %s: %s", self.recovered_from, exc)
            log.warning(
                "The job store at %s was corrupt; moved it to %s and started a fresh store. "
                "Jobs in it are not in the queue.",
                self.path,
                self.recovered_from,
            )
            try:
                self._open()
            except _Corrupt as again:
                raise StoreError(f"could not start a fresh job store at {self.path}: {again}")

    # -- connections and transactions ---------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
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
        conn = self._connection()
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

    def _error(self, exc: sqlite3.Error) -> StoreError:
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

    def close(self) -> None:
        """Close every connection this store opened (from any thread)."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:
                log.exception("Closing a connection to %s failed", self.path)
        self._local = threading.local()

    # -- opening -----------------------------------------------------------------

    def _open(self) -> None:
        try:
            conn = self._connection()
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            rows = conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            if _is_corruption(exc):
                raise _Corrupt(str(exc))
            raise self._error(exc) from exc
        if rows != [("ok",)]:
            raise _Corrupt("; ".join(str(r[0]) for r in rows[:5]))
        try:
            self._migrate()
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.DatabaseError) and _is_corruption(exc.__cause__):
                raise _Corrupt(str(exc.__cause__))
            raise

    def _migrate(self) -> None:
        migrations = self.MIGRATIONS
        with self.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(migrations):
                raise StoreError(
                    f"The job store {self.path} has schema {version}, newer than this "
                    f"pyblish-qml-queue knows ({len(migrations)}); upgrade pyblish-qml-queue."
                )
            if version == len(migrations):
                return
            for number in range(version, len(migrations)):
                step = migrations[number]
                log.info("Migrating the job store %s to schema %d", self.path, number + 1)
                if callable(step):
                    step(conn)
                else:
                    for statement in step:
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(migrations)}")
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(len(migrations)),),
            )

    # -- adding and reading ------------------------------------------------------

    def add(self, job: Job) -> bool:
        host = job.host
        now = self._clock()
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO jobs (id, title, state, payload, host, host_application, "
                "host_machine, created, updated, started, finished, position, attempts, "
                "max_attempts, owner, lease_until, error, cancel_requested, steps_done, "
                "steps_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(position), 0) + 1 FROM jobs), ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (
                    job.id,
                    job.title,
                    job.state,
                    _dumps(job.payload),
                    _dumps(host),
                    host.get("application"),
                    host.get("machine"),
                    job.created,
                    job.updated or now,
                    job.started,
                    job.finished,
                    job.attempts,
                    job.max_attempts,
                    job.owner,
                    job.lease_until,
                    job.error,
                    int(bool(job.cancel_requested)),
                    sum(1 for s in job.steps if s.done),
                    len(job.steps),
                ),
            )
            if cursor.rowcount == 0:
                return False
            conn.executemany(
                f"INSERT INTO steps (job_id, {_STEP_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        job.id,
                        n,
                        s.plugin,
                        s.module,
                        s.order,
                        s.label,
                        s.instance,
                        s.instance_id,
                        s.state,
                        s.started,
                        s.finished,
                        s.duration,
                        s.error,
                        s.traceback,
                        _dumps(s.records),
                        _dumps(s.changes),
                        s.runs,
                    )
                    for n, s in enumerate(job.steps)
                ],
            )
            return True

    def get(self, job_id: str) -> Job:
        with self.transaction(write=False) as conn:
            return self._load(conn, self._resolve(conn, job_id))

    def jobs(self, state=None, host=None, limit=None) -> list:
        where, args = [], []
        if state is not None:
            where.append("state = ?")
            args.append(state)
        if host is not None:
            where.append("(host_application = ? OR host_machine = ?)")
            args += [host, host]
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += (
            f" ORDER BY CASE WHEN state IN {_CLAIMABLE_SQL} THEN 0 ELSE 1 END,"
            f" CASE WHEN state IN {_CLAIMABLE_SQL} THEN position ELSE created END, position"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        rows = self._read(sql, args)
        return [_summary_from_row(row) for row in rows]

    def counts(self) -> dict:
        return dict(self._read("SELECT state, COUNT(*) FROM jobs GROUP BY state"))

    def log(self, job_id: str) -> list:
        with self.transaction(write=False) as conn:
            job_id = self._resolve(conn, job_id)
            rows = conn.execute(
                "SELECT time, level, message FROM job_log WHERE job_id = ? ORDER BY id", (job_id,)
            ).fetchall()
        return [{"time": t, "level": level, "message": message} for t, level, message in rows]

    def add_log(self, job_id: str, level: str, message: str) -> None:
        with self.transaction() as conn:
            self._log(conn, self._resolve(conn, job_id), level, message)

    # -- the executor's side (fenced) ------------------------------------------------

    def claim(self, owner: str, lease: float) -> Optional[Job]:
        now = self._clock()
        with self.transaction() as conn:
            row = conn.execute(
                "UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, "
                "attempts = attempts + 1, started = COALESCE(started, ?), error = NULL, "
                "updated = ? "
                "WHERE id = (SELECT id FROM jobs WHERE state IN "
                f"{_CLAIMABLE_SQL} ORDER BY position LIMIT 1) RETURNING id",
                (owner, now + lease, now, now),
            ).fetchone()
            if row is None:
                return None
            return self._load(conn, row[0])

    def renew(self, job_id: str, owner: str, lease: float) -> bool:
        now = self._clock()
        with self.transaction() as conn:
            row = conn.execute(
                f"UPDATE jobs SET lease_until = ? WHERE {_FENCE} RETURNING cancel_requested",
                (now + lease, job_id, owner, now),
            ).fetchone()
            if row is None:
                raise _lease_lost(job_id, owner)
            return bool(row[0])

    def start_step(self, job_id: str, owner: str, index: int) -> None:
        with self.transaction() as conn:
            now = self._fence(conn, job_id, owner)
            self._update_step(
                conn,
                job_id,
                index,
                "state = 'running', started = ?, finished = NULL, duration = NULL, "
                "error = NULL, traceback = NULL, runs = runs + 1",
                (now,),
            )
            self._count_steps(conn, job_id)

    def finish_step(
        self,
        job_id: str,
        owner: str,
        index: int,
        state: str,
        *,
        duration: Optional[float] = None,
        error: Optional[str] = None,
        traceback: Optional[str] = None,
        records: Iterable = (),
        changes: Optional[dict] = None,
    ) -> None:
        if state not in model.STEP_STATES:
            raise ValueError(f"unknown step state {state!r}")
        records_json = _dumps(list(records))
        changes_json = _dumps(dict(changes or {}))
        with self.transaction() as conn:
            now = self._fence(conn, job_id, owner)
            self._update_step(
                conn,
                job_id,
                index,
                "state = ?, finished = ?, duration = ?, error = ?, traceback = ?, "
                "records = ?, changes = ?",
                (state, now, duration, error, traceback, records_json, changes_json),
            )
            self._count_steps(conn, job_id)

    def finish_job(self, job_id: str, owner: str, state: str, error: Optional[str] = None) -> None:
        if state not in model.RUN_ENDS:
            raise ValueError(
                f"a run cannot end as {state!r}; use one of {', '.join(model.RUN_ENDS)}"
            )
        with self.transaction() as conn:
            now = self._fence(conn, job_id, owner)
            self._reset_running_steps(conn, job_id)
            conn.execute(
                "UPDATE jobs SET state = ?, error = ?, owner = NULL, lease_until = NULL, "
                "cancel_requested = 0, finished = ? WHERE id = ?",
                (state, error, None if state in model.UNFINISHED_ENDS else now, job_id),
            )

    def release(self, job_id: str, owner: str, reason: str) -> None:
        with self.transaction() as conn:
            self._fence(conn, job_id, owner)
            self._reset_running_steps(conn, job_id)
            conn.execute(
                "UPDATE jobs SET state = 'interrupted', attempts = MAX(0, attempts - 1), "
                "owner = NULL, lease_until = NULL, error = ? WHERE id = ?",
                (reason, job_id),
            )
            self._log(conn, job_id, "INFO", f"released by its executor: {reason}")

    def recover(self, alive: Callable[[str], bool]) -> list:
        recovered = []
        with self.transaction() as conn:
            now = self._clock()
            rows = conn.execute(
                "SELECT id, owner, lease_until, attempts, max_attempts, cancel_requested "
                "FROM jobs WHERE state = 'running' ORDER BY position"
            ).fetchall()
            for job_id, owner, lease_until, attempts, max_attempts, cancel_requested in rows:
                reason = lost_reason(owner, lease_until, now, alive)
                if reason is None:
                    continue
                state, error, line = recovered_state(
                    attempts, max_attempts, bool(cancel_requested), reason
                )
                self._reset_running_steps(conn, job_id)
                conn.execute(
                    "UPDATE jobs SET state = ?, error = ?, owner = NULL, lease_until = NULL, "
                    "cancel_requested = 0, finished = ?, updated = ? WHERE id = ?",
                    (state, error, None if state == model.INTERRUPTED else now, now, job_id),
                )
                self._log(conn, job_id, "WARNING", line)
                recovered.append((job_id, line))
        for job_id, line in recovered:
            log.warning("Job %s: %s", job_id, line)
        return [job_id for job_id, _ in recovered]

    # -- the user's side ----------------------------------------------------------

    def cancel(self, job_id: str) -> str:
        with self.transaction() as conn:
            job_id = self._resolve(conn, job_id)
            state = self._state(conn, job_id)
            now = self._clock()
            if state == model.RUNNING:
                conn.execute(
                    "UPDATE jobs SET cancel_requested = 1, updated = ? WHERE id = ?", (now, job_id)
                )
                self._log(conn, job_id, "INFO", "cancel requested")
                return model.RUNNING
            if state in model.FINISHED:
                raise InvalidState(f"job {job_id} is already {state}; there is nothing to cancel")
            conn.execute(
                "UPDATE jobs SET state = 'cancelled', finished = ?, updated = ? WHERE id = ?",
                (now, now, job_id),
            )
            self._log(conn, job_id, "INFO", "cancelled")
            return model.CANCELLED

    def retry(self, job_id: str, failed_only: bool = False) -> None:
        with self.transaction() as conn:
            job_id = self._resolve(conn, job_id)
            state = self._state(conn, job_id)
            if state not in model.RETRYABLE:
                raise InvalidState(
                    f"job {job_id} is {state}; only failed, cancelled or interrupted jobs "
                    "can be retried"
                )
            sql = (
                "UPDATE steps SET state = 'pending', started = NULL, finished = NULL, "
                "duration = NULL, error = NULL, traceback = NULL, records = '[]', "
                "changes = '{}' WHERE job_id = ?"
            )
            if failed_only:
                sql += f" AND state NOT IN {_DONE_SQL}"
            conn.execute(sql, (job_id,))
            self._count_steps(conn, job_id)
            conn.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0, error = NULL, owner = NULL, "
                "lease_until = NULL, finished = NULL, cancel_requested = 0, updated = ?, "
                "position = (SELECT MAX(position) + 1 FROM jobs) WHERE id = ?",
                (self._clock(), job_id),
            )
            which = "failed steps" if failed_only else "all steps"
            self._log(conn, job_id, "INFO", f"queued again ({which})")

    def move(self, job_id: str, delta: int) -> None:
        with self.transaction() as conn:
            job_id = self._resolve(conn, job_id)
            state = self._state(conn, job_id)
            if state not in model.CLAIMABLE:
                raise InvalidState(f"job {job_id} is {state}; only queued jobs can be moved")
            queue = conn.execute(
                f"SELECT id, position FROM jobs WHERE state IN {_CLAIMABLE_SQL} ORDER BY position"
            ).fetchall()
            ids = [row[0] for row in queue]
            old = ids.index(job_id)
            new = max(0, min(len(ids) - 1, old + int(delta)))
            if new == old:
                return
            low, high = min(old, new), max(old, new)
            window = ids[low : high + 1]
            window.insert(new - low, window.pop(old - low))
            conn.executemany(
                "UPDATE jobs SET position = ? WHERE id = ?",
                [(queue[low + n][1], moved) for n, moved in enumerate(window)],
            )

    def remove(self, job_id: str) -> None:
        with self.transaction() as conn:
            job_id = self._resolve(conn, job_id)
            if self._state(conn, job_id) == model.RUNNING:
                raise InvalidState(f"job {job_id} is running; cancel it first, then remove it")
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # -- inside ------------------------------------------------------------------

    def _read(self, sql: str, args=()) -> list:
        try:
            return self._connection().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _resolve(self, conn, job_id: str) -> str:
        """The full id for an id or a unique prefix of one."""
        if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
            return job_id
        if len(job_id) >= MIN_PREFIX:
            rows = conn.execute(
                "SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                (job_id, job_id + "\U0010ffff"),
            ).fetchall()
            if len(rows) == 1:
                return rows[0][0]
            if rows:
                count = conn.execute(
                    "SELECT COUNT(*) FROM jobs WHERE id >= ? AND id < ?",
                    (job_id, job_id + "\U0010ffff"),
                ).fetchone()[0]
                raise JobNotFound(
                    f"job id {job_id!r} is ambiguous ({count} jobs start with it); type more of it"
                )
        raise JobNotFound(f"job {job_id} not found")

    def _state(self, conn, job_id: str) -> str:
        return conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]

    def _load(self, conn, job_id: str) -> Job:
        row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"job {job_id} not found")
        steps = conn.execute(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE job_id = ? ORDER BY idx", (job_id,)
        ).fetchall()
        return Job(
            id=row[0],
            title=row[1],
            state=row[2],
            payload=json.loads(row[3]),
            steps=[_step_from_row(s) for s in steps],
            created=row[4],
            updated=row[5],
            started=row[6],
            finished=row[7],
            position=row[8],
            attempts=row[9],
            max_attempts=row[10],
            owner=row[11],
            lease_until=row[12],
            error=row[13],
            cancel_requested=bool(row[14]),
        )

    def _fence(self, conn, job_id: str, owner: str) -> float:
        """Check (and touch) ``owner``'s lease on the job; raise LeaseLost if gone."""
        now = self._clock()
        cursor = conn.execute(
            f"UPDATE jobs SET updated = ? WHERE {_FENCE}", (now, job_id, owner, now)
        )
        if cursor.rowcount != 1:
            raise _lease_lost(job_id, owner)
        return now

    def _update_step(self, conn, job_id: str, index: int, assignments: str, args: tuple) -> None:
        cursor = conn.execute(
            f"UPDATE steps SET {assignments} WHERE job_id = ? AND idx = ?",
            (*args, job_id, index),
        )
        if cursor.rowcount != 1:
            raise IndexError(f"job {job_id} has no step {index}")

    def _count_steps(self, conn, job_id: str) -> None:
        conn.execute(
            "UPDATE jobs SET steps_done = (SELECT COUNT(*) FROM steps WHERE job_id = ?1 AND "
            f"state IN {_DONE_SQL}) WHERE id = ?1",
            (job_id,),
        )

    def _reset_running_steps(self, conn, job_id: str) -> None:
        conn.execute(
            "UPDATE steps SET state = 'pending', started = NULL "
            "WHERE job_id = ? AND state = 'running'",
            (job_id,),
        )

    def _log(self, conn, job_id: str, level: str, message: str) -> None:
        conn.execute(
            "INSERT INTO job_log (job_id, time, level, message) VALUES (?, ?, ?, ?)",
            (job_id, self._clock(), level, message),
        )


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _lease_lost(job_id: str, owner: str) -> LeaseLost:
    return LeaseLost(f"job {job_id} is no longer owned by {owner}")


def _step_from_row(row) -> Step:
    return Step(
        index=row[0],
        plugin=row[1],
        module=row[2],
        order=row[3],
        label=row[4],
        instance=row[5],
        instance_id=row[6],
        state=row[7],
        started=row[8],
        finished=row[9],
        duration=row[10],
        error=row[11],
        traceback=row[12],
        records=json.loads(row[13]),
        changes=json.loads(row[14]),
        runs=row[15],
    )


def _summary_from_row(row) -> Job:
    return Job(
        id=row[0],
        title=row[1],
        state=row[2],
        payload={"host": json.loads(row[3])},
        steps=[],
        created=row[4],
        updated=row[5],
        started=row[6],
        finished=row[7],
        position=row[8],
        attempts=row[9],
        max_attempts=row[10],
        owner=row[11],
        lease_until=row[12],
        error=row[13],
        cancel_requested=bool(row[14]),
        step_counts=(row[15], row[16]),
    )


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(exc)
    return "file is not a database" in text or "malformed" in text


def _corrupt_name(path: str) -> str:
    """A free ``<path>.corrupt-<YYYYmmdd-HHMMSS>`` name."""
    target = base = path + ".corrupt-" + time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while os.path.exists(target):
        target = f"{base}-{n}"
        n += 1
    return target


def _move_aside(path: str, target: str) -> None:
    """Move a corrupt database (with what is left of its -wal and -shm) to ``target``."""
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.replace(path + suffix, target + suffix)
