"""The Queue page's filter over the job list: state, host and free-text search.

Not a ``QSortFilterProxyModel``: that one asks Python ``filterAcceptsRow`` once per
row at every filter change, which at 100,000 jobs was what a keystroke cost. This
model keeps its own list of the rows it shows, in the job list's order: a filter
change picks them in one list comprehension over the rows (each row carries its
lowercase search text) and resets this model, so Qt then asks only for the rows
on screen; a change of one job (from the job list's listener calls) inserts,
removes, moves or changes one row here by a bisect of its order key.
"""

from __future__ import annotations

import bisect
import operator

from PySide6.QtCore import QAbstractListModel, QModelIndex

from pyblish_qml_queue.common.states import JOB_ACTIVE, JOB_FINISHED, JobGroup
from pyblish_qml_queue.gui.queue.jobs import JobListModel
from pyblish_qml_queue.gui.queue.rows import find_row, matches
from pyblish_qml_queue.gui.roles import DISPLAY_ROLE

_KEY = operator.attrgetter("_key")

#: Queue page state filter values -> job states they show ("" shows all).
STATE_GROUPS = {
    "": None,
    JobGroup.ACTIVE: JOB_ACTIVE,
    JobGroup.FINISHED: JOB_FINISHED,
}


class JobFilterProxy(QAbstractListModel):
    """The Queue page's view of the jobs: state, host and free-text search.

    It has the job list's roles, and the proxy calls the app makes of it
    (``mapToSource``, ``mapFromSource``, ``filterAcceptsRow``, ``sourceModel``).
    """

    def __init__(self, source: JobListModel, parent=None):
        super().__init__(parent)
        self._state = ""
        self._host = ""
        self._search = ""
        self._values = frozenset()  # the hosts' and users' names the search is in
        self._jobs = source
        self._shown = list(source.rows())  # the rows shown, in the job list's order
        self._keys = list(source.order_keys())  # their "_key", for bisect
        source.add_listener(self)

    # -- Qt interface ----------------------------------------------------------

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index, role=DISPLAY_ROLE):
        n = index.row()
        if not index.isValid() or not 0 <= n < len(self._shown):
            return None
        return self._jobs.value(self._shown[n], role)

    def roleNames(self):
        return self._jobs.roleNames()

    # -- as a proxy of the job list -----------------------------------------------

    def sourceModel(self) -> JobListModel:
        return self._jobs

    def mapToSource(self, index):
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return QModelIndex()
        return self._jobs.index(self._jobs.find(self._shown[index.row()]), 0)

    def mapFromSource(self, index):
        rows = self._jobs.rows()
        if not index.isValid() or not 0 <= index.row() < len(rows):
            return QModelIndex()
        n = self._find(rows[index.row()])
        return self.index(n, 0) if n >= 0 else QModelIndex()

    def filterAcceptsRow(self, source_row, parent=None) -> bool:
        return self._accepts(self._jobs.rows()[source_row])

    def row_of(self, job_id: str) -> int:
        """The row of ``job_id`` here (-1 when hidden or unknown)."""
        row = self._jobs.rows_by_id.get(job_id)
        return -1 if row is None else self._find(row)

    # -- filters ---------------------------------------------------------------

    def set_state(self, state: str) -> bool:
        return self._set("_state", state)

    def set_host(self, host: str) -> bool:
        return self._set("_host", host)

    def set_search(self, text: str) -> bool:
        return self._set("_search", text.strip().lower())

    def _set(self, attr: str, value) -> bool:
        """Set a filter value and pick the rows shown again; False when it was ``value``.

        A search that only grew (a keystroke more) picks among the rows shown now.
        """
        old = getattr(self, attr)
        if old == value:
            return False
        narrower = attr == "_search" and old in value
        setattr(self, attr, value)
        if attr == "_search":
            self._values = self._jobs.values_with(value) if value else frozenset()
        self._pick(self._shown if narrower else self._jobs.rows())
        return True

    @property
    def filtered(self) -> bool:
        """True when a state, host or search filter is set."""
        return bool(self._state or self._host or self._search)

    def shown_before(self, source_row: int) -> int:
        """How many shown rows come before ``source_row`` of the job list."""
        keys = self._jobs.order_keys()
        if source_row >= len(keys):
            return len(self._shown)
        return bisect.bisect_left(self._keys, keys[source_row])

    def _group(self):
        """The job states the state filter shows (a group's, or the one named)."""
        return STATE_GROUPS.get(self._state) or (self._state,)

    def _accepts(self, row) -> bool:
        if self._state and row.state not in self._group():
            return False
        if self._host and self._host not in (row.application, row.machine):
            return False
        return not self._search or matches(self._search, row, self._values)

    def _select(self, rows) -> list:
        """The rows of ``rows`` the filters let through, in their order (a new list)."""
        if self._state:
            group = self._group()
            rows = [row for row in rows if row.state in group]
        if self._host:
            host = self._host
            rows = [row for row in rows if row.application == host or row.machine == host]
        if self._search:
            search, values = self._search, self._values
            # matches(), inline: at 100,000 rows a call per row was 10 ms a keystroke
            if values:
                rows = [
                    row
                    for row in rows
                    if search in row._text
                    or search in row.jobId
                    or row.application in values
                    or row.machine in values
                    or row.user in values
                ]
            else:
                rows = [row for row in rows if search in row._text or search in row.jobId]
        return list(rows) if not self.filtered else rows

    def _pick(self, rows) -> None:
        shown = self._select(rows)
        if self.filtered:
            keys = list(map(_KEY, shown))  # in C: a third of a comprehension's time
        else:
            keys = list(self._jobs.order_keys())
        self.beginResetModel()
        self._shown = shown
        self._keys = keys
        self.endResetModel()

    def _find(self, row) -> int:
        return find_row(self._shown, self._keys, row)

    # -- the job list's listener calls -------------------------------------------------

    def rows_reset(self) -> None:
        self._pick(self._jobs.rows())

    def rows_added(self, rows) -> None:
        """New rows of the job list (sorted by key)."""
        self._new_values()
        rows = self._select(rows)
        if not rows:
            return
        keys = self._keys
        if not keys or keys[-1] < rows[0]._key:  # after every row shown: one insert
            start = len(keys)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._shown.extend(rows)
            keys.extend(row._key for row in rows)
            self.endInsertRows()
            return
        for row in rows:
            self._insert(row)

    def row_removed(self, row) -> None:
        n = self._find(row)
        if n >= 0:
            self._remove_at(n)

    def row_replaced(self, old, new, roles) -> None:
        """``new`` took the place of ``old`` (the same job), its key maybe changed."""
        self._new_values()
        n = self._find(old)
        if not self._accepts(new):
            if n >= 0:
                self._remove_at(n)
            return
        if n < 0:
            self._insert(new)
            return
        if new._key != old._key:
            keys = self._keys
            del keys[n]
            at = bisect.bisect_right(keys, new._key)
            if at != n:
                dest = at if at < n else at + 1  # Qt counts the destination before removal
                self.beginMoveRows(QModelIndex(), n, n, QModelIndex(), dest)
                del self._shown[n]
                self._shown.insert(at, new)
                keys.insert(at, new._key)
                self.endMoveRows()
                n = at
            else:
                keys.insert(n, new._key)
        self._shown[n] = new
        if roles:
            index = self.index(n, 0)
            self.dataChanged.emit(index, index, roles)

    def row_changed(self, row, roles) -> None:
        n = self._find(row)
        if n >= 0:
            index = self.index(n, 0)
            self.dataChanged.emit(index, index, roles)

    def _new_values(self) -> None:
        """New rows may bring host or user names the search is in."""
        if self._search:
            self._values = self._jobs.values_with(self._search)

    def _insert(self, row) -> None:
        at = bisect.bisect_right(self._keys, row._key)
        self.beginInsertRows(QModelIndex(), at, at)
        self._shown.insert(at, row)
        self._keys.insert(at, row._key)
        self.endInsertRows()

    def _remove_at(self, n: int) -> None:
        self.beginRemoveRows(QModelIndex(), n, n)
        del self._shown[n]
        del self._keys[n]
        self.endRemoveRows()
