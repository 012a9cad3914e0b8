"""The Peer serves a request on the thread that read it, yet someone always reads:
a handler's own request is answered, and heartbeats are read during a long request."""

import multiprocessing
import threading
import time

from pyblish_qml_queue.common.wire import APP_METHODS, HOST_METHODS
from pyblish_qml_queue.common.wire.peer import Peer


def _pair(handler_a, handler_b, heartbeat=30):
    ours, theirs = multiprocessing.Pipe()
    a = Peer(ours, handler_a, HOST_METHODS, name="a", heartbeat=heartbeat).start()
    b = Peer(theirs, handler_b, APP_METHODS, name="b", heartbeat=heartbeat).start()
    return a, b


def test_a_request_is_served_by_the_thread_that_read_it():
    seen = []

    def handler(method, params):
        seen.append((threading.current_thread().name, a._held))
        return "pong"

    a, b = _pair(handler, lambda m, p: None)
    try:
        assert [b.request("ping", timeout=5) for _ in range(20)] == ["pong"] * 20
    finally:
        a.close()
        b.close()
    assert len({name for name, _ in seen}) == 1
    assert all(held for _, held in seen)  # no thread was woken to serve it


def test_a_handler_that_asks_the_other_side_gets_its_answer():
    def a_handler(method, params):
        return {"asked": a.request("ping", timeout=5)}

    a, b = _pair(a_handler, lambda m, p: "pong from b")
    try:
        assert b.request("context", timeout=5) == {"asked": "pong from b"}
    finally:
        a.close()
        b.close()


def test_heartbeats_are_read_while_a_long_request_runs():
    def slow(method, params):
        time.sleep(4.5)  # beyond a's silence limit (2 s at a 0.4 s heartbeat)
        return "done"

    # Five heartbeats of margin (not a 0.1 s beat against a 1 s limit), so a loaded
    # machine that runs a thread late does not drop the link.
    a, b = _pair(slow, lambda m, p: None, heartbeat=0.4)
    try:
        assert b.request("context", timeout=10) == "done"
        assert not a.closed and not b.closed
    finally:
        a.close()
        b.close()
