"""The Overview's status bar buttons drive the real app: pause / resume its queue, the
notifications setting (saved in the settings file)."""

import json
import os

import gui_support
from gui_support import items, settle
from PySide6.QtCore import QObject, Qt
from PySide6.QtTest import QTest

from pyblish_qml_queue.common import settings

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture


def click(qapp, root, item):
    centre = item.mapToScene(item.boundingRect().center()).toPoint()
    QTest.mouseClick(root, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    qapp.processEvents()


def overview_button(root, name):
    found = [i for i in items(root, "statusButton:" + name) if i.isVisible()]
    assert len(found) == 1, f"one visible {name} button on the Overview, found {len(found)}"
    return found[0]


def test_the_overview_pause_button_pauses_and_resumes_the_queue(
    qapp, home, store, make_gui, qt_messages
):
    session, root = make_gui(store, hub=None, executor=None, spool=False)
    root.show()
    session.app.showOverview()
    settle(qapp, session)
    pause = overview_button(root, "pause")
    assert pause.property("enabled")
    assert not session.executor.paused

    click(qapp, root, pause)
    settle(qapp, session)
    assert session.executor.paused
    assert pause.property("checked")
    assert pause.property("tip") == "Resume the queue"

    click(qapp, root, pause)
    settle(qapp, session)
    assert not session.executor.paused
    assert not pause.property("checked")
    assert [m for m in qt_messages if "qml" in m.lower()] == []


def test_the_overview_settings_menu_switches_notifications_off(qapp, home, store, make_gui):
    session, root = make_gui(store, hub=None, executor=None, spool=False)
    root.show()
    session.app.showOverview()
    settle(qapp, session)
    button = overview_button(root, "settings")
    click(qapp, root, button)
    menu = button.findChild(QObject, "settingsMenu")
    assert menu.property("visible")
    entry = [i for i in items(root, "setting:notifications") if i.isVisible()]
    assert entry and entry[0].property("checked")

    click(qapp, root, entry[0])
    settle(qapp, session)
    assert not menu.property("visible")
    with open(settings.settings_path(), encoding="utf-8") as f:
        assert json.load(f)["notifications"] is False
    assert os.path.dirname(settings.settings_path()).startswith(str(home))
