"""Shared pieces of the GUI tests: Qt message capture, app building, item lookup.

Waiting for a condition: :func:`waiting.wait_until` with ``tick=qapp.processEvents``.
"""

import pytest
from PySide6.QtCore import QEvent, QtMsgType, qInstallMessageHandler

from pyblish_qml_queue.gui.app import build_app, session_of, shut_down

#: Qt messages that are not about our code (offscreen platform chatter).
IGNORED = ("This plugin does not support", "propagateSizeHints")


class Messages(list):
    """Qt warnings and errors seen while installed, as ``"<kind>: <text>"``."""

    def problems(self):
        return [m for m in self if not any(i in m for i in IGNORED)]


@pytest.fixture
def qt_messages(qapp):
    messages = Messages()

    def handler(mode, context, text):
        if mode != QtMsgType.QtDebugMsg and mode != QtMsgType.QtInfoMsg:
            messages.append(f"{mode.name}: {text}")

    previous = qInstallMessageHandler(handler)
    yield messages
    qInstallMessageHandler(previous)


@pytest.fixture
def make_gui(qapp):
    """Build apps (shut down and closed at teardown): ``make_gui(store, hub, executor)``."""
    built = []

    def make(store, hub=False, executor=False, **kwargs):
        app, engine, root = build_app(["test"], store=store, hub=hub, executor=executor, **kwargs)
        built.append((engine, root))
        return session_of(engine), root

    yield make
    for engine, root in built:
        shut_down(engine)
        root.close()
        engine.deleteLater()  # takes the window and the session with it
    # Outside an event loop processEvents() leaves deferred deletes alone: delete now.
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()


def items(root, prefix):
    """QML items under ``root`` whose objectName starts with ``prefix``."""
    found = []
    stack = [root.contentItem()]
    while stack:
        item = stack.pop()
        if item.objectName().startswith(prefix):
            found.append(item)
        stack.extend(item.childItems())
    return found


def settle(qapp, session, rounds=3):
    """Drain the event bridge and let QML update and render."""
    for _ in range(rounds):
        session.bridge.drain()
        qapp.processEvents()
