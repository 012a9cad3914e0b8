"""The durable job store: one SQLite file in the user's data folder.

Every operation is one transaction on this thread's connection to the store's
:class:`~.file.SQLiteFile` (see :mod:`.file` for durability, locking, the schema and
corrupt-file recovery).
A claim is one ``UPDATE ... WHERE id=(SELECT ...) RETURNING`` statement, and every
write made for a running job is fenced by its owner and lease.
"""

from __future__ import annotations

import copy
import logging
import sqlite3  # tests reach sqlite3 through this module's namespace too
import time
from typing import Callable, Iterator, Optional

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.queue import model, rules
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.rules import MIN_PREFIX
from pyblish_qml_queue.queue.sqlite import rows
from pyblish_qml_queue.queue.sqlite import statements as sql
from pyblish_qml_queue.queue.sqlite.file import SQLiteFile
from pyblish_qml_queue.queue.sqlite.schema import (
    CLAIMABLE_SQL,
    DONE_SQL,
    ENDED_ORDER,
    FINISHED_SQL,
    MIGRATIONS,
    MIN_SQLITE,
    UNFINISHED_SQL,
)
from pyblish_qml_queue.queue.store import ALREADY_APPLIED, APPLIED, FarmSignal, JobStore, NonceSeen

__all__ = ["MIGRATIONS", "MIN_PREFIX", "MIN_SQLITE", "SQLiteJobStore"]

log = logging.getLogger(__name__)


