"""Import PySide6, then spare the modules imported before it PySide6's source check.

PySide6's import hook (``shibokensupport.feature``, for ``from __feature__ import ...``)
reads the whole source of each module the first time an ``import`` statement after it
names that module, looking for the word "PySide6" (``inspect.getsource``): 0.3-3 ms for
each standard library and Qt-free module the GUI modules import again by name
(``subprocess``, ``typing``, ``logging``...), 8-12 ms of CPU before the app's first
frame. A module imported before PySide6 does not use it, and the hook would record just
that (``-1``, "does not use PySide"): this records it for them at once. Where the hook's
table is not there or not the one known (another PySide6 version), or anything goes
wrong while marking, nothing more changes and the app starts as without this.
"""

import logging
import sys

import PySide6.QtCore  # noqa: F401  (installs the hook)

logger = logging.getLogger(__name__)

QT = ("PySide6", "shiboken6", "shibokensupport", "__feature__")


def _mark_imported_modules() -> int:
    """Record every module imported so far that holds nothing of PySide6's (not PySide6's
    own, not one imported after it) as not using PySide6, in the hook's table; how many.
    0 when the table is not a dict of int flags; never raises."""
    try:
        return _mark(sys.modules.get("shibokensupport.feature"))
    except Exception:  # a start-up shortcut: never the reason the app does not start
        logger.debug("PySide6's import hook table left as it is", exc_info=True)
        return 0


def _mark(feature) -> int:
    table = getattr(feature, "pyside_feature_dict", None)
    if not isinstance(table, dict) or not all(type(v) is int for v in table.values()):
        return 0
    marked = 0
    for name, module in list(sys.modules.items()):
        if name in table or name.startswith(QT) or _holds_qt(module):
            continue
        table[name] = -1
        marked += 1
    return marked


def _holds_qt(module) -> bool:
    for value in list(getattr(module, "__dict__", {}).values()):
        owner = getattr(value, "__module__", None) or getattr(value, "__name__", None)
        if isinstance(owner, str) and owner.startswith(QT):
            return True
    return False


MARKED = _mark_imported_modules()
