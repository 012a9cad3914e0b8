"""The Queue page's filter over the job list: state, host and free-text search."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel

from pyblish_qml_queue.common.states import JOB_ACTIVE, JOB_FINISHED, JobGroup
from pyblish_qml_queue.gui.filtering import refilter
from pyblish_qml_queue.gui.queue.jobs import JobListModel

#: Queue page state filter values -> job states they show ("" shows all).
STATE_GROUPS = {
    "": None,
    JobGroup.ACTIVE: JOB_ACTIVE,
    JobGroup.FINISHED: JOB_FINISHED,
}


class JobFilterProxy(QSortFilterProxyModel):
    """The Queue page's view of the jobs: state, host and free-text search."""

    def __init__(self, source: JobListModel, parent=None):
        super().__init__(parent)
        self._state = ""
        self._host = ""
        self._search = ""
        self._jobs = source  # not self.sourceModel(): a Qt call per row per filter change
        self._accepted = None  # each row's answer, only while every row is re-filtered
        self.setSourceModel(source)
        self.setDynamicSortFilter(True)

    def set_state(self, state: str) -> bool:
        return self._set("_state", state)

    def set_host(self, host: str) -> bool:
        return self._set("_host", host)

    def set_search(self, text: str) -> bool:
        return self._set("_search", text.strip().lower())

    def _set(self, attr: str, value) -> bool:
        """Set a filter value and re-filter; False when it was ``value``.

        What each row's answer is gets worked out for every row at once (list
        comprehensions), so the call Qt makes per row during the re-filter only looks it
        up: at 100,000 jobs the Python run per row per keystroke is what a keystroke cost.
        """
        if getattr(self, attr) == value:
            return False

        def change():
            setattr(self, attr, value)
            self._accepted = self._accept_all()

        try:
            refilter(self, change)
        finally:
            self._accepted = None  # rows inserted or changed later are asked one by one
        return True

    @property
    def filtered(self) -> bool:
        """True when a state, host or search filter is set."""
        return bool(self._state or self._host or self._search)

    def shown_before(self, source_row: int) -> int:
        """How many shown rows come before ``source_row`` of the job list.

        The proxy does not sort, so its rows keep the list's order: a binary search
        asks Qt for a few rows' places, not one per shown row.
        """
        lo, hi = 0, self.rowCount()
        while lo < hi:
            mid = (lo + hi) // 2
            if self.mapToSource(self.index(mid, 0)).row() < source_row:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _group(self):
        """The job states the state filter shows (a group's, or the one named)."""
        return STATE_GROUPS.get(self._state) or (self._state,)

    def _accept_all(self) -> list:
        """:meth:`filterAcceptsRow`'s answer for every row, in the source's order."""
        rows = self._jobs._rows
        accepted = [True] * len(rows)
        if self._state:
            group = self._group()
            accepted = [row["state"] in group for row in rows]
        if self._host:
            host = self._host
            accepted = [
                ok and host in (row["application"], row["machine"])
                for ok, row in zip(accepted, rows)
            ]
        if self._search:
            search = self._search
            accepted = [
                ok and search in (row.get("_text") or _with_text(row))
                for ok, row in zip(accepted, rows)
            ]
        return accepted

    def filterAcceptsRow(self, source_row, parent):
        if self._accepted is not None:  # during a re-filter of every row
            return self._accepted[source_row]
        row = self._jobs._rows[source_row]
        if self._state and row["state"] not in self._group():
            return False
        if self._host and self._host not in (row["application"], row["machine"]):
            return False
        if self._search:
            return self._search in (row.get("_text") or _with_text(row))
        return True


def _with_text(row) -> str:
    """The row's :func:`search_text`, made at its first search and kept in the row (until
    the row is replaced)."""
    text = row["_text"] = search_text(row)
    return text


def search_text(row) -> str:
    """What the Queue search looks in, lowercase."""
    return " ".join(
        (row["title"], row["application"], row["machine"], row["user"], row["jobId"])
    ).lower()
