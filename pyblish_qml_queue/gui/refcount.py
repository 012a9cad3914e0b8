"""Keep ``None``, ``True`` and ``False`` alive under PySide6 6.12 on Python < 3.12.

PySide6 6.12.0 returns ``None`` from void methods (``beginInsertRows``,
``endResetModel``, ``invalidate``, ...) and the bool of ``Signal.emit()``
without taking a new reference. From Python 3.12 on these objects are immortal
and nothing happens; on 3.9-3.11 every such call takes one reference away, and
after enough calls (a few seconds of a busy queue) Python aborts with
"none_dealloc: deallocating None". :func:`protect` does what 3.12 does: it gives
the three objects a reference count no program can exhaust. It acts only where
a probe shows the leak, so a fixed PySide6 or a newer Python is left alone.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

#: What Python 3.12 gives immortal objects, near enough: 2**60 references.
_PLENTY = 1 << 60
_done = False


def _leaks() -> bool:
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        ping = Signal()

    probe = Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(64):
        probe.ping.emit()
        probe.blockSignals(False)
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    return lost_none >= 32 or lost_true >= 32


def protect() -> bool:
    """Make ``None``, ``True`` and ``False`` effectively immortal if PySide6 leaks them.

    Returns:
        Whether the objects needed it (and got it).
    """
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    _done = True
    if not _leaks():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _PLENTY
    log.debug("PySide6 drops references to None/True/False here; gave them plenty")
    return True
