"""The Overview's cards: the hosts of :class:`~.hosts.HostListModel` its filter group and
search let through, in the chosen order, moved one card at a time."""

from __future__ import annotations

import bisect

from PySide6.QtCore import QAbstractListModel, QModelIndex, QTimer

from pyblish_qml_queue.common.states import HostGroup
from pyblish_qml_queue.gui.overview.hosts import HostListModel, filter_group
from pyblish_qml_queue.gui.roles import DISPLAY_ROLE


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
