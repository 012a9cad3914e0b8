"""Run the QtQuick.Test files (``tst_*.qml``) of this folder, headless; exit with the failure count.

``python tests/gui/qml/qmltest_main.py [QtTest options]`` runs every ``tst_*.qml``
here through Qt's own runner (``QUICK_TEST_MAIN_WITH_SETUP``), each file in a fresh
engine that can import ``PyblishQueue`` and ``PyblishQueue.Backend`` (with a session
over an empty in-memory store, so the singletons the components read exist).
``tests/gui/test_gui_qml_components.py`` runs this in a child process.
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, Slot
from PySide6.QtQml import QQmlEngine
from PySide6.QtQuickTest import QUICK_TEST_MAIN_WITH_SETUP

from pyblish_qml_queue.gui import app as gui_app
from pyblish_qml_queue.gui import viewmodels  # registers PyblishQueue.Backend
from pyblish_qml_queue.gui.session import Session
from pyblish_qml_queue.queue.memory import MemoryJobStore

HERE = os.path.dirname(os.path.abspath(__file__))
SESSIONS = []  # closed when the run ends


class Setup(QObject):
    """Qt calls these slots by name around each test file."""

    @Slot(QQmlEngine)
    def qmlEngineAvailable(self, engine):
        engine.addImportPath(gui_app.QML_DIR)
        session = Session(MemoryJobStore(), sync_interval=0)
        SESSIONS.append(session)
        viewmodels.attach(engine, session)


def main(argv):
    try:
        return QUICK_TEST_MAIN_WITH_SETUP("pyblish_qml_queue", Setup, argv, HERE)
    finally:
        for session in SESSIONS:
            session.close()


if __name__ == "__main__":
    sys.exit(main([sys.argv[0], *sys.argv[1:]]))
