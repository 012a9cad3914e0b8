"""Hand hub and executor events from their threads to the GUI thread, in batches.

The one path from the hub (and the executor) to the GUI. Hub and executor
callbacks run on foreign threads. They only append to a thread-safe buffer
(:meth:`EventBridge.push_hub`, :meth:`EventBridge.push_job`); a QTimer on the
GUI thread drains the buffer every ``interval`` ms and emits one signal per kind
of change, with events coalesced: the latest snapshot per host, one entry per
job; the Publish page gets its host's events in order, the tray a raise. Worker
threads never touch a Qt object.

Jobs named by events are read from the store by a :class:`.JobReader`
thread, not on the GUI thread (a running job of a few hundred steps takes milliseconds to
read); its results come back through the same buffer.
"""

from __future__ import annotations

import collections
import itertools
import logging

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

#: Executor event kinds that only move a running step's bar (no store read needed).
PROGRESS_KINDS = ("progress",)
#: Executor event kinds of a running job's steps: its row can be read in the background.
STEP_KINDS = ("step_started", "step_finished", "record")
#: Hub event kinds the Publish page takes, in order (``handoff``: its own hand-off's outcome).
PAGE_KINDS = ("result", "host_changed", "host_removed", "show", "handoff")


def job_event_kind(event: dict) -> tuple:
    """``(job id, kind, inner event)`` of an executor event, whatever its nesting.

    The executor calls ``on_event`` with a dict holding ``job_id`` and the worker
    event either flat (``{"job_id", "type": "progress", ...}``) or nested under
    ``"event"``.
    """
    inner = event.get("event")
    if isinstance(inner, dict):
        kind = inner.get("type") or inner.get("event") or ""
    else:
        kind = event.get("type") or (inner if isinstance(inner, str) else "") or ""
        inner = event
    return event.get("job_id"), str(kind), inner


