"""The farm-signal HTTP endpoint: ``POST /v1/signal``. Off unless started.

``serve --signals 127.0.0.1:8765`` starts it; the app calls :func:`serve_signals`
when its setting is on. The body is a signal as :mod:`pyblish_qml_queue.farm.signals`
describes; the answer is JSON: ``{"ok": true, "result": "applied" | "already applied",
"job", "state", "message"}`` with 200, or ``{"ok": false, "reason", "error"}`` with
413 (too_large), 400 (bad_json, bad_shape), 404 (unknown_job, unknown_step),
403 (bad_signature, stale), 409 (replay, not_waiting), 411 (no Content-Length).

Plain ``http.server``: bind it to an address the farm can reach and no one else
needs (every signal is signed, but the endpoint is not TLS). No Qt.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

from pyblish_qml_queue.farm.signals import MAX_BODY, WINDOW, SignalReceiver, SignalRefused

log = logging.getLogger(__name__)

PATH = "/v1/signal"
#: Seconds a client gets to send its body.
READ_TIMEOUT = 10.0


def parse_address(text: str) -> tuple:
    """``"127.0.0.1:8765"`` -> ``("127.0.0.1", 8765)``. Raises ValueError saying why."""
    host, sep, port = str(text).rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8765)")
    return host, int(port)


class _Handler(BaseHTTPRequestHandler):
    server_version = "pyblish-qml-queue-signals/1"
    protocol_version = "HTTP/1.1"
    receiver = None  # set on the subclass the server makes

    def do_POST(self):
        self.connection.settimeout(READ_TIMEOUT)
        if self.path.split("?", 1)[0] != PATH:
            return self._answer(404, {"ok": False, "reason": "not_found", "error": "no such path"})
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return self._answer(
                411, {"ok": False, "reason": "length_required", "error": "send a Content-Length"}
            )
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read
            exc = SignalRefused(
                "too_large", f"the signal is {length} bytes; at most {MAX_BODY} are accepted"
            )
            log.warning("farm signal refused (%s): %s", exc.reason, exc)
            return self._refused(exc)
        raw = self.rfile.read(int(length))
        try:
            result = self.receiver.receive(raw)
        except SignalRefused as exc:
            return self._refused(exc)
        except Exception:
            log.exception("farm signal: unexpected error")
            return self._answer(
                500, {"ok": False, "reason": "error", "error": "the queue failed; see its log"}
            )
        return self._answer(200, result)

    def do_GET(self):
        self._answer(
            405, {"ok": False, "reason": "method", "error": f"POST a signal to {PATH}"}, allow=True
        )

    do_PUT = do_DELETE = do_GET

    def _refused(self, exc: SignalRefused):
        self._answer(exc.http_status, {"ok": False, "reason": exc.reason, "error": str(exc)})

    def _answer(self, status: int, body: dict, allow: bool = False) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if allow:
            self.send_header("Allow", "POST")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        log.debug("%s %s", self.address_string(), format % args)


class SignalServer:
    """The endpoint, serving in a daemon thread until :meth:`close`.

    Args:
        receiver: a :class:`~pyblish_qml_queue.farm.signals.SignalReceiver`.
        host, port: where to listen; port 0 picks a free one (see :attr:`address`).

    Raises:
        OSError: the address is in use or not this machine's.
    """

    def __init__(self, receiver: SignalReceiver, host: str = "127.0.0.1", port: int = 8765):
        handler = type("SignalHandler", (_Handler,), {"receiver": receiver})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="signals"
        )
        self._thread.daemon = True
        self._thread.start()
        log.info("farm signals accepted at %s", self.url)

    @property
    def address(self) -> tuple:
        """``(host, port)`` it listens on."""
        return self._server.server_address[:2]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}{PATH}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5.0)


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
