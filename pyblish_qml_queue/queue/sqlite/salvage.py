"""Salvage a damaged job store: put back in the queue the jobs SQLite can still read.

A store that fails its check at open is moved aside (``jobs.db.corrupt-<time>``, see
:mod:`.file`) and a fresh one starts; :func:`salvage` then reads what it can of the
damaged file and adds those jobs to the live store (``doctor --salvage``).

The damaged file is never written: it is copied (with its ``-wal``) into a temporary
folder and read there. Two ways to read it, the first that works:

1. the ``sqlite3`` command line's ``.recover`` (``sqlite3 damaged.db .recover``, piped
   into a fresh database), which reads every page it can, table pages orphaned by the
   damage included. It needs a ``sqlite3`` built with the ``sqlite_dbpage`` table;
   Debian's is not (its ``.recover`` fails on any file), so the second way is the one
   that runs there;
2. row by row in Python: each table by rowid, stepping over the rowids of pages that
   cannot be read (``iterdump`` and a plain scan stop at the first damaged page), and
   each job's steps by its own key.

A job comes back only whole: its row, its payload and every one of its steps. What
cannot be read is counted as lost, from the ids SQLite still finds in the jobs' index,
steps and log (all separate pages), so the count is exact when that index is readable.
A job that was running is put back interrupted (its executor is gone), so that it
resumes at its first unfinished step; jobs already in the live store are left alone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
from typing import Callable, Optional

from pyblish_qml_queue.common.states import StepState
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.rows import JOB_COLUMNS, STEP_COLUMNS, job_from_row

log = logging.getLogger(__name__)

#: How the damaged file was read (:attr:`Salvaged.method`).
CLI, ROWS = "sqlite3 .recover", "row by row"

#: Columns a store of an older schema lacks, and what they are in the current one.
_DEFAULTS = {
    "secret": "NULL",
    "resume": "0",
    "farm": "'{}'",
    "deadline": "NULL",
    "worker": "'{}'",
}
#: Seconds the ``sqlite3`` command line may take.
CLI_TIMEOUT = 600.0


class SalvageError(Exception):
    """Nothing could be read from the file (it is not a database, or its schema page
    is gone)."""


@dataclasses.dataclass
class Salvaged:
    """What :func:`salvage` found in a damaged store.

    Attributes:
        path: the damaged file (left as it was).
        method: :data:`CLI` or :data:`ROWS`.
        recovered: ids of the jobs put back in the queue.
        present: ids of readable jobs the live store had already (left alone).
        lost: ids SQLite still knows of whose job could not be read whole.
        lost_exact: whether :attr:`lost` is every lost job (the jobs' index was read
            to its end); otherwise at least that many were lost.
    """

    path: str
    method: str
    recovered: list = dataclasses.field(default_factory=list)
    present: list = dataclasses.field(default_factory=list)
    lost: list = dataclasses.field(default_factory=list)
    lost_exact: bool = True

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "method": self.method,
            "recovered": len(self.recovered),
            "already_in_queue": len(self.present),
            "lost": len(self.lost),
            "lost_exact": self.lost_exact,
            "recovered_ids": list(self.recovered),
            "lost_ids": list(self.lost),
        }


def salvage(
    damaged: str,
    into,
    cli: Optional[str] = "sqlite3",
    progress: Optional[Callable[[int, int], None]] = None,
) -> Salvaged:
    """Add the jobs that can be read from ``damaged`` to the store ``into``.

    Args:
        damaged: a damaged store file (e.g. ``jobs.db.corrupt-20261201-104500``).
        into: the live :class:`~.store.SQLiteJobStore` (or any JobStore).
        cli: the ``sqlite3`` command line to try ``.recover`` with (looked up on
            PATH); None reads row by row at once.
        progress: ``progress(done, total)`` after each job put back.

    Raises:
        SalvageError: nothing can be read from ``damaged``.
        OSError: it cannot be copied (missing, unreadable, no space).
    """
    work = tempfile.mkdtemp(prefix="pyblish-qml-queue-salvage-")
    try:
        copy = os.path.join(work, "damaged.db")
        shutil.copyfile(damaged, copy)
        if os.path.exists(damaged + "-wal"):
            shutil.copyfile(damaged + "-wal", copy + "-wal")
        method, source = ROWS, copy
        recovered = _recover_with_cli(cli, copy, os.path.join(work, "recovered.db"))
        if recovered is not None:
            method, source = CLI, recovered
        conn = sqlite3.connect(source, isolation_level=None)
        try:
            found = Salvaged(os.path.abspath(damaged), method)
            _put_back(conn, copy if method == CLI else None, into, found, progress)
        finally:
            conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info(
        "Salvaged %s (%s): %d job(s) back in the queue, %d already there, %s%d lost",
        damaged,
        method,
        len(found.recovered),
        len(found.present),
        "" if found.lost_exact else "at least ",
        len(found.lost),
    )
    return found


def _recover_with_cli(cli: Optional[str], copy: str, target: str) -> Optional[str]:
    """``target`` filled by ``sqlite3 copy .recover | sqlite3 target``; None when there
    is no such command line or its ``.recover`` failed (then read row by row)."""
    exe = shutil.which(cli) if cli else None
    if exe is None:
        return None
    try:
        dump = subprocess.run(
            [exe, copy, ".recover"], capture_output=True, timeout=CLI_TIMEOUT, check=False
        )
        failed = dump.returncode != 0 or b"CREATE TABLE" not in dump.stdout
        if not failed:
            load = subprocess.run(
                [exe, target], input=dump.stdout, capture_output=True, timeout=CLI_TIMEOUT
            )
            failed = load.returncode != 0
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("sqlite3 .recover could not run (%s); reading the file row by row", exc)
        return None
    if failed:
        err = (dump.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        log.info(
            "sqlite3 .recover failed (%s); reading the file row by row",
            err[-1] if err else f"exit code {dump.returncode}",
        )
        return None
    return target


def _put_back(conn, damaged_copy, into, found: Salvaged, progress) -> None:
    """Add the whole jobs ``conn`` reads to ``into``, noting in ``found`` what came back
    and what was lost (the ids the damaged file still knows: ``damaged_copy`` when
    ``conn`` is a recovered database, else ``conn`` itself)."""
    try:
        tables = _columns(conn)
    except sqlite3.DatabaseError as exc:
        raise SalvageError(f"no table of it can be read ({exc})") from exc
    if "jobs" not in tables or "steps" not in tables:
        raise SalvageError("its jobs or steps table cannot be found (its schema page is damaged)")
    damaged = sqlite3.connect(damaged_copy) if damaged_copy else conn
    try:
        known, complete = _known_ids(damaged)
    finally:
        if damaged is not conn:
            damaged.close()
    found.lost_exact = complete
    job_select = _select(JOB_COLUMNS + ", steps_total", tables["jobs"])
    step_select = _select(STEP_COLUMNS, tables["steps"])
    rows = list(_rows(conn, "jobs", job_select))
    whole = set()
    for n, row in enumerate(rows, 1):
        job = _whole_job(conn, row, step_select)
        if job is not None:
            whole.add(job.id)
            _interrupt_if_running(job)
            if into.add(job):
                found.recovered.append(job.id)
                into.add_log(
                    job.id,
                    "warning",
                    f"salvaged from the damaged store {found.path}; its log lines from "
                    "before stay in that file",
                )
            else:
                found.present.append(job.id)
        if progress is not None:
            progress(n, len(rows))
    read = {row[0] for row in rows}
    found.lost = sorted((known | read) - whole)


def _columns(conn) -> dict:
    """``{table: [column, ...]}`` of the file's tables."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        name: [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        for name in names
        if name in ("jobs", "steps", "job_log")
    }


