"""The ``Queue`` singleton: the jobs list, its filters, the selected job and the queue actions.

Actions go to the store (or the executor, for a cancel); a refusal is one line on
the status line, never an exception into QML.
"""

from __future__ import annotations

import logging
import os
import time

from PySide6.QtCore import Property, QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.common.states import JOB_FINISHED
from pyblish_qml_queue.gui.queue.detail import log_lines
from pyblish_qml_queue.gui.singletons import SESSIONS, set_and_notify
from pyblish_qml_queue.queue import model as jobs_model
from pyblish_qml_queue.queue import rules
from pyblish_qml_queue.queue.store import StoreError, remove_job

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlSingleton
class Queue(QObject):
    """The jobs list, its filters, the selected job's detail and the queue actions."""

    filterChanged = Signal()
    countsChanged = Signal()
    selectionChanged = Signal()
    selectedChanged = Signal()
    executorChanged = Signal()
    hostChoicesChanged = Signal()
    unopenedChanged = Signal()
    #: The list should bring this row (of the filtered list) into view.
    revealRequested = Signal(int)

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self._session = session
        self._selected_id = ""
        self._selected = {}
        self._counts = {"total": 0, "active": 0, "finished": 0}
        self._executor_state = (False, False, 0, 0, "")  # running, paused, busy, slots, next
        self._host_choices = []
        self._unopened = ""  # a path nothing could open, offered to copy
        self._reported = set()  # jobs whose report this app wrote
        #: Opens a file: URL with the desktop's launcher; False when none opened it.
        self.open_url = QDesktopServices.openUrl
        if session is not None:
            session.jobs.jobsRefreshed.connect(self._report_ended)

    @staticmethod
    def create(engine):
        return SESSIONS.singleton(engine, "queue")

    # -- properties ----------------------------------------------------------

    @Property(QObject, constant=True)
    def jobs(self):
        return self._session.job_proxy

    @Property(QObject, constant=True)
    def steps(self):
        return self._session.steps

    @Property(QObject, constant=True)
    def log(self):
        return self._session.log_proxy

    @Property(str, notify=filterChanged)
    def stateFilter(self):
        return self._session.job_proxy._state

    @Property(str, notify=filterChanged)
    def hostFilter(self):
        return self._session.job_proxy._host

    @Property(str, notify=filterChanged)
    def search(self):
        return self._session.job_proxy._search

    @Property(str, notify=filterChanged)
    def logLevel(self):
        return self._session.log_proxy.level

    @Property(list, notify=hostChoicesChanged)
    def hostChoices(self):
        return list(self._host_choices)

    @Property("QVariantMap", notify=countsChanged)
    def counts(self):
        return dict(self._counts)

    @Property(str, notify=selectionChanged)
    def selectedId(self):
        return self._selected_id

    @Property("QVariantMap", notify=selectedChanged)
    def selected(self):
        return self._selected

    @Property("QVariantMap", notify=selectedChanged)
    def can(self):
        """Which actions the selected job allows (:func:`.rules.allowed_actions`):
        cancel, retry, retryFailed, moveUp, moveDown, remove, openReport, openFolder."""
        selected = self._selected
        return rules.allowed_actions(
            str(selected.get("state") or ""), int(selected.get("failedSteps") or 0)
        )

    @Property(str, notify=unopenedChanged)
    def unopened(self):
        """A report or folder nothing on this machine could open ("" when none)."""
        return self._unopened

    @Property(bool, notify=executorChanged)
    def hasExecutor(self):
        return self._session.executor is not None

    @Property(bool, notify=executorChanged)
    def paused(self):
        return self._executor_state[1]

    @Property(int, notify=executorChanged)
    def busyWorkers(self):
        return self._executor_state[2]

    @Property(int, notify=executorChanged)
    def workerSlots(self):
        return self._executor_state[3]

    @Property(str, notify=executorChanged)
    def nextTitle(self):
        return self._executor_state[4]

    @Property(str, constant=True)
    def storePath(self):
        return str(getattr(self._session.store, "path", "") or "")

    # -- filters -----------------------------------------------------------------

    @Slot(str)
    def setStateFilter(self, state):
        if self._session.job_proxy.set_state(state):
            self.filterChanged.emit()
            self.recount()  # the counts are of the jobs the filters let through

    @Slot(str)
    def setHostFilter(self, host):
        if self._session.job_proxy.set_host(host):
            self.filterChanged.emit()
            self.recount()  # the counts are of the jobs the filters let through

    @Slot(str)
    def setSearch(self, text):
        if self._session.job_proxy.set_search(text):
            self.filterChanged.emit()
            self.recount()  # the counts are of the jobs the filters let through

    @Slot(str)
    def setLogLevel(self, level):
        if self._session.log_proxy.set_level(level):
            self.filterChanged.emit()

    # -- selection -----------------------------------------------------------------

    @Slot(str)
    def select(self, job_id):
        if job_id == self._selected_id:
            return
        self._selected_id = job_id
        self.selectionChanged.emit()
        self.reload_selected()

    def reveal(self, job_id):
        """Select ``job_id`` and bring it into view, clearing filters that hide it."""
        proxy = self._session.job_proxy
        if self._session.jobs.row_of(job_id) < 0:
            self._session.app.say(f"Job {job_id[:8]} is not in the queue any more.")
            return
        if self.rowOf(job_id) < 0:
            proxy.set_state("")
            proxy.set_host("")
            proxy.set_search("")
            self.filterChanged.emit()
        self.select(job_id)
        self.revealRequested.emit(self.rowOf(job_id))

    @Slot(str, result=int)
    def rowOf(self, job_id):
        """The row of ``job_id`` in the filtered list (-1 when hidden or unknown)."""
        return self._session.job_proxy.row_of(job_id)

    def reload_selected(self, job=None, queue_log=None):
        """Read the selected job again (or take ``job`` just read) into the detail pane.

        ``queue_log``: the job's log lines just read with it (None: read them here).
        """
        from pyblish_qml_queue.gui.queue import report  # html: not before the first frame

        session = self._session
        job_id = self._selected_id
        if job is None and job_id:
            try:
                job = session.store.get(job_id)
            except StoreError:
                job = None
        try:
            summary = dict(session.jobs.summary(job_id)) if job is not None else {}
        except KeyError:
            summary = {}
        live = summary.pop("_live", None)
        summary.pop("_key", None)
        if job is not None:
            if job.state in JOB_FINISHED:
                self._write_report(job)  # ended before this app ran, or before it wrote one
            path = report.report_path(job.id)
            summary["report"] = path if os.path.exists(path) else ""
            summary["failedSteps"] = sum(1 for s in job.steps if s.state == jobs_model.STEP_FAILED)
            summary["stepCounts"] = _step_counts(job)
            if queue_log is None:
                try:
                    queue_log = session.store.log(job.id)
                except StoreError:
                    queue_log = []
            summary.update(where_it_runs(job, queue_log))
        session.steps.set_job(job, live)
        if job is not None:
            session.log.set_lines(job.id, log_lines(job, queue_log))
        else:
            session.log.set_lines(None, [])
        set_and_notify(self, "_selected", summary, self.selectedChanged)

    def progress(self, job_id, event):
        """A progress event of a job; moves the detail pane if it is the selected one."""
        if job_id != self._selected_id:
            return
        self._session.steps.progress(event)
        message = event.get("message")
        if message:
            label = ""
            n = event.get("index")
            rows = self._session.steps.rows()
            if isinstance(n, int) and 0 <= n < len(rows):
                label = rows[n]["label"]
            self._session.log.add_live(time.time(), str(message), label or "worker")

    # -- actions (on the selected job unless an id is given) ---------------------------

    @Slot()
    @Slot(str)
    def cancel(self, job_id=""):
        job_id = job_id or self._selected_id
        self._act(job_id, "cancel", self._cancel)

    @Slot()
    @Slot(str)
    def retryFailed(self, job_id=""):
        job_id = job_id or self._selected_id
        self._act(job_id, "retry", lambda store, i: store.retry(i, failed_only=True))

    @Slot()
    @Slot(str)
    def retryAll(self, job_id=""):
        job_id = job_id or self._selected_id
        self._act(job_id, "retry", lambda store, i: store.retry(i, failed_only=False))

    @Slot()
    def moveUp(self):
        self._act(self._selected_id, "move", lambda store, i: store.move(i, -1), reorder=True)

    @Slot()
    def moveDown(self):
        self._act(self._selected_id, "move", lambda store, i: store.move(i, 1), reorder=True)

    @Slot(str)
    def remove(self, job_id):
        """Remove ``job_id``: the job the user confirmed, named by id, never "whatever
        is selected now" (the selection may have moved since the question was asked)."""
        self._act(job_id, "remove", remove_job)

    @Slot()
    def openReport(self):
        from pyblish_qml_queue.gui.queue import report

        job_id = self._selected_id
        if not job_id:
            return
        try:
            job = self._session.store.get(job_id)
            path = report.write_report(job, self._session.store.log(job_id))
        except (StoreError, OSError) as exc:
            log.exception("Could not write the report of job %s", job_id)
            self._session.app.say(f"Could not write the report of job {job_id}: {exc}")
            return
        self._open(path, "the report")

    @Slot()
    def openFolder(self):
        from pyblish_qml_queue.gui.queue import report

        job_id = self._selected_id
        if not job_id:
            return
        try:
            folder = report.output_folder(self._session.store.get(job_id))
        except StoreError as exc:
            self._session.app.say(f"Could not open the folder of job {job_id}: {exc}")
            return
        if folder == report.reports_dir():
            os.makedirs(folder, exist_ok=True)
        self._open(folder, "the folder")

    @Slot(str)
    def copyPath(self, path):
        """Put ``path`` on the clipboard (offered when nothing opened it)."""
        QGuiApplication.clipboard().setText(path)
        self._session.app.say(f"Copied {path}")
        self.dismissUnopened()

    @Slot()
    def dismissUnopened(self):
        set_and_notify(self, "_unopened", "", self.unopenedChanged)

    def _open(self, path, what):
        if not os.path.exists(path):
            self._session.app.say(f"Cannot open {what}: {path} does not exist (yet).")
            return
        if self.open_url(QUrl.fromLocalFile(path)):
            self.dismissUnopened()
            return
        log.warning("Nothing opened %s (%s): no file launcher on this machine", what, path)
        self._session.app.say(
            f"Nothing on this machine opens {what}; copy its path and open it yourself."
        )
        set_and_notify(self, "_unopened", path, self.unopenedChanged)

    def _report_ended(self, ids):
        """Write the report of each job that just ended (its path exists from then on)."""
        jobs = self._session.jobs
        for job_id in ids:
            row = jobs.rows_by_id.get(job_id)
            if row is None:
                continue
            if row.state not in JOB_FINISHED:
                self._reported.discard(job_id)  # retried: its next end writes it again
                continue
            if job_id in self._reported:
                continue
            try:
                job = self._session.store.get(job_id)
            except StoreError:
                continue
            self._write_report(job)

    def _write_report(self, job):
        from pyblish_qml_queue.gui.queue import report

        if job.id in self._reported and os.path.exists(report.report_path(job.id)):
            return
        try:
            report.write_report(job, self._session.store.log(job.id))
        except (StoreError, OSError):
            log.exception("Could not write the report of job %s", job.id)
            return
        self._reported.add(job.id)

    @Slot()
    def pause(self):
        executor = self._session.executor
        if executor is not None:
            executor.pause()
        self.update_executor()

    @Slot()
    def resume(self):
        executor = self._session.executor
        if executor is not None:
            executor.resume()
        self.update_executor()

    # -- from the session ------------------------------------------------------------

    def recount(self):
        jobs = self._session.jobs
        total, active = jobs.rowCount(), jobs.active_count()
        proxy = self._session.job_proxy
        shown = proxy.rowCount()
        if shown != total or proxy.filtered:
            # filtered: count what the list shows (active rows sort before the history)
            active = proxy.shown_before(active)
        else:
            shown = total
        counts = {"total": total, "shown": shown, "active": active, "finished": shown - active}
        set_and_notify(self, "_counts", counts, self.countsChanged)
        choices = sorted(app for app, n in jobs.app_counts.items() if n > 0)
        set_and_notify(self, "_host_choices", choices, self.hostChoicesChanged)

    def update_executor(self):
        executor = self._session.executor
        jobs = self._session.jobs
        busy = jobs.state_counts[jobs_model.RUNNING]
        nxt = jobs.next_title()
        if executor is None:
            state = (False, False, busy, 0, nxt)
        else:
            paused = bool(getattr(executor, "paused", False))
            state = (not paused, paused, busy, int(getattr(executor, "concurrency", 1)), nxt)
        set_and_notify(self, "_executor_state", state, self.executorChanged)

    # -- internals --------------------------------------------------------------------

    def _cancel(self, store, job_id):
        executor = self._session.executor
        if executor is not None:
            executor.cancel(job_id)  # stops a worker of ours now, not at the next renew
        else:
            store.cancel(job_id)

    def _act(self, job_id, verb, action, reorder=False):
        if not job_id:
            return
        session = self._session
        try:
            action(session.store, job_id)
        except StoreError as exc:
            log.info("Could not %s job %s: %s", verb, job_id, exc)
            session.app.say(f"Could not {verb} job {job_id[:8]}: {exc}")
            return
        except Exception as exc:
            log.exception("Could not %s job %s", verb, job_id)
            session.app.say(f"Could not {verb} job {job_id[:8]}: {exc}; see the log for details.")
            return
        if reorder:
            session.refresh_claimable()
        else:
            session.jobs.refresh([job_id])
        session.after_jobs_changed()


def where_it_runs(job, queue_log) -> dict:
    """Where the selected job runs, as ``show --json`` says it, for the detail pane:
    ``farmQueue`` (the Celery routing queue it was last sent to), ``node`` (the farm node
    running it, or that last ran it) and ``nodeState`` (``"running"``, ``"lost"``, or ""
    once the job no longer runs); "" for each when the job never went to the farm."""
    from pyblish_qml_queue.queue.celery.where import farm_node, farm_queue

    node = farm_node(queue_log) or {}
    running = job.state == jobs_model.RUNNING
    return {
        "farmQueue": farm_queue(queue_log) or "",
        "node": str(node.get("name") or ("?" if node else "")),
        "nodeState": str(node.get("state") or "") if running else "",
    }


def _step_counts(job) -> dict:
    counts = {}
    for step in job.steps:
        counts[step.state] = counts.get(step.state, 0) + 1
    return counts
