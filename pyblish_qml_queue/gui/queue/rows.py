"""A job's row on the Queue page: the compact :class:`Row` record, its building and its place.

Rows are :class:`Row` records (``__slots__``) built from a
:class:`~pyblish_qml_queue.queue.model.Job` (:func:`summarize`) or from a store's
``listing()`` tuple (:func:`listed_row`). Plain Python, no Qt: a :class:`~.reader.JobReader`
builds and compares rows on its thread; the :class:`~.jobs.JobListModel` holds them.

Display order: running and waiting jobs first (oldest start first), then the
claimable queue by position, then finished history newest first. Each row's
place is one int (:func:`order_key`); rows are found by a bisect of it
(:func:`find_row`), so an insert near the top of 100,000 rows renumbers nothing.
"""

from __future__ import annotations

import bisect

from pyblish_qml_queue.queue import model as jobs_model

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

ACTIVE = (jobs_model.RUNNING, jobs_model.WAITING)


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
    one object. Plain Python, no Qt: a :class:`~.reader.JobReader` builds rows on its thread.
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