def _select(wanted: str, have: list) -> str:
    """``wanted``'s columns as a select list, a default for each one ``have`` lacks."""
    out = []
    for column in (c.strip() for c in wanted.split(",")):
        out.append(column if column in have else f"{_DEFAULTS.get(column, 'NULL')} AS {column}")
    return ", ".join(out)


def _rows(conn, table: str, columns: str):
    """The readable rows of a rowid table, in rowid order: where a page cannot be read,
    on from the first rowid after it that can (found by probing further and further,
    then back by halves), so one damaged page costs only its own rows."""
    last = -(2**63)
    query = f"SELECT rowid, {columns} FROM {table} WHERE rowid > ? ORDER BY rowid"
    while True:
        moved = False
        try:
            for row in conn.execute(query, (last,)):
                last, moved = row[0], True
                yield row[1:]
            return
        except sqlite3.DatabaseError as exc:
            log.debug("%s: unreadable after rowid %s: %s", table, last, exc)
        if not moved and last > -(2**63):
            last += 1  # it read from here but not on: step over this rowid
        resume = _next_readable(conn, table, max(last, 0))
        if resume is None:
            return
        last = max(last, resume - 1)


def _readable_from(conn, table: str, rowid: int):
    """The first rowid at or after ``rowid`` (None past the end), or raise."""
    row = conn.execute(
        f"SELECT rowid FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1", (rowid,)
    ).fetchone()
    return None if row is None else row[0]


