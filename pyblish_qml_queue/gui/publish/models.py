"""The Publish page's Qt list models: thin adapters over :class:`PageState` rows.

:class:`ItemListModel` shows the instance list or the plugin list (section
rows and item rows in one flat list); :class:`RecordModel` the Terminal's
records, filtered by :class:`RecordFilterProxy` (text and level toggles).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel

from pyblish_qml_queue.gui.filtering import refilter, set_filter
from pyblish_qml_queue.gui.rowmodel import RowListModel

log = logging.getLogger(__name__)

ITEM_ROLES = [
    "itemId",
    "kind",
    "label",
    "itemState",
    "checked",
    "optional",
    "info",
    "frames",  # an instance's frame range, "1001 – 1120" ("" for other rows)
    "hasComment",
    "section",
    "collapsed",
    "hasActions",
    "hasRepair",
]
RECORD_ROLES = ["time", "level", "levelno", "source", "instance", "message", "traceback"]

#: Level toggles of the Terminal -> the levelno range each covers.
LEVELS = {"debug": (0, 20), "info": (20, 30), "warning": (30, 40), "error": (40, 1000)}


class _RowModel(RowListModel):
    """Rows are dicts keyed by role name; :meth:`rows` hands out a copy."""

    def rows(self) -> list:
        return list(self._rows)


class ItemListModel(_RowModel):
    """Instances (or plugins) with their section rows, as :class:`PageState` lays them out.

    ``set_rows`` replaces the list (a host switch, a section folded); ``update``
    re-reads only the rows whose id it is given and notifies only the roles that
    changed.
    """

    ROLES = ITEM_ROLES
    DISPLAY = "label"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._index: dict = {}

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._index = {row["itemId"]: n for n, row in enumerate(self._rows)}
        self.endResetModel()

    def row_of(self, item_id: str) -> int:
        return self._index.get(item_id, -1)

    def update(self, item_ids, row_of) -> int:
        """Re-read rows by id with ``row_of(id) -> row``. Returns the rows that changed."""
        changed = 0
        for item_id in item_ids:
            n = self._index.get(item_id)
            if n is None:
                continue
            new = row_of(item_id)
            if new == self._rows[n]:
                continue
            self.replace_row(n, new)
            changed += 1
        return changed


class RecordModel(_RowModel):
    """Every record of the host's publish, in arrival order (appended, never reset but on
    a host switch)."""

    ROLES = RECORD_ROLES
    DISPLAY = "level"

    def set_records(self, records) -> None:
        self.beginResetModel()
        self._rows = list(records)
        self.endResetModel()

    def append(self, records) -> None:
        if not records:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
        self._rows.extend(records)
        self.endInsertRows()


class RecordFilterProxy(QSortFilterProxyModel):
    """The Terminal's view: records whose level is switched on and whose text matches."""

    def __init__(self, source: RecordModel, parent=None):
        super().__init__(parent)
        self._text = ""
        self._levels = set(LEVELS)
        self.setSourceModel(source)

    @property
    def text(self) -> str:
        return self._text

    @property
    def levels(self) -> set:
        return set(self._levels)

    def set_text(self, text: str) -> bool:
        return set_filter(self, "_text", text.strip().lower())

    def set_level(self, level: str, on: bool) -> bool:
        if level not in LEVELS or (level in self._levels) == on:
            return False
        levels = set(self._levels)
        if on:
            levels.add(level)
        else:
            levels.discard(level)
        refilter(self, lambda: setattr(self, "_levels", levels))
        return True

    def filterAcceptsRow(self, row, parent):
        record = self.sourceModel()._rows[row]
        levelno = record.get("levelno", 20)
        if not any(LEVELS[name][0] <= levelno < LEVELS[name][1] for name in self._levels):
            return False
        if self._text:
            haystack = " ".join(
                (record.get("message", ""), record.get("source", ""), record.get("instance", ""))
            ).lower()
            return self._text in haystack
        return True
