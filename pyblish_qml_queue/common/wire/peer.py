"""One end of a link: requests both ways, events, heartbeats, over one connection.

Used by the host's link and by the app's hub alike. Standard library only,
Python 3.7 syntax.
"""

import collections
import logging
import sys
import threading
import time
from concurrent.futures import Future

from pyblish_qml_queue.common.wire import (
    EVENTS,
    HEARTBEAT,
    INTERNAL,
    UNKNOWN_METHOD,
    ConnectionLost,
    FrameReader,
    ProtocolError,
    RemoteError,
    encode,
    event,
    frame_writer,
    is_int,
    parse_frame,
    recv_frame,
    request,
    response,
    shut_down_socket,
    shutdown,
)

__all__ = ["BasePeer", "Peer", "answer", "answer_frame", "refusal", "result_of"]

log = logging.getLogger(__name__)

#: A link logs at most this many refusals of bad frames at WARNING per
#: REFUSAL_WINDOW seconds; the others go to DEBUG and are counted in one line.
REFUSALS_LOGGED = 10
REFUSAL_WINDOW = 60.0


class _Throttle(object):
    """Counts refusals so that a flood of bad frames writes a few lines, not one each."""

    def __init__(self, clock):
        self._clock = clock
        self._start = None
        self._logged = 0
        self._hidden = 0

    def log(self, name, error):
        now = self._clock()
        if self._start is None or now - self._start >= REFUSAL_WINDOW:
            self.flush(name)
            self._start, self._logged = now, 0
        if self._logged < REFUSALS_LOGGED:
            self._logged += 1
            log.warning("%s: %s", name, error)
        else:
            self._hidden += 1
            log.debug("%s: %s", name, error)

    def flush(self, name):
        if self._hidden:
            log.warning(
                "%s: %d more bad frames refused (counted, not logged one by one)",
                name,
                self._hidden,
            )
            self._hidden = 0


def answer(handler, msg_id, method, params, name="peer", defer=None):
    """The response to one checked request: ``handler(method, params)``'s result, or
    its error by code (ProtocolError and RemoteError keep theirs; anything else is
    INTERNAL, with the traceback in the log).

    A handler may answer later: it returns a ``concurrent.futures.Future``. With
    ``defer``, ``defer(future)`` is called and None returned (the caller answers when
    the future is done); without, the future's result is waited for here.
    """
    try:
        result = handler(method, params)
        if isinstance(result, Future):
            if defer is not None:
                defer(result)
                return None
            result = result.result()
        return response(msg_id, result)
    except ProtocolError as error:
        return response(msg_id, error=error.to_error())
    except RemoteError as error:
        return response(msg_id, error={"code": error.code, "message": str(error)})
    except Exception as error:
        log.exception("%s: %s failed", name, method)
        return response(
            msg_id, error={"code": INTERNAL, "message": "%s failed: %s" % (method, error)}
        )


def refusal(error, msg_id=None):
    """The error reply to a frame that broke the protocol, or None for an event of a
    method this side does not know (dropped without a word)."""
    msg_id = error.msg_id if msg_id is None else msg_id
    if error.code == UNKNOWN_METHOD and msg_id is None:
        return None
    return response(msg_id if is_int(msg_id) else None, error=error.to_error())


def answer_frame(data, handler, methods, events=None, name="peer"):
    """What a :class:`Peer` answers to one frame, without a socket: the encoded reply,
    or None for events and responses. Never raises for anything in ``data``."""
    try:
        kind, msg, params = parse_frame(data, methods, events)
    except ProtocolError as error:
        reply = refusal(error)
        return None if reply is None else encode(reply)
    if kind != "request":
        return None
    reply = answer(handler, msg["id"], msg["method"], params, name)
    try:
        return encode(reply)
    except (ProtocolError, ValueError) as error:  # a result too large, or not JSON
        code = getattr(error, "code", INTERNAL)
        return encode(response(msg["id"], error={"code": code, "message": str(error)}))


