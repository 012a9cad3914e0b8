"""Hosts as a Qt list model: a thin adapter over the hub's host snapshots."""

from __future__ import annotations

import bisect
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


def steady_ids(shown: list, wanted: list) -> set:
    """The hosts that may keep their places when ``shown`` becomes ``wanted``: the
    longest run of ``wanted`` in the order ``shown`` has them (the others move)."""
    at = {host_id: n for n, host_id in enumerate(shown)}
    kept = [host_id for host_id in wanted if host_id in at]
    tails, tail_of, before = [], [], {}  # longest increasing subsequence of places
    for host_id in kept:
        place = at[host_id]
        n = bisect.bisect_left(tails, place)
        before[host_id] = tail_of[n - 1] if n else None
        if n == len(tails):
            tails.append(place)
            tail_of.append(host_id)
        else:
            tails[n], tail_of[n] = place, host_id
    steady, host_id = set(), tail_of[-1] if tail_of else None
    while host_id is not None:
        steady.add(host_id)
        host_id = before[host_id]
    return steady


class HostFilterProxy(QAbstractListModel):
    """The Overview's view of the hosts: filter group, free-text search and sort order.

    ``group``: "all", "active", "finished" or "disconnected". ``sort_key``:
    "activity" (latest first), "application" or "arrival".

    A plain list model that owns the order of the cards it shows (host ids), not a
    ``QSortFilterProxyModel``: a re-sort there is a ``layoutChanged``, which a
    ``QQmlDelegateModel`` takes as every card changed (200-290 ms for 50 cards). Here a
    re-sort moves only the cards that change places, one ``beginMoveRows`` each (the
    fewest: the cards in the longest run already in order stay), and a filter change
    inserts and removes cards; a card's own changes pass through as its
    ``dataChanged``.
    """

    #: Cards re-sort by activity this often (ms); in between they keep their places,
    #: so a busy host does not make the cards jump under the mouse.
    RESORT_INTERVAL = 5000
    #: ... and only when a host shown below another was active more than this many
    #: seconds after it: hosts publishing at once keep their places, one gone quiet
    #: sinks.
    RESORT_TOLERANCE = 10.0

    def __init__(self, source: HostListModel, parent=None):
        super().__init__(parent)
        self._source = source
        self._group = HostGroup.ALL.value
        self._search = ""
        self._sort_key = "activity"
        self._activity = {}  # host id -> last activity when last sorted
        self._sorted = False
        self._ids = []  # host ids shown, in order
        self._at = {}  # host id -> row
        source.dataChanged.connect(self._source_changed)
        source.rowsInserted.connect(self._place)
        source.rowsAboutToBeRemoved.connect(self._source_removing)
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._source_reset)
        self._ids = self._wanted()
        self._reindex()
        self.resort()
        self._resort = QTimer(self)
        self._resort.setInterval(self.RESORT_INTERVAL)
        self._resort.timeout.connect(self.resort)
        self._resort.start()

    def sourceModel(self) -> HostListModel:
        return self._source

    def stop(self) -> None:
        """Stop re-sorting on a timer (the session is closing)."""
        self._resort.stop()

    # -- Qt interface ----------------------------------------------------------

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index, role=DISPLAY_ROLE):
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._source.row_of(self._ids[index.row()])
        return None if row < 0 else self._source.value(row, role)

    def roleNames(self):
        return self._source.roleNames()

    # -- filter and order ------------------------------------------------------

    def resort(self) -> None:
        """Sort again with every host's current last activity, when that changes the
        order (by activity: when a host shown below another was active more than
        :attr:`RESORT_TOLERANCE` seconds after it)."""
        hosts = self._source.rows()
        activity = {h["id"]: h.get("last_activity") or 0 for h in hosts}
        if activity == self._activity and self._sorted:
            return
        if self._sorted and self._sort_key == "activity" and self._activity:
            if not self._out_of_order(activity):
                return  # places kept (and the activity they were sorted by)
        self._activity = activity
        self._sorted = True
        self._place()

    def _out_of_order(self, activity) -> bool:
        """Whether a host shown below another was active more than
        :attr:`RESORT_TOLERANCE` seconds after it. Shown is the order last sorted by,
        hosts that came since first (as :meth:`_wanted` places them)."""
        sorted_by = self._activity
        shown = sorted(activity, key=lambda host_id: -sorted_by.get(host_id, float("inf")))
        latest_below = float("-inf")
        for host_id in reversed(shown):
            when = activity[host_id]
            if latest_below > when + self.RESORT_TOLERANCE:
                return True
            latest_below = max(latest_below, when)
        return False

    def set_group(self, group: str) -> bool:
        return self._set("_group", group)

    def set_search(self, text: str) -> bool:
        return self._set("_search", text.strip().lower())

    def set_sort_key(self, key: str) -> bool:
        if key == self._sort_key:
            return False
        self._sort_key = key
        self._activity = {}
        self._sorted = False
        self.resort()
        return True

    def _set(self, attr, value) -> bool:
        if getattr(self, attr) == value:
            return False
        setattr(self, attr, value)
        self._place()
        return True

    def accepts(self, snap: dict) -> bool:
        """Whether the filter group and the search let a host's card through."""
        if self._group != HostGroup.ALL and filter_group(snap) != self._group:
            return False
        if self._search:
            text = " ".join(
                str(snap.get(k) or "")
                for k in ("application", "version", "machine", "user", "scene", "pid", "state")
            ).lower()
            return self._search in text
        return True

    def _wanted(self) -> list:
        """The host ids to show, in order (by activity: hosts not sorted yet first, by
        arrival; hosts of the same activity in the order they are shown)."""
        hosts = self._source.rows()
        rows = [n for n, snap in enumerate(hosts) if self.accepts(snap)]
        if self._sort_key == "activity":
            activity, at, after = self._activity, self._at, len(self._at)

            def key(n):  # hosts active at the same time keep the places they have
                host_id = hosts[n]["id"]
                return (-activity.get(host_id, float("inf")), at.get(host_id, after + n))

            rows.sort(key=key)
        elif self._sort_key == "application":
            rows.sort(
                key=lambda n: (hosts[n].get("application") or "", hosts[n].get("pid") or 0, n)
            )
        return [hosts[n]["id"] for n in rows]

    def _place(self, *_args) -> None:
        """Bring the cards shown in line with the filter and order: remove the cards
        the filter no longer lets through, then move (or insert) each card not in the
        longest run already in order, right after the card it is to follow."""
        wanted = self._wanted()
        if wanted == self._ids:
            return
        keep = set(wanted)
        for row in range(len(self._ids) - 1, -1, -1):
            if self._ids[row] not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._ids[row]
                self.endRemoveRows()
        steady = steady_ids(self._ids, wanted)
        shown = self._ids
        for n, host_id in enumerate(wanted):
            if host_id in steady:
                continue
            to = shown.index(wanted[n - 1]) + 1 if n else 0
            try:
                row = shown.index(host_id)
            except ValueError:
                self.beginInsertRows(QModelIndex(), to, to)
                shown.insert(to, host_id)
                self.endInsertRows()
                continue
            if to in (row, row + 1):
                continue  # already right after it
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), to)
            del shown[row]
            shown.insert(to if to < row else to - 1, host_id)
            self.endMoveRows()
        self._reindex()

    def _reindex(self) -> None:
        self._at = {host_id: n for n, host_id in enumerate(self._ids)}

    # -- the source's changes --------------------------------------------------

    def _source_changed(self, first, last, roles=()):
        hosts = self._source.rows()
        replace = False
        for source_row in range(first.row(), last.row() + 1):
            snap = hosts[source_row]
            row = self._at.get(snap["id"])
            if (row is not None) != self.accepts(snap):
                replace = True
            elif row is not None:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, roles)
        if replace or self._sort_key == "application":
            self._place()

    def _source_removing(self, parent, first, last):
        gone = {s["id"] for s in self._source.rows()[first : last + 1]}
        for row in range(len(self._ids) - 1, -1, -1):
            if self._ids[row] in gone:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._ids[row]
                self.endRemoveRows()
        self._reindex()

    def _source_reset(self):
        self._ids = self._wanted()
        self._reindex()
        self.endResetModel()
