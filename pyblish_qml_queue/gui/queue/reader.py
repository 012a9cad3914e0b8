"""Read jobs from the store on a thread of their own, for the Queue page's job list.

Plain Python, no Qt: the thread touches only the store and the bridge's thread-safe sinks
(:class:`~pyblish_qml_queue.gui.bridge.EventBridge`); its results reach the GUI thread
through the bridge's buffer.
"""

from __future__ import annotations

import collections
import gc
import logging
import threading
import time

from pyblish_qml_queue.gui.queue.rows import ACTIVE, listed_row, listed_same, row_key
from pyblish_qml_queue.queue.model import FINISHED
from pyblish_qml_queue.queue.store import JobNotFound, StoreError

log = logging.getLogger(__name__)

#: Rows of the history a :class:`JobReader` hands over at a time (the GUI adds them whole).
HISTORY_CHUNK = 5000


class JobReader:
    """Reads jobs from the store on its own thread; hands them to ``deliver`` in batches.

    Not a QObject: the thread touches only the store and the bridge's thread-safe sinks
    (:meth:`.EventBridge.read_sink`, :meth:`.EventBridge.history_sink`). Requests made
    while a read is under way are coalesced: each job is read once more after it,
    whatever the count.

    It also lists the whole store, so that the GUI thread never does:
    :meth:`list_history` reads the finished jobs a first page left out, and
    :meth:`check` compares the store's counts per state with the page's and, when they
    differ twice in a row, lists the store and delivers only the jobs whose rows
    differ from their listing (:func:`~.rows.listed_same`), and the jobs gone.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore` (safe to use
            from another thread, as the SQLite store is).
        deliver: called on the reader thread with ``{job_id: (started, job or
            None, log lines or None)}``.
        deliver_history: called on the reader thread with ``(started, rows, last)``
            (None: :meth:`list_history` is not used).
        shown: the job list's :attr:`~.jobs.JobListModel.rows_by_id`, which
            :meth:`check` compares the store with (read only: ``get`` and ``list``,
            each one step under the GIL; never a Qt call).
    """

    def __init__(self, store, deliver, deliver_history=None, shown=None):
        self._store = store
        self._deliver = deliver
        self._deliver_history = deliver_history
        self._shown = {} if shown is None else shown
        self._pending = {}  # job id -> read its log too
        self._tasks = collections.deque()  # (name, argument) to run on the thread
        self._stale = False  # the last check found the counts different
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="job-reader", daemon=True)
        self._thread.start()

    @property
    def lists(self) -> bool:
        """Whether the store has a ``listing()`` for :meth:`list_history` and :meth:`check`."""
        return callable(getattr(self._store, "listing", None))

    def request(self, job_ids, log_of=None) -> None:
        """Read ``job_ids`` again (any thread); ``log_of``: the one whose log to read too."""
        with self._wake:
            for job_id in job_ids:
                self._pending[job_id] = self._pending.get(job_id, False) or job_id == log_of
            self._wake.notify()

    def list_history(self) -> None:
        """List the store's finished jobs (any thread): they go to ``deliver_history`` in
        chunks of :data:`HISTORY_CHUNK`, in the list's order (those the page read at
        start has already among them)."""
        self._submit("history", None)

    def check(self, counts: dict) -> None:
        """Compare the store's counts per state with ``counts`` (the page's) on the
        thread; on a second difference in a row, deliver the jobs that changed."""
        self._submit("check", dict(counts))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after the read under way (requests left are dropped)."""
        with self._wake:
            self._stopped = True
            self._pending.clear()
            self._tasks.clear()
            self._wake.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._deliver = self._deliver_history = None

    def _submit(self, name, argument) -> None:
        with self._wake:
            self._tasks.append((name, argument))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._tasks and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    return
                task = self._tasks.popleft() if self._tasks else None
                if task is None:
                    pending, self._pending = self._pending, {}
            if task is not None:
                try:
                    self._history() if task[0] == "history" else self._check(task[1])
                except StoreError:
                    log.exception("Could not list the job store; the next check tries again")
                except Exception:
                    log.exception("Could not list the job store")
                continue
            reads = {}
            for job_id, with_log in pending.items():
                read = self._read(job_id, with_log)
                if read is not None:
                    reads[job_id] = read
            deliver = self._deliver
            if reads and deliver is not None:
                deliver(reads)

    def _history(self) -> None:
        """List the finished jobs as rows, sort them, deliver them in chunks.

        The rows live as long as the app: every :data:`HISTORY_CHUNK` of them built is
        frozen out of the garbage collector (``gc.freeze``, as the app does with what its
        start built), or each of its full passes, on whichever thread, walks them all
        while it holds the GIL: 22 ms at 100,000 rows, a GUI stall.
        """
        started = time.monotonic()
        share = {}
        rows = []
        for values in self._store.listing():
            if values[2] in FINISHED:
                rows.append(listed_row(values, share))
                if len(rows) % HISTORY_CHUNK == 0:
                    gc.freeze()
        gc.freeze()
        rows.sort(key=row_key)
        deliver = self._deliver_history
        for at in range(0, max(len(rows), 1), HISTORY_CHUNK):
            if deliver is None or self._stopped:
                return
            last = at + HISTORY_CHUNK >= len(rows)
            deliver((started, rows[at : at + HISTORY_CHUNK], last))

    def _check(self, counts: dict) -> None:
        mine = {k: v for k, v in counts.items() if v}
        theirs = {k: v for k, v in self._store.counts().items() if v}
        if theirs == mine:
            self._stale = False
            return
        if not self._stale:
            self._stale = True  # events may still be on their way
            return
        self._stale = False
        self._resync()

    def _resync(self) -> None:
        """Deliver every job whose row differs from its listing, and the gone ones."""
        started = time.monotonic()
        shown = self._shown
        reads = {}
        share = {}
        found = 0
        for values in self._store.listing():
            job_id = values[0]
            row = shown.get(job_id)
            found += row is not None
            if row is not None and listed_same(row, values):
                continue
            if values[2] in ACTIVE:  # its current step shows: read it whole
                try:
                    reads[job_id] = (started, self._store.get(job_id), None)
                except JobNotFound:
                    reads[job_id] = (started, None, None)
            else:
                reads[job_id] = (started, listed_row(values, share), None)
        if found < len(shown):  # some rows are of jobs no longer listed
            listed = {values[0] for values in self._store.listing()}
            for job_id in list(shown):
                if job_id not in listed and job_id not in reads:
                    reads[job_id] = (started, None, None)
        deliver = self._deliver
        if reads and deliver is not None:
            deliver(reads)

    def _read(self, job_id, with_log):
        started = time.monotonic()
        try:
            job = self._store.get(job_id)
            lines = self._store.log(job_id) if with_log else None
        except JobNotFound:
            return started, None, [] if with_log else None
        except StoreError:
            log.exception("Could not read job %s; the next sync will catch up", job_id)
            return None
        except Exception:
            log.exception("Could not read job %s", job_id)
            return None
        return started, job, lines
