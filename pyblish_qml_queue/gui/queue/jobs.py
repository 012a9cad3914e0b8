"""Jobs as a Qt list model: a thin adapter over the job store.

Rows are compact :class:`Row` records (``__slots__``) built from a
:class:`~pyblish_qml_queue.queue.model.Job` or from a store's ``listing()`` tuple.
The model reads the jobs at start (from a store that lists them: the unfinished
ones and the newest page of the history; a :class:`~.bridge.JobReader` lists the
older history on its thread and :meth:`JobListModel.add_rows` takes it in chunks),
then changes only the rows named by events: ``dataChanged`` for a changed row
(only the changed roles), a move when its place in the order changed, an insert
for a new job, a remove for a deleted one. It never resets itself after start.

Display order: running and waiting jobs first (oldest start first), then the
claimable queue by position, then finished history newest first. Each row's
place is one int (:func:`order_key`); rows are found by a bisect of it, so an
insert near the top of 100,000 rows renumbers nothing.
"""

from __future__ import annotations

import bisect
import collections
import logging
import time

from PySide6.QtCore import QModelIndex, Signal

from pyblish_qml_queue.gui.roles import DISPLAY_ROLE
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
    "node",  # the farm node running the job ("" for a local job or one not running)
]
ROLE_IDS = role_ids(ROLE_NAMES)
#: Role names that differ from the row's key ("state" would shadow Item.state in QML).
ROLE_KEYS = {"jobState": "state"}

ACTIVE = (jobs_model.RUNNING, jobs_model.WAITING)
#: Finished jobs read at start (``JobListModel.load``); older ones come from a reader thread.
PAGE = 500


#: An order key's group (its bits from :data:`GROUP_SHIFT` on): running and waiting,
#: then the claimable queue, then the history.
GROUP_SHIFT = 96
QUEUE_KEYS = 1 << GROUP_SHIFT  # the first key of a claimable job
HISTORY_KEYS = 2 << GROUP_SHIFT  # the first key of a finished job
_POSITION_BITS = 40  # queue positions below 2**40
_TIME_LIMIT = 1 << 52  # times in microseconds below 2**52 (the year 2112)


def order_key(job) -> int:
    """Where a job sorts in the Queue page (see module docstring)."""
    return _order(job.state, job.started, job.created, job.position, job.finished, job.updated)


def _order(state, started, created, position, finished, updated) -> int:
    """One int, not a tuple: at 100,000 rows a tuple of a group, a time and a position took
    116 bytes a row, this 40. Its group is :data:`GROUP_SHIFT` bits up; within a group, as
    the tuple ``(time, position)`` (history: newest end first) or ``(position, time)``
    (queue) would sort, times to the microsecond."""
    position = int(position or 0)
    if state in ACTIVE:
        return (_micro(started or created) << _POSITION_BITS) | position
    if state in jobs_model.CLAIMABLE:
        return QUEUE_KEYS | (position << 52) | _micro(created)
    ended = _TIME_LIMIT - 1 - _micro(finished or updated or created)
    return HISTORY_KEYS | (ended << _POSITION_BITS) | position


def _micro(seconds) -> int:
    return min(max(int((seconds or 0.0) * 1e6), 0), _TIME_LIMIT - 1)


def step_label(step) -> str:
    if step is None:
        return ""
    name = step.label or step.plugin
    return f"{name} · {step.instance}" if step.instance else name


#: The fields of a :class:`Row`, in the order :meth:`Row.__init__` takes them.
ROW_FIELDS = (*ROLE_NAMES[:2], "state", *ROLE_NAMES[3:], "_key", "_text")


class Row:
    """One job's row: its role values as attributes (``state`` for the ``jobState`` role),
    its place in the order (``_key``) and what the search looks in (``_text``).

    ``__slots__``, not a dict: at 100,000 jobs a dict of 20 keys takes 464 bytes a row
    where this takes 200. Read like the dict it replaced (``row["state"]``,
    ``row.get("title")``); rows are replaced whole, only ``queueNumber`` and ``progress``
    change in place.
    """

    __slots__ = ROW_FIELDS

    # One assignment per field, not a loop of setattr: 100,000 rows are built in a
    # fifth of the time.
    def __init__(
        self,
        jobId,
        title,
        state,
        application,
        version,
        machine,
        user,
        created,
        started,
        finished,
        attempts,
        maxAttempts,
        done,
        total,
        progress,
        current,
        error,
        queueNumber,
        cancelRequested,
        node,
        _key,
        _text,
    ):
        self.jobId = jobId
        self.title = title
        self.state = state
        self.application = application
        self.version = version
        self.machine = machine
        self.user = user
        self.created = created
        self.started = started
        self.finished = finished
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.done = done
        self.total = total
        self.progress = progress
        self.current = current
        self.error = error
        self.queueNumber = queueNumber
        self.cancelRequested = cancelRequested
        self.node = node
        self._key = _key
        self._text = _text

    def __getitem__(self, name):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def get(self, name, default=None):
        return getattr(self, name, default)

    def as_dict(self) -> dict:
        """The row as a dict of its role values, ``_key`` included (not ``_text``)."""
        return {name: getattr(self, name) for name in ROW_FIELDS[:-1]}

    def __eq__(self, other):
        if not isinstance(other, Row):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in ROW_FIELDS)

    __hash__ = None

    def __repr__(self):
        return f"Row({self.jobId!r}, {self.state!r})"


def search_text(title: str, job_id: str) -> str:
    """A row's own search text (``_text``): its title lowercase, and its id when that is
    not lowercase already (ids are uuid4 hex). The title itself when it is lowercase: at
    100,000 rows a search text of every field took 12 MB. The search matches the id, the
    host and the user apart (:meth:`~.filter.JobFilterProxy.set_search`)."""
    text = title.lower()
    if job_id != job_id.lower():
        text = f"{text} {job_id.lower()}"
    return title if text == title else text


