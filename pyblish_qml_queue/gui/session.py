"""One app session's Qt side: models and viewmodels wired to the hub, store and executor.

The session subscribes the event bridge to the hub and hands it to the
executor's ``on_event``; every batch the bridge drains lands in
:meth:`Session.on_hosts` / :meth:`Session.on_jobs` on the GUI thread. Jobs that
events say changed are read from the store by a :class:`~.bridge.JobReader`
thread and land in :meth:`Session.on_reads` at a later drain: the GUI thread
reads the store only at start, on a selection or an action, and at the periodic
sync.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from pyblish_qml_queue.gui.appview import App
from pyblish_qml_queue.gui.bridge import EventBridge, JobReader
from pyblish_qml_queue.gui.overview.hosts import HostFilterProxy, HostListModel
from pyblish_qml_queue.gui.overview.view import Overview
from pyblish_qml_queue.gui.queue.detail import JobLogModel, JobStepModel, LogLevelProxy
from pyblish_qml_queue.gui.queue.filter import JobFilterProxy
from pyblish_qml_queue.gui.queue.jobs import JobListModel, order_key
from pyblish_qml_queue.gui.queue.view import Queue
from pyblish_qml_queue.queue import model as jobs_model

log = logging.getLogger(__name__)


class Session(QObject):
    """Everything the pages show, for one store, hub and executor.

    Give it a Qt parent (:func:`~pyblish_qml_queue.gui.app.build_app` uses the
    engine): Qt then deletes it, and every model, viewmodel and timer under it, on
    the GUI thread when the parent goes. Without one Python owns it, and its
    reference cycles leave it to the garbage collector, which runs on whatever
    thread happens to allocate (an executor or hub thread): a QObject deleted there
    cannot stop its timers, which then fire into freed memory.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore`.
        hub: a :class:`~pyblish_qml_queue.hub.hub.Hub` or anything with its
            ``hosts()``/``subscribe()``/``forget()`` (None: no hosts).
        executor: an executor with ``pause()``/``resume()``/``paused``/``cancel()``
            (None: the Queue page shows the queue as not running).
        interval: the bridge's drain period in ms.
        sync_interval: how often (ms) to check the store for changes made by
            other processes (the CLI), 0 to never check.
    """

    def __init__(
        self, store, hub=None, executor=None, interval=50, sync_interval=2000, parent=None
    ):
        super().__init__(parent)
        self.store = store
        self.hub = hub
        self.executor = executor
        self.bridge = EventBridge(interval, self)
        self.reader = JobReader(store, self.bridge.read_sink())
        self.hosts = HostListModel(self)
        self.host_proxy = HostFilterProxy(self.hosts, self)
        self.jobs = JobListModel(store, self)
        self.job_proxy = JobFilterProxy(self.jobs, self)
        self.steps = JobStepModel(self)
        self.log = JobLogModel(self)
        self.log_proxy = LogLevelProxy(self.log, self)
        self.app = App(self, self)
        self.overview = Overview(self, self)
        self.queue = Queue(self, self)
        self._unsubscribe = None
        self._stale_counts = False

        self.bridge.hostsUpdated.connect(self.on_hosts)
        self.bridge.hostsRemoved.connect(self.on_hosts_removed)
        self.bridge.jobsUpdated.connect(self.on_jobs)
        self.bridge.jobsRead.connect(self.on_reads)
        self.bridge.showRequested.connect(self.app.show_host)

        self.jobs.load()
        if hub is not None:
            self._unsubscribe = hub.subscribe(self.bridge.push_hub)
            self.hosts.set_hosts(hub.hosts())
            self.host_proxy.resort()
        self.overview.recount()
        self.after_jobs_changed()

        self._sync = QTimer(self)
        if sync_interval:
            self._sync.setInterval(sync_interval)
            self._sync.timeout.connect(self.sync_if_stale)
            self._sync.start()

    # -- batches from the bridge -----------------------------------------------------

    def on_hosts(self, snapshots):
        self.hosts.upsert(snapshots)
        for snap in snapshots:
            self.app.host_updated(snap)
        self.overview.recount()
        self._count_header()

    def on_hosts_removed(self, host_ids):
        self.hosts.remove(host_ids)
        for host_id in host_ids:
            self.app.host_removed(host_id)
        self.overview.recount()
        self._count_header()

    def on_jobs(self, batch):
        """``{job_id: {"reload": bool, "progress": event or None}}`` from the bridge.

        Jobs that changed through the store (or ended) are read now; jobs whose
        steps moved go to the reader, whose reads come back to :meth:`on_reads`;
        progress moves the bars.
        """
        live = {i: e["progress"] for i, e in batch.items() if e["progress"] is not None}
        now = [i for i, e in batch.items() if e.get("now")]
        later = [i for i, e in batch.items() if e["reload"] and not e.get("now")]
        read = self.jobs.refresh(now, live) if now else {}
        only_progress = {i: p for i, p in live.items() if i not in now}
        if only_progress:
            self.jobs.progress(only_progress)
        selected = self.queue.selectedId
        if selected in now:
            self.queue.reload_selected(read.get(selected))
        elif selected in only_progress:
            self.queue.progress(selected, only_progress[selected])
        if later:
            self.reader.request(later, log_of=selected)
        if now:
            self.after_jobs_changed(reload_selected=False)

    def on_reads(self, reads):
        """``{job_id: (started, job or None, log lines or None)}`` from the reader."""
        applied = self.jobs.apply_reads(reads)
        if not applied:
            return
        selected = self.queue.selectedId
        if selected in applied:
            _, job, lines = reads[selected]
            if job is not None:
                self.queue.reload_selected(job, lines)
            else:
                self.queue.reload_selected()  # gone: clears the detail pane
        self.after_jobs_changed(reload_selected=False)

    # -- helpers for the viewmodels -----------------------------------------------------

    def refresh_claimable(self):
        """Read every claimable job again (their positions change together on a move)."""
        for state in jobs_model.CLAIMABLE:
            self.jobs.refresh_many(self.store.jobs(state=state))

    def after_jobs_changed(self, reload_selected=True):
        self.queue.recount()
        self.queue.update_executor()
        if reload_selected and self.queue.selectedId:
            self.queue.reload_selected()
        self._count_header()

    def sync_if_stale(self):
        """Catch changes made behind our back (another process, e.g. the CLI).

        Compares the store's counts per state with the model's; when they differ
        twice in a row (events may still be on their way), reads the store.
        """
        try:
            counts = self.store.counts()
        except Exception:
            log.exception("Could not read the store's counts")
            return
        mine = {k: v for k, v in self.jobs.state_counts.items() if v}
        theirs = {k: v for k, v in counts.items() if v}
        if theirs == mine:
            self._stale_counts = False
            return
        if not self._stale_counts:
            self._stale_counts = True
            return
        self._stale_counts = False
        self.sync()

    def sync(self):
        """Bring every row in line with the store (rows change one by one, no reset)."""
        jobs = {job.id: job for job in self.store.jobs()}
        gone = [row["jobId"] for row in self.jobs.rows() if row["jobId"] not in jobs]
        if gone:
            self.jobs.refresh(gone)
        changed = []
        for job in jobs.values():
            row = self.jobs.row_of(job.id)
            if row < 0:
                changed.append(job)
                continue
            old = self.jobs.rows()[row]
            if (
                old["state"] != job.state
                or old["done"] != job.steps_done
                or (old["_key"] != order_key(job))
            ):
                changed.append(job)
        if changed:
            self.jobs.refresh_many(changed)
        self.after_jobs_changed()

    def close(self):
        """Stop listening and stop every timer (the hub and executor belong to the caller).

        Nothing of the session ticks after this: a timer left running would fire
        into whatever is left of the session once Qt deletes it with the engine.
        """
        self.bridge.stop()
        self.reader.stop()
        self._sync.stop()
        self.app.stop()
        self.host_proxy.stop()
        self.hosts.stop()
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:
                log.exception("Could not unsubscribe from the hub")
            self._unsubscribe = None

    def _count_header(self):
        snaps = self.hosts.snapshots()
        connected = sum(1 for s in snaps if s.get("connected"))
        counts = self.jobs.state_counts
        self.app.set_counts(
            connected,
            counts[jobs_model.RUNNING],
            counts[jobs_model.WAITING],
            self.jobs.active_count(),
        )
