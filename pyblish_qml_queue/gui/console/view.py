"""The Console: the app's own log (the old PYBLISH_QML_CONSOLE terminal), as a page.

:class:`Console` is the QML singleton over a
:class:`~pyblish_qml_queue.gui.console.model.ConsoleModel` (the log buffer's
entries, polled on a timer on the GUI thread) and its
:class:`~pyblish_qml_queue.gui.console.model.ConsoleFilter` (levels, source,
search): it counts the lines, copies and saves the lines shown, and follows
the tail.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.common.logbuffer import default_buffer
from pyblish_qml_queue.gui.console.model import LEVELS, ConsoleFilter, ConsoleModel
from pyblish_qml_queue.gui.singletons import DESKTOPS

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


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
        return DESKTOPS.singleton(engine, "console")

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
