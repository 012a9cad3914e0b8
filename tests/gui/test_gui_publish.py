"""The Publish page against real host processes, a real hub, store and executor."""

import os
import time

import gui_support
import pytest
from gui_support import items, settle
from host_fixtures import stop
from publish_hosts import manifest, start_studio_host
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtTest import QTest
from waiting import wait_until

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture

INSTANCES = ["CHAR_ben01", "CHAR_tom01", "PROP_sword", "sh0140_cam", "sh0140_playblast"]


@pytest.fixture
def studio_hosts(tmp_path):
    """Start studio host processes (tests/publish_hosts.py); killed at teardown."""
    started = []

    def start(name, **kwargs):
        process, out = start_studio_host(tmp_path / name, **kwargs)
        started.append(process)
        return process, out

    yield start
    for process in started:
        stop(process)


@pytest.fixture
def gui(qapp, home, store, make_gui):
    """The whole app: its own hub and executor over a real SQLite store."""
    session, root = make_gui(store, hub=None, executor=None, spool=False)
    root.show()
    return session, root


def collected(qapp, session, process):
    """The host of ``process`` once registered and collected (its snapshot)."""

    def ready():
        for host in session.hub.hosts():
            if host["pid"] == process.pid and host["progress"]["done"] == 1:
                if host["state"] == "connected":
                    return host
        return None

    return wait_until(ready, tick=qapp.processEvents, what=f"host {process.pid} collected")


def open_page(qapp, session, host):
    page = session.publish

    def opened():  # the Overview's host list hears of a new host through the bridge
        settle(qapp, session, rounds=1)
        session.app.openHost(host["id"])
        return page.hostId == host["id"]

    wait_until(opened, tick=qapp.processEvents, what=f"the page of {host['id']}")
    wait_until(
        lambda: len(page.state.instances) == len(INSTANCES),
        tick=qapp.processEvents,
        what=f"the instances of {host['id']} on its page",
    )
    settle_page(qapp, session)
    return page


def item(root, name):
    found = items(root, name)
    assert found, f"no item {name!r} on the page"
    return found[0]


def click(qapp, root, name):
    target = item(root, name)
    centre = target.mapToScene(target.boundingRect().center()).toPoint()
    QTest.mouseClick(
        root, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(centre)
    )
    qapp.processEvents()


def below(parent, name):
    """The QML item named ``name`` under ``parent``."""
    stack = list(parent.childItems())
    while stack:
        child = stack.pop()
        if child.objectName() == name:
            return child
        stack.extend(child.childItems())
    raise AssertionError(f"no item {name!r} under {parent.objectName()!r}")


def ids_by_label(page):
    state = page.state
    out = {p.get("label") or p["name"]: pid for pid, p in state.plugins.items()}
    out.update({i["name"]: iid for iid, i in state.instances.items()})
    return out


def settle_page(qapp, session):
    """Drain the bridge and the Publish page's own feed, let QML update."""
    for _ in range(3):
        session.publish.drain()
        settle(qapp, session, rounds=1)


def settled_state(qapp, page, state):
    return wait_until(
        lambda: page.host.get("state") == state and not page.can.get("stop"),
        tick=qapp.processEvents,
        what=f"host {state}",
    )


