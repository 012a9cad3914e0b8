"""Host cards follow the hub: a hand-driven stand-in, then the real hub with real hosts."""

import os
import signal

import gui_support
import pytest
from gui_support import items, settle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from waiting import wait_until

from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture


def card(root, host_id):
    found = items(root, "hostCard:" + host_id)
    return found[0] if found else None


def test_cards_appear_change_grey_out_and_go_with_the_hub_events(qapp, qt_messages, make_gui):
    hub = sample.SampleHub()
    session, root = make_gui(MemoryJobStore(), hub)
    host = sample.snapshot("h1", state="connected")

    hub.put(host)
    settle(qapp, session)
    assert card(root, "h1").property("hostState") == "connected"

    hub.put(dict(host, state="extracting", stage="extract", progress={"done": 7, "total": 9}))
    settle(qapp, session)
    assert card(root, "h1").property("progressDone") == 7
    assert card(root, "h1").property("gone") is False

    hub.put(dict(host, state="disconnected", connected=False))
    settle(qapp, session)
    assert card(root, "h1").property("gone") is True
    assert session.overview.counts["disconnected"] == 1

    session.overview.forget("h1")
    settle(qapp, session)
    assert hub.forgotten == ["h1"]
    assert card(root, "h1") is None
    assert qt_messages.problems() == []


def test_clicking_a_card_opens_its_host_page_with_a_way_back(qapp, make_gui):
    hub = sample.SampleHub(sample.sample_hosts())
    session, root = make_gui(MemoryJobStore(), hub)
    root.show()
    settle(qapp, session)
    target = card(root, "h-nuke")
    centre = target.mapToScene(target.boundingRect().center()).toPoint()

    QTest.mouseClick(
        root,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(centre.x(), centre.y() + 60),
    )
    settle(qapp, session)

    assert (session.app.page, session.app.currentHostId) == ("publish", "h-nuke")
    assert session.app.currentHost["application"] == "Nuke"
    session.app.showOverview()
    assert session.app.page == "overview"


def test_a_host_that_calls_show_is_brought_to_the_front(qapp, make_gui):
    hub = sample.SampleHub(sample.sample_hosts())
    session, root = make_gui(MemoryJobStore(), hub)
    raised = []
    session.app.raiseRequested.connect(lambda: raised.append(1))

    hub.fire({"type": "show", "host_id": "h-houdini"})
    settle(qapp, session)

    assert session.app.page == "publish" and session.app.currentHostId == "h-houdini"
    assert raised == [1]


def test_the_overview_filters_by_group_and_search(qapp, make_gui):
    hub = sample.SampleHub(sample.sample_hosts())
    session, root = make_gui(MemoryJobStore(), hub)

    session.overview.setGroup("finished")
    settle(qapp, session)
    assert sorted(c.property("hostId") for c in items(root, "hostCard:")) == ["h-nuke", "h-python"]
    session.overview.setGroup("all")
    session.overview.setSearch("rpatel")
    settle(qapp, session)
    assert [c.property("hostId") for c in items(root, "hostCard:")] == ["h-maya-2"]


def under(item):
    """Every QML item under ``item``."""
    stack, found = list(item.childItems()), []
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(child.childItems())
    return found


def test_a_filter_that_matches_no_host_says_so_and_shows_them_all_again(qapp, make_gui):
    hub = sample.SampleHub(sample.sample_hosts())
    session, root = make_gui(MemoryJobStore(), hub)
    session.overview.setSearch("nobody-by-that-name")
    settle(qapp, session)
    assert items(root, "hostCard:") == []
    (empty,) = items(root, "noHostMatches")
    assert empty.property("visible") is True
    (text,) = items(root, "emptyFilterText")
    assert text.property("text").startswith("No host matches \u201cnobody-by-that-name\u201d")
    (show_all,) = items(root, "showAllHosts")
    root.show()
    settle(qapp, session)
    centre = show_all.mapToScene(show_all.boundingRect().center()).toPoint()
    QTest.mouseClick(root, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    settle(qapp, session)
    assert session.overview.search == ""
    assert len(items(root, "hostCard:")) == len(sample.sample_hosts())
    assert empty.property("visible") is False


# -- the real hub and real host processes --------------------------------------------------


@pytest.fixture
def real_hub(home):
    hub = Hub(on_job=lambda payload: payload["id"])
    hub.start()
    yield hub
    hub.close()


def test_cards_follow_real_hosts_through_connect_publish_and_disconnect(
    qapp, real_hub, hosts, make_gui
):
    session, root = make_gui(MemoryJobStore(), real_hub)
    (process,) = hosts(1, instances=3, delay=0.3)
    tick = qapp.processEvents
    shown = wait_until(
        lambda: [c for c in items(root, "hostCard:") if c.property("pid") == process.pid],
        tick=tick,
        what="the host's card",
    )
    host_id = shown[0].property("hostId")
    wait_until(
        lambda: card(root, host_id).property("progressDone") >= 1,
        tick=tick,
        what="the host to be collected",
    )

    real_hub.publish(host_id)
    wait_until(
        lambda: card(root, host_id).property("hostState") == "extracting",
        tick=tick,
        what="the card to show extraction",
    )
    os.kill(process.pid, signal.SIGKILL)

    wait_until(lambda: card(root, host_id).property("gone"), tick=tick, what="the card to grey out")
    assert card(root, host_id).property("progressDone") >= 4
    # it says when its link dropped (not its last step's time) and which step ran last
    gone = card(root, host_id)
    wait_until(lambda: gone.property("disconnectedAt") > 0, tick=tick, what="the drop's time")
    named = {i.objectName(): i for i in under(gone)}
    since = named["goneSince"].property("text")
    assert since.startswith("disconnected ") and since.endswith(" s ago"), since
    assert named["currentLabel"].property("text") == "Last step"
    assert gone.property("lastStep") != ""
