"""The app's I/O: every host's link read by one thread, blocking work on a few.

With a thread per connection (and three more per host) 50 publishing hosts meant
205 threads in the app, and the GUI thread waited its turn for the GIL among
them (issue 17, item 1). Here one :class:`Loop` thread waits on every link at
once (``selectors``), cuts what arrives into frames, hands each response to
the request waiting for it, sends heartbeats and runs timers. A
:class:`LoopPeer` is one link served that way. What may block, a request the
app serves (it may wait on a hand-off's store or on another host) and the
operations that wait on their answers, runs on the loop's :class:`Pool`: a
fixed number of threads, whatever the number of hosts. A host's publish holds
no thread at all between its steps (see :mod:`pyblish_qml_queue.hub.session`).

The bytes on the wire are those of :mod:`pyblish_qml_queue.common.wire.peer`'s
threaded :class:`~pyblish_qml_queue.common.wire.peer.Peer` (the host's side);
see docs/protocol.md. No Qt.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import queue
import selectors
import socket
import sys
import threading
import time
from typing import Callable, Optional

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire.frames import FrameReader
from pyblish_qml_queue.common.wire.peer import BasePeer, answer

__all__ = ["Loop", "LoopPeer", "Pool"]

log = logging.getLogger(__name__)

#: Threads of the pool that runs what may block (served requests, hand-offs).
POOL_SIZE = 4
_HEARTBEAT = wire.encode(wire.event("heartbeat"))


class Pool:
    """A fixed set of daemon threads running what may block, in the order given.

    Daemon threads on purpose: a DCC or the app quitting never waits on a
    request that waits on a host.
    """

    def __init__(self, size: int = POOL_SIZE, name: str = "hub-work"):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, func: Callable, *args) -> None:
        self._queue.put((func, args))

    def close(self) -> None:
        for _ in self.threads:
            self._queue.put(None)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            func, args = item
            try:
                func(*args)
            except Exception:
                log.exception("hub work %s failed", getattr(func, "__name__", func))


class Loop:
    """One thread that waits on many file descriptors and on timers.

    ``call_soon``, ``call_later`` and ``add_reader``/``remove_reader`` may be
    called from any thread; callbacks run on the loop's thread, one at a time,
    and must not block (hand blocking work to :attr:`pool`).
    """

    def __init__(self, name: str = "hub-io", workers: int = POOL_SIZE):
        self.name = name
        self.pool = Pool(workers)
        self._selector = selectors.DefaultSelector()
        self._calls: collections.deque = collections.deque()
        self._timers: list = []  # heap of [when, seq, func, args, live]
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._woken = False
        self._waker, self._wakee = socket.socketpair()
        self._waker.setblocking(False)
        self._wakee.setblocking(False)
        self._thread: Optional[threading.Thread] = None
        self._stopping = False

    @property
    def threads(self) -> list:
        return ([self._thread] if self._thread else []) + list(self.pool.threads)

    def start(self) -> Loop:
        self._selector.register(self._wakee, selectors.EVENT_READ, self._drain_waker)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop thread and the pool (what they run now finishes)."""
        self._stopping = True
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self.pool.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopping

    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    # -- scheduling (any thread) ------------------------------------------------------

    def call_soon(self, func: Callable, *args) -> None:
        self._calls.append((func, args))
        self._wake()

    def call_later(self, delay: float, func: Callable, *args) -> list:
        """Run ``func(*args)`` on the loop in ``delay`` seconds. Returns a handle for
        :meth:`cancel`."""
        timer = [time.monotonic() + delay, next(self._seq), func, args, True]
        with self._lock:
            heapq.heappush(self._timers, timer)
        self._wake()
        return timer

    @staticmethod
    def cancel(timer: Optional[list]) -> None:
        if timer is not None:
            timer[4] = False

    def add_reader(self, fileobj, callback: Callable) -> None:
        if self.in_loop():
            self._selector.register(fileobj, selectors.EVENT_READ, callback)
        else:
            self.call_soon(self.add_reader, fileobj, callback)

    def remove_reader(self, fileobj) -> None:
        if self.in_loop():
            try:
                self._selector.unregister(fileobj)
            except (KeyError, ValueError):
                pass
        else:
            self.call_soon(self.remove_reader, fileobj)

    def _wake(self) -> None:
        if self.in_loop():
            return  # it looks at its calls and timers before it waits again
        with self._lock:
            if self._woken:
                return
            self._woken = True
        try:
            self._waker.send(b"\0")
        except OSError:
            pass

    # -- the thread -------------------------------------------------------------------------

    def _drain_waker(self) -> None:
        with self._lock:
            self._woken = False
        try:
            while self._wakee.recv(4096):
                pass
        except OSError:
            pass

    def _run(self) -> None:
        select = self._selector.select
        try:
            while not self._stopping:
                for key, _ in select(self._wait()):
                    try:
                        key.data()
                    except Exception:
                        log.exception("%s: a reader failed", self.name)
                self._run_calls()
                self._run_timers()
        finally:
            self._run_calls()  # links closed meanwhile let go of their descriptors
            self._selector.close()
            self._waker.close()
            self._wakee.close()

    def _wait(self) -> Optional[float]:
        if self._calls:
            return 0
        with self._lock:
            while self._timers and not self._timers[0][4]:
                heapq.heappop(self._timers)
            if not self._timers:
                return None
            return max(0.0, self._timers[0][0] - time.monotonic())

    def _run_calls(self) -> None:
        calls = self._calls
        for _ in range(len(calls)):
            func, args = calls.popleft()
            try:
                func(*args)
            except Exception:
                log.exception("%s: %s failed", self.name, getattr(func, "__name__", func))

    def _run_timers(self) -> None:
        now = time.monotonic()
        due = []
        with self._lock:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers))
        for _, _, func, args, live in due:
            if not live:
                continue
            try:
                func(*args)
            except Exception:
                log.exception("%s: timer %s failed", self.name, getattr(func, "__name__", func))


