"""The hub's I/O loop: one thread reads every link (issue 17, item 1), over real sockets,
against the host's threaded Peer; the bytes are the wire's (docs/protocol.md)."""

import multiprocessing
import struct
import threading
from concurrent.futures import Future

import pytest
from waiting import wait_until

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire import APP_METHODS, HOST_METHODS, MAX_FRAME, FrameReader
from pyblish_qml_queue.common.wire.peer import Peer
from pyblish_qml_queue.hub.loop import Loop, LoopPeer


@pytest.fixture
def loop():
    loop = Loop(workers=2).start()
    yield loop
    loop.stop()


def _pair(loop, app_handler, host_handler=lambda m, p: "pong", heartbeat=30):
    ours, theirs = multiprocessing.Pipe()  # a socketpair on POSIX
    app = LoopPeer(loop, ours, app_handler, APP_METHODS, name="app", heartbeat=heartbeat).start()
    host = Peer(theirs, host_handler, HOST_METHODS, name="host", heartbeat=heartbeat).start()
    return app, host


def test_many_links_are_read_by_the_loop_alone_and_answer_both_ways(loop):
    before = set(threading.enumerate())
    pairs = [_pair(loop, lambda m, p: {"pong": True}) for _ in range(20)]
    try:
        for app, host in pairs:
            assert host.request("ping", timeout=5) == {"pong": True}
            assert app.request("progress", timeout=5) == "pong"
            assert app.threads == []
        hosts_threads = {t for _, host in pairs for t in host.threads}
        assert set(threading.enumerate()) - hosts_threads - before <= set(loop.threads)
    finally:
        for app, host in pairs:
            app.close()
            host.close()


def test_an_ask_is_answered_on_the_loop_thread_and_a_blocking_request_there_is_refused(loop):
    app, host = _pair(loop, lambda m, p: None)
    seen = []
    done = threading.Event()

    def answered(reply):
        seen.append((loop.in_loop(), reply.get("result")))
        try:
            app.request("progress", timeout=1)
        except RuntimeError as error:
            seen.append(str(error))
        done.set()

    try:
        app.ask("progress", None, answered)
        assert done.wait(5)
        assert seen[0] == (True, "pong")
        assert "use ask()" in seen[1]
    finally:
        app.close()
        host.close()


def test_a_request_answered_by_a_future_holds_no_thread_while_it_waits(loop):
    later = Future()

    def handler(method, params):
        return later if method == "drive" else {"pong": True}

    app, host = _pair(loop, handler)
    try:
        answers = []
        waiting = threading.Thread(
            target=lambda: answers.append(
                host.request("drive", {"id": "h", "action": "publish"}, timeout=10)
            )
        )
        waiting.start()
        # The pool has two threads; five more requests are served while drive waits.
        assert [host.request("ping", timeout=5) for _ in range(5)] == [{"pong": True}] * 5
        later.set_result({"host": {}})
        waiting.join(10)
        assert answers == [{"host": {}}]
    finally:
        app.close()
        host.close()


def test_bad_and_oversized_frames_are_refused_and_the_link_lives_on(loop):
    ours, theirs = multiprocessing.Pipe()
    app = LoopPeer(loop, ours, lambda m, p: {"pong": True}, APP_METHODS, name="app").start()
    try:
        theirs.send_bytes(b"{not json")
        assert b'"error"' in theirs.recv_bytes()
        theirs.send_bytes(b" " * (MAX_FRAME + 1))
        assert wire.decode(theirs.recv_bytes())["error"]["code"] == wire.TOO_LARGE
        theirs.send_bytes(wire.encode(wire.request(7, "ping")))
        reply = wire.decode(theirs.recv_bytes())
        assert reply["id"] == 7 and reply["result"] == {"pong": True}
    finally:
        app.close()
        theirs.close()


def test_a_silent_link_is_dropped_and_a_busy_one_is_not(loop):
    ours, theirs = multiprocessing.Pipe()
    closed = threading.Event()
    silent = LoopPeer(
        loop,
        ours,
        lambda m, p: None,
        APP_METHODS,
        name="silent",
        heartbeat=0.1,
        on_close=lambda peer: closed.set(),
    ).start()
    assert closed.wait(10) and silent.closed  # nothing came for 5 heartbeats

    def slow(method, params):
        threading.Event().wait(1.5)  # beyond the 1 s silence limit at a 0.1 s heartbeat
        return "done"

    app, host = _pair(loop, lambda m, p: None, slow, heartbeat=0.1)
    try:
        assert app.request("progress", timeout=10) == "done"
        assert not app.closed and not host.closed
    finally:
        app.close()
        host.close()
        theirs.close()


def test_closing_fails_what_waits_and_the_other_side_sees_the_end(loop):
    release = threading.Event()
    app, host = _pair(loop, lambda m, p: None, lambda m, p: release.wait(30))
    replies = []
    app.ask("progress", None, replies.append)
    app.close()
    assert replies == [None]
    release.set()  # the host's Peer reads again once its handler returns
    wait_until(lambda: host.closed, what="the host saw the link end")
    with pytest.raises(wire.ConnectionLost):
        app.ask("progress", None, replies.append)


def _frame(data):
    return struct.pack("!i", len(data)) + data


def test_the_frame_reader_cuts_a_stream_as_recv_frame_does_byte_by_byte():
    reader = FrameReader(cap=10)
    stream = _frame(b"one") + _frame(b"x" * 11) + _frame(b"") + _frame(b"three")
    out = []
    for n in range(len(stream)):
        out += reader.feed(stream[n : n + 1])
    assert out[0] == b"one" and out[2:] == [b"", b"three"]
    assert isinstance(out[1], wire.FrameTooLarge)
    assert reader.feed(stream)[:1] == [b"one"]  # all at once, too