def test_reset_validate_fails_repair_validate_publish_in_background_job_succeeds(
    qapp, gui, studio_hosts, store, qt_messages
):
    session, root = gui
    process, out = studio_hosts("maya")
    page = open_page(qapp, session, collected(qapp, session, process))
    ids = ids_by_label(page)
    rows = [r["label"] for r in page.instance_model.rows()]
    assert rows == [
        "Context",
        "pointcache",
        "CHAR_ben01",
        "CHAR_tom01",
        "PROP_sword",
        "camera",
        "sh0140_cam",
        "review",
        "sh0140_playblast",
    ]
    assert [r["label"] for r in page.plugin_model.rows() if r["kind"] == "section"] == [
        "Collect",
        "Validate",
        "Extract",
        "Integrate",
    ]
    assert page.plugin_model.row_of(ids["Collect Shot"]) == -1  # HiddenSections: Collect

    click(qapp, root, "publishButton:reset")  # a new discovery: new plugin ids
    wait_until(
        lambda: (
            ids_by_label(page)["Collect Shot"] != ids["Collect Shot"]
            and sum(page.state.processed.values()) == 1
            and page.host.get("state") == "connected"
        ),
        tick=qapp.processEvents,
        what="reset",
    )
    ids = ids_by_label(page)

    click(qapp, root, "publishButton:validate")
    settled_state(qapp, page, "failed")
    settle_page(qapp, session)
    validator = ids["Validate Normals Unlocked"]
    assert page.state.row(validator)["itemState"] == "error"
    assert page.state.row(ids["PROP_sword"])["itemState"] == "error"
    assert page.state.row(ids["CHAR_tom01"])["itemState"] == "warning"
    assert page.state.row(ids["CHAR_ben01"])["itemState"] == "success"
    assert page.can["handoff"] is False
    assert "Validation failed" in page.status

    assert [a["label"] for a in page.actionsOf(validator)] == [
        "Fix",
        "Unlock normals",
        "Select invalid",
        "Open docs",
    ]
    click(qapp, root, "publishActions:" + validator)
    menu = root.findChild(QObject, "pluginActionMenu")
    wait_until(lambda: menu.property("visible"), tick=qapp.processEvents, what="the actions menu")
    click(qapp, root, "pluginAction:Unlock normals")
    wait_until(
        lambda: os.path.exists(os.path.join(out, "normals-unlocked")),
        tick=qapp.processEvents,
        what="the repair action ran in the host",
    )

    click(qapp, root, "publishButton:comment")
    settle_page(qapp, session)
    box = item(root, "commentText")
    box.forceActiveFocus()
    for char in "sword fixed":
        QTest.keyClick(root, char)
    item(root, "publishButton:reset").forceActiveFocus()  # leaving the box commits it
    wait_until(
        lambda: session.hub.items(page.hostId)["context"]["data"].get("comment") == "sword fixed",
        tick=qapp.processEvents,
        what="the comment in the host's context",
    )

    click(qapp, root, "publishButton:validate")  # resets (collects the fixed scene), validates
    wait_until(
        lambda: page.host.get("validated") and page.can.get("handoff"),
        tick=qapp.processEvents,
        what="validation passed",
    )
    assert page.state.error_count() == 0
    assert "Validation passed: 11 extract and integrate steps left" in page.status

    click(qapp, root, "publishButton:handoff")
    wait_until(
        lambda: page.host.get("state") == "handed off", tick=qapp.processEvents, what="handed off"
    )
    job_id = page.host["job_id"]
    wait_until(
        lambda: session.jobs.row_of(job_id) >= 0, tick=qapp.processEvents, what="job in the Queue"
    )
    wait_until(
        lambda: store.get(job_id).state == "succeeded",
        timeout=90,
        tick=qapp.processEvents,
        what="the job succeeded",
    )
    assert sorted(manifest(out)[:-1]) == sorted(INSTANCES)
    assert manifest(out)[-1] == "notified sword fixed"  # the comment survived the reset
    assert all(os.path.exists(os.path.join(out, n + ".abc")) for n in INSTANCES[:4])
    assert qt_messages.problems() == []


def test_toggling_an_optional_instance_off_changes_what_runs(qapp, gui, studio_hosts):
    session, root = gui
    process, out = studio_hosts("nuke")
    page = open_page(qapp, session, collected(qapp, session, process))
    ids = ids_by_label(page)

    click(qapp, root, "publishCheck:" + ids["sh0140_cam"])  # not optional: nothing changes
    assert "not optional" in session.app.message
    click(qapp, root, "publishCheck:" + ids["PROP_sword"])
    wait_until(
        lambda: session.hub.items(page.hostId)["instances"][2]["data"].get("publish") is False,
        tick=qapp.processEvents,
        what="the host took the toggle",
    )
    assert page.state.row(ids["PROP_sword"])["checked"] is False
    assert page.state.row(ids["sh0140_cam"])["checked"] is True

    click(qapp, root, "publishButton:publish")
    settled_state(qapp, page, "finished")
    assert sorted(manifest(out)[:-1]) == sorted(set(INSTANCES) - {"PROP_sword"})
    assert not os.path.exists(os.path.join(out, "PROP_sword.abc"))
    assert page.state.row(ids["PROP_sword"])["itemState"] == "idle"


def test_the_terminal_filters_by_text_and_level(qapp, gui, studio_hosts):
    session, root = gui
    process, _out = studio_hosts("houdini")
    page = open_page(qapp, session, collected(qapp, session, process))
    page.validate()
    settled_state(qapp, page, "failed")
    settle_page(qapp, session)
    click(qapp, root, "publishTab:terminal")
    settle_page(qapp, session)
    view = item(root, "terminalList")
    levels = [r["level"] for r in page.record_model.rows()]
    assert {"DEBUG", "INFO", "WARNING", "ERROR"} <= set(levels)
    assert view.property("count") == len(levels)

    page.setTextFilter("tom01")
    settle_page(qapp, session)
    shown = [
        page.records.index(n, 0).data(Qt.ItemDataRole.UserRole + 6)
        for n in range(page.records.rowCount())
    ]
    assert shown and all("tom01" in m for m in shown)
    assert view.property("count") == len(shown)

    page.setTextFilter("")
    click(qapp, root, "terminalLevel:info")
    click(qapp, root, "terminalLevel:debug")
    settle_page(qapp, session)
    assert page.levels == {"debug": False, "info": False, "warning": True, "error": True}
    assert view.property("count") == levels.count("WARNING") + levels.count("ERROR")

    page.setTextFilter("locked normals")
    settle_page(qapp, session)
    assert view.property("count") == 1
    error = page.records.index(0, 0).data(Qt.ItemDataRole.UserRole + 7)
    assert "ValueError" in error  # the traceback rides along


