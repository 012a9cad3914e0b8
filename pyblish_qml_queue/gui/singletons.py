"""How QML finds an engine's ``PyblishQueue.Backend`` singletons, and how they notify.

The composition root (:func:`~pyblish_qml_queue.gui.app.build_app`) registers,
for each engine and before its QML loads, the object that owns the singletons:
the session (``App``, ``Overview``, ``Queue``, ``Publish``) and the desktop
parts (``Tray``, ``Console``). The engine asks each singleton's
``create(engine)`` for its instance, which looks it up here.
"""

from __future__ import annotations

import logging

from PySide6.QtQml import QQmlEngine

log = logging.getLogger(__name__)


class EngineRegistry:
    """Engine -> the object whose attributes are that engine's singletons.

    Args:
        what: what is registered, for the error when an engine has none ("session").
    """

    def __init__(self, what: str):
        self.what = what
        self._owners = {}

    def attach(self, engine, owner) -> None:
        self._owners[engine] = owner

    def detach(self, engine):
        """Forget ``engine``; returns what was registered for it (or None)."""
        return self._owners.pop(engine, None)

    def get(self, engine, default=None):
        return self._owners.get(engine, default)

    def __getitem__(self, engine):
        return self._owners[engine]

    def items(self) -> list:
        return list(self._owners.items())

    def singleton(self, engine, name):
        """The singleton ``name`` of ``engine``, owned by C++ so QML never deletes it."""
        try:
            obj = getattr(self._owners[engine], name)
        except KeyError:
            raise RuntimeError(
                f"PyblishQueue.Backend has no {self.what} for this engine; build it with "
                "pyblish_qml_queue.gui.app.build_app()"
            ) from None
        QQmlEngine.setObjectOwnership(obj, QQmlEngine.ObjectOwnership.CppOwnership)
        return obj


#: The session of each engine (App, Overview, Queue, Publish).
SESSIONS = EngineRegistry("session")
#: The desktop parts of each engine (Tray, Console).
DESKTOPS = EngineRegistry("tray")


def set_and_notify(obj, attr, value, signal) -> bool:
    """Assign and notify only when the value really changes."""
    if getattr(obj, attr) == value:
        return False
    setattr(obj, attr, value)
    signal.emit()
    return True
