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

    A reader thread receives frames; requests run one at a time on a serving
    thread (so the reader keeps reading heartbeats meanwhile); a heartbeat
    thread sends ``heartbeat`` events and drops a silent peer.

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
        self._heartbeat = HEARTBEAT if heartbeat is None else heartbeat
        self._timeout = max(self._heartbeat * 5, 1.0)
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending = {}  # id -> [Event, reply]
        self._requests = []
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
        for target, label in ((self._read, "read"), (self._serve, "serve"), (self._beat, "beat")):
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
        shutdown(self.conn)
        if self._on_close is not None:
            try:
                self._on_close(self)
            except Exception:
                log.exception("%s: on_close failed", self.name)

    def wait_closed(self, timeout=None):
        return self._closed.wait(timeout)

    # -- threads ----------------------------------------------------------------

    def _read(self):
        while not self.closed:
            try:
                data = recv_frame(self.conn)
            except ProtocolError as error:
                self._reply_error(None, error)
                continue
            except (EOFError, OSError, ValueError, TypeError):  # TypeError: closed meanwhile
                break
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
                    self._wake.notify()
        self.close()

    def _event(self, method, params):
        if method == "heartbeat":
            return
        try:
            self._handler(method, params)
        except Exception:
            log.exception("%s: event %s failed", self.name, method)

    def _serve(self):
        while True:
            with self._lock:
                while not self._requests and not self._closed.is_set():
                    self._wake.wait()
                if self._closed.is_set():
                    return
                msg_id, method, params = self._requests.pop(0)
            reply = answer(self._handler, msg_id, method, params, self.name)
            try:
                self.send(reply)
            except ConnectionLost:
                return
            except (ProtocolError, ValueError) as error:
                log.error("%s: cannot send the answer to %s: %s", self.name, method, error)
                code = getattr(error, "code", INTERNAL)
                try:
                    self.send(response(msg_id, error={"code": code, "message": str(error)}))
                except (ConnectionLost, ProtocolError, ValueError):
                    return

    def _reply_error(self, msg_id, error):
        log.warning("%s: %s", self.name, error)
        try:
            self.send(refusal(error, msg_id))
        except (ConnectionLost, ProtocolError, ValueError):
            pass

    def _beat(self):
        while not self._closed.wait(self._heartbeat):
            if self._clock() - self.last_seen > self._timeout:
                log.warning("%s: silent for %.0fs, dropping the link", self.name, self._timeout)
                self.close()
                return
            if not self.notify("heartbeat"):
                return