def _next_readable(conn, table: str, last: int) -> Optional[int]:
    """The first rowid after ``last`` from which ``table`` reads again; None if none."""
    bad, jump = last, 1
    while True:
        probe = last + jump
        if probe > 2**62:
            return None
        try:
            good = _readable_from(conn, table, probe)
            break
        except sqlite3.DatabaseError:
            bad, jump = probe, jump * 2
    if good is None:
        return None
    low, high = bad + 1, probe  # low..high-1 unknown; from probe on it reads
    while low < high:
        mid = (low + high) // 2
        try:
            got = _readable_from(conn, table, mid)
        except sqlite3.DatabaseError:
            low = mid + 1
        else:
            high, good = mid, got if got is not None else good
    return good


def _known_ids(conn) -> tuple:
    """``(ids, complete)``: the job ids SQLite still finds in the damaged file's jobs
    index, steps and log (read forwards, then backwards from the end, so a damaged page
    hides only what lies behind it), and whether the jobs index was read to its end."""
    ids, complete = set(), False
    index = _first(
        conn,
        "SELECT name FROM sqlite_master WHERE tbl_name = 'jobs' AND name LIKE "
        "'sqlite_autoindex_jobs_%'",
    )
    sources = [("steps", "job_id", ""), ("job_log", "job_id", "")]
    if index:
        sources.insert(0, ("jobs", "id", f"INDEXED BY {index}"))
    for table, column, hint in sources:
        whole = True
        for order in ("ASC", "DESC"):
            try:
                for (value,) in conn.execute(
                    f"SELECT {column} FROM {table} {hint} ORDER BY {column} {order}"
                ):
                    if isinstance(value, str):
                        ids.add(value)
                break
            except sqlite3.DatabaseError:
                whole = False
        if table == "jobs":
            complete = whole
    return ids, complete


def _first(conn, query: str):
    try:
        row = conn.execute(query).fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _whole_job(conn, row, step_select: str) -> Optional[model.Job]:
    """The job of a readable jobs row (JOB_COLUMNS, then ``steps_total``) with every
    one of its steps, or None (the store keeps a job's steps only in their table)."""
    job_id, total = row[0], row[-1]
    try:
        steps = conn.execute(
            f"SELECT {step_select} FROM steps WHERE job_id = ? ORDER BY idx", (job_id,)
        ).fetchall()
        job = job_from_row(row, steps)
    except (sqlite3.DatabaseError, ValueError, TypeError, IndexError) as exc:
        log.debug("job %s: not whole: %s", job_id, exc)
        return None
    indexes = [step.index for step in job.steps]
    if not isinstance(job.payload, dict) or indexes != list(range(total or 0)):
        log.debug("job %s: %d of %s steps readable", job_id, len(indexes), total)
        return None
    return job


def _interrupt_if_running(job: model.Job) -> None:
    """A job that was running when its store broke has no executor now: interrupted,
    its running step pending again, as a recovery would leave it."""
    if job.state != model.RUNNING:
        return
    job.state = model.INTERRUPTED
    job.owner = job.lease_until = None
    for step in job.steps:
        if step.state == model.STEP_RUNNING:
            step.state = StepState.PENDING
