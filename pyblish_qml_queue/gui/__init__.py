"""The desktop app: PySide6 adapters (models, viewmodels, event bridge) over the Qt-free core.

This is the only package that imports PySide6. QML reaches it only through the types
registered in :mod:`pyblish_qml_queue.gui.viewmodels` (import ``PyblishQueue.Backend``).

PySide6 6.12.0 drops a reference to ``None``/``True`` on every void call and emit on Python
< 3.12 and aborts the process within seconds of a busy queue; pyproject.toml keeps it out.
"""