class EventBridge(QObject):
    """Buffers events from any thread and replays them on the GUI thread in batches.

    Signals (all emitted on the GUI thread, once per drain at most):
        hostsUpdated(list): latest snapshot of every host that was added or changed.
        hostsRemoved(list): ids of hosts that went away.
        jobsUpdated(dict): ``{job_id: {"reload": bool, "progress": event or None}}``;
            ``reload`` means the job's row must be read again from the store, and an
            added ``"now": True`` that it must be read in this batch (the job changed
            through the store or ended; without it, only its steps moved).
        jobsRead(dict): ``{job_id: (started, job or None, log lines or None)}``, what a
            :class:`.JobReader` read (``started``: its ``time.monotonic()`` at the read;
            the job read whole, or a listed :class:`~.queue.rows.Row`; a None job: no
            longer in the store; None lines: not asked for).
        historyListed(list): ``[(started, rows, last), ...]``, chunks of the history a
            :class:`.JobReader` listed (rows of :mod:`.queue.rows`, in the list's order;
            ``last``: the listing is all in).
        pageEvents(list): the hub events of :data:`PAGE_KINDS`, in the order they
            came, for the Publish page (less those :meth:`forget_page_events` dropped).
        showRequested(str): a host called ``show()``: bring its page to the front.
        raiseRequested(): a second app asked this one to come to the front.
        drained(int): number of raw events handled in this batch.
    """

    # ``object``, not ``list``/``dict``: every receiver is Python (the session, the
    # Publish page), and a ``list`` signal converts each event to a QVariant and back
    # on emit (14 ms for 300 events, 0.02 ms as ``object``). A ``@Slot(list)`` still
    # gets the same list. None of these reaches QML.
    hostsUpdated = Signal(object)
    hostsRemoved = Signal(object)
    jobsUpdated = Signal(object)
    jobsRead = Signal(object)
    historyListed = Signal(object)
    pageEvents = Signal(object)
    showRequested = Signal(str)
    raiseRequested = Signal()
    drained = Signal(int)

    def __init__(self, interval: int = 50, parent=None):
        super().__init__(parent)
        self._buffer = collections.deque()
        # Hub events are numbered as they come (next() on a count is atomic), so
        # the page can drop those it has read the hub's state past.
        self._numbers = itertools.count()
        self._page_from = 0
        #: The host the Publish page shows (None: no page said yet, every host's
        #: results pass; "": none shown). Read by :meth:`push_hub` on the hub's thread.
        self._page_host = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    # -- any thread ------------------------------------------------------------

    def push_hub(self, event: dict) -> None:
        """Hub callback (any thread): queue a hub event.

        A step's ``result`` of a host the Publish page does not show is dropped here,
        before it reaches the GUI thread: only that page takes results (a card shows
        its host's snapshot), and the page reads another host's results from the hub
        when it switches to it (:meth:`forget_page_events`). With 50 hosts publishing,
        that is 49 in 50 of the hub's events.
        """
        if event.get("type") == "result":
            page_host = self._page_host
            if page_host is not None and event.get("host_id") != page_host:
                return
        self._buffer.append(("hub", (next(self._numbers), event)))

    def hub_sink(self):
        """:meth:`push_hub` for a thread of our own (a hand-off): it holds the
        buffer only, not the bridge (see :meth:`read_sink`)."""
        buffer, numbers = self._buffer, self._numbers

        def push_hub(event: dict) -> None:
            buffer.append(("hub", (next(numbers), event)))

        return push_hub

    def push_job(self, event: dict) -> None:
        """Executor callback (any thread): queue a job event."""
        self._buffer.append(("job", event))

    def job_changed(self, job_id: str) -> None:
        """Say a job changed in the store (added, cancelled, retried...) from any thread."""
        self._buffer.append(("job", {"job_id": job_id, "type": "changed"}))

    def read_sink(self):
        """A callback for a :class:`.JobReader` (its thread) that queues the jobs it read.

        It holds the buffer only, not the bridge: a thread must never hold the last
        reference to a Qt object.
        """
        buffer = self._buffer

        def push_read(reads: dict) -> None:
            buffer.append(("read", reads))

        return push_read

    def history_sink(self):
        """A callback for a :class:`.JobReader` (its thread) that queues a chunk of the
        history it listed: ``(started, rows, last)``. Holds the buffer only."""
        buffer = self._buffer

        def push_history(chunk: tuple) -> None:
            buffer.append(("history", chunk))

        return push_history

    # -- GUI thread ------------------------------------------------------------

    def stop(self) -> None:
        self._timer.stop()

    def forget_page_events(self, host_id=None) -> None:
        """Drop the Publish page's hub events that came before now (those still
        buffered, and those of this batch not yet handed out): the page is about to
        read the hub's state, which holds them. Hand-off outcomes are kept.

        Args:
            host_id: the host the page shows from now ("" for none; None: leave the
                host as it was). Results and snapshots of other hosts are no longer
                handed to the page. Set before the page reads the hub: a result the
                hub told before this is in what it reads (the hub keeps a result
                before it tells it), one told after passes.
        """
        if host_id is not None:
            self._page_host = host_id
        self._page_from = next(self._numbers)

    def drain(self) -> int:
        """Handle everything buffered so far in one batch. Returns the number of events."""
        hosts = {}  # host id -> snapshot or None (removed); insertion order kept
        jobs = {}
        reads = {}
        history = []
        page = []  # (number, event) for the Publish page, in order
        shows = []
        raised = False
        count = 0
        buffer = self._buffer
        while True:
            try:
                source, event = buffer.popleft()
            except IndexError:
                break
            count += 1
            try:
                if source == "hub":
                    number, event = event
                    kind = event.get("type")
                    if kind in PAGE_KINDS and self._for_page(kind, event):
                        page.append((number, event))
                    raised = raised or kind == "raise"
                    self._collect_hub(event, hosts, shows)
                elif source == "read":
                    reads.update(event)  # a later read of a job replaces an earlier one
                elif source == "history":
                    history.append(event)
                else:
                    self._collect_job(event, jobs)
            except Exception:
                log.exception("Ignored a malformed %s event: %r", source, event)
        if not count:
            return 0
        updated = [snap for snap in hosts.values() if snap is not None]
        removed = [host_id for host_id, snap in hosts.items() if snap is None]
        if removed:
            self.hostsRemoved.emit(removed)
        if updated:
            self.hostsUpdated.emit(updated)
        if history:
            self.historyListed.emit(history)
        if reads:
            self.jobsRead.emit(reads)
        if jobs:
            self.jobsUpdated.emit(jobs)
        if page:
            fresh = [
                event
                for number, event in page
                if number >= self._page_from or event.get("type") == "handoff"
            ]
            if fresh:
                self.pageEvents.emit(fresh)
        for host_id in shows:
            self.showRequested.emit(host_id)
        if raised:
            self.raiseRequested.emit()
        self.drained.emit(count)
        return count

    def _for_page(self, kind, event) -> bool:
        """Whether the Publish page takes a hub event: a snapshot only of its host."""
        if kind != "host_changed" or self._page_host is None:
            return True
        return event["host"].get("id") == self._page_host

    @staticmethod
    def _collect_hub(event, hosts, shows):
        kind = event.get("type")
        if kind in ("host_added", "host_changed"):
            snapshot = event["host"]
            hosts.pop(snapshot["id"], None)  # keep the latest last
            hosts[snapshot["id"]] = snapshot
        elif kind == "host_removed":
            hosts.pop(event["host_id"], None)
            hosts[event["host_id"]] = None
        elif kind == "show":
            if event["host_id"] not in shows:
                shows.append(event["host_id"])
        # "result" belongs to the Publish page (pageEvents); the snapshot carries
        # the log tail.

    @staticmethod
    def _collect_job(event, jobs):
        job_id, kind, inner = job_event_kind(event)
        if not job_id:
            return
        entry = jobs.setdefault(job_id, {"reload": False, "progress": None})
        if kind in PROGRESS_KINDS:
            entry["progress"] = inner
        else:
            entry["reload"] = True
            if kind not in STEP_KINDS:
                entry["now"] = True
            if kind in ("step_started", "step_finished", "job_finished", "changed"):
                entry["progress"] = None
