"""The selected job's steps and log as Qt list models (the Queue page's detail pane)."""

from __future__ import annotations

import logging
import socket

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel

from pyblish_qml_queue.common.states import StepState
from pyblish_qml_queue.gui.filtering import set_filter
from pyblish_qml_queue.gui.rowmodel import RowListModel

log = logging.getLogger(__name__)

STEP_ROLES = [
    "index",
    "plugin",
    "label",
    "module",
    "instance",
    "stepState",
    "started",
    "duration",
    "error",
    "runs",
    "fraction",  # the running step's progress, 0..1
    "message",  # the running step's last progress message
    "worker",  # who ran it: "render-07" (a farm node), "pid 4242 · ws-01", "" for nobody
]
LOG_ROLES = ["time", "level", "source", "message"]

#: This machine's name: a step's worker names its machine only when it is another.
MACHINE = socket.gethostname()

#: Log levels by rank, for the level filter.
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50}


def worker_text(worker) -> str:
    """A step's worker (``Step.worker``) for its row: the farm node's name, or the worker
    process (``pid 4242``) with its machine when that is not this one (``pid 4242 ·
    ws-01``); "" when nobody ran it."""
    if not isinstance(worker, dict) or not worker:
        return ""
    if worker.get("node"):
        return str(worker["node"])
    pid, machine = worker.get("pid"), str(worker.get("machine") or "")
    text = f"pid {pid}" if pid else ""
    if machine and machine != MACHINE:
        text = f"{text} · {machine}" if text else machine
    return text


def step_row(step, live=None) -> dict:
    fraction, message = 0.0, ""
    if live and step.state == StepState.RUNNING and live.get("index") == step.index:
        try:
            fraction = min(max(float(live.get("fraction") or 0.0), 0.0), 1.0)
        except (TypeError, ValueError):
            fraction = 0.0
        message = str(live.get("message") or "")
    return {
        "index": step.index,
        "plugin": step.plugin,
        "label": step.label or step.plugin,
        "module": step.module,
        "instance": step.instance or "",
        "stepState": step.state,
        "started": float(step.started or 0.0),
        "duration": float(step.duration) if step.duration is not None else -1.0,
        "error": step.error or "",
        "runs": int(step.runs or 0),
        "fraction": fraction,
        "message": message,
        "worker": worker_text(step.worker),
    }


class JobStepModel(RowListModel):
    """The steps (plugin x instance) of one job, in run order."""

    ROLES = STEP_ROLES
    DISPLAY = "plugin"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._job_id = None

    def set_job(self, job, live=None) -> None:
        """Show ``job``'s steps (None clears). The same job updates only changed rows."""
        new = [step_row(s, live) for s in job.steps] if job is not None else []
        job_id = job.id if job is not None else None
        if job_id != self._job_id or len(new) != len(self._rows):
            self.beginResetModel()
            self._job_id = job_id
            self._rows = new
            self.endResetModel()
            return
        self._update(new)

    def progress(self, event: dict) -> None:
        """Move the running step's bar from a progress event."""
        n = event.get("index")
        if not isinstance(n, int) or not 0 <= n < len(self._rows):
            return
        row = dict(self._rows[n])
        try:
            row["fraction"] = min(max(float(event.get("fraction") or 0.0), 0.0), 1.0)
        except (TypeError, ValueError):
            return
        row["message"] = str(event.get("message") or "")
        new = list(self._rows)
        new[n] = row
        self._update(new)

    def _update(self, new):
        for n, (old, row) in enumerate(zip(self._rows, new)):
            if old != row:
                self.replace_row(n, row)


def _record_line(record, source):
    if not isinstance(record, dict):
        return {"time": 0.0, "level": "INFO", "source": source, "message": str(record)}
    when = record.get("created", record.get("time", 0.0))
    try:
        when = float(when or 0.0)
    except (TypeError, ValueError):
        when = 0.0
    return {
        "time": when,
        "level": str(record.get("levelname") or record.get("level") or "INFO").upper(),
        "source": source,
        "message": str(record.get("message") or record.get("msg") or ""),
    }


def log_lines(job, queue_log) -> list:
    """The job's own log and its steps' records, merged oldest first."""
    lines = [
        {
            "time": float(entry.get("time") or 0.0),
            "level": str(entry.get("level") or "INFO").upper(),
            "source": "queue",
            "message": str(entry.get("message") or ""),
        }
        for entry in queue_log
    ]
    for step in job.steps:
        source = step.label or step.plugin
        lines.extend(_record_line(r, source) for r in (step.records or ()))
    lines.sort(key=lambda line: line["time"])
    return lines


class JobLogModel(RowListModel):
    """The selected job's log: stored lines, then live progress lines at the tail.

    Stored lines only grow while a job runs, so an update appends the new ones;
    live lines (progress messages not kept by the store) are dropped when the
    store catches up.
    """

    ROLES = LOG_ROLES
    DISPLAY = "level"
    LIVE_CAP = 200

    def __init__(self, parent=None):
        super().__init__(parent)
        self._job_id = None
        self._stored = 0  # rows that came from the store; the rest are live

    def set_lines(self, job_id, lines) -> None:
        """Show the stored lines of ``job_id`` (appending when they extend what is shown)."""
        stored = self._rows[: self._stored]
        if job_id != self._job_id or lines[: len(stored)] != stored:
            self.beginResetModel()
            self._job_id = job_id
            self._rows = list(lines)
            self._stored = len(lines)
            self.endResetModel()
            return
        live = len(self._rows) - self._stored
        if live:
            self.beginRemoveRows(QModelIndex(), self._stored, len(self._rows) - 1)
            del self._rows[self._stored :]
            self.endRemoveRows()
        extra = lines[len(stored) :]
        if extra:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(extra) - 1)
            self._rows.extend(extra)
            self._stored = len(self._rows)
            self.endInsertRows()

    def add_live(self, when: float, message: str, source: str = "worker") -> None:
        """Append a line the store does not keep (a progress message)."""
        if not message or self._job_id is None:
            return
        if len(self._rows) - self._stored >= self.LIVE_CAP:
            self.beginRemoveRows(QModelIndex(), self._stored, self._stored)
            del self._rows[self._stored]
            self.endRemoveRows()
        n = len(self._rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self._rows.append({"time": when, "level": "INFO", "source": source, "message": message})
        self.endInsertRows()


class LogLevelProxy(QSortFilterProxyModel):
    """The log lines at or above a level ("" shows every line)."""

    def __init__(self, source: JobLogModel, parent=None):
        super().__init__(parent)
        self.level = ""
        self.setSourceModel(source)

    def set_level(self, level: str) -> bool:
        return set_filter(self, "level", level.upper())

    def filterAcceptsRow(self, source_row, parent):
        if not self.level:
            return True
        line = self.sourceModel().rows()[source_row]
        return LEVELS.get(line["level"], 20) >= LEVELS.get(self.level, 0)
