"""Jobs as a Qt list model: a thin adapter over the job store.

The model holds the Queue page's rows (:class:`~.rows.Row` records, in the order of
:func:`~.rows.order_key`). It reads the jobs at start (from a store that lists them: the
unfinished ones and the newest page of the history; a :class:`~.reader.JobReader` lists the
older history on its thread and :meth:`JobListModel.add_rows` takes it in chunks),
then changes only the rows named by events: ``dataChanged`` for a changed row
(only the changed roles), a move when its place in the order changed, an insert
for a new job, a remove for a deleted one. It never resets itself after start.
"""

from __future__ import annotations

import bisect
import collections
import logging
import time

from PySide6.QtCore import QModelIndex, Signal

from pyblish_qml_queue.gui.queue.rows import (
    ACTIVE,
    HISTORY_KEYS,
    QUEUE_KEYS,
    ROLE_NAMES,
    Row,
    find_row,
    listed_row,
    row_key,
    summarize,
)
from pyblish_qml_queue.gui.roles import DISPLAY_ROLE
from pyblish_qml_queue.gui.rowmodel import RowListModel, role_ids
from pyblish_qml_queue.queue import model as jobs_model
from pyblish_qml_queue.queue.store import JobNotFound

log = logging.getLogger(__name__)

ROLE_IDS = role_ids(ROLE_NAMES)
#: Role names that differ from the row's key ("state" would shadow Item.state in QML).
ROLE_KEYS = {"jobState": "state"}

#: Finished jobs read at start (``JobListModel.load``); older ones come from a reader thread.
PAGE = 500


