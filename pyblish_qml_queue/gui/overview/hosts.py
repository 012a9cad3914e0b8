"""Hosts as a Qt list model: a thin adapter over the hub's host snapshots."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QTimer,
    Signal,
)

from pyblish_qml_queue.common.states import HOST_ACTIVE, HOST_FINISHED, HostGroup, HostState
from pyblish_qml_queue.gui.roles import DISPLAY_ROLE
from pyblish_qml_queue.gui.rowmodel import role_ids

log = logging.getLogger(__name__)


def instance_summary(instances) -> str:
    """``"5 · pointcache 3 · camera 1 · review 1"`` from a snapshot's instance counts."""
    if not instances or not instances.get("count"):
        return ""
    parts = [str(instances["count"])]
    parts += [f"{family} {n}" for family, n in instances.get("families") or []]
    return " · ".join(parts)


#: QML role name -> function of a host snapshot. One role per snapshot field.
ROLES = {
    "hostId": lambda s: s.get("id", ""),
    "application": lambda s: s.get("application") or "",
    "version": lambda s: str(s.get("version") or ""),
    "pid": lambda s: int(s.get("pid") or 0),
    "machine": lambda s: s.get("machine") or "",
    "user": lambda s: s.get("user") or "",
    "scene": lambda s: s.get("scene") or "",
    "targets": lambda s: list(s.get("targets") or []),
    "hostState": lambda s: s.get("state") or HostState.CONNECTED,
    "connected": lambda s: bool(s.get("connected")),
    "stage": lambda s: s.get("stage") or "",
    "progressDone": lambda s: int((s.get("progress") or {}).get("done") or 0),
    "progressTotal": lambda s: int((s.get("progress") or {}).get("total") or 0),
    "currentPlugin": lambda s: (s.get("current") or {}).get("plugin") or "",
    "currentInstance": lambda s: (s.get("current") or {}).get("instance") or "",
    "lastStep": lambda s: " · ".join(
        str(v) for v in ((s.get("last_step") or {}).get(k) for k in ("plugin", "instance")) if v
    ),
    "disconnectedAt": lambda s: float(s.get("disconnected_at") or 0.0),
    "errors": lambda s: int(s.get("errors") or 0),
    "warnings": lambda s: int(s.get("warnings") or 0),
    "lastActivity": lambda s: float(s.get("last_activity") or 0.0),
    "logTail": lambda s: list(s.get("log_tail") or []),
    "jobId": lambda s: s.get("job_id") or "",
    "validated": lambda s: bool(s.get("validated")),
    "interrupted": lambda s: s.get("interrupted") or "",
    "instanceSummary": lambda s: instance_summary(s.get("instances")),
}
ROLE_NAMES = list(ROLES)
ROLE_IDS = role_ids(ROLE_NAMES)
_GETTERS = {ROLE_IDS[name]: getter for name, getter in ROLES.items()}

#: Overview filter groups -> host states they show.
ACTIVE_STATES = HOST_ACTIVE
FINISHED_STATES = HOST_FINISHED


def filter_group(snapshot: dict) -> str:
    """Which Overview filter a host falls under: active, finished or disconnected."""
    if not snapshot.get("connected") or snapshot.get("state") == HostState.DISCONNECTED:
        return HostGroup.DISCONNECTED
    if snapshot.get("state") in FINISHED_STATES:
        return HostGroup.FINISHED
    return HostGroup.ACTIVE