class BasePeer(object):
    """What both kinds of peer share: sending, requests (waited for, or answered
    through a callback), the delivery of responses, closing.

    :class:`Peer` reads its connection on threads of its own (the host, the CLI);
    the app reads every host's connection on one I/O thread
    (:class:`pyblish_qml_queue.hub.loop.LoopPeer`).

    Args:
        conn: an authenticated ``multiprocessing.connection.Connection``.
        handler (callable): ``handler(method, params) -> result`` for requests
            and events already checked against ``methods``; raise ProtocolError
            or RemoteError to answer with that error, anything else answers
            INTERNAL (traceback to the log). A request's handler may return a
            ``concurrent.futures.Future`` to answer once it is done.
        methods (dict): the requests this side answers (method -> schema).
        events (dict): the events this side accepts.
        on_close (callable): called once with this peer when the link ends.
        name (str): for the log.
        heartbeat (float): seconds between heartbeats; a peer silent for five
            (at least 1 s) is dropped.
    """

    def __init__(
        self,
        conn,
        handler,
        methods,
        events=None,
        on_close=None,
        name="peer",
        heartbeat=None,
        clock=time.time,
    ):
        self.conn = conn
        self.name = name
        self._handler = handler
        self._methods = methods
        self._events = EVENTS if events is None else events
        self._on_close = on_close
        self._clock = clock
        self._refusals = _Throttle(clock)
        self._heartbeat = HEARTBEAT if heartbeat is None else heartbeat
        self._timeout = max(self._heartbeat * 5, 1.0)
        self._send_lock = threading.Lock()
        self._write = frame_writer(conn)
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending = {}  # id -> callback(reply, or None when the link closed first)
        self._closed = threading.Event()
        self.last_seen = clock()

    @property
    def closed(self):
        return self._closed.is_set()

    # -- sending ----------------------------------------------------------------

    def send(self, msg):
        self.send_bytes(encode(msg))

    def send_bytes(self, data):
        """Send one frame of encoded bytes (:func:`encode`)."""
        with self._send_lock:
            if self._closed.is_set():
                raise ConnectionLost("%s: link is closed" % self.name)
            try:
                self._write(data)
                return
            except (OSError, ValueError) as error:
                lost = error
        self.close()
        raise ConnectionLost("%s: %s" % (self.name, lost))

    def notify(self, method, params=None):
        """Send an event; False when the link is gone."""
        try:
            self.send(event(method, params))
            return True
        except ConnectionLost:
            return False

    def ask(self, method, params, callback):
        """Send a request and return at once; ``callback(reply)`` gets the response
        message (``"result"`` or ``"error"``) on the thread that reads it, or None
        when the link closes first (then perhaps on this thread, before ``ask``
        returns). Called exactly once.

        Raises:
            ConnectionLost: the link is closed already (``callback`` is not called).
        """
        with self._lock:
            if self._closed.is_set():
                raise ConnectionLost("%s: link is closed" % self.name)
            self._reader_needed()
            self._next_id += 1
            msg_id = self._next_id
            self._pending[msg_id] = callback
        try:
            self.send(request(msg_id, method, params))
        except BaseException:
            with self._lock:
                mine = self._pending.pop(msg_id, None) is not None
            if mine:  # else close() took it and told the callback
                raise
        return msg_id

    def request(self, method, params=None, timeout=None):
        """Send a request and wait for its answer.

        Raises:
            RemoteError: the other side answered with an error.
            ConnectionLost: the link went away first (or ``timeout`` passed).
        """
        box = []
        done = threading.Lock()  # released by the answer: one wake-up, no Condition
        done.acquire()

        def answered(reply):
            box.append(reply)
            done.release()

        msg_id = self.ask(method, params, answered)
        try:
            if not done.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
                raise ConnectionLost(
                    "%s: no answer to %s within %ss" % (self.name, method, timeout)
                )
        finally:
            with self._lock:
                self._pending.pop(msg_id, None)
        return result_of(box[0], method, self.name)

    def _reader_needed(self):
        """Under the lock, before a request goes out: make sure someone reads its answer."""

    def _dropped_silent(self):
        """Close the link if the other side was silent too long (True then)."""
        if self._clock() - self.last_seen <= self._timeout:
            return False
        log.warning("%s: silent for %.0fs, dropping the link", self.name, self._timeout)
        self.close()
        return True

    # -- reading ----------------------------------------------------------------

    def _take(self, data):
        """One frame read: a response goes to its request; an event or a request
        to serve is returned as ``(id, method, params)`` (id None for an event);
        else None (a bad frame is answered here)."""
        try:
            kind, msg, params = parse_frame(data, self._methods, self._events)
        except ProtocolError as error:
            if refusal(error) is not None:
                self._reply_error(error.msg_id, error)
            else:
                log.debug("%s: dropped event: %s", self.name, error)
            return None
        if kind == "response":
            msg_id = msg["id"]
            with self._lock:
                callback = self._pending.pop(msg_id, None) if msg_id is not None else None
            if callback is not None:
                callback(msg)
            elif "error" in msg:
                log.warning("%s: the other side reports: %s", self.name, msg["error"]["message"])
            return None
        if kind == "event":
            if msg["method"] == "heartbeat":
                return None
            return None, msg["method"], params
        return msg["id"], msg["method"], params

    def _event(self, method, params):
        try:
            self._handler(method, params)
        except Exception:
            log.exception("%s: event %s failed", self.name, method)

    def _answer(self, msg_id, method, params, defer=None):
        """Serve one request and send its answer (now, or when a deferred one is done)."""
        reply = answer(self._handler, msg_id, method, params, self.name, defer)
        if reply is not None:
            self._send_reply(reply, msg_id, method)

    def _send_reply(self, reply, msg_id, method):
        try:
            self.send(reply)
        except ConnectionLost:
            pass
        except (ProtocolError, ValueError) as error:  # a result too large, or not JSON
            log.error("%s: cannot send the answer to %s: %s", self.name, method, error)
            code = getattr(error, "code", INTERNAL)
            try:
                self.send(response(msg_id, error={"code": code, "message": str(error)}))
            except (ConnectionLost, ProtocolError, ValueError):
                pass

    def _reply_error(self, msg_id, error):
        self._refusals.log(self.name, error)
        try:
            self.send(refusal(error, msg_id))
        except (ConnectionLost, ProtocolError, ValueError):
            pass

    # -- closing ----------------------------------------------------------------

    def close(self):
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            pending, self._pending = self._pending, {}
            self._closing()
        for callback in pending.values():
            try:
                callback(None)
            except Exception:
                log.exception("%s: a request's callback failed", self.name)
        self._refusals.flush(self.name)
        self._shut()
        if self._on_close is not None:
            try:
                self._on_close(self)
            except Exception:
                log.exception("%s: on_close failed", self.name)

    def _closing(self):
        """Under the lock, as the link closes."""

    def _shut(self):
        """Close the connection (and wake whoever reads it)."""
        shutdown(self.conn)

    def wait_closed(self, timeout=None):
        return self._closed.wait(timeout)


