"""Log records as JSON: streamed live while a step runs, kept (capped) in step_finished.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import logging
import time

#: Records kept per step in step_finished; the earliest beyond this are left out.
MAX_RECORDS = 1000


def record_dict(record):
    """A LogRecord as JSON: name, level, message, time, module, lineno."""
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    if record.exc_info:
        try:
            message = "%s\n%s" % (message, logging.Formatter().formatException(record.exc_info))
        except Exception:
            pass
    return {
        "name": record.name,
        "level": record.levelname,
        "message": message,
        "time": record.created,
        "module": record.module,
        "lineno": record.lineno,
    }


def note(level, message):
    """A record of the worker's own, e.g. a warning about a step's data."""
    return {
        "name": "pyblish_qml_queue.worker",
        "level": level,
        "message": message,
        "time": time.time(),
        "module": "worker",
        "lineno": 0,
    }


def capped(records):
    """The last :data:`MAX_RECORDS` of ``records``, behind a note saying how many were left out."""
    records = list(records or [])
    if len(records) <= MAX_RECORDS:
        return records
    dropped = len(records) - MAX_RECORDS
    left_out = note("WARNING", "%d earlier log records of this step were left out" % dropped)
    return [left_out] + records[-MAX_RECORDS:]


class LiveRecords(logging.Handler):
    """Streams the plugins' log records as ``record`` events while a step runs.

    Takes what pyblish keeps for a result (loggers named ``pyblish*``), minus
    our own.
    """

    def __init__(self, events, index):
        logging.Handler.__init__(self, logging.DEBUG)
        self._events = events
        self._index = index

    def emit(self, record):
        if not record.name.startswith("pyblish") or record.name.startswith("pyblish_qml_queue"):
            return
        try:
            self._events.emit(
                {"event": "record", "index": self._index, "record": record_dict(record)}
            )
        except Exception:
            self.handleError(record)