def matches(search: str, row, values: frozenset) -> bool:
    """Whether ``row`` shows ``search`` (lowercase) in its title, id, host or user;
    ``values``: the hosts' and users' names that contain it."""
    return (
        search in row._text
        or search in row.jobId
        or (
            bool(values)
            and (row.application in values or row.machine in values or row.user in values)
        )
    )


def running_node(job) -> str:
    """The farm node running ``job``: the node (``Step.worker``) of its step started
    last, while the job runs; "" for a job not running, local, or listed without steps."""
    if job.state != jobs_model.RUNNING:
        return ""
    latest = None
    for step in job.steps:
        if step.worker and (latest is None or (step.started or 0.0) >= (latest.started or 0.0)):
            latest = step
    return str(latest.worker.get("node") or "") if latest is not None else ""


def summarize(job, live=None) -> Row:
    """The row of one job. ``live``: the running step's last progress event, if any.

    A job listed without its steps (``store.jobs()``) gets ``current`` None: keep what
    the row shows.
    """
    done, total = job.progress
    running = next((s for s in job.steps if s.state == jobs_model.STEP_RUNNING), None)
    if job.steps:
        current = step_label(
            running or (job.next_step if job.state not in jobs_model.FINISHED else None)
        )
    else:
        current = None
    fraction = 0.0
    if live and running is not None and live.get("index") == running.index:
        try:
            fraction = min(max(float(live.get("fraction") or 0.0), 0.0), 1.0)
        except (TypeError, ValueError):
            fraction = 0.0
    host = job.host
    application, machine = str(host.get("application") or ""), str(host.get("machine") or "")
    return Row(
        job.id,
        job.title,
        job.state,
        application,
        str(host.get("version") or ""),
        machine,
        job.user,
        float(job.created or 0.0),
        float(job.started or 0.0),
        float(job.finished or 0.0),
        int(job.attempts),
        int(job.max_attempts),
        done,
        total,
        (done + fraction) / total if total else 0.0,
        current,
        job.error or "",
        0,
        bool(job.cancel_requested),
        running_node(job),
        order_key(job),
        search_text(job.title, job.id),
    )


def listed_row(values, share) -> Row:
    """The row of a job from a store's ``listing()`` tuple (``rows.LISTING_COLUMNS``): what
    :func:`summarize` makes of the same job listed by ``jobs()``, ``current`` left "".

    ``share``: a dict through which equal values (states, hosts, users, fractions) share
    one object. Plain Python, no Qt: a :class:`~.bridge.JobReader` builds rows on its thread.
    """
    (job_id, title, state, application, version, machine, user, created, updated, started,
     finished, position, attempts, max_attempts, error, cancel, done, total) = values  # fmt: skip
    same = share.setdefault
    application, version = str(application or ""), str(version or "")
    machine, user = str(machine or ""), str(user or "")
    progress = done / total if total else 0.0
    return Row(
        job_id,
        title,
        same(state, state),
        same(application, application),
        same(version, version),
        same(machine, machine),
        same(user, user),
        float(created or 0.0),
        float(started or 0.0),
        float(finished or 0.0),
        int(attempts),
        int(max_attempts),
        done,
        total,
        same(progress, progress),
        "",
        same(error, error) if error else "",
        0,
        bool(cancel),
        "",
        _order(state, started, created, position, finished, updated),
        search_text(title, job_id),
    )


def listed_same(row, values) -> bool:
    """Whether ``row`` shows what a ``listing()`` tuple says of its job (as
    :func:`listed_row` would make it; the running step and its bar aside)."""
    (_, title, state, application, _, machine, _, created, updated, started, finished,
     position, attempts, max_attempts, error, cancel, done, total) = values  # fmt: skip
    return (
        row.state == state
        and row.done == done
        and row.total == total
        and row.attempts == attempts
        and row.title == title
        and row.error == (error or "")
        and row.cancelRequested == bool(cancel)
        and row.maxAttempts == max_attempts
        and row._key == _order(state, started, created, position, finished, updated)
    )


class JobListModel(RowListModel):
    """Every job in the store, updated row by row from events.

    A store with ``listing(newest=n)`` (the SQLite one) is read at :meth:`load` as its
    unfinished jobs and the ``page`` newest finished ones, enough for the first screen;
    :attr:`complete` then says whether older history is still to come, which a
    :class:`~.bridge.JobReader` reads on its thread and :meth:`add_rows` takes in chunks.

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
        a :class:`~.bridge.JobReader` to compare a listing with on its thread. Only this
        thread changes it; a ``get`` or ``list()`` of it is one step under the GIL."""
        return self._by_id

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
        return -1 if row is None else self._find(row)

    def _find(self, row) -> int:
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
        """Add rows a :class:`~.bridge.JobReader` listed (older history, sorted by key).

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
        """Update rows from a :class:`~.bridge.JobReader`'s reads; returns the ids applied.

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
                self.notify_row(self._find(old), [ROLE_IDS["progress"]])

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
        row = self._find(old)
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
        row = self._find(old)
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
                    self.notify_row(self._find(row), role)
        self._numbered = numbered


def row_key(row) -> tuple:
    """A row's place in the order (a sort key)."""
    return row._key


def find_row(rows: list, keys: list, row) -> int:
    """The place of ``row`` in ``rows`` (sorted by ``keys``, each row's ``_key``), -1 if
    not there: a bisect of its key, then the rows of an equal key."""
    n = bisect.bisect_left(keys, row._key)
    end = len(rows)
    while n < end and keys[n] == row._key:
        if rows[n] is row:
            return n
        n += 1
    return -1