def result_of(reply, method, name="peer"):
    """A request's result from its response message; raises what the answer says.

    Raises:
        RemoteError: the other side answered with an error.
        ConnectionLost: ``reply`` is None (the link closed before the answer).
    """
    if reply is None:
        raise ConnectionLost("%s: link closed before %s was answered" % (name, method))
    if "error" in reply:
        raise RemoteError(reply["error"]["code"], reply["error"]["message"])
    return reply.get("result")


class Peer(BasePeer):
    """One end of a link that reads its connection on threads of its own (the
    host's link, a CLI client, a Windows pipe in the app).

    Two threads take turns reading frames: the one whose turn it is reads and
    serves the requests it reads itself, one at a time and in order, so a
    request waits for no thread to wake. While it serves, the other thread
    takes over the reading as soon as anything could be waiting for a frame:
    at once when a request of this side is pending, as soon as this side makes
    one (a handler's own request, or any thread's), and at the next heartbeat
    tick when a request runs longer than half a heartbeat (so heartbeats are
    read during a long step). A heartbeat thread sends ``heartbeat`` events and
    drops a silent peer. See :class:`BasePeer` for the arguments.
    """

    def __init__(self, *args, **kwargs):
        super(Peer, self).__init__(*args, **kwargs)
        self._requests = []
        self._reading = False  # a thread has the reading turn
        self._serving = False  # a thread is serving requests
        self._held = False  # ... and holds the reading turn meanwhile
        self._serve_started = 0.0
        self._wake = threading.Condition(self._lock)
        self._threads = []
        # One read a frame, or fewer (not two: its length, then its bytes). A Windows
        # pipe is read a message at a time by recv_frame.
        self._frames = FrameReader() if sys.platform != "win32" else None
        self._ready = collections.deque()  # frames read, not yet taken
        self._let_go_of = False  # the connection is closed (no thread reads it)

    @property
    def threads(self):
        """The reader, server and heartbeat threads (to join after :meth:`close`)."""
        return list(self._threads)

    def start(self):
        for target, label in (
            (self._take_turns, "read"),
            (self._take_turns, "serve"),
            (self._beat, "beat"),
        ):
            thread = threading.Thread(target=target, name="%s-%s" % (self.name, label))
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def _reader_needed(self):
        self._hand_on_reading()

    def _closing(self):
        self._wake.notify_all()

    def _shut(self):
        """Wake the reading thread (the socket is shut down at once, so the other side
        sees the end); the connection itself is closed once no thread reads it: a read
        started on its descriptor after it was closed could read a new connection that
        took the same number (a CLI's next one, in the same process)."""
        if self._frames is None or not self._threads or not shut_down_socket(self.conn):
            shutdown(self.conn)  # a pipe: closing it is all there is
            return
        with self._lock:
            if not self._reading:
                self._let_go()

    def _let_go(self):
        """Under the lock, once no thread reads: close the connection."""
        if not self._let_go_of:
            self._let_go_of = True
            try:
                self.conn.close()
            except OSError:
                pass

    # -- threads ----------------------------------------------------------------

    def _take_turns(self):
        while True:
            with self._lock:
                while self._reading and not self._closed.is_set():
                    self._wake.wait()
                if self._closed.is_set():
                    if not self._reading:
                        self._let_go()
                    return
                self._reading = True
            while True:
                if not self._read():
                    self.close()
                    with self._lock:
                        self._reading = False
                        self._let_go()
                    return
                if not self._serve():
                    break  # the other thread reads now

    def _hand_on_reading(self):
        """Under the lock: a serving thread holding the reading turn gives it up."""
        if self._held:
            self._held = False
            self._reading = False
            self._wake.notify()

    def _read(self):
        """Read frames until one is a request this thread is to serve (True: the
        reading turn is handed on) or the link ends (False)."""
        while not self._closed.is_set():
            try:
                data = self._next_frame()
            except ProtocolError as error:
                self._reply_error(None, error)
                continue
            except (EOFError, OSError, ValueError, TypeError):  # TypeError: closed meanwhile
                return False
            self.last_seen = self._clock()
            work = self._take(data)
            if work is None:
                continue
            if work[0] is None:
                self._event(work[1], work[2])
                continue
            with self._lock:
                self._requests.append(work)
                if not self._serving:  # serve it here
                    self._serving = True
                    self._held = True
                    if self._pending:  # an answer may come meanwhile: the other reads
                        self._hand_on_reading()
                    return True
        return False

    def _next_frame(self):
        """The next frame's bytes, read by the thread that has the reading turn.

        Raises:
            FrameTooLarge: a frame above the cap was dropped.
            EOFError / OSError / TypeError: the link is gone.
        """
        if self._frames is None:
            return recv_frame(self.conn)
        while not self._ready:
            got = self._frames.read(self.conn._handle)  # TypeError once closed
            if got is None:
                raise EOFError
            self._ready.extend(got)
        frame = self._ready.popleft()
        if isinstance(frame, ProtocolError):
            raise frame
        return frame

    def _serve(self):
        """Serve the queued requests in order, then give up serving.

        Returns:
            bool: this thread still has the reading turn.
        """
        while True:
            with self._lock:
                if not self._requests or self._closed.is_set():
                    self._serving = False
                    held, self._held = self._held, False
                    return held
                msg_id, method, params = self._requests.pop(0)
                self._serve_started = self._clock()
            self._answer(msg_id, method, params)

    def _beat(self):
        while not self._closed.wait(self._heartbeat):
            with self._lock:  # a long request: heartbeats must be read meanwhile
                if self._held and self._clock() - self._serve_started > self._heartbeat / 2:
                    self._hand_on_reading()
            if self._dropped_silent():
                return
            if not self.notify("heartbeat"):
                return
