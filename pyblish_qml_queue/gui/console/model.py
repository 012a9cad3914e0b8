"""The Console's lines as Qt models: the app's log buffer, mirrored and filtered.

:class:`ConsoleModel` mirrors a :class:`~pyblish_qml_queue.common.logbuffer.LogBuffer`:
asked to :meth:`~ConsoleModel.poll`, it takes the entries newer than the last
one seen, appends them, and drops the oldest rows past the buffer's capacity,
so memory stays flat. :class:`ConsoleFilter` shows the rows whose level is on,
whose source matches and whose text contains the search (``/regex/`` for a
regular expression).
"""

from __future__ import annotations

import collections
import logging
import re

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QSortFilterProxyModel

from pyblish_qml_queue.common.logbuffer import LogBuffer
from pyblish_qml_queue.gui.filtering import refilter, set_filter
from pyblish_qml_queue.gui.roles import DISPLAY_ROLE
from pyblish_qml_queue.gui.rowmodel import role_ids

log = logging.getLogger(__name__)

#: The level buttons, and the record levels each one covers.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: Levels shown at start (DEBUG is off, as in the wireframe).
SHOWN_AT_START = ("INFO", "WARNING", "ERROR")

ROLE_NAMES = ("seq", "time", "level", "source", "message")
ROLE_IDS = role_ids(ROLE_NAMES)
_FIELD_INDEX = {"seq": 0, "time": 1, "level": 3, "source": 4, "message": 5}


def level_group(levelno: int) -> str:
    """The level button a record belongs to (CRITICAL counts as ERROR)."""
    if levelno >= logging.ERROR:
        return "ERROR"
    if levelno >= logging.WARNING:
        return "WARNING"
    if levelno >= logging.INFO:
        return "INFO"
    return "DEBUG"


def compile_search(text: str):
    """``(matcher, error)``: ``matcher(message) -> bool`` for plain text (any case) or
    ``/regex/``; ``error`` is the regular expression's fault, when it has one."""
    text = text or ""
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        try:
            pattern = re.compile(text[1:-1], re.IGNORECASE)
        except re.error as exc:
            return None, f"bad regular expression: {exc}"
        return (lambda value: pattern.search(value) is not None), ""
    if not text:
        return None, ""
    needle = text.casefold()
    return (lambda value: needle in value.casefold()), ""


class ConsoleModel(QAbstractListModel):
    """The buffer's entries as rows, oldest first, at most ``capacity`` of them."""

    def __init__(self, buffer: LogBuffer, parent=None):
        super().__init__(parent)
        self.buffer = buffer
        self.capacity = buffer.capacity
        self._rows = collections.deque()
        self._last = 0
        self.counts = collections.Counter()  # level button -> rows
        self.sources = collections.Counter()  # source -> rows

    # -- Qt interface ----------------------------------------------------------

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role=DISPLAY_ROLE):
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return None
        entry = self._rows[row]
        if role == DISPLAY_ROLE:
            return entry.message
        if role == ROLE_IDS["level"]:
            return level_group(entry.levelno)
        name = _ROLE_TO_NAME.get(role)
        return entry[_FIELD_INDEX[name]] if name else None

    def roleNames(self):
        return {role: QByteArray(name.encode()) for name, role in ROLE_IDS.items()}

    # -- reading ---------------------------------------------------------------

    def entry(self, row: int):
        return self._rows[row]

    def entries(self) -> list:
        return list(self._rows)

    # -- feeding ---------------------------------------------------------------

    def poll(self) -> int:
        """Take what the buffer got since the last poll. Returns the rows added."""
        new = self.buffer.since(self._last)
        if not new:
            return 0
        self._last = new[-1].seq
        if len(new) > self.capacity:
            new = new[-self.capacity :]
        overflow = len(self._rows) + len(new) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._count(self._rows.popleft(), -1)
            self.endRemoveRows()
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self._rows.extend(new)
        for entry in new:
            self._count(entry, 1)
        self.endInsertRows()
        return len(new)

    def _count(self, entry, sign: int) -> None:
        self.counts[level_group(entry.levelno)] += sign
        self.sources[entry.source] += sign
        if self.sources[entry.source] <= 0:
            del self.sources[entry.source]


_ROLE_TO_NAME = {role: name for name, role in ROLE_IDS.items()}


class ConsoleFilter(QSortFilterProxyModel):
    """Rows whose level is on, whose source matches and whose message matches the search."""

    def __init__(self, source: ConsoleModel, parent=None):
        super().__init__(parent)
        self.setSourceModel(source)
        self.levels = set(SHOWN_AT_START)
        self.source_name = ""
        self.search = ""
        self.search_error = ""
        self._match = None

    def set_level(self, level: str, shown: bool) -> bool:
        if level not in LEVELS or (level in self.levels) == shown:
            return False
        refilter(self, lambda: (self.levels.add if shown else self.levels.discard)(level))
        return True

    def set_source(self, name: str) -> bool:
        return set_filter(self, "source_name", name)

    def set_search(self, text: str) -> bool:
        if text == self.search:
            return False
        match, error = compile_search(text)

        def change():
            self.search, self.search_error = text, error
            self._match = match if not error else None

        refilter(self, change)
        return True

    def filterAcceptsRow(self, source_row, parent):
        entry = self.sourceModel().entry(source_row)
        if level_group(entry.levelno) not in self.levels:
            return False
        if self.source_name and entry.source != self.source_name:
            return False
        if self._match is not None:
            return self._match(entry.message) or self._match(entry.source)
        return True

    def shown_entries(self) -> list:
        model = self.sourceModel()
        return [
            model.entry(self.mapToSource(self.index(n, 0)).row()) for n in range(self.rowCount())
        ]