def test_two_hosts_switched_mid_publish_keep_both_progresses(qapp, gui, studio_hosts):
    session, root = gui
    first, _ = studio_hosts("a", delay=0.3)
    second, _ = studio_hosts("b", delay=0.3)
    a = collected(qapp, session, first)
    b = collected(qapp, session, second)
    for host in (a, b):
        page = open_page(qapp, session, host)
        page.toggle(ids_by_label(page)["PROP_sword"], False)
        page.publish()
    seen = {a["id"]: set(), b["id"]: set()}
    host_a_turn = True
    deadline = time.monotonic() + 60
    while not all(session.hub.host(h["id"])["state"] == "finished" for h in (a, b)):
        assert time.monotonic() < deadline, [
            [session.hub.host(h["id"])[k] for k in ("state", "progress", "log_tail", "current")]
            for h in (a, b)
        ]
        host = a if host_a_turn else b
        host_a_turn = not host_a_turn
        page = open_page(qapp, session, host)
        hub_done = session.hub.host(host["id"])["progress"]["done"]
        assert page.hostId == host["id"]
        assert sum(page.state.processed.values()) <= hub_done + 1
        assert sum(page.state.processed.values()) >= min(hub_done, 1)
        seen[host["id"]].add(sum(page.state.processed.values()))
        for _ in range(10):
            settle_page(qapp, session)
    for host in (a, b):
        page = open_page(qapp, session, host)
        wait_until(
            lambda p=page: p.host.get("state") == "finished",
            tick=qapp.processEvents,
            what="finished",
        )
        settle_page(qapp, session)
        states = {
            r["label"]: r["itemState"]
            for r in page.instance_model.rows()
            if r["kind"] == "instance"
        }
        assert states["PROP_sword"] == "idle"
        assert {s for n, s in states.items() if n != "PROP_sword"} <= {"success", "warning"}
        assert len(seen[host["id"]]) >= 2  # the page showed the publish in progress


def test_after_the_app_restarts_mid_publish_card_and_page_say_press_publish(
    qapp, home, store, make_gui, studio_hosts
):
    """Quitting the app stops an in-session publish; the next app says so on the host's
    card and page alike, and ▶ goes on from the next step."""
    from pyblish_qml_queue.gui.app import shut_down
    from pyblish_qml_queue.hub.record import INTERRUPTED_BY_RESTART

    first, _ = make_gui(store, hub=None, executor=None, spool=False)
    process, _ = studio_hosts("a", delay=0.3)
    host = collected(qapp, first, process)
    page = open_page(qapp, first, host)
    page.toggle(ids_by_label(page)["PROP_sword"], False)  # its validator fails
    page.publish()
    wait_until(
        lambda: first.hub.host(host["id"])["stage"] == "extract",
        tick=qapp.processEvents,
        what="extracting",
    )
    shut_down(first.parent())  # the app quits; the host keeps its results

    session, root = make_gui(store, hub=None, executor=None, spool=False)
    root.show()

    def restored_host():
        known = {h["id"]: h for h in session.hub.hosts()}
        snap = known.get(host["id"]) or {}
        return snap if snap.get("interrupted") else None

    restored = wait_until(
        restored_host,
        tick=qapp.processEvents,
        what="the host restored in the new app",
    )
    assert restored["state"] == "connected"
    assert restored["interrupted"] == INTERRUPTED_BY_RESTART
    settle(qapp, session)
    card = item(root, "hostCard:" + host["id"])
    # A card is told of its host's changes at most every few tens of ms (coalesced).
    wait_until(
        lambda: below(card, "hostStatePill").property("text") == "Stopped",
        timeout=5.0,
        tick=lambda: settle(qapp, session),
        what="the card's pill to say Stopped",
    )
    message = "Stopped by the app's restart: press Publish to continue"
    assert below(card, "currentText").property("text") == message

    page = open_page(qapp, session, host)
    assert item(root, "publishStatePill").property("text") == "Stopped"
    assert page.status == message
    assert page.can["publish"] is True
    done = restored["progress"]["done"]
    page.publish()
    settled_state(qapp, page, "finished")
    final = page.host
    assert final["interrupted"] == ""
    assert final["progress"]["done"] == final["progress"]["total"] > done
