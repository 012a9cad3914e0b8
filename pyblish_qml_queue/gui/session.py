"""One app session's Qt side: models and viewmodels wired to the hub, store and executor.

The session subscribes the event bridge to the hub and hands it to the
executor's ``on_event``; every batch the bridge drains lands in
:meth:`Session.on_hosts` / :meth:`Session.on_jobs` on the GUI thread. Jobs that
events say changed are read from the store by a :class:`~.queue.reader.JobReader`
thread and land in :meth:`Session.on_reads` at a later drain: the GUI thread
reads the store only at start (the first page of a long history), on a selection
or an action. The rest of a long history, and the periodic look for changes made
behind the app's back (the CLI), are listed by that thread too: the GUI thread gets
rows, and only the rows that changed, and adds them a chunk per event-loop turn.
That periodic look also reads the store's ``damaged`` (set by the store's own check
of the whole file, on its thread, a few seconds after open): a damaged store is told
once, in the status line and by the tray (:attr:`Session.storeDamaged`).
"""

from __future__ import annotations

import collections
import itertools
import logging

from PySide6.QtCore import QObject, QTimer, Signal

from pyblish_qml_queue.gui.appview import App
from pyblish_qml_queue.gui.bridge import EventBridge
from pyblish_qml_queue.gui.overview.filter import HostFilterProxy
from pyblish_qml_queue.gui.overview.hosts import HostListModel
from pyblish_qml_queue.gui.overview.view import Overview
from pyblish_qml_queue.gui.queue.detail import JobLogModel, JobStepModel, LogLevelProxy
from pyblish_qml_queue.gui.queue.filter import JobFilterProxy
from pyblish_qml_queue.gui.queue.jobs import JobListModel
from pyblish_qml_queue.gui.queue.reader import JobReader
from pyblish_qml_queue.gui.queue.rows import order_key
from pyblish_qml_queue.gui.queue.view import Queue
from pyblish_qml_queue.queue import model as jobs_model

log = logging.getLogger(__name__)

#: Reads applied to the rows per event-loop turn (each is a Qt change of one row).
READ_CHUNK = 25

