"""Jobs as a Qt list model: a thin adapter over the job store.

Rows are plain summaries built from :class:`~pyblish_qml_queue.queue.model.Job`.
The model reads every job once at start (``store.jobs()``), then changes only
the rows named by events: ``dataChanged`` for a changed row (only the changed
roles), a move when its place in the order changed, an insert for a new job,
a remove for a deleted one. It never resets itself after start.

Display order: running and waiting jobs first (oldest start first), then the
claimable queue by position, then finished history newest first.
"""

from __future__ import annotations

import bisect
import collections
import logging
import time

from PySide6.QtCore import QModelIndex, Signal

from pyblish_qml_queue.gui.rowmodel import RowListModel, role_ids
from pyblish_qml_queue.queue import model as jobs_model
from pyblish_qml_queue.queue.store import JobNotFound

log = logging.getLogger(__name__)

ROLE_NAMES = [
    "jobId",
    "title",
    "jobState",
    "application",
    "version",
    "machine",
    "user",
    "created",
    "started",
    "finished",
    "attempts",
    "maxAttempts",
    "done",
    "total",
    "progress",  # 0..1, the running step's own fraction included
    "current",  # "ExtractAlembic · CHAR_ben01" of the step running or next
    "error",
    "queueNumber",  # 1-based place among active and queued jobs, 0 for history
    "cancelRequested",
]
ROLE_IDS = role_ids(ROLE_NAMES)
#: Role names that differ from the row's key ("state" would shadow Item.state in QML).
ROLE_KEYS = {"jobState": "state"}

ACTIVE = (jobs_model.RUNNING, jobs_model.WAITING)


def order_key(job) -> tuple:
    """Where a job sorts in the Queue page (see module docstring)."""
    return _order(job.state, job.started, job.created, job.position, job.finished, job.updated)


def _order(state, started, created, position, finished, updated) -> tuple:
    if state in ACTIVE:
        return (0, started or created, position)
    if state in jobs_model.CLAIMABLE:
        return (1, position, created)
    return (2, -(finished or updated or created), position)


def step_label(step) -> str:
    if step is None:
        return ""
    name = step.label or step.plugin
    return f"{name} · {step.instance}" if step.instance else name


def summarize(job, live=None) -> dict:
    """The row of one job. ``live``: the running step's last progress event, if any."""
    done, total = job.progress
    running = next((s for s in job.steps if s.state == jobs_model.STEP_RUNNING), None)
    if job.steps:
        current = step_label(
            running or (job.next_step if job.state not in jobs_model.FINISHED else None)
        )
    else:
        current = None  # a summary without steps: keep what the row shows
    fraction = 0.0
    if live and running is not None and live.get("index") == running.index:
        try:
            fraction = min(max(float(live.get("fraction") or 0.0), 0.0), 1.0)
        except (TypeError, ValueError):
            fraction = 0.0
    host = job.host
    return {
        "jobId": job.id,
        "title": job.title,
        "state": job.state,
        "application": str(host.get("application") or ""),
        "version": str(host.get("version") or ""),
        "machine": str(host.get("machine") or ""),
        "user": job.user,
        "created": float(job.created or 0.0),
        "started": float(job.started or 0.0),
        "finished": float(job.finished or 0.0),
        "attempts": int(job.attempts),
        "maxAttempts": int(job.max_attempts),
        "done": done,
        "total": total,
        "progress": (done + fraction) / total if total else 0.0,
        "current": current,
        "error": job.error or "",
        "queueNumber": 0,
        "cancelRequested": bool(job.cancel_requested),
        "_key": order_key(job),
        "_live": live,
    }


def listed_row(values, share) -> dict:
    """The row of a job from a store's ``listing()`` tuple (``rows.LISTING_COLUMNS``): what
    :func:`summarize` makes of the same job listed by ``jobs()``, ``current`` left "".

    ``share``: a dict through which equal values (states, hosts, users, fractions) share
    one object.
    """
    (job_id, title, state, application, version, machine, user, created, updated, started,
     finished, position, attempts, max_attempts, error, cancel, done, total) = values  # fmt: skip
    same = share.setdefault
    application, version = str(application or ""), str(version or "")
    machine, user = str(machine or ""), str(user or "")
    progress = done / total if total else 0.0
    return {
        "jobId": job_id,
        "title": title,
        "state": same(state, state),
        "application": same(application, application),
        "version": same(version, version),
        "machine": same(machine, machine),
        "user": same(user, user),
        "created": float(created or 0.0),
        "started": float(started or 0.0),
        "finished": float(finished or 0.0),
        "attempts": int(attempts),
        "maxAttempts": int(max_attempts),
        "done": done,
        "total": total,
        "progress": same(progress, progress),
        "current": "",
        "error": same(error, error) if error else "",
        "queueNumber": 0,
        "cancelRequested": bool(cancel),
        "_key": _order(state, started, created, position, finished, updated),
    }