class SQLiteJobStore(JobStore):
    """A :class:`~pyblish_qml_queue.queue.store.JobStore` in one SQLite file.

    The store has a :class:`~.file.SQLiteFile` (connections, transactions, the
    check at open, moving a corrupt file aside) and writes jobs through it.

    Args:
        path: The database file; None for ``paths.store_path()`` (folder created).
        clock: Seconds since the epoch; inject a fake to test leases.
        busy_timeout: Seconds to wait for another process's write lock.
        full_check: check every page at open, however the file was last closed
            (``doctor``; see :mod:`.file`).

    Attributes:
        path: The database file in use.
        recovered_from: Where a corrupt file found at open was moved, else None.

    Raises:
        StoreError: at open, as :class:`~.file.SQLiteFile` does (an SQLite older
            than 3.35, a file written by a newer version).
    """

    #: The schema's migrations, oldest first; a subclass may append to them.
    MIGRATIONS = MIGRATIONS

    def __init__(
        self,
        path: Optional[str] = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
        full_check: bool = False,
    ):
        self._clock = clock
        self._file = SQLiteFile(
            path or paths.store_path(), busy_timeout, self.MIGRATIONS, full_check=full_check
        )

    @property
    def path(self) -> str:
        return self._file.path

    @property
    def recovered_from(self) -> Optional[str]:
        return self._file.recovered_from

    @property
    def damaged(self) -> Optional[str]:
        """What the check of the whole file after open found wrong, else None."""
        return self._file.damaged

    def close(self) -> None:
        self._file.close()

    def _connection(self):
        """This thread's connection (tests reach the file through it)."""
        return self._file.connection()

    # -- adding and reading ------------------------------------------------------

    def add(self, job: Job) -> bool:
        now = self._clock()
        if not job.secret:
            job = copy.copy(job)
            job.secret = rules.new_secret()
        columns = rows.JOB_INSERT_COLUMNS
        with self._file.transaction() as conn:
            cursor = conn.execute(
                f"INSERT INTO jobs ({columns}, position) VALUES ({rows.placeholders(columns)}, "
                "(SELECT COALESCE(MAX(position), 0) + 1 FROM jobs)) ON CONFLICT (id) DO NOTHING",
                rows.job_values(job, now),
            )
            if cursor.rowcount == 0:
                return False
            columns = "job_id, " + rows.STEP_COLUMNS
            conn.executemany(
                f"INSERT INTO steps ({columns}) VALUES ({rows.placeholders(columns)})",
                rows.step_values(job),
            )
            return True

    def get(self, job_id: str) -> Job:
        with self._file.transaction(write=False) as conn:
            return sql.load(conn, sql.resolve(conn, job_id))

    def jobs(self, state=None, host=None, limit=None) -> list:
        where, args = [], []
        if state is not None:
            where.append("state = ?")
            args.append(state)
        if host is not None:
            where.append("(host_application = ? OR host_machine = ?)")
            args += [host, host]
        sql = f"SELECT {rows.SUMMARY_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += (
            f" ORDER BY CASE WHEN state IN {CLAIMABLE_SQL} THEN 0 ELSE 1 END,"
            f" CASE WHEN state IN {CLAIMABLE_SQL} THEN position ELSE created END, position"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [rows.summary_from_row(row) for row in self._file.read(sql, args)]

    def listing(self, newest: Optional[int] = None) -> Iterator[tuple]:
        """Every job as a tuple of ``rows.LISTING_COLUMNS``, in no particular order.

        What the Queue page's list needs of each job, without building a
        :class:`~.model.Job` or parsing JSON per job (``jobs()`` does both), and read as
        it is iterated: 100,000 jobs are never all held as tuples at once. One statement,
        so one consistent snapshot of the file; iterate it to the end on this thread.

        Args:
            newest: only the jobs not finished and the ``newest`` finished ones that
                ended last (newest first, after the others): the top of the Queue
                page's list, read through an index (``schema.SCHEMA_V4``) in one
                transaction, at 100,000 jobs as fast as at 100.

        Raises:
            StoreError: as the other reads do.
        """
        if newest is not None:
            with self._file.transaction(write=False) as conn:
                unfinished = conn.execute(
                    f"SELECT {rows.LISTING_COLUMNS} FROM jobs WHERE state IN {UNFINISHED_SQL}"
                ).fetchall()
                ended = conn.execute(
                    f"SELECT {rows.LISTING_COLUMNS} FROM jobs INDEXED BY jobs_ended "
                    f"WHERE state IN {FINISHED_SQL} ORDER BY {ENDED_ORDER} LIMIT ?",
                    (int(newest),),
                ).fetchall()
            yield from unfinished
            yield from ended
            return
        try:
            yield from self._connection().execute(f"SELECT {rows.LISTING_COLUMNS} FROM jobs")
        except sqlite3.Error as exc:
            raise self._file._error(exc) from exc

    def counts(self) -> dict:
        return dict(self._file.read("SELECT state, COUNT(*) FROM jobs GROUP BY state"))

    def log(self, job_id: str) -> list:
        with self._file.transaction(write=False) as conn:
            job_id = sql.resolve(conn, job_id)
            lines = conn.execute(
                "SELECT time, level, message FROM job_log WHERE job_id = ? ORDER BY id", (job_id,)
            ).fetchall()
        return [{"time": t, "level": level, "message": message} for t, level, message in lines]

    def add_log(self, job_id: str, level: str, message: str) -> None:
        with self._file.transaction() as conn:
            self._log(conn, sql.resolve(conn, job_id), level, message)

    # -- the executor's side (fenced) ------------------------------------------------

    def claim(self, owner: str, lease: float) -> Optional[Job]:
        now = self._clock()
        with self._file.transaction() as conn:
            row = conn.execute(
                "UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, "
                "attempts = attempts + 1, started = COALESCE(started, ?), error = NULL, "
                "updated = ? "
                "WHERE id = (SELECT id FROM jobs WHERE state IN "
                f"{CLAIMABLE_SQL} ORDER BY position LIMIT 1) RETURNING id",
                (owner, now + lease, now, now),
            ).fetchone()
            if row is None:
                return None
            return sql.load(conn, row[0])

    def renew(self, job_id: str, owner: str, lease: float) -> bool:
        now = self._clock()
        with self._file.transaction() as conn:
            row = conn.execute(
                f"UPDATE jobs SET lease_until = ? WHERE {sql.FENCE} RETURNING cancel_requested",
                (now + lease, job_id, owner, now),
            ).fetchone()
            if row is None:
                raise rules.lease_lost(job_id, owner)
            return bool(row[0])

    def reclaim(self, job_id: str, owner: str, lease: float) -> bool:
        now = self._clock()
        with self._file.transaction() as conn:
            row = conn.execute(
                "UPDATE jobs SET lease_until = ?, updated = ? WHERE id = ? AND owner = ? AND "
                "state = 'running' RETURNING cancel_requested",
                (now + lease, now, job_id, owner),
            ).fetchone()
            if row is None:
                raise rules.lease_lost(job_id, owner)
            return bool(row[0])

    def start_step(
        self, job_id: str, owner: str, index: int, worker: Optional[dict] = None
    ) -> None:
        self._write_step(
            job_id,
            owner,
            index,
            "started = ?, state = 'running', finished = NULL, duration = NULL, "
            "error = NULL, traceback = NULL, runs = runs + 1, worker = ?",
            (rows.dumps(dict(worker or {})),),
        )

    def _finish_step(self, job_id: str, owner: str, index: int, outcome: dict) -> None:
        values = dict(outcome)
        for name in ("records", "changes", "farm"):
            values[name] = rows.dumps(values[name])
        self._write_step(
            job_id,
            owner,
            index,
            "finished = ?, " + ", ".join(f"{name} = ?" for name in values),
            tuple(values.values()),
        )

    def finish_job(self, job_id: str, owner: str, state: str, error: Optional[str] = None) -> str:
        rules.check_run_end(state)
        with self._file.transaction() as conn:
            now = self._fence(conn, job_id, owner)
            sql.reset_running_steps(conn, job_id)
            if conn.execute("SELECT resume FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]:
                state, error = rules.run_end(sql.load(conn, job_id), state, error)
            unfinished = state in model.UNFINISHED_ENDS or state == model.QUEUED
            conn.execute(
                "UPDATE jobs SET state = ?, error = ?, owner = NULL, lease_until = NULL, "
                "cancel_requested = 0, resume = 0, finished = ?, "
                "attempts = CASE WHEN ? = 'queued' THEN 0 ELSE attempts END WHERE id = ?",
                (state, error, None if unfinished else now, state, job_id),
            )
            return state

    def release(self, job_id: str, owner: str, reason: str) -> None:
        with self._file.transaction() as conn:
            self._fence(conn, job_id, owner)
            sql.reset_running_steps(conn, job_id)
            conn.execute(
                "UPDATE jobs SET state = 'interrupted', attempts = MAX(0, attempts - 1), "
                "owner = NULL, lease_until = NULL, error = ? WHERE id = ?",
                (reason, job_id),
            )
            self._log(conn, job_id, "INFO", f"released by its executor: {reason}")

    def recover(self, alive: Callable[[str], bool]) -> list:
        recovered = []
        with self._file.transaction() as conn:
            now = self._clock()
            running = conn.execute(
                "SELECT id, owner, lease_until, attempts, max_attempts, cancel_requested, resume "
                "FROM jobs WHERE state = 'running' ORDER BY position"
            ).fetchall()
            for job_id, owner, lease_until, attempts, max_attempts, cancel, resume in running:
                reason = rules.lost_reason(owner, lease_until, now, alive)
                if reason is None:
                    continue
                step_runs = conn.execute(
                    "SELECT COALESCE(MAX(runs), 0) FROM steps WHERE job_id = ? AND "
                    "state = 'running'",
                    (job_id,),
                ).fetchone()[0]
                state, error, line, attempts = rules.recovered_state(
                    attempts, max_attempts, bool(cancel), reason, step_runs
                )
                if resume and state == model.INTERRUPTED:
                    state, error = rules.run_end(sql.load(conn, job_id), state, error)
                    line = error if state == model.FAILED else line
                sql.reset_running_steps(conn, job_id)
                conn.execute(
                    "UPDATE jobs SET state = ?, error = ?, owner = NULL, lease_until = NULL, "
                    "cancel_requested = 0, resume = 0, finished = ?, updated = ?, attempts = ? "
                    "WHERE id = ?",
                    (
                        state,
                        error,
                        None if state == model.INTERRUPTED else now,
                        now,
                        attempts,
                        job_id,
                    ),
                )
                self._log(conn, job_id, "WARNING", line)
                recovered.append((job_id, line))
        for job_id, line in recovered:
            log.warning("Job %s: %s", job_id, line)
        return [job_id for job_id, _ in recovered]

    # -- farm signals ------------------------------------------------------------------

    def _signal_step(self, job_id: str, signal: FarmSignal) -> tuple:
        nonce = signal.nonce
        with self._file.transaction() as conn:
            if not conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
                raise rules.not_found(job_id)
            if signal.forget_before is not None:
                conn.execute("DELETE FROM signal_nonces WHERE sent < ?", (signal.forget_before,))
            if (
                nonce is not None
                and conn.execute("SELECT 1 FROM signal_nonces WHERE nonce = ?", (nonce,)).fetchone()
            ):
                raise NonceSeen(f"nonce {nonce} was used before")
            job = sql.load(conn, job_id)
            applied = rules.apply_farm_signal(job, signal, self._clock())
            if applied is not None:
                step, level, line = applied
                sql.write_signalled(conn, job, step)
                self._log(conn, job_id, level, line)
            if nonce is not None:
                conn.execute(
                    "INSERT INTO signal_nonces (nonce, job_id, sent) VALUES (?, ?, ?)",
                    (nonce, job_id, self._clock() if signal.sent is None else signal.sent),
                )
            return (APPLIED if applied else ALREADY_APPLIED), job.state

    def expire_waiting(self) -> list:
        now = self._clock()
        due = [
            row[0]
            for row in self._file.read(
                "SELECT DISTINCT jobs.id FROM jobs JOIN steps ON steps.job_id = jobs.id "
                "WHERE jobs.state = 'waiting' AND steps.state = 'waiting' "
                "AND steps.deadline < ?",
                (now,),
            )
        ]
        failed = []
        for job_id in due:
            with self._file.transaction() as conn:
                job = sql.load(conn, job_id)
                steps = rules.expired_steps(job, now) if job.state == model.WAITING else []
                if not steps:
                    continue  # signalled or cancelled meanwhile
                error = rules.expire(job, steps, now)
                for step in steps:
                    sql.write_signalled(conn, job, step)
                self._log(conn, job_id, "ERROR", error)
            log.error("Job %s: %s", job_id, error)
            failed.append(job_id)
        return failed

    # -- the user's side ----------------------------------------------------------

    def cancel(self, job_id: str) -> str:
        with self._file.transaction() as conn:
            job_id = sql.resolve(conn, job_id)
            state = sql.state(conn, job_id)
            rules.check_action("cancel", job_id, state)
            now = self._clock()
            if state == model.RUNNING:
                conn.execute(
                    "UPDATE jobs SET cancel_requested = 1, updated = ? WHERE id = ?", (now, job_id)
                )
                self._log(conn, job_id, "INFO", "cancel requested")
                return model.RUNNING
            conn.execute(
                "UPDATE jobs SET state = 'cancelled', finished = ?, updated = ? WHERE id = ?",
                (now, now, job_id),
            )
            self._log(conn, job_id, "INFO", "cancelled")
            return model.CANCELLED

    def retry(self, job_id: str, failed_only: bool = False) -> None:
        with self._file.transaction() as conn:
            job_id = sql.resolve(conn, job_id)
            rules.check_action("retry", job_id, sql.state(conn, job_id))
            reset = (
                "UPDATE steps SET state = 'pending', started = NULL, finished = NULL, "
                "duration = NULL, error = NULL, traceback = NULL, records = '[]', "
                "changes = '{}', farm = '{}', deadline = NULL, worker = '{}' WHERE job_id = ?"
            )
            if failed_only:
                reset += f" AND state NOT IN {DONE_SQL}"
            conn.execute(reset, (job_id,))
            sql.count_steps(conn, job_id)
            conn.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0, error = NULL, owner = NULL, "
                "lease_until = NULL, finished = NULL, cancel_requested = 0, resume = 0, "
                "updated = ?, position = (SELECT MAX(position) + 1 FROM jobs) WHERE id = ?",
                (self._clock(), job_id),
            )
            which = "failed steps" if failed_only else "all steps"
            self._log(conn, job_id, "INFO", f"queued again ({which})")

    def move(self, job_id: str, delta: int) -> None:
        with self._file.transaction() as conn:
            job_id = sql.resolve(conn, job_id)
            rules.check_action("move", job_id, sql.state(conn, job_id))
            queue = conn.execute(
                f"SELECT id, position FROM jobs WHERE state IN {CLAIMABLE_SQL} ORDER BY position"
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
        with self._file.transaction() as conn:
            job_id = sql.resolve(conn, job_id)
            rules.check_action("remove", job_id, sql.state(conn, job_id))
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # -- inside ------------------------------------------------------------------

    def _fence(self, conn, job_id: str, owner: str) -> float:
        """Check (and touch) ``owner``'s lease on the job; raise LeaseLost if gone."""
        return sql.fence(conn, job_id, owner, self._clock())

    def _log(self, conn, job_id: str, level: str, message: str) -> None:
        sql.add_log(conn, job_id, self._clock(), level, message)

    def _write_step(
        self, job_id: str, owner: str, index: int, assignments: str, values: tuple
    ) -> None:
        """Update a step of a job ``owner`` holds (fenced); the first ``?`` of
        ``assignments`` takes the time now, the others ``values``."""
        with self._file.transaction() as conn:
            now = self._fence(conn, job_id, owner)
            sql.update_step(conn, job_id, index, assignments, (now, *values))
