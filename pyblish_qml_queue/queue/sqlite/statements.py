"""Statements of the SQLite job store on one connection, inside its transaction.

:class:`~.sqlite.SQLiteJobStore` opens the transaction and brings the clock;
these read and write rows (see :mod:`.sqlite_rows` for how rows map to jobs).
"""

from __future__ import annotations

from pyblish_qml_queue.queue import rules
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite import rows
from pyblish_qml_queue.queue.sqlite.schema import DONE_SQL

#: A running job held by its owner under an unexpired lease: ``(id, owner, now)``.
FENCE = "id = ? AND owner = ? AND state = 'running' AND lease_until >= ?"


def fence(conn, job_id: str, owner: str, now: float) -> float:
    """Check (and touch) ``owner``'s lease on the job; raise LeaseLost if gone."""
    cursor = conn.execute(f"UPDATE jobs SET updated = ? WHERE {FENCE}", (now, job_id, owner, now))
    if cursor.rowcount != 1:
        raise rules.lease_lost(job_id, owner)
    return now


def add_log(conn, job_id: str, now: float, level: str, message: str) -> None:
    """Append a line to the job's log."""
    conn.execute(
        "INSERT INTO job_log (job_id, time, level, message) VALUES (?, ?, ?, ?)",
        (job_id, now, level, message),
    )


def resolve(conn, job_id: str) -> str:
    """The full id for an id or a unique prefix of one."""
    if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
        return job_id
    if len(job_id) >= rules.MIN_PREFIX:
        matches = conn.execute(
            "SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
            (job_id, job_id + "\U0010ffff"),
        ).fetchall()
        if len(matches) == 1:
            return matches[0][0]
        if matches:
            count = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE id >= ? AND id < ?",
                (job_id, job_id + "\U0010ffff"),
            ).fetchone()[0]
            raise rules.ambiguous(job_id, count)
    raise rules.not_found(job_id)


def state(conn, job_id: str) -> str:
    """The state of a job known to exist."""
    return conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]


def load(conn, job_id: str) -> Job:
    """The whole job with its steps."""
    row = conn.execute(f"SELECT {rows.JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    steps = conn.execute(
        f"SELECT {rows.STEP_COLUMNS} FROM steps WHERE job_id = ? ORDER BY idx", (job_id,)
    ).fetchall()
    return rows.job_from_row(row, steps)


def update_step(conn, job_id: str, index: int, assignments: str, args: tuple) -> None:
    """``UPDATE steps SET <assignments>`` of one step; IndexError if it has none.

    The job's ``steps_done`` follows in the same statement's transaction: up or
    down by one when the step's state enters or leaves a done state, so a
    checkpoint costs the same at step 20,000 as at step 1 (no count of the job's
    steps).
    """
    row = conn.execute(
        f"SELECT state IN {DONE_SQL} FROM steps WHERE job_id = ? AND idx = ?", (job_id, index)
    ).fetchone()
    if row is None:
        raise IndexError(f"job {job_id} has no step {index}")
    after = conn.execute(
        f"UPDATE steps SET {assignments} WHERE job_id = ? AND idx = ? "
        f"RETURNING state IN {DONE_SQL}",
        (*args, job_id, index),
    ).fetchone()
    delta = after[0] - row[0]
    if delta:
        conn.execute("UPDATE jobs SET steps_done = steps_done + ? WHERE id = ?", (delta, job_id))


def count_steps(conn, job_id: str) -> None:
    """Bring the job's ``steps_done`` up to date by counting its steps (for changes
    to many steps at once, such as a retry; :func:`update_step` keeps it for one)."""
    conn.execute(
        "UPDATE jobs SET steps_done = (SELECT COUNT(*) FROM steps WHERE job_id = ?1 AND "
        f"state IN {DONE_SQL}) WHERE id = ?1",
        (job_id,),
    )


def reset_running_steps(conn, job_id: str) -> None:
    """A step still marked running goes back to pending (its run ended), nobody's."""
    conn.execute(
        "UPDATE steps SET state = 'pending', started = NULL, worker = '{}' "
        "WHERE job_id = ? AND state = 'running'",
        (job_id,),
    )


def write_signalled(conn, job: Job, step) -> None:
    """Write back what :func:`.rules.apply_signal` or :func:`.rules.expire` changed."""
    update_step(
        conn,
        job.id,
        step.index,
        "state = ?, finished = ?, error = ?, farm = ?, deadline = ?",
        (step.state, step.finished, step.error, rows.dumps(step.farm), step.deadline),
    )
    conn.execute(
        "UPDATE jobs SET state = ?, error = ?, finished = ?, attempts = ?, resume = ?, "
        "updated = ? WHERE id = ?",
        (
            job.state,
            job.error,
            job.finished,
            job.attempts,
            int(bool(job.resume)),
            job.updated,
            job.id,
        ),
    )
