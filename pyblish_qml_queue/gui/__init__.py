"""The desktop app: PySide6 adapters (models, viewmodels, event bridge) over the Qt-free core.

This is the only package that imports PySide6. QML reaches it only through the types
registered in :mod:`pyblish_qml_queue.gui.viewmodels` (import ``PyblishQueue.Backend``).
"""

from . import refcount

refcount.protect()
