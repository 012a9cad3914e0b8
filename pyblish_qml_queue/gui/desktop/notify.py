"""Notifications when a job succeeds, fails, or is failed by the farm.

:class:`JobNotifier` watches the Queue's job model: every time rows are read
again from the store (executor events, actions, changes another process made
such as a farm signal applied by ``pyblish-qml-queue signal``) it compares each
job's state with the one it saw before and emits :attr:`JobNotifier.notice` for
the transitions a user wants to hear about. Jobs already finished when the app
starts, or first seen finished, are history and stay quiet.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from pyblish_qml_queue.queue import model as jobs_model
from pyblish_qml_queue.queue.store import StoreError

log = logging.getLogger(__name__)

SUCCEEDED, FAILED, FARM_FAILED, SEVERAL = "succeeded", "failed", "farm_failed", "several"
#: Notices in one batch above which they are summed up in one.
MAX_SEPARATE = 2


def duration_text(seconds: float) -> str:
    """``"42.1 s"``, ``"3 min 12 s"``, ``"1 h 03 min"`` (as the pages write it)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {(whole % 3600) // 60:02d} min"


def notice_for(job, before: str) -> dict:
    """The notice of a job that just reached its state (from ``before``), or ``{}``."""
    state = job.state
    if state not in (jobs_model.SUCCEEDED, jobs_model.FAILED) or before == state:
        return {}
    host = job.host or {}
    app = " ".join(str(host.get(k) or "") for k in ("application", "version")).strip()
    subject = f"{job.title} ({app})" if app else job.title
    if state == jobs_model.SUCCEEDED:
        instances = {s.instance for s in job.steps if s.instance}
        took = (job.finished or 0) - (job.started or job.created or 0)
        what = (
            f"{len(instances)} instance{'s' if len(instances) != 1 else ''}"
            if instances
            else f"{len(job.steps)} step{'s' if len(job.steps) != 1 else ''}"
        )
        detail = f"{what} in {duration_text(took)}" if took > 0 else what
        return _notice(job.id, SUCCEEDED, "Publish succeeded", subject, detail)
    error = (job.error or "a step failed").strip().splitlines()[0]
    if before == jobs_model.WAITING:
        return _notice(job.id, FARM_FAILED, "Farm job failed", subject, error)
    return _notice(job.id, FAILED, "Publish failed", subject, error)


def _notice(job_id, kind, title, subject, detail) -> dict:
    return {
        "jobId": job_id,
        "kind": kind,
        "title": title,
        "subject": subject,
        "detail": detail,
        "body": f"{subject}\n{detail}",
    }


def summary_notice(notices: list) -> dict:
    """One notice standing for several (a batch of jobs finished together)."""
    failed = [n for n in notices if n["kind"] != SUCCEEDED]
    ok = len(notices) - len(failed)
    parts = []
    if ok:
        parts.append(f"{ok} succeeded")
    if failed:
        parts.append(f"{len(failed)} failed")
    first = failed[0] if failed else notices[0]
    title = f"{len(notices)} publishes finished"
    detail = ", ".join(parts)
    return {
        "jobId": first["jobId"],
        "kind": SEVERAL,
        "title": title,
        "subject": detail,
        "detail": f"First: {first['subject']}",
        "body": f"{detail}\nFirst: {first['subject']}",
    }


class JobNotifier(QObject):
    """Turns job state changes into notices.

    Args:
        jobs: the session's :class:`~pyblish_qml_queue.gui.queue.jobs.JobListModel`.
        store: the job store (read once per notice, for the job's details).
        enabled: whether notices are emitted (the ``notifications`` setting).

    Signals:
        notice(dict): ``{"jobId", "kind", "title", "subject", "detail", "body"}``;
            ``kind`` is ``succeeded``, ``failed``, ``farm_failed`` or ``several``.
        failed(str): a job failed (also when notices are off: the tray's icon shows it).
    """

    notice = Signal(dict)
    failed = Signal(str)

    def __init__(self, jobs, store, enabled: bool = True, parent=None):
        super().__init__(parent)
        self.enabled = enabled
        self._jobs = jobs
        self._store = store
        self._states = {row["jobId"]: row["state"] for row in jobs.rows()}
        jobs.jobsRefreshed.connect(self.on_refreshed)

    def on_refreshed(self, ids) -> list:
        """Rows ``ids`` were read again; emit what changed. Returns the notices emitted."""
        notices = []
        for job_id in ids:
            row = self._jobs.rows_by_id.get(job_id)
            if row is None:
                self._states.pop(job_id, None)
                continue
            state = row.state
            before = self._states.get(job_id)
            self._states[job_id] = state
            if before is None or before == state or before in jobs_model.FINISHED:
                continue
            if state not in (jobs_model.SUCCEEDED, jobs_model.FAILED):
                continue
            if state == jobs_model.FAILED:
                self.failed.emit(job_id)
            try:
                job = self._store.get(job_id)
            except StoreError:
                log.info("Job %s is gone before its notice was shown", job_id)
                continue
            found = notice_for(job, before)
            if found:
                notices.append(found)
        if not notices or not self.enabled:
            return []
        if len(notices) > MAX_SEPARATE:
            notices = [summary_notice(notices)]
        for found in notices:
            log.info("Notification: %s: %s", found["title"], found["subject"])
            self.notice.emit(found)
        return notices
