"""The Console: the app's own log (the old PYBLISH_QML_CONSOLE terminal), as a page.

:class:`ConsoleModel` mirrors a :class:`~pyblish_qml_queue.logbuffer.LogBuffer`:
a timer on the GUI thread asks the buffer for entries newer than the last one
seen, appends them, and drops the oldest rows past the buffer's capacity, so
memory stays flat. :class:`ConsoleFilter` shows the rows whose level is on,
whose source matches and whose text contains the search (``/regex/`` for a
regular expression). :class:`Console` is the QML singleton over both.
"""

from __future__ import annotations

import collections
import logging
import os
import re

from PySide6.QtCore import (
    Property,
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtQml import QmlElement, QmlSingleton

from ..logbuffer import LogBuffer, default_buffer
from .filtering import refilter

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1

#: The level buttons, and the record levels each one covers.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: Levels shown at start (DEBUG is off, as in the wireframe).
SHOWN_AT_START = ("INFO", "WARNING", "ERROR")

ROLE_NAMES = ("seq", "time", "level", "source", "message")
ROLE_IDS = {name: Qt.ItemDataRole.UserRole + 1 + n for n, name in enumerate(ROLE_NAMES)}
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

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return None
        entry = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
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
        if name == self.source_name:
            return False
        refilter(self, lambda: setattr(self, "source_name", name))
        return True

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


@QmlElement
@QmlSingleton
class Console(QObject):
    """The Console page: the log lines, their filters, copy, save and follow.

    Args:
        buffer: the log buffer to show (default: the process's, attached to the root logger).
        interval: ms between two looks at the buffer (0: only when :meth:`poll` is called).
        clipboard: ``clipboard(text)``; default the system clipboard.
        choose_file: ``choose_file(suggested path) -> path or ""``; default a file dialog.
    """

    linesChanged = Signal()
    filterChanged = Signal()
    followChanged = Signal()
    #: A message for the user after copy or save.
    messageChanged = Signal()

    def __init__(self, buffer=None, interval=200, clipboard=None, choose_file=None, parent=None):
        super().__init__(parent)
        self.model = ConsoleModel(buffer if buffer is not None else default_buffer(), self)
        self.proxy = ConsoleFilter(self.model, self)
        self._follow = True
        self._message = ""
        self._clipboard = clipboard or _system_clipboard
        self._choose_file = choose_file or _choose_file
        self._shown = 0
        self.proxy.rowsInserted.connect(self._recount)
        self.proxy.rowsRemoved.connect(self._recount)
        self.proxy.modelReset.connect(self._recount)
        self.proxy.layoutChanged.connect(self._recount)
        self._timer = QTimer(self)
        if interval:
            self._timer.setInterval(interval)
            self._timer.timeout.connect(self.poll)
            self._timer.start()
        self.poll()

    @staticmethod
    def create(engine):
        from . import tray

        return tray.part_of(engine, "console")

    # -- properties --------------------------------------------------------------

    @Property(QObject, constant=True)
    def lines(self):
        return self.proxy

    @Property(int, notify=linesChanged)
    def total(self):
        return self.model.rowCount()

    @Property(int, notify=linesChanged)
    def shown(self):
        return self._shown

    @Property(int, constant=True)
    def capacity(self):
        return self.model.capacity

    @Property("QVariantMap", notify=linesChanged)
    def counts(self):
        return {level: self.model.counts.get(level, 0) for level in LEVELS}

    @Property(list, notify=linesChanged)
    def sources(self):
        return sorted(self.model.sources)

    @Property(list, notify=filterChanged)
    def levels(self):
        return [level for level in LEVELS if level in self.proxy.levels]

    @Property(str, notify=filterChanged)
    def source(self):
        return self.proxy.source_name

    @Property(str, notify=filterChanged)
    def search(self):
        return self.proxy.search

    @Property(str, notify=filterChanged)
    def searchError(self):
        return self.proxy.search_error

    @Property(bool, notify=followChanged)
    def follow(self):
        return self._follow

    @Property(str, notify=messageChanged)
    def message(self):
        return self._message

    # -- slots -------------------------------------------------------------------

    @Slot(str, bool)
    def setLevel(self, level, shown):
        if self.proxy.set_level(level, shown):
            self.filterChanged.emit()
            self._recount()

    @Slot(str)
    def toggleLevel(self, level):
        self.setLevel(level, level not in self.proxy.levels)

    @Slot(str)
    def setSource(self, name):
        if self.proxy.set_source(name):
            self.filterChanged.emit()
            self._recount()

    @Slot(str)
    def setSearch(self, text):
        if self.proxy.set_search(text):
            self.filterChanged.emit()
            self._recount()

    @Slot(bool)
    def setFollow(self, on):
        if on != self._follow:
            self._follow = on
            self.followChanged.emit()

    @Slot(result=int)
    def poll(self):
        """Show what was logged since the last look. Returns the lines added."""
        added = self.model.poll()
        if added:
            self.linesChanged.emit()
        return added

    @Slot(result=int)
    def copy(self):
        """Copy the lines shown (filters applied) to the clipboard. Returns how many."""
        entries = self.proxy.shown_entries()
        self._clipboard("\n".join(entry.line() for entry in entries) + ("\n" if entries else ""))
        self._say(f"Copied {len(entries):,} lines to the clipboard.")
        return len(entries)

    @Slot()
    def save(self):
        """Ask where, then save the lines shown there."""
        path = self._choose_file(_suggested_path())
        if path:
            self.saveTo(path)

    @Slot(str, result=bool)
    def saveTo(self, path):
        """Save the lines shown (filters applied) to ``path``; False (and a message) on error."""
        entries = self.proxy.shown_entries()
        try:
            with open(path, "w", encoding="utf-8") as f:
                for entry in entries:
                    f.write(entry.line() + "\n")
        except OSError as exc:
            log.warning("Could not save the console to %s: %s", path, exc)
            self._say(f"Could not save to {path}: {exc.strerror or exc}; pick another folder.")
            return False
        self._say(f"Saved {len(entries):,} lines to {path}.")
        return True

    # -- internals ------------------------------------------------------------------

    def _recount(self, *args):
        shown = self.proxy.rowCount()
        if shown != self._shown:
            self._shown = shown
            self.linesChanged.emit()

    def _say(self, text):
        if text != self._message:
            self._message = text
            self.messageChanged.emit()

    def stop(self):
        self._timer.stop()


def _suggested_path() -> str:
    import time

    name = time.strftime("pyblish-qml-queue-%Y%m%d-%H%M%S.log")
    return os.path.join(os.path.expanduser("~"), name)


def _system_clipboard(text: str) -> None:
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().setText(text)


def _choose_file(suggested: str) -> str:
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getSaveFileName(
        None, "Save the console", suggested, "Log files (*.log *.txt);;All files (*)"
    )
    return path
