"""One end of a link: requests both ways, events, heartbeats, over one connection.

Used by the host's link and by the app's hub alike. Standard library only,
Python 3.7 syntax.
"""

import logging
import threading
import time

from pyblish_qml_queue.common.wire import (
    EVENTS,
    HEARTBEAT,
    INTERNAL,
    UNKNOWN_METHOD,
    ConnectionLost,
    ProtocolError,
    RemoteError,
    encode,
    event,
    is_int,
    parse_frame,
    recv_frame,
    request,
    response,
    shutdown,
)

__all__ = ["Peer", "answer", "answer_frame", "refusal"]

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


def answer(handler, msg_id, method, params, name="peer"):
    """The response to one checked request: ``handler(method, params)``'s result, or
    its error by code (ProtocolError and RemoteError keep theirs; anything else is
    INTERNAL, with the traceback in the log)."""
    try:
        return response(msg_id, handler(method, params))
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


class Peer(object):
    """One end of a link: sends requests and events, answers the other side's.

    Two threads take turns reading frames: the one whose turn it is reads and
    serves the requests it reads itself, one at a time and in order, so a
    request waits for no thread to wake. While it serves, the other thread
    takes over the reading as soon as anything could be waiting for a frame:
    at once when a request of this side is pending, as soon as this side makes
    one (a handler's own request, or any thread's), and at the next heartbeat
    tick when a request runs longer than half a heartbeat (so heartbeats are
    read during a long step). A heartbeat thread sends ``heartbeat`` events and
    drops a silent peer.

    Args:
        conn: an authenticated ``multiprocessing.connection.Connection``.
        handler (callable): ``handler(method, params) -> result`` for requests
            and events already checked against ``methods``; raise ProtocolError
            or RemoteError to answer with that error, anything else answers
            INTERNAL (traceback to the log).
        methods (dict): the requests this side answers (method -> schema).
        events (dict): the events this side accepts.
        on_close (callable): called once with this peer when the link ends.
        name (str): for the log.
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
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending = {}  # id -> [Event, reply]
        self._requests = []
        self._reading = False  # a thread has the reading turn
        self._serving = False  # a thread is serving requests
        self._held = False  # ... and holds the reading turn meanwhile
        self._serve_started = 0.0
        self._wake = threading.Condition(self._lock)
        self._closed = threading.Event()
        self.last_seen = clock()
        self._threads = []

    @property
    def closed(self):
        return self._closed.is_set()

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

    # -- sending ----------------------------------------------------------------

    def send(self, msg):
        data = encode(msg)
        with self._send_lock:
            if self.closed:
                raise ConnectionLost("%s: link is closed" % self.name)
            try:
                self.conn.send_bytes(data)
            except (OSError, ValueError) as error:
                self.close()
                raise ConnectionLost("%s: %s" % (self.name, error))

    def notify(self, method, params=None):
        """Send an event; False when the link is gone."""
        try:
            self.send(event(method, params))
            return True
        except ConnectionLost:
            return False

    def request(self, method, params=None, timeout=None):
        """Send a request and wait for its answer.

        Raises:
            RemoteError: the other side answered with an error.
            ConnectionLost: the link went away first (or ``timeout`` passed).
        """
        slot = [threading.Event(), None]
        with self._lock:
            self._hand_on_reading()  # someone must read the answer
            self._next_id += 1
            msg_id = self._next_id
            self._pending[msg_id] = slot
        try:
            self.send(request(msg_id, method, params))
            if not slot[0].wait(timeout):
                raise ConnectionLost(
                    "%s: no answer to %s within %ss" % (self.name, method, timeout)
                )
        finally:
            with self._lock:
                self._pending.pop(msg_id, None)
        reply = slot[1]
        if reply is None:
            raise ConnectionLost("%s: link closed before %s was answered" % (self.name, method))
        if "error" in reply:
            raise RemoteError(reply["error"]["code"], reply["error"]["message"])
        return reply.get("result")

    # -- closing ----------------------------------------------------------------

    def close(self):
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            pending, self._pending = self._pending, {}
            self._wake.notify_all()
        for slot in pending.values():
            slot[0].set()
        self._refusals.flush(self.name)
        shutdown(self.conn)
        if self._on_close is not None:
            try:
                self._on_close(self)
            except Exception:
                log.exception("%s: on_close failed", self.name)

    def wait_closed(self, timeout=None):
        return self._closed.wait(timeout)

    # -- threads ----------------------------------------------------------------

    def _take_turns(self):
        while True:
            with self._lock:
                while self._reading and not self._closed.is_set():
                    self._wake.wait()
                if self._closed.is_set():
                    return
                self._reading = True
            while True:
                if not self._read():
                    self.close()
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
        while not self.closed:
            try:
                data = recv_frame(self.conn)
            except ProtocolError as error:
                self._reply_error(None, error)
                continue
            except (EOFError, OSError, ValueError, TypeError):  # TypeError: closed meanwhile
                return False
            self.last_seen = self._clock()
            try:
                kind, msg, params = parse_frame(data, self._methods, self._events)
            except ProtocolError as error:
                if refusal(error) is not None:
                    self._reply_error(error.msg_id, error)
                else:
                    log.debug("%s: dropped event: %s", self.name, error)
                continue
            if kind == "response":
                with self._lock:
                    slot = self._pending.get(msg["id"]) if msg["id"] is not None else None
                if slot is None:
                    if "error" in msg:
                        log.warning(
                            "%s: the other side reports: %s", self.name, msg["error"]["message"]
                        )
                else:
                    slot[1] = msg
                    slot[0].set()
            elif kind == "event":
                self._event(msg["method"], params)
            else:
                with self._lock:
                    self._requests.append((msg["id"], msg["method"], params))
                    if not self._serving:  # serve it here
                        self._serving = True
                        self._held = True
                        if self._pending:  # an answer may come meanwhile: the other reads
                            self._hand_on_reading()
                        return True
        return False

    def _event(self, method, params):
        if method == "heartbeat":
            return
        try:
            self._handler(method, params)
        except Exception:
            log.exception("%s: event %s failed", self.name, method)

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
            reply = answer(self._handler, msg_id, method, params, self.name)
            try:
                self.send(reply)
            except ConnectionLost:
                continue  # closed: the next look ends serving
            except (ProtocolError, ValueError) as error:
                log.error("%s: cannot send the answer to %s: %s", self.name, method, error)
                code = getattr(error, "code", INTERNAL)
                try:
                    self.send(response(msg_id, error={"code": code, "message": str(error)}))
                except (ConnectionLost, ProtocolError, ValueError):
                    continue

    def _reply_error(self, msg_id, error):
        self._refusals.log(self.name, error)
        try:
            self.send(refusal(error, msg_id))
        except (ConnectionLost, ProtocolError, ValueError):
            pass

    def _beat(self):
        while not self._closed.wait(self._heartbeat):
            with self._lock:  # a long request: heartbeats must be read meanwhile
                if self._held and self._clock() - self._serve_started > self._heartbeat / 2:
                    self._hand_on_reading()
            if self._clock() - self.last_seen > self._timeout:
                log.warning("%s: silent for %.0fs, dropping the link", self.name, self._timeout)
                self.close()
                return
            if not self.notify("heartbeat"):
                return