def can_serve(conn) -> bool:
    """Whether a :class:`Loop` can wait on this connection (a socket; not a Windows pipe)."""
    return sys.platform != "win32" and hasattr(conn, "fileno")


class LoopPeer(BasePeer):
    """One link read by a :class:`Loop` (the app's side of a host's connection).

    Responses are handed to their requests on the loop's thread: a blocking
    :meth:`request` (from any other thread) wakes, an :meth:`ask` callback runs
    there. The requests and events it serves run on the loop's pool, one at a
    time and in order for this link; a request whose handler returns a Future
    is answered when that is done, holding no thread meanwhile. Heartbeats are
    the loop's timers. See :class:`~pyblish_qml_queue.common.wire.peer.BasePeer`
    for the other arguments.
    """

    def __init__(self, loop: Loop, conn, *args, **kwargs):
        super().__init__(conn, *args, **kwargs)
        self._loop = loop
        self._fd = conn.fileno()
        self._frames = FrameReader()
        self._inbox: collections.deque = collections.deque()
        self._serving = False
        self._beat_timer = None

    @property
    def threads(self) -> list:
        """None of its own (the loop's are shared by every link)."""
        return []

    def start(self) -> LoopPeer:
        self._loop.call_soon(self._attach)
        return self

    def request(self, method, params=None, timeout=None):
        if self._loop.in_loop():
            raise RuntimeError(
                f"{self.name}: a request waited for on the I/O thread would wait for ever;"
                " use ask()"
            )
        return super().request(method, params, timeout)

    # -- on the loop --------------------------------------------------------------------

    def _attach(self) -> None:
        if self._closed.is_set():
            return
        self._loop.add_reader(self._fd, self._readable)
        self._beat_timer = self._loop.call_later(self._heartbeat, self._beat)

    def _readable(self) -> None:
        try:
            frames = self._frames.read(self._fd)  # frames.READ_SIZE, into one kept buffer
        except (BlockingIOError, InterruptedError):
            return
        except wire.BadFrameLength as error:
            log.warning("%s: %s; dropping the link", self.name, error)
            frames = None
        except OSError:
            frames = None
        if frames is None:
            self.close()
            return
        self.last_seen = self._clock()
        for frame in frames:
            if self._closed.is_set():
                return
            if isinstance(frame, wire.ProtocolError):
                self._reply_error(None, frame)
                continue
            work = self._take(frame)
            if work is not None:
                self._queue(work)

    def _beat(self) -> None:
        if self._closed.is_set():
            return
        if self._dropped_silent():
            return
        try:
            self.send_bytes(_HEARTBEAT)
        except wire.ConnectionLost:
            return
        self._beat_timer = self._loop.call_later(self._heartbeat, self._beat)

    # -- on the pool --------------------------------------------------------------------

    def _queue(self, work: tuple) -> None:
        with self._lock:
            self._inbox.append(work)
            if self._serving:
                return
            self._serving = True
        self._loop.pool.submit(self._serve)

    def _serve(self) -> None:
        while True:
            with self._lock:
                if not self._inbox or self._closed.is_set():
                    self._serving = False
                    return
                msg_id, method, params = self._inbox.popleft()
            if msg_id is None:
                self._event(method, params)
            else:
                self._answer(msg_id, method, params, self._later(msg_id, method, params))

    def _later(self, msg_id, method, params) -> Callable:
        """How a request answered by a Future is answered once that is done."""

        def defer(future):
            future.add_done_callback(
                lambda done: self._send_reply(
                    answer(lambda m, p: done.result(), msg_id, method, params, self.name),
                    msg_id,
                    method,
                )
            )

        return defer

    # -- closing ------------------------------------------------------------------------

    def _closing(self) -> None:
        self._inbox.clear()
        Loop.cancel(self._beat_timer)

    def _shut(self) -> None:
        # The other side sees the end at once; the loop stops waiting on the
        # descriptor before it is closed (so a new link may reuse its number).
        wire.shut_down_socket(self.conn)
        if self._loop.running and not self._loop.in_loop():
            self._loop.call_soon(self._release)
        else:
            self._release()

    def _release(self) -> None:
        if self._loop.in_loop():
            self._loop.remove_reader(self._fd)
        with self._send_lock:
            try:
                self.conn.close()
            except OSError:
                pass