class HostListModel(QAbstractListModel):
    """One row per host the hub knows, connected or not, in order of arrival.

    Updates are incremental: a changed snapshot emits ``dataChanged`` for its row
    with only the roles whose value changed.
    """

    countChanged = Signal()

    #: GUI time (s) one call spends telling views of changed rows; the rows left over
    #: are told :attr:`NOTIFY_LATER` ms later (oldest first, each with its latest
    #: snapshot). With 50 hosts publishing at once, 50 cards redrawn in one go held the
    #: GUI for hundreds of ms, and a card costs about 1 ms to tell (benchmarks/bench_hosts.py):
    #: so a busy Overview refreshes each card a few times a second, and the GUI thread
    #: spends at most about a fifth of its time on cards.
    NOTIFY_BUDGET = 0.008
    NOTIFY_LATER = 40
    #: Changed rows told within the call that brought them; more are told at the next
    #: turn of the event loop, so a batch of many hosts is not told in the same turn as
    #: the bridge's drain that brought it (two shorter turns, not one long one).
    NOTIFY_AT_ONCE = 4

    def __init__(self, parent=None):
        super().__init__(parent)
        self._hosts = []  # snapshots
        self._rows = {}  # host id -> row
        self._told = {}  # host id -> the snapshot views were last told of (rows pending)
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(self.NOTIFY_LATER)
        self._later.timeout.connect(self._notify)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(0)
        self._soon.timeout.connect(self._notify)

    # -- Qt interface ----------------------------------------------------------

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._hosts)

    def data(self, index, role=DISPLAY_ROLE):
        if not index.isValid() or not 0 <= index.row() < len(self._hosts):
            return None
        return self.value(index.row(), role)

    def value(self, row: int, role: int):
        """Row ``row``'s value under ``role`` (for :meth:`data` and the proxy)."""
        snapshot = self._hosts[row]
        if role == DISPLAY_ROLE:
            return snapshot.get("application") or snapshot.get("id")
        getter = _GETTERS.get(role)
        return getter(snapshot) if getter else None

    def roleNames(self):
        return {role: QByteArray(name.encode()) for name, role in ROLE_IDS.items()}

    # -- feeding ---------------------------------------------------------------

    def snapshot(self, host_id: str) -> dict:
        """The latest snapshot of a host (KeyError if unknown)."""
        return self._hosts[self._rows[host_id]]

    def snapshots(self) -> list:
        return list(self._hosts)

    def rows(self) -> list:
        """The snapshots themselves, in row order (do not change them)."""
        return self._hosts

    def row_of(self, host_id: str) -> int:
        """The row of a host, -1 if unknown."""
        return self._rows.get(host_id, -1)

    def set_hosts(self, snapshots) -> None:
        """Replace every row (start-up only)."""
        self.beginResetModel()
        self._told.clear()
        self._hosts = [dict(s) for s in snapshots]
        self._reindex()
        self.endResetModel()
        self.countChanged.emit()

    def upsert(self, snapshots) -> None:
        """Add new hosts, update known ones.

        Changed hosts notify once per call (the bridge calls once per GUI tick, with
        the latest snapshot of each host): one ``dataChanged`` per changed row, naming
        only the roles that changed in that row since views were last told, so a card
        re-reads only what changed in it. More than :attr:`NOTIFY_AT_ONCE` rows are
        told at the next turn of the event loop, and rows beyond :attr:`NOTIFY_BUDGET`
        :attr:`NOTIFY_LATER` ms later (their data is current at once).
        """
        for snap in snapshots:
            row = self._rows.get(snap["id"])
            if row is None:
                row = len(self._hosts)
                self.beginInsertRows(QModelIndex(), row, row)
                self._hosts.append(dict(snap))
                self._rows[snap["id"]] = row
                self.endInsertRows()
                self.countChanged.emit()
                continue
            old = self._hosts[row]
            if old == snap:
                continue
            self._told.setdefault(snap["id"], old)
            self._hosts[row] = dict(snap)
        if len(self._told) <= self.NOTIFY_AT_ONCE:
            self._notify()
        elif not self._later.isActive():
            self._soon.start()

    def _notify(self) -> None:
        """Tell views of the pending rows, oldest first, within :attr:`NOTIFY_BUDGET`."""
        if self._later.isActive():
            return  # the rows left over last time go first, on the timer
        started = time.perf_counter()
        while self._told:
            host_id = next(iter(self._told))
            told = self._told.pop(host_id)
            row = self._rows.get(host_id)
            if row is None:
                continue
            snap = self._hosts[row]
            roles = [role for role, get in _GETTERS.items() if get(told) != get(snap)]
            if roles:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, roles)
            if self._told and time.perf_counter() - started > self.NOTIFY_BUDGET:
                self._later.start()
                return

    def stop(self) -> None:
        """Stop the timers of rows told later (the session is closing)."""
        self._later.stop()
        self._soon.stop()
        self._told.clear()

    def remove(self, host_ids) -> None:
        for host_id in host_ids:
            self._told.pop(host_id, None)
            row = self._rows.get(host_id)
            if row is None:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._hosts[row]
            self._reindex()
            self.endRemoveRows()
            self.countChanged.emit()

    def _reindex(self):
        self._rows = {s["id"]: n for n, s in enumerate(self._hosts)}
