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


def test_the_connection_is_closed_only_once_no_thread_reads_it():
    # A read started on a closed descriptor could read a new connection that took its
    # number: a CLI's next connection, in the same process, lost its authkey challenge.
    release = threading.Event()

    def busy(method, params):
        release.wait(10)
        return "done"

    a, b = _pair(busy, lambda m, p: None)
    try:
        answers = []
        asking = threading.Thread(target=lambda: answers.append(_ask(b)))
        asking.start()
        wait = time.monotonic() + 10
        while not a._held and time.monotonic() < wait:  # a serves, holding its reading turn
            time.sleep(0.01)
        a.close()
        assert not a.conn.closed  # its serving thread may still read it
        release.set()
        for thread in a.threads:
            thread.join(10)
        assert a.conn.closed
        asking.join(10)
    finally:
        a.close()
        b.close()


def _ask(peer):
    try:
        return peer.request("context", timeout=10)
    except Exception as error:  # the link closed first
        return error