#: The status line for a store its check after open found damaged.
STORE_DAMAGED = (
    "The job store is damaged: quit the app, then run "
    "'pyblish-qml-queue doctor --salvage' (the log says what is wrong)"
)


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
            other processes (the CLI), 0 to never check. A store with ``listing()``
            is checked on the reader's thread (:meth:`~.queue.reader.JobReader.check`),
            any other with :meth:`sync_if_stale`. The same look reads the store's
            ``damaged`` (:meth:`check_store`).

    Signals:
        storeDamaged(str): the store was found damaged after open (once); the line
            the status bar shows (the tray notifies with it).
    """

    storeDamaged = Signal(str)

    def __init__(
        self, store, hub=None, executor=None, interval=50, sync_interval=2000, parent=None
    ):
        super().__init__(parent)
        self.store = store
        self.hub = hub
        self.executor = executor
        self.bridge = EventBridge(interval, self)
        # No Publish page shows a host yet: no step result crosses to the GUI thread
        # until one does (its load() names the host before it reads the hub's state).
        self.bridge.forget_page_events("")
        self.jobs = JobListModel(store, self)
        self.reader = JobReader(
            store, self.bridge.read_sink(), self.bridge.history_sink(), self.jobs.rows_by_id
        )
        self.hosts = HostListModel(self)
        self.host_proxy = HostFilterProxy(self.hosts, self)
        self.job_proxy = JobFilterProxy(self.jobs, self)
        self.steps = JobStepModel(self)
        self.log = JobLogModel(self)
        self.log_proxy = LogLevelProxy(self.log, self)
        self.app = App(self, self)
        self.overview = Overview(self, self)
        self.queue = Queue(self, self)
        self._unsubscribe = None
        self._stale_counts = False
        #: The status line of a damaged store once told (:meth:`check_store`), else "".
        self.store_damaged = ""
        #: Work for the rows left from the reader's batches, a chunk per event-loop turn:
        #: ``("history", (started, rows, last))`` or ``("reads", {job_id: read})``.
        self._backlog = collections.deque()
        self._backlog_timer = QTimer(self)
        self._backlog_timer.setSingleShot(True)
        self._backlog_timer.setInterval(0)
        self._backlog_timer.timeout.connect(self._apply_backlog)

        self.bridge.hostsUpdated.connect(self.on_hosts)
        self.bridge.hostsRemoved.connect(self.on_hosts_removed)
        self.bridge.jobsUpdated.connect(self.on_jobs)
        self.bridge.jobsRead.connect(self.on_reads)
        self.bridge.historyListed.connect(self.on_history)
        self.bridge.showRequested.connect(self.app.show_host)

        self.jobs.load()
        self._history_listed = self.jobs.complete
        if not self.jobs.complete:  # the rest when the Queue page first shows, or at the
            self.app.pageChanged.connect(self._page_changed)  # first check: after the first frame
        if hub is not None:
            self._unsubscribe = hub.subscribe(self.bridge.push_hub)
            self.hosts.set_hosts(hub.hosts())
            self.host_proxy.resort()
        self.overview.recount()
        self.after_jobs_changed()

        self._sync = QTimer(self)
        if sync_interval:
            self._sync.setInterval(sync_interval)
            self._sync.timeout.connect(self.look_for_changes)
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
        """``{job_id: (started, Job or listed Row or None, log lines or None)}`` from the
        reader (a None job: no longer in the store).

        A few are applied now; many (a resync) a chunk of :data:`READ_CHUNK` per
        event-loop turn, after the chunks already waiting.
        """
        if len(reads) <= READ_CHUNK and not self._backlog:
            self._apply_reads(reads)
            return
        items = iter(reads.items())
        while True:
            chunk = dict(itertools.islice(items, READ_CHUNK))
            if not chunk:
                break
            self._backlog.append(("reads", chunk))
        self._backlog_timer.start()

    def list_history(self):
        """Have the reader list the history the first page left out (once)."""
        if self._history_listed or not self.reader.lists:
            return
        self._history_listed = True
        self.reader.list_history()

    def _page_changed(self):
        if self.app.page == "queue":
            self.list_history()

    def on_history(self, chunks):
        """``[(started, rows, last), ...]``: the history the reader listed, in chunks;
        each is added at its own event-loop turn."""
        self._backlog.extend(("history", chunk) for chunk in chunks)
        self._backlog_timer.start()

    def _apply_backlog(self):
        if not self._backlog:
            return
        kind, work = self._backlog.popleft()
        if kind == "history":
            started, rows, last = work
            if self.jobs.add_rows(rows, started, last):
                self.after_jobs_changed(reload_selected=False)
        else:
            self._apply_reads(work)
        if self._backlog:
            self._backlog_timer.start()

    def _apply_reads(self, reads):
        applied = self.jobs.apply_reads(reads)
        if not applied:
            return
        selected = self.queue.selectedId
        if selected in applied:
            _, job, lines = reads[selected]
            if isinstance(job, jobs_model.Job):
                self.queue.reload_selected(job, lines)
            else:  # gone (clears the detail pane), or a listed Row: read it whole
                self.queue.reload_selected()
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

    def look_for_changes(self):
        """The periodic look for changes made behind our back (another process).

        With a store that lists, the reader compares and reads on its thread (not while
        the history is still coming in); with any other store, :meth:`sync_if_stale`.
        """
        self.check_store()
        if not self.reader.lists:
            self.sync_if_stale()
        elif not self._history_listed:
            self.list_history()
        elif self.jobs.complete and not self._backlog:
            self.reader.check(self.jobs.state_counts)

    def check_store(self) -> bool:
        """Tell, once, a store its own check found damaged after open (the check runs on
        the store's thread and only sets ``store.damaged``; this reads it on the GUI
        thread): the status line says so and :attr:`storeDamaged` is emitted.
        Returns whether it was told now."""
        if self.store_damaged or not getattr(self.store, "damaged", None):
            return False
        self.store_damaged = STORE_DAMAGED
        self.app.say(STORE_DAMAGED)
        self.storeDamaged.emit(STORE_DAMAGED)
        return True

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
        """Bring every row in line with the store now, on this thread (rows change one by
        one, no reset); the periodic look goes through the reader instead
        (:meth:`look_for_changes`)."""
        jobs = {job.id: job for job in self.store.jobs()}
        gone = [row.jobId for row in self.jobs.rows() if row.jobId not in jobs]
        if gone:
            self.jobs.refresh(gone)
        changed = []
        for job in jobs.values():
            row = self.jobs.row_of(job.id)
            if row < 0:
                changed.append(job)
                continue
            old = self.jobs.rows()[row]
            if old.state != job.state or old.done != job.steps_done or old._key != order_key(job):
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
        self._backlog_timer.stop()
        self._backlog.clear()
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
