"""The farm-signal HTTP endpoint: ``POST /v1/signal``. Off unless started.

``serve --signals 127.0.0.1:8765`` starts it; the app calls :func:`serve_signals`
when its setting is on. The body is a signal as :mod:`pyblish_qml_queue.farm.signals`
describes; the answer is JSON: ``{"ok": true, "result": "applied" | "already applied",
"job", "state", "message"}`` with 200, or ``{"ok": false, "reason", "error"}`` with
413 (too_large), 400 (bad_json, bad_shape, bad_request), 403 (bad_signature: an
unknown job and a wrong signature get this one answer; stale), 404 (unknown_step,
or another path), 409 (replay, not_waiting), 411 (no Content-Length), 408 (the
request did not arrive in time), 431 (headers too large).

It cannot be starved by clients that connect and say nothing, or drip a byte at a
time (the issue-14 attack): one asyncio loop in one thread reads every request, so
an idle connection costs an fd and no thread; the request line and headers must
arrive within :data:`HEADER_TIMEOUT` seconds of the connection (a deadline, not an
idle timeout: dripping does not extend it), the body within :data:`BODY_TIMEOUT`
after them; at most :data:`MAX_CONNECTIONS` are open at once: when full, a new connection
closes the one that has waited longest (over :data:`EVICT_AFTER`) for its headers,
else it waits in the kernel's listen :data:`BACKLOG` until a slot frees; the store is
reached from a pool of :data:`WORKERS` threads, so from that many SQLite connections
at most. One
request per connection (``Connection: close``): a farm sends one signal at a time.

Standard library only. Mature servers were weighed: waitress's ``channel_timeout``
and cheroot's ``timeout`` are idle timeouts, which a one-byte-every-few-seconds
client keeps alive, and each would be a dependency for one POST route. Figures:
``benchmarks/bench_signals_http.py``, docs/deadline.md. No Qt.

Bind it to an address the farm can reach and no one else needs (every signal is
signed, but the endpoint is not TLS).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Callable, Optional

from pyblish_qml_queue.farm.signals import MAX_BODY, WINDOW, SignalReceiver, SignalRefused

log = logging.getLogger(__name__)

PATH = "/v1/signal"
#: Seconds from a connection's accept to the end of its request headers.
HEADER_TIMEOUT = 5.0
#: Seconds after the headers for the body to arrive.
BODY_TIMEOUT = 10.0
#: Connections open at once; more wait in the listen backlog.
MAX_CONNECTIONS = 128
#: The listen backlog: connections the kernel keeps waiting to be accepted.
BACKLOG = 512
#: Threads (and so SQLite connections) applying signals to the store.
WORKERS = 2
#: Largest request line plus headers, in bytes.
MAX_HEAD = 16 * 1024
#: Most header lines in a request.
MAX_HEADERS = 64
#: When full, a connection that has waited this long for its headers is closed
#: to make room for a new one.
EVICT_AFTER = 1.0
#: Seconds an answer gets to be taken by the client before the connection is cut.
WRITE_TIMEOUT = 5.0
#: A too-large body up to this size is read and dropped before the 413, so that
#: the client reads the answer instead of a connection reset.
_DRAIN_MAX = 1024 * 1024


def parse_address(text: str) -> tuple:
    """``"127.0.0.1:8765"`` -> ``("127.0.0.1", 8765)``. Raises ValueError saying why."""
    host, sep, port = str(text).rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8765)")
    return host, int(port)


class _Reply(Exception):
    """Answer ``status`` with ``{"ok": False, "reason", "error"}`` and close."""

    def __init__(self, status: int, reason: str, error: str, **headers):
        super().__init__(error)
        self.status = status
        self.body = {"ok": False, "reason": reason, "error": error}
        self.headers = headers


def parse_head(head: bytes) -> tuple:
    """``(method, path, headers)`` of a request line and headers (``headers``: lower-case
    names to values).

    Raises:
        _Reply: 400 naming what is wrong.
    """
    lines = head.decode("latin-1").split("\r\n")
    while lines and not lines[-1]:
        lines.pop()
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        raise _Reply(400, "bad_request", "not an HTTP/1.x request line")
    if len(lines) - 1 > MAX_HEADERS:
        raise _Reply(400, "bad_request", f"more than {MAX_HEADERS} header lines")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or not name.isascii():
            raise _Reply(400, "bad_request", "a header line is not 'Name: value'")
        name, value = name.lower(), value.strip()
        if name in headers and name == "content-length" and headers[name] != value:
            raise _Reply(400, "bad_request", "two different Content-Length headers")
        headers[name] = value
    return parts[0], parts[1].split("?", 1)[0], headers


class SignalServer:
    """The endpoint, serving from a daemon thread until :meth:`close`.

    Args:
        receiver: a :class:`~pyblish_qml_queue.farm.signals.SignalReceiver`.
        host, port: where to listen; port 0 picks a free one (see :attr:`address`).
        header_timeout, body_timeout, max_connections, backlog, workers: see the
            module's constants of those names.

    Attributes:
        connections: connections open now.
        evicted: connections closed before their deadline to make room for a new one
            (the endpoint was full; the one waiting longest for its headers goes).

    Raises:
        OSError: the address is in use or not this machine's.
    """

    def __init__(
        self,
        receiver: SignalReceiver,
        host: str = "127.0.0.1",
        port: int = 8765,
        *,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        backlog: int = BACKLOG,
        workers: int = WORKERS,
    ):
        self.receiver = receiver
        self.header_timeout = float(header_timeout)
        self.body_timeout = float(body_timeout)
        self.max_connections = int(max_connections)
        self.connections = 0
        self.evicted = 0
        self._idle: dict = {}  # connections still waiting for their headers, oldest first
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=int(backlog))
        self._sock.setblocking(False)
        self._pool = ThreadPoolExecutor(max_workers=int(workers), thread_name_prefix="signals")
        self._loop = asyncio.new_event_loop()
        self._tasks: set = set()
        self._main = None
        self._closed = False
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="signals", daemon=True
        )
        self._thread.start()
        started.wait()
        log.info("farm signals accepted at %s", self.url)

    @property
    def address(self) -> tuple:
        """``(host, port)`` it listens on."""
        return self._sock.getsockname()[:2]

    @property
    def url(self) -> str:
        host, port = self.address
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{PATH}"

    def close(self) -> None:
        """Stop accepting, drop open connections, let running store calls finish."""
        if self._closed:
            return
        self._closed = True
        try:
            self._loop.call_soon_threadsafe(self._main.cancel)
        except RuntimeError:  # the loop is closed already
            pass
        self._thread.join(5.0)
        self._sock.close()
        self._pool.shutdown(wait=True)

    # -- the loop's side ----------------------------------------------------------------------

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._main = self._loop.create_task(self._accept())
        started.set()
        try:
            self._loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the farm endpoint stopped")
        finally:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _accept(self) -> None:
        free = self.max_connections
        while True:
            try:
                conn, _peer = await self._loop.sock_accept(self._sock)
            except OSError as exc:  # out of fds, say: wait, the open ones time out
                log.warning("farm endpoint: cannot accept a connection (%s)", exc)
                await asyncio.sleep(0.5)
                continue
            while self.connections >= free:
                # Full: the connection waiting longest for its headers (over EVICT_AFTER
                # seconds: a real client sends them at once) makes room, so that idle
                # clients cannot hold every slot until their deadline.
                if self._idle:
                    oldest, since = next(iter(self._idle.items()))
                    if self._loop.time() - since >= EVICT_AFTER:
                        del self._idle[oldest]
                        oldest.cancel()
                        self.evicted += 1
                        await asyncio.sleep(0)  # it ends and frees its slot
                        continue
                await asyncio.sleep(0.02)
            self.connections += 1
            started = []
            task = self._loop.create_task(self._serve(conn, started))
            self._idle[task] = self._loop.time()
            self._tasks.add(task)
            task.add_done_callback(lambda done, c=conn, s=started: self._finished(done, c, s))

    def _finished(self, task, conn: socket.socket, started: list) -> None:
        self._tasks.discard(task)
        self._idle.pop(task, None)
        self.connections -= 1
        if not started:  # cancelled before it ran
            conn.close()

    async def _serve(self, conn: socket.socket, started: list) -> None:
        started.append(True)
        task = asyncio.current_task()
        deadline = self._idle.get(task, self._loop.time()) + self.header_timeout
        writer = None
        try:
            reader, writer = await asyncio.open_connection(sock=conn, limit=MAX_HEAD)
            try:
                status, body = await self._request(reader, writer, deadline, task)
                headers = {}
            except _Reply as reply:
                status, body, headers = reply.status, reply.body, reply.headers
            if status:
                await self._write(writer, status, body, headers)
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client left
        except Exception:
            log.exception("farm endpoint: unexpected error on a connection")
        finally:
            if writer is None:
                conn.close()
            elif writer.transport.get_write_buffer_size():
                writer.transport.abort()  # it did not read its answer
            else:
                writer.close()

    async def _within(self, awaitable, deadline: float, what: str):
        try:
            return await asyncio.wait_for(awaitable, max(0.0, deadline - self._loop.time()))
        except asyncio.TimeoutError:
            log.debug("farm endpoint: %s did not arrive in time; connection dropped", what)
            raise _Reply(408, "timeout", f"the request's {what} did not arrive in time")

    async def _request(self, reader, writer, deadline: float, task) -> tuple:
        try:
            head = await self._within(reader.readuntil(b"\r\n\r\n"), deadline, "headers")
        except asyncio.LimitOverrunError:
            raise _Reply(431, "bad_request", f"the headers are over {MAX_HEAD} bytes")
        except asyncio.IncompleteReadError:
            return 0, None  # closed before a whole request: nothing to answer
        self._idle.pop(task, None)  # no longer evicted to make room
        method, path, headers = parse_head(head)
        if method != "POST":
            raise _Reply(405, "method", f"POST a signal to {PATH}", Allow="POST")
        if path != PATH:
            raise _Reply(404, "not_found", "no such path")
        length = headers.get("content-length")
        if "transfer-encoding" in headers or length is None or not length.isdigit():
            raise _Reply(411, "length_required", "send a Content-Length")
        length = int(length)
        body_deadline = self._loop.time() + self.body_timeout
        if length > MAX_BODY:
            exc = SignalRefused(
                "too_large", f"the signal is {length} bytes; at most {MAX_BODY} are accepted"
            )
            log.warning("farm signal refused (%s): %s", exc.reason, exc)
            if length <= _DRAIN_MAX and not headers.get("expect"):
                await self._within(reader.readexactly(length), body_deadline, "body")
            raise _Reply(exc.http_status, exc.reason, str(exc))
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        raw = await self._within(reader.readexactly(length), body_deadline, "body")
        return await self._loop.run_in_executor(self._pool, self._apply, raw)

    def _apply(self, raw: bytes) -> tuple:
        """In a pool thread: ``(status, answer)`` for a body."""
        try:
            return 200, self.receiver.receive(raw)
        except SignalRefused as exc:
            return exc.http_status, {"ok": False, "reason": exc.reason, "error": str(exc)}
        except Exception:
            log.exception("farm signal: unexpected error")
            return 500, {"ok": False, "reason": "error", "error": "the queue failed; see its log"}

    async def _write(self, writer, status: int, body: dict, headers: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            "Server: pyblish-qml-queue-signals/2",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            "Connection: close",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        try:
            await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)
        except asyncio.TimeoutError:
            log.debug("farm endpoint: a client did not read its answer; connection dropped")


def serve_signals(
    store,
    address: str,
    on_applied: Optional[Callable[[str], None]] = None,
    window: float = WINDOW,
) -> SignalServer:
    """Start the endpoint on ``"HOST:PORT"`` for ``store`` (what ``serve --signals``
    and the app's setting call). ``on_applied(job_id)``: e.g. ``executor.wake``.

    Raises:
        ValueError: ``address`` is not HOST:PORT.
        OSError: the address cannot be listened on.
    """
    host, port = parse_address(address)
    return SignalServer(SignalReceiver(store, window=window, on_applied=on_applied), host, port)


# post_signal() has a copy in assets/deadline/PyblishQmlQueue (post), on purpose:
# that plug-in runs in Deadline's own Python, standard library only.


def post_signal(url: str, body: dict, timeout: float = 10.0) -> tuple:
    """POST a signal; ``(HTTP status, answer dict)``. A URL without a path gets
    ``/v1/signal``.

    Raises:
        OSError: the endpoint cannot be reached (urllib.error.URLError is one).
    """
    if url.rstrip("/").count("/") <= 2:  # http://host:port
        url = url.rstrip("/") + PATH
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _answer(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, _answer(exc.read())


def _answer(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"))
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"ok": False, "error": raw[:200].decode()}
