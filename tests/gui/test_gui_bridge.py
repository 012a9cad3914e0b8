"""One path from the hub to the GUI: the session's event bridge is the hub's only
subscriber, and hands the Publish page and the tray their events on the GUI thread."""

import threading

import gui_support
from PySide6.QtCore import QThread

from pyblish_qml_queue.gui.bridge import EventBridge
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture


class CountingHub:
    """A hub with no hosts that counts its subscribers."""

    def __init__(self):
        self.subscribers = []

    def hosts(self):
        return []

    def subscribe(self, callback):
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)


def test_the_app_subscribes_to_the_hub_once_through_its_bridge(qapp, make_gui):
    hub = CountingHub()
    session, _root = make_gui(MemoryJobStore(), hub)
    assert hub.subscribers == [session.bridge.push_hub]


def test_the_page_gets_its_hub_events_in_order_and_the_rest_coalesced(qapp):
    bridge = EventBridge(interval=10_000)
    pages, hosts = [], []
    bridge.pageEvents.connect(pages.append)
    bridge.hostsUpdated.connect(hosts.append)
    for n in range(3):
        bridge.push_hub({"type": "result", "host_id": "h", "result": {"n": n}})
        bridge.push_hub({"type": "host_changed", "host": {"id": "h", "n": n}})
    bridge.push_hub({"type": "raise"})

    assert bridge.drain() == 7
    (events,) = pages
    assert [(e["type"], (e.get("result") or e.get("host"))["n"]) for e in events] == [
        ("result", 0),
        ("host_changed", 0),
        ("result", 1),
        ("host_changed", 1),
        ("result", 2),
        ("host_changed", 2),
    ]
    assert hosts == [[{"id": "h", "n": 2}]]
    bridge.stop()


def test_a_page_that_read_the_hub_drops_older_events_but_keeps_hand_off_outcomes(qapp):
    bridge = EventBridge(interval=10_000)
    pages = []
    bridge.pageEvents.connect(pages.append)
    bridge.push_hub({"type": "result", "host_id": "h", "result": {}})
    bridge.hub_sink()({"type": "handoff", "host_id": "h", "job_id": "j1"})
    bridge.forget_page_events()
    bridge.push_hub({"type": "host_changed", "host": {"id": "h"}})

    bridge.drain()
    assert [e["type"] for e in pages[0]] == ["handoff", "host_changed"]
    bridge.stop()


def test_only_the_shown_hosts_results_cross_to_the_gui_thread(qapp):
    """Other hosts' step results are dropped as the hub tells them (their cards take
    the snapshot); the page reads a host's results from the hub when it switches."""
    bridge = EventBridge(interval=10_000)
    pages, hosts = [], []
    bridge.pageEvents.connect(pages.append)
    bridge.hostsUpdated.connect(hosts.append)
    bridge.forget_page_events("a")
    for host_id in ("a", "b"):
        bridge.push_hub({"type": "result", "host_id": host_id, "result": {}})
        bridge.push_hub({"type": "host_changed", "host": {"id": host_id}})
    bridge.hub_sink()({"type": "handoff", "host_id": "b", "job_id": "j1"})

    assert bridge.drain() == 4  # b's result never reached the buffer
    assert [(e["type"], e.get("host_id", (e.get("host") or {}).get("id"))) for e in pages[0]] == [
        ("result", "a"),
        ("host_changed", "a"),
        ("handoff", "b"),
    ]
    assert hosts == [[{"id": "a"}, {"id": "b"}]]  # every card still gets its snapshot
    assert type(pages[0]) is list and pages[0][0]["result"] == {}  # plain Python, no copy

    bridge.forget_page_events("b")  # the page switched to b: now b's pass, a's do not
    bridge.push_hub({"type": "result", "host_id": "a", "result": {}})
    bridge.push_hub({"type": "result", "host_id": "b", "result": {}})
    bridge.drain()
    assert [e["host_id"] for e in pages[1]] == ["b"]
    bridge.stop()


def test_a_raise_from_a_hub_thread_reaches_the_gui_thread(qapp, qtbot):
    bridge = EventBridge(interval=10)
    raised_on = []
    bridge.raiseRequested.connect(lambda: raised_on.append(QThread.currentThread()))
    thread = threading.Thread(target=bridge.push_hub, args=({"type": "raise"},))
    thread.start()
    thread.join()

    qtbot.waitUntil(lambda: bool(raised_on), timeout=5000)
    assert raised_on == [qapp.thread()]
    bridge.stop()
