"""Hand hub and executor events from their threads to the GUI thread, in batches.

Hub and executor callbacks run on foreign threads. They only append to a
thread-safe buffer (:meth:`EventBridge.push`); a QTimer on the GUI thread drains
the buffer every ``interval`` ms and emits one signal per kind of change, with
events coalesced: the latest snapshot per host, one entry per job. Worker
threads never touch a Qt object.
"""

from __future__ import annotations

import collections
import logging

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

#: Executor event kinds that only move a running step's bar (no store read needed).
PROGRESS_KINDS = ("progress",)


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
            ``reload`` means the job's row must be read again from the store.
        showRequested(str): a host called ``show()``: bring its page to the front.
        drained(int): number of raw events handled in this batch.
    """

    hostsUpdated = Signal(list)
    hostsRemoved = Signal(list)
    jobsUpdated = Signal(dict)
    showRequested = Signal(str)
    drained = Signal(int)

    def __init__(self, interval: int = 50, parent=None):
        super().__init__(parent)
        self._buffer = collections.deque()
        self._timer = QTimer(self)
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    # -- any thread ------------------------------------------------------------

    def push_hub(self, event: dict) -> None:
        """Hub callback (any thread): queue a hub event."""
        self._buffer.append(("hub", event))

    def push_job(self, event: dict) -> None:
        """Executor callback (any thread): queue a job event."""
        self._buffer.append(("job", event))

    def job_changed(self, job_id: str) -> None:
        """Say a job changed in the store (added, cancelled, retried...) from any thread."""
        self._buffer.append(("job", {"job_id": job_id, "type": "changed"}))

    # -- GUI thread ------------------------------------------------------------

    def stop(self) -> None:
        self._timer.stop()

    def drain(self) -> int:
        """Handle everything buffered so far in one batch. Returns the number of events."""
        hosts = {}  # host id -> snapshot or None (removed); insertion order kept
        jobs = {}
        shows = []
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
                    self._collect_hub(event, hosts, shows)
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
        if jobs:
            self.jobsUpdated.emit(jobs)
        for host_id in shows:
            self.showRequested.emit(host_id)
        self.drained.emit(count)
        return count

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
        # "record" and "result" belong to the Publish page; the snapshot carries the tail.

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
            if kind in ("step_started", "step_finished", "job_finished", "changed"):
                entry["progress"] = None