class JobListModel(RowListModel):
    """Every job in the store, updated row by row from events."""

    ROLES = ROLE_NAMES
    KEYS = ROLE_KEYS
    DISPLAY = "title"
    countChanged = Signal()
    #: Emitted after rows changed, with the ids that changed (for detail panes).
    jobsRefreshed = Signal(list)

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self._store = store  # self._rows: summaries, sorted by "_key"
        self._keys = []  # the "_key" of each row, for bisect
        self._index = {}  # job id -> row (rows from self._stale_from on may have moved)
        self._stale_from = None
        #: job id -> its running step's last progress event, beside the rows, not in them:
        #: a row then has 20 keys, 21 with its search text, and a dict of up to 21 keys
        #: takes 464 bytes where one of 22 takes 832 (100,000 rows: 37 MB).
        self._live = {}
        self._queue_numbers_dirty = False
        #: Jobs per state and per application, kept up to date row by row.
        self.state_counts = collections.Counter()
        self.app_counts = collections.Counter()
        #: job id -> ``time.monotonic()`` when its row was last read (see :meth:`apply_reads`).
        self._read_at = {}
        self._loaded_at = 0.0

    # -- reading ---------------------------------------------------------------

    def row_of(self, job_id: str) -> int:
        row = self._at(job_id)
        return -1 if row is None else row

    def summary(self, job_id: str) -> dict:
        """A copy of the row of a job, with its running step's last progress event under
        ``_live`` (KeyError if not shown)."""
        row = self._at(job_id)
        if row is None:
            raise KeyError(job_id)
        summary = dict(self._rows[row])
        summary.pop("_text", None)
        summary["_live"] = self._live.get(job_id)
        return summary

    def active_count(self) -> int:
        """Jobs running, waiting or queued (the rows before the history)."""
        return bisect.bisect_left(self._keys, (2,))

    def next_title(self) -> str:
        """The title of the job the executor will claim next ("" when none)."""
        at = bisect.bisect_left(self._keys, (1,))
        if at < len(self._rows) and self._keys[at][0] == 1:
            return self._rows[at]["title"]
        return ""

    def _count(self, row, sign) -> None:
        self.state_counts[row["state"]] += sign
        if row["application"]:
            self.app_counts[row["application"]] += sign

    # -- feeding ---------------------------------------------------------------

    def load(self) -> None:
        """Read every job from the store (start-up, or an explicit reload)."""
        self._read_at.clear()
        self._live.clear()
        self._loaded_at = time.monotonic()
        rows = []
        listing = getattr(self._store, "listing", None)
        if listing is not None:  # tuples, no Job built nor JSON parsed per job
            share = {}
            for values in listing():
                if values[2] in ACTIVE:
                    rows.append(self._summary_of(self._store.get(values[0])))
                else:
                    rows.append(listed_row(values, share))
        else:
            for job in self._store.jobs():
                if job.state in ACTIVE:
                    job = self._store.get(job.id)
                rows.append(self._summary_of(job))
        rows.sort(key=lambda r: r["_key"])
        self.beginResetModel()
        self._rows = rows
        self._keys = [r["_key"] for r in rows]
        self.state_counts.clear()
        self.app_counts.clear()
        self.state_counts.update(row["state"] for row in rows)  # as _count(row, 1) for each
        self.app_counts.update(row["application"] for row in rows if row["application"])
        self._index = {row["jobId"]: n for n, row in enumerate(rows)}
        self._stale_from = None
        self._number(notify=False)
        self.endResetModel()
        self.countChanged.emit()

    @staticmethod
    def _summary_of(job) -> dict:
        row = summarize(job)  # an active job read whole: its current step shows
        del row["_live"]
        if row["current"] is None:
            row["current"] = ""
        return row

    def refresh(self, ids, live=None) -> dict:
        """Read the named jobs again from the store and update their rows.

        Args:
            ids: job ids that changed (added, updated or removed).
            live: ``{job_id: progress event}`` for running steps.

        Returns:
            ``{job_id: job}`` of the jobs read (the removed ones left out).
        """
        live = live or {}
        changed = []
        read = {}
        for job_id in ids:
            self._read_at[job_id] = time.monotonic()
            try:
                job = self._store.get(job_id)
            except JobNotFound:
                self._remove(job_id)
                changed.append(job_id)
                continue
            read[job_id] = job
            self._put(summarize(job, live.get(job_id)))
            changed.append(job_id)
        self._number()
        if changed:
            self.jobsRefreshed.emit(changed)
        return read

    def refresh_many(self, jobs) -> None:
        """Update rows from jobs already read (e.g. ``store.jobs(state=...)``)."""
        ids = []
        now = time.monotonic()
        for job in jobs:
            self._read_at[job.id] = now
            self._put(summarize(job, self._live.get(job.id)))
            ids.append(job.id)
        self._number()
        if ids:
            self.jobsRefreshed.emit(ids)

    def apply_reads(self, reads) -> list:
        """Update rows from a :class:`~.bridge.JobReader`'s reads; returns the ids applied.

        Args:
            reads: ``{job_id: (started, job or None, ...)}``; a None job was removed.
                A read that started before the row was last read here is left out:
                it is older than what the row shows.
        """
        applied = []
        for job_id, (started, job, *_) in reads.items():
            if started < self._read_at.get(job_id, self._loaded_at):
                continue
            self._read_at[job_id] = started
            if job is None:
                self._remove(job_id)
            else:
                self._put(summarize(job, self._live.get(job_id)))
            applied.append(job_id)
        self._number()
        if applied:
            self.jobsRefreshed.emit(applied)
        return applied

    def progress(self, events) -> None:
        """Move running steps' bars from progress events (``{job_id: event}``), no store read."""
        for job_id, event in events.items():
            row = self._at(job_id)
            if row is None:
                continue
            old = self._rows[row]
            total = old["total"]
            try:
                fraction = min(max(float(event.get("fraction") or 0.0), 0.0), 1.0)
            except (TypeError, ValueError):
                continue
            self._live[job_id] = event
            value = (old["done"] + fraction) / total if total else 0.0
            if value != old["progress"]:
                old["progress"] = value
                self.notify_row(row, [ROLE_IDS["progress"]])

    # -- internals -------------------------------------------------------------

    def _put(self, new: dict) -> None:
        job_id = new["jobId"]
        live = new.pop("_live", None)
        if live is not None:
            self._live[job_id] = live
        else:
            self._live.pop(job_id, None)
        row = self._at(job_id) if job_id in self._index else None
        if row is None:
            if new["current"] is None:
                new["current"] = ""
            at = bisect.bisect_right(self._keys, new["_key"])
            self.beginInsertRows(QModelIndex(), at, at)
            self._rows.insert(at, new)
            self._keys.insert(at, new["_key"])
            self._count(new, 1)
            self._index[job_id] = at
            self._moved_from(at)
            self.endInsertRows()
            self.countChanged.emit()
            self._queue_numbers_dirty = True
            return
        old = self._rows[row]
        new["queueNumber"] = old["queueNumber"]
        if new["current"] is None:
            new["current"] = old["current"]
        if new["_key"] != old["_key"]:
            # Take it out, find its new place among the others, move it there.
            keys = self._keys[:row] + self._keys[row + 1 :]
            at = bisect.bisect_right(keys, new["_key"])
            if at != row:
                dest = at if at < row else at + 1  # Qt counts the destination before removal
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest)
                del self._rows[row]
                self._rows.insert(at, old)
                self._keys = keys
                self._keys.insert(at, new["_key"])
                self._reindex(min(row, at), max(row, at) + 1)
                self.endMoveRows()
                row = at
            else:
                self._keys[row] = new["_key"]
            self._queue_numbers_dirty = True
        self._count(old, -1)
        self._count(new, 1)
        self.replace_row(row, new)

    def _remove(self, job_id: str) -> None:
        row = self._at(job_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self._count(self._rows[row], -1)
        del self._rows[row]
        del self._keys[row]
        del self._index[job_id]
        self._live.pop(job_id, None)
        self._moved_from(row)
        self.endRemoveRows()
        self.countChanged.emit()
        self._queue_numbers_dirty = True

    def _reindex(self, start: int = 0, stop=None) -> None:
        if stop is None:
            self._stale_from = None
        stop = len(self._rows) if stop is None else stop
        for n in range(start, stop):
            self._index[self._rows[n]["jobId"]] = n

    def _moved_from(self, row: int) -> None:
        """Rows from ``row`` on moved (an insert or a removal): their numbers in the index
        are put right when next asked for (:meth:`_at`), so a batch of inserts renumbers
        the rows once, not once per insert."""
        if self._stale_from is None or row < self._stale_from:
            self._stale_from = row

    def _at(self, job_id: str):
        """The job's row now, None if not shown."""
        if self._stale_from is not None:
            self._reindex(self._stale_from)
        return self._index.get(job_id)

    def _number(self, notify: bool = True) -> None:
        """Give active and queued rows their 1-based place (the '#' column)."""
        if not notify:
            self._queue_numbers_dirty = True
        if not self._queue_numbers_dirty:
            return
        self._queue_numbers_dirty = False
        role = [ROLE_IDS["queueNumber"]]
        for n, row in enumerate(self._rows):
            number = n + 1 if row["_key"][0] < 2 else 0
            if row["queueNumber"] != number:
                row["queueNumber"] = number
                if notify:
                    self.notify_row(n, role)