class JobListModel(RowListModel):
    """Every job in the store, updated row by row from events.

    A store with ``listing(newest=n)`` (the SQLite one) is read at :meth:`load` as its
    unfinished jobs and the ``page`` newest finished ones, enough for the first screen;
    :attr:`complete` then says whether older history is still to come, which a
    :class:`~.reader.JobReader` reads on its thread and :meth:`add_rows` takes in chunks.

    Views other than Qt's (the :class:`~.filter.JobFilterProxy`) follow the rows through
    :meth:`add_listener`: Python calls per changed row, not a re-read of every row.
    """

    ROLES = ROLE_NAMES
    KEYS = ROLE_KEYS
    DISPLAY = "title"
    countChanged = Signal()
    #: Emitted after rows changed, with the ids that changed (for detail panes).
    jobsRefreshed = Signal(list)

    def __init__(self, store, parent=None, page=None):
        super().__init__(parent)
        self._store = store  # self._rows: Row objects, sorted by their "_key"
        self._keys = []  # the "_key" of each row, for bisect
        self._by_id = {}  # job id -> its Row (its place: a bisect of its key)
        #: job id -> its running step's last progress event, beside the rows, not in them.
        self._live = {}
        self._numbered = {}  # job id -> its queue number, for the numbered (active) rows
        self._queue_numbers_dirty = False
        #: Jobs per state and per application, kept up to date row by row.
        self.state_counts = collections.Counter()
        self.app_counts = collections.Counter()
        #: Every application, machine and user name a row had: what the search looks in
        #: besides each row's own text (a few dozen names, not one per row).
        self.search_values = set()
        #: job id -> ``time.monotonic()`` when its row was last read (see :meth:`apply_reads`).
        self._read_at = {}
        self._loaded_at = 0.0
        self._listeners = []
        self._page = PAGE if page is None else page
        #: False while finished jobs older than the first page are still to be added.
        self.complete = True

    @property
    def rows_by_id(self) -> dict:
        """job id -> its row: the one dict for the model's life (``load`` refills it), for
        a :class:`~.reader.JobReader` to compare a listing with on its thread. Only this
        thread changes it; a ``get`` or ``list()`` of it is one step under the GIL."""
        return self._by_id

    def order_keys(self) -> list:
        """Each row's ``_key``, in the rows' order, for bisect (do not change them)."""
        return self._keys

    def add_listener(self, listener) -> None:
        """Tell ``listener`` of every change, after the model's own Qt signals: its
        ``rows_reset()``, ``rows_added(rows)``, ``row_removed(row)``,
        ``row_replaced(old, new, roles)`` and ``row_changed(row, roles)``."""
        self._listeners.append(listener)

    # -- Qt interface ----------------------------------------------------------

    def data(self, index, role=DISPLAY_ROLE):
        n = index.row()
        if not index.isValid() or not 0 <= n < len(self._rows):
            return None
        return self.value(self._rows[n], role)

    def value(self, row, role):
        """What ``row`` shows in ``role``."""
        if role == DISPLAY_ROLE:
            return row.title
        key = self._role_keys.get(role)
        return getattr(row, key) if key else None

    # -- reading ---------------------------------------------------------------

    def row_of(self, job_id: str) -> int:
        row = self._by_id.get(job_id)
        return -1 if row is None else self.find(row)

    def find(self, row) -> int:
        """The place of ``row`` (a Row of this model) in the list."""
        return find_row(self._rows, self._keys, row)

    def summary(self, job_id: str) -> dict:
        """The row of a job as a dict, with its running step's last progress event under
        ``_live`` (KeyError if not shown)."""
        row = self._by_id.get(job_id)
        if row is None:
            raise KeyError(job_id)
        summary = row.as_dict()
        summary["_live"] = self._live.get(job_id)
        return summary

    def active_count(self) -> int:
        """Jobs running, waiting or queued (the rows before the history)."""
        return bisect.bisect_left(self._keys, HISTORY_KEYS)

    def next_title(self) -> str:
        """The title of the job the executor will claim next ("" when none)."""
        at = bisect.bisect_left(self._keys, QUEUE_KEYS)
        if at < len(self._rows) and self._keys[at] < HISTORY_KEYS:
            return self._rows[at].title
        return ""

    def _count(self, row, sign) -> None:
        self.state_counts[row.state] += sign
        if row.application:
            self.app_counts[row.application] += sign
        if sign > 0:
            self.search_values.update((row.application, row.machine, row.user))

    def values_with(self, search: str) -> frozenset:
        """The hosts' and users' names (of the rows ever shown) that contain ``search``."""
        return frozenset(v for v in self.search_values if search in v.lower())

    # -- feeding ---------------------------------------------------------------

    def load(self) -> None:
        """Read the jobs from the store (start-up, or an explicit reload).

        From a store with ``listing()``: its unfinished jobs and the ``page`` newest
        finished ones (every job when ``page`` is 0); :attr:`complete` is False when it
        may hold more, for :meth:`add_rows`.
        """
        self._read_at.clear()
        self._live.clear()
        self._loaded_at = time.monotonic()
        rows = []
        listing = getattr(self._store, "listing", None)
        complete = True
        if listing is not None:  # tuples, no Job built nor JSON parsed per job
            share = {}
            finished = 0
            for values in listing(newest=self._page) if self._page else listing():
                if values[2] in ACTIVE:
                    rows.append(self._summary_of(self._store.get(values[0])))
                else:
                    rows.append(listed_row(values, share))
                    finished += values[2] in jobs_model.FINISHED
            complete = not self._page or finished < self._page
        else:
            for job in self._store.jobs():
                if job.state in ACTIVE:
                    job = self._store.get(job.id)
                rows.append(self._summary_of(job))
        rows.sort(key=row_key)
        self.beginResetModel()
        self._rows = rows
        self._keys = [r._key for r in rows]
        self._by_id.clear()  # the same dict: a JobReader holds it (see rows_by_id)
        self._by_id.update((row.jobId, row) for row in rows)
        self.state_counts.clear()
        self.app_counts.clear()
        self.state_counts.update(row.state for row in rows)  # as _count(row, 1) for each
        self.app_counts.update(row.application for row in rows if row.application)
        self._seen(rows)
        self._numbered = {}
        self.complete = complete
        self._number(notify=False)
        self.endResetModel()
        for listener in self._listeners:
            listener.rows_reset()
        self.countChanged.emit()

    def add_rows(self, rows, started: float, last: bool = False) -> int:
        """Add rows a :class:`~.reader.JobReader` listed (older history, sorted by key).

        A job this model has already, or read again or saw removed after ``started``
        (the listing's ``time.monotonic()``), is left out: the model knows better.
        ``last``: the listing is all in (:attr:`complete`). Returns the rows added.
        """
        known, read_at = self._by_id, self._read_at
        rows = [
            r
            for r in rows
            if r.jobId not in known and read_at.get(r.jobId, self._loaded_at) <= started
        ]
        if last:
            self.complete = True
        if not rows:
            return 0
        keys = self._keys
        if not keys or keys[-1] < rows[0]._key:  # after every row: one insert
            start = len(keys)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            keys.extend(r._key for r in rows)
            for row in rows:
                known[row.jobId] = row
            self.endInsertRows()
        else:
            for row in rows:
                at = bisect.bisect_right(keys, row._key)
                self.beginInsertRows(QModelIndex(), at, at)
                self._rows.insert(at, row)
                keys.insert(at, row._key)
                known[row.jobId] = row
                self.endInsertRows()
        self.state_counts.update(row.state for row in rows)
        self.app_counts.update(row.application for row in rows if row.application)
        self._seen(rows)
        if rows[0]._key < HISTORY_KEYS:
            self._queue_numbers_dirty = True
            self._number()
        for listener in self._listeners:
            listener.rows_added(rows)
        self.countChanged.emit()
        return len(rows)

    def _seen(self, rows) -> None:
        values = self.search_values
        values.update({row.application for row in rows})
        values.update({row.machine for row in rows})
        values.update({row.user for row in rows})

    @staticmethod
    def _summary_of(job) -> Row:
        row = summarize(job)  # an active job read whole: its current step shows
        if row.current is None:
            row.current = ""
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
            self._put(summarize(job, live.get(job_id)), live.get(job_id))
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
            live = self._live.get(job.id)
            self._put(summarize(job, live), live)
            ids.append(job.id)
        self._number()
        if ids:
            self.jobsRefreshed.emit(ids)

    def apply_reads(self, reads) -> list:
        """Update rows from a :class:`~.reader.JobReader`'s reads; returns the ids applied.

        Args:
            reads: ``{job_id: (started, job, Row or None, ...)}``: a job read whole
                (``store.get``), a Row listed, or None for a removed job. A read that
                started before the row was last read here is left out: it is older than
                what the row shows.
        """
        applied = []
        for job_id, (started, job, *_) in reads.items():
            if started < self._read_at.get(job_id, self._loaded_at):
                continue
            self._read_at[job_id] = started
            if job is None:
                self._remove(job_id)
            elif isinstance(job, Row):
                self._put(job, self._live.get(job_id))
            else:
                live = self._live.get(job_id)
                self._put(summarize(job, live), live)
            applied.append(job_id)
        self._number()
        if applied:
            self.jobsRefreshed.emit(applied)
        return applied

    def progress(self, events) -> None:
        """Move running steps' bars from progress events (``{job_id: event}``), no store read."""
        for job_id, event in events.items():
            old = self._by_id.get(job_id)
            if old is None:
                continue
            total = old.total
            try:
                fraction = min(max(float(event.get("fraction") or 0.0), 0.0), 1.0)
            except (TypeError, ValueError):
                continue
            self._live[job_id] = event
            value = (old.done + fraction) / total if total else 0.0
            if value != old.progress:
                old.progress = value
                self.notify_row(self.find(old), [ROLE_IDS["progress"]])

    # -- changing --------------------------------------------------------------

    def notify_row(self, n: int, roles: list) -> None:
        """Tell views that ``roles`` of row ``n`` changed (in place)."""
        super().notify_row(n, roles)
        row = self._rows[n]
        for listener in self._listeners:
            listener.row_changed(row, roles)

    # -- internals -------------------------------------------------------------

    def _put(self, new: Row, live=None) -> None:
        job_id = new.jobId
        if live is not None:
            self._live[job_id] = live
        else:
            self._live.pop(job_id, None)
        old = self._by_id.get(job_id)
        if old is None:
            if new.current is None:
                new.current = ""
            at = bisect.bisect_right(self._keys, new._key)
            self.beginInsertRows(QModelIndex(), at, at)
            self._rows.insert(at, new)
            self._keys.insert(at, new._key)
            self._count(new, 1)
            self._by_id[job_id] = new
            self.endInsertRows()
            for listener in self._listeners:
                listener.rows_added([new])
            self.countChanged.emit()
            self._queue_numbers_dirty = True
            return
        row = self.find(old)
        new.queueNumber = old.queueNumber
        if new.current is None:
            new.current = old.current
        if new._key != old._key:
            # Take it out, find its new place among the others, move it there.
            del self._keys[row]
            at = bisect.bisect_right(self._keys, new._key)
            if at != row:
                dest = at if at < row else at + 1  # Qt counts the destination before removal
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest)
                del self._rows[row]
                self._rows.insert(at, old)
                self._keys.insert(at, new._key)
                self.endMoveRows()
                row = at
            else:
                self._keys.insert(row, new._key)
            self._queue_numbers_dirty = True
        self._count(old, -1)
        self._count(new, 1)
        self._by_id[job_id] = new
        roles = [
            role for role, key in self._role_keys.items() if getattr(old, key) != getattr(new, key)
        ]
        self._rows[row] = new
        if roles:
            super().notify_row(row, roles)
        for listener in self._listeners:
            listener.row_replaced(old, new, roles)

    def _remove(self, job_id: str) -> None:
        old = self._by_id.get(job_id)
        if old is None:
            return
        row = self.find(old)
        self.beginRemoveRows(QModelIndex(), row, row)
        self._count(old, -1)
        del self._rows[row]
        del self._keys[row]
        del self._by_id[job_id]
        self._live.pop(job_id, None)
        self.endRemoveRows()
        for listener in self._listeners:
            listener.row_removed(old)
        self.countChanged.emit()
        self._queue_numbers_dirty = True

    def _number(self, notify: bool = True) -> None:
        """Give active and queued rows their 1-based place (the '#' column), history 0.

        Only the rows before the history are looked at, and those that were numbered.
        """
        if not notify:
            self._queue_numbers_dirty = True
        if not self._queue_numbers_dirty:
            return
        self._queue_numbers_dirty = False
        role = [ROLE_IDS["queueNumber"]]
        numbered = {}
        rows = self._rows
        for n in range(self.active_count()):
            row = rows[n]
            numbered[row.jobId] = n + 1
            if row.queueNumber != n + 1:
                row.queueNumber = n + 1
                if notify:
                    self.notify_row(n, role)
        for job_id in self._numbered.keys() - numbered.keys():
            row = self._by_id.get(job_id)
            if row is not None and row.queueNumber:
                row.queueNumber = 0
                if notify:
                    self.notify_row(self.find(row), role)
        self._numbered = numbered
