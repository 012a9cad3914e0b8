"""The QML-facing singletons of ``PyblishQueue.Backend``, and the session registry.

QML imports them as ``import PyblishQueue.Backend``. Each is small: notifying
properties that emit only on a real change, slots that hand work to the core
(hub, store, executor), and intent signals named ``...Requested`` that the
composition root turns into effects (raise the window, open a URL). One module
each: :mod:`.appview`, :mod:`.overview`, :mod:`.queueview`, :mod:`.publish`,
:mod:`.console`, :mod:`.tray`, and :mod:`.states` (the ``States`` vocabulary,
which needs no session). Importing this module registers every one of
them, as it must happen before the first engine is built: with PySide6 6.11, a
type registered once an engine has compiled QtQuick documents breaks every later
compile ("Cannot assign object of type QQuickText to list property data"), so a
page's type cannot be registered when the page is first built.

The engine asks ``create(engine)`` for each singleton; it returns the instance
the composition root attached to that engine with :func:`attach` (the session's)
or :func:`pyblish_qml_queue.gui.desktop.parts.attach` (the tray and the console).
"""

from __future__ import annotations

from pyblish_qml_queue.gui.appview import App
from pyblish_qml_queue.gui.console.view import Console
from pyblish_qml_queue.gui.desktop.tray import Tray
from pyblish_qml_queue.gui.overview.view import Overview
from pyblish_qml_queue.gui.publish.view import Publish
from pyblish_qml_queue.gui.queue.view import Queue
from pyblish_qml_queue.gui.singletons import SESSIONS
from pyblish_qml_queue.gui.states import States

__all__ = [
    "App",
    "Console",
    "Overview",
    "Publish",
    "Queue",
    "States",
    "Tray",
    "attach",
    "detach",
]


def attach(engine, session) -> None:
    """Make ``session``'s viewmodels the singletons of ``engine`` (before loading QML)."""
    SESSIONS.attach(engine, session)


def detach(engine) -> None:
    SESSIONS.detach(engine)
