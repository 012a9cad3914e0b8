"""The app's own log, kept in memory for the Console window. No Qt.

:class:`LogBuffer` is a :class:`logging.Handler` that keeps the last ``capacity``
records (default 50,000) as light :class:`Entry` tuples in a bounded deque, each
with a sequence number, so the Console can ask "what came after number N" and
memory stays flat over days of uptime. Safe to call from any thread.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from typing import NamedTuple

log = logging.getLogger(__name__)

#: Records kept by default.
CAPACITY = 50_000
#: Characters of one message kept (a traceback included); the rest is cut.
MESSAGE_LIMIT = 16_000

_PACKAGE = __name__.split(".")[0] + "."

_default = None
_default_lock = threading.Lock()


class Entry(NamedTuple):
    """One log record, reduced to what the Console shows."""

    seq: int
    time: float
    levelno: int
    level: str
    source: str
    message: str

    def line(self) -> str:
        """The entry as one line of text (a traceback continues on the next lines)."""
        import time as _time

        stamp = _time.strftime("%Y-%m-%d %H:%M:%S", _time.localtime(self.time))
        millis = int((self.time % 1) * 1000)
        return f"{stamp}.{millis:03d} {self.level:<8} {self.source}: {self.message}"


#: The Console's sources, the parts a user knows (its wireframe's), by the package a
#: logger lives in: the first prefix that matches wins, so the longer ones come first.
SOURCES = (
    ("hub.transport", "server"),
    ("node", "server"),
    ("cli", "server"),
    ("hub", "hosts"),
    ("common.wire", "hosts"),
    ("host", "hosts"),
    ("dcc", "hosts"),
    ("queue", "queue"),
    ("worker", "worker"),
    ("farm", "farm"),
    ("gui.desktop", "tray"),
    ("demo", "demo"),
)
#: The source of the package's other loggers (the GUI, common/).
APP_SOURCE = "app"


def source_of(name: str) -> str:
    """The Console's source for a logger: ``pyblish_qml_queue.queue.loop`` -> ``queue``,
    ``pyblish_qml_queue.hub.session`` -> ``hosts`` (:data:`SOURCES`); another library's
    loggers by its name (``celery.worker`` -> ``celery``)."""
    if not name.startswith(_PACKAGE):
        return name.split(".", 1)[0] or "root"
    name = name[len(_PACKAGE) :]
    for prefix, source in SOURCES:
        if name == prefix or name.startswith(prefix + "."):
            return source
    return APP_SOURCE


class LogBuffer(logging.Handler):
    """Keeps the last ``capacity`` records; read them with :meth:`since`.

    Args:
        capacity: records kept; older ones are dropped as new ones come.
        level: the lowest level kept.
    """

    def __init__(self, capacity: int = CAPACITY, level: int = logging.NOTSET):
        super().__init__(level)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries = collections.deque(maxlen=capacity)
        self._seq = 0
        self._formatter = logging.Formatter()

    @property
    def last_seq(self) -> int:
        """The number of the newest entry (0 before the first)."""
        return self._seq

    @property
    def dropped(self) -> int:
        """Entries dropped so far to keep the buffer bounded."""
        with self.lock:
            return self._seq - len(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + self._formatter.formatException(record.exc_info)
            elif record.exc_text:
                message += "\n" + record.exc_text
            if len(message) > MESSAGE_LIMIT:
                message = message[:MESSAGE_LIMIT] + " [...]"
        except Exception:
            self.handleError(record)
            return
        # Handler.handle() holds self.lock around emit(); add() takes it again (an RLock).
        self.add(record.created, record.levelno, record.levelname, source_of(record.name), message)

    def add(self, created: float, levelno: int, level: str, source: str, message: str) -> Entry:
        """Append an entry directly (tests, or records from elsewhere)."""
        with self.lock:
            self._seq += 1
            entry = Entry(self._seq, created, levelno, level, source, message)
            self._entries.append(entry)
            return entry

    def since(self, seq: int = 0) -> list:
        """Entries newer than ``seq``, oldest first (those still kept)."""
        with self.lock:
            if seq >= self._seq:
                return []
            newer = self._seq - seq
            if newer >= len(self._entries):
                return list(self._entries)
            newest = list(itertools.islice(reversed(self._entries), newer))
        newest.reverse()
        return newest

    def entries(self) -> list:
        """Every entry kept, oldest first."""
        with self.lock:
            return list(self._entries)

    def clear(self) -> None:
        with self.lock:
            self._entries.clear()


def default_buffer() -> LogBuffer:
    """The process's buffer, attached to the root logger on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LogBuffer()
            logging.getLogger().addHandler(_default)
        return _default
