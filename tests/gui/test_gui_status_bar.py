"""The Overview's status bar buttons drive the real app: forget the disconnected hosts of a
real hub, pause / resume its queue, the notifications setting (saved in the settings file)."""

import json
import os
import signal

import gui_support
from gui_support import items, settle
from PySide6.QtCore import QObject, Qt
from PySide6.QtTest import QTest
from waiting import wait_until

from pyblish_qml_queue.common import settings
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.queue.memory import MemoryJobStore

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


def test_the_overview_forget_button_forgets_the_disconnected_hosts_only(
    qapp, home, hosts, make_gui, qt_messages
):
    hub = Hub(on_job=lambda payload: payload["id"])
    hub.start()
    try:
        session, root = make_gui(MemoryJobStore(), hub)
        root.show()
        session.app.showOverview()
        settle(qapp, session)
        stays, goes = hosts(2, instances=1)
        tick = qapp.processEvents

        def card_of(process):
            found = [c for c in items(root, "hostCard:") if c.property("pid") == process.pid]
            return found[0] if found else None

        wait_until(lambda: card_of(stays) and card_of(goes), tick=tick, what="both cards")
        session.app.showOverview()  # a host that calls show() brings its own page up
        settle(qapp, session)
        forget = overview_button(root, "forget")
        assert forget.property("tip") == "Forget disconnected hosts"
        assert not forget.property("enabled"), "no disconnected host: nothing to forget"
        gone_id = card_of(goes).property("hostId")
        stays_id = card_of(stays).property("hostId")

        os.kill(goes.pid, signal.SIGKILL)
        wait_until(lambda: card_of(goes).property("gone"), tick=tick, what="the card to grey out")
        wait_until(lambda: forget.property("enabled"), tick=tick, what="the button to enable")

        click(qapp, root, forget)
        wait_until(lambda: card_of(goes) is None, tick=tick, what="the card to go")
        assert [h["id"] for h in hub.hosts()] == [stays_id]
        assert gone_id not in [h["id"] for h in session.hosts.snapshots()]
        assert card_of(stays) is not None and not card_of(stays).property("gone")
        assert session.app.message == "Forgot 1 disconnected host"
        wait_until(lambda: not forget.property("enabled"), tick=tick, what="the button to disable")
        # nothing left to forget: the slot says so and forgets none
        assert session.overview.forgetDisconnected() == 0
        assert [h["id"] for h in hub.hosts()] == [stays_id]
        assert [m for m in qt_messages if "qml" in m.lower()] == []
    finally:
        hub.close()
