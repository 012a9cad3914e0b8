"""The wire between a host and the app: messages, frames, runtime files, a peer.

Everything both sides need lives here, so the host (standard library only,
Python 3.7 syntax) and the app's core (``protocol``, ``transport``, ``hub``)
speak exactly the same protocol. See docs/protocol.md.

A message is one JSON object in one frame (``send_bytes``/``recv_bytes`` of
``multiprocessing.connection``; never pickle)::

    {"protocol": 1, "kind": "request",  "id": 7, "method": "process", "params": {...}}
    {"protocol": 1, "kind": "response", "id": 7, "result": ...}
    {"protocol": 1, "kind": "response", "id": 7, "error": {"code": "...", "message": "..."}}
    {"protocol": 1, "kind": "event", "method": "heartbeat", "params": {}}

The peer that speaks it over one connection is :mod:`pyblish_qml_queue.host.peer`.
"""

import json
import logging
import os
import socket
import struct
import sys
import tempfile
import time

from . import paths

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
#: The largest frame either side accepts (bytes).
MAX_FRAME = 16 * 1024 * 1024
#: Seconds between heartbeats; a peer silent for HEARTBEAT_TIMEOUT is dropped.
HEARTBEAT = float(os.environ.get("PYBLISH_QML_QUEUE_HEARTBEAT", "2.0"))
HEARTBEAT_TIMEOUT = max(HEARTBEAT * 5, 1.0)

KINDS = ("request", "response", "event")

# Error codes carried in ``error.code``.
PARSE_ERROR = "parse_error"  # not JSON, or not an object
INVALID_MESSAGE = "invalid_message"  # a field of the envelope is wrong
UNSUPPORTED_VERSION = "unsupported_version"
UNKNOWN_METHOD = "unknown_method"
INVALID_PARAMS = "invalid_params"
TOO_LARGE = "too_large"
NOT_ALLOWED = "not_allowed"  # a known method this peer may not call (yet)
FAILED = "failed"  # the method ran and failed; the message says why
INTERNAL = "internal"  # a bug on the answering side; its log has the traceback
DISCONNECTED = "disconnected"
TIMEOUT = "timeout"

_ANY = object()
_NONE = type(None)
_NUMBER = (int, float)

# The schema: method -> {param: (accepted types, required)}. Every message is
# checked against it before anything runs; unknown params are refused.
# Requests the app sends to a host (pyblish-qml's vocabulary, plus toggle,
# handoff and progress).
HOST_METHODS = {
    "ping": {},
    "context": {},
    "discover": {},
    "reset": {},
    "process": {
        "plugin": ((str,), True),
        "instance": ((str, _NONE), False),
        "action": ((str, _NONE), False),
    },
    "repair": {"plugin": ((str,), True), "instance": ((str, _NONE), False)},
    "test": {"vars": ((dict,), True)},
    "emit": {"signal": ((str,), True), "kwargs": ((dict,), False)},
    "update": {"key": ((str,), True), "value": (_ANY, True)},
    "toggle": {"id": ((str,), True), "value": ((bool,), True)},
    "handoff": {"title": ((str, _NONE), False), "steps": ((list, _NONE), False)},
    "progress": {},
    "hide": {},
}
# Requests a host or the CLI sends to the app.
APP_METHODS = {
    "ping": {},
    "register": {"host": ((dict,), True)},
    "show": {"targets": ((list, _NONE), False)},
    "submit": {"job": ((dict,), True)},
    "hosts": {},
    "host": {"id": ((str,), True)},
    "raise": {},
    "drive": {
        "id": ((str,), True),
        "action": ((str,), True),
        "title": ((str, _NONE), False),
        "wait": ((bool,), False),
    },
}
# Events either side may send (no reply).
EVENTS = {"heartbeat": {}, "record": {"record": ((dict,), True)}}
#: Actions ``drive`` accepts.
DRIVE_ACTIONS = ("reset", "validate", "publish", "stop", "handoff")

#: Fields every host registers with.
HOST_FIELDS = {
    "id": (str,),
    "application": (str,),
    "version": (str,),
    "pid": (int,),
    "machine": (str,),
    "user": (str,),
    "scene": (str,),
    "targets": (list,),
    "python": (str,),
    "settings": (dict,),
}


class ProtocolError(Exception):
    """A message broke the protocol; ``code`` is one of the error codes above."""

    def __init__(self, code, message, msg_id=None):
        super(ProtocolError, self).__init__(message)
        self.code = code
        self.msg_id = msg_id

    def to_error(self):
        return {"code": self.code, "message": str(self)}


class RemoteError(Exception):
    """The other side answered a request with an error."""

    def __init__(self, code, message):
        super(RemoteError, self).__init__(message)
        self.code = code


class ConnectionLost(Exception):
    """The link went away while a request waited for its answer."""


# -- messages ------------------------------------------------------------------------------------


def request(msg_id, method, params=None):
    return {
        "protocol": PROTOCOL_VERSION,
        "kind": "request",
        "id": msg_id,
        "method": method,
        "params": params or {},
    }


def response(msg_id, result=None, error=None):
    msg = {"protocol": PROTOCOL_VERSION, "kind": "response", "id": msg_id}
    if error is not None:
        msg["error"] = error
    else:
        msg["result"] = result
    return msg


def event(method, params=None):
    return {"protocol": PROTOCOL_VERSION, "kind": "event", "method": method, "params": params or {}}


def encode(msg):
    """A message as JSON bytes. Raises ProtocolError(TOO_LARGE) above MAX_FRAME
    and ValueError for what JSON cannot hold."""
    data = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(data) > MAX_FRAME:
        raise ProtocolError(TOO_LARGE, "message of %d bytes exceeds %d" % (len(data), MAX_FRAME))
    return data


def decode(data):
    """JSON bytes as a message envelope, checked (not yet its params).

    Raises:
        ProtocolError: PARSE_ERROR, INVALID_MESSAGE or UNSUPPORTED_VERSION.
    """
    if len(data) > MAX_FRAME:
        raise ProtocolError(TOO_LARGE, "frame of %d bytes exceeds %d" % (len(data), MAX_FRAME))
    try:
        msg = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ProtocolError(PARSE_ERROR, "frame is not JSON: %s" % _short(error))
    if not isinstance(msg, dict):
        raise ProtocolError(PARSE_ERROR, "a message must be a JSON object")
    check_envelope(msg)
    return msg


def _refuse_constant(name):
    raise ValueError("%s is not JSON" % name)


def check_envelope(msg):
    """Check the fields every message has. Raises ProtocolError."""
    msg_id = msg.get("id")
    if not _is_int(msg_id) and msg_id is not None:
        raise ProtocolError(INVALID_MESSAGE, "id must be an integer or null")
    if not _is_int(msg.get("protocol")):
        raise ProtocolError(INVALID_MESSAGE, "protocol must be an integer", msg_id)
    if msg["protocol"] != PROTOCOL_VERSION:
        raise ProtocolError(
            UNSUPPORTED_VERSION,
            "protocol %r is not supported (this side speaks %d); update pyblish-qml-queue "
            "so host and app match" % (msg["protocol"], PROTOCOL_VERSION),
            msg_id,
        )
    kind = msg.get("kind")
    if kind not in KINDS:
        raise ProtocolError(INVALID_MESSAGE, "kind must be one of %s" % ", ".join(KINDS), msg_id)
    allowed = {"protocol", "kind", "id"}
    if kind == "response":
        has_result, has_error = "result" in msg, "error" in msg
        if not _is_int(msg_id) and not has_error:
            raise ProtocolError(INVALID_MESSAGE, "a response needs an integer id")
        if has_result == has_error:
            raise ProtocolError(INVALID_MESSAGE, "a response has either result or error", msg_id)
        if has_error:
            error = msg["error"]
            if (
                not isinstance(error, dict)
                or not isinstance(error.get("code"), str)
                or not isinstance(error.get("message"), str)
            ):
                raise ProtocolError(INVALID_MESSAGE, "error must be {code, message}", msg_id)
        allowed |= {"result", "error"}
    else:
        if kind == "request" and not _is_int(msg_id):
            raise ProtocolError(INVALID_MESSAGE, "a request needs an integer id")
        if not isinstance(msg.get("method"), str):
            raise ProtocolError(INVALID_MESSAGE, "method must be a string", msg_id)
        if not isinstance(msg.get("params", {}), dict):
            raise ProtocolError(INVALID_PARAMS, "params must be an object", msg_id)
        allowed |= {"method", "params"}
    extra = set(msg) - allowed
    if extra:
        raise ProtocolError(
            INVALID_MESSAGE, "unknown field(s): %s" % ", ".join(sorted(extra)), msg_id
        )


def check_params(msg, methods):
    """Check a request's or event's method and params against ``methods``.

    Returns:
        dict: the params.

    Raises:
        ProtocolError: UNKNOWN_METHOD or INVALID_PARAMS.
    """
    method, msg_id = msg["method"], msg.get("id")
    schema = methods.get(method) if isinstance(method, str) else None
    if schema is None:
        raise ProtocolError(UNKNOWN_METHOD, "unknown method %r" % _short(method), msg_id)
    params = msg.get("params") or {}
    for name in params:
        if name not in schema:
            raise ProtocolError(
                INVALID_PARAMS, "%s got an unknown param %r" % (method, _short(name)), msg_id
            )
    for name, (kinds, required) in schema.items():
        if name not in params:
            if required:
                raise ProtocolError(INVALID_PARAMS, "%s needs param %r" % (method, name), msg_id)
            continue
        if kinds is not _ANY and not _is_a(params[name], kinds):
            raise ProtocolError(
                INVALID_PARAMS,
                "%s: %s must be %s, got %s"
                % (method, name, "/".join(_kind_name(k) for k in kinds), _json_type(params[name])),
                msg_id,
            )
    return params


def check_host(info):
    """Check a host's registration fields. Raises ProtocolError(INVALID_PARAMS)."""
    for name, kinds in HOST_FIELDS.items():
        if name in info and not _is_a(info[name], kinds):
            raise ProtocolError(INVALID_PARAMS, "host.%s must be %s" % (name, _kind_name(kinds[0])))
    host_id = info.get("id")
    if not host_id or len(host_id) > 128:
        raise ProtocolError(INVALID_PARAMS, "host.id must be 1-128 characters")
    return info


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_a(value, kinds):
    for kind in kinds:
        if kind is int and _is_int(value):
            return True
        if kind is float and isinstance(value, _NUMBER) and not isinstance(value, bool):
            return True
        if kind not in (int, float) and isinstance(value, kind):
            return True
    return False


def _kind_name(kind):
    return {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        dict: "object",
        list: "array",
        _NONE: "null",
    }.get(kind, getattr(kind, "__name__", "?"))


def _json_type(value):
    if value is None:
        return "null"
    for kind in (bool, str, dict, list, int, float):
        if isinstance(value, kind):
            return _kind_name(kind)
    return type(value).__name__


def _short(value, limit=80):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def parse_frame(data, methods, events=None):
    """Decode and check one frame against the methods (requests) and events
    this side accepts.

    Returns:
        tuple: ``(kind, message, params)``; params is None for a response.

    Raises:
        ProtocolError: with the code and the message id (when known) to answer.
    """
    msg = decode(data)
    kind = msg["kind"]
    if kind == "response":
        return kind, msg, None
    table = methods if kind == "request" else (EVENTS if events is None else events)
    return kind, msg, check_params(msg, table)


# -- frames --------------------------------------------------------------------------------------


class FrameTooLarge(ProtocolError):
    def __init__(self, size):
        super(FrameTooLarge, self).__init__(
            TOO_LARGE, "frame of %d bytes exceeds the %d byte limit" % (size, MAX_FRAME)
        )


def recv_frame(conn, cap=MAX_FRAME):
    """Receive one frame's bytes. An oversized frame is read and dropped and
    raises FrameTooLarge, so the stream stays in step and the caller can reply.

    Raises:
        EOFError / OSError: the connection is gone.
    """
    recv = getattr(conn, "_recv", None)
    if recv is None:  # Windows pipe: message mode, an oversized frame ends the link
        return conn.recv_bytes(cap)
    size = struct.unpack("!i", recv(4).getvalue())[0]
    if size == -1:
        size = struct.unpack("!Q", recv(8).getvalue())[0]
    if size < 0:
        raise OSError("bad frame length")
    if size > cap:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            recv(chunk)
            remaining -= chunk
        raise FrameTooLarge(size)
    return recv(size).getvalue() if size else b""


def shutdown(conn):
    """Close a connection and wake a thread blocked reading it."""
    try:
        fd = conn.fileno()
    except (OSError, ValueError):
        return
    if sys.platform != "win32":
        try:
            sock = socket.socket(fileno=os.dup(fd))
            try:
                sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.close()
        except OSError:
            pass
    try:
        conn.close()
    except OSError:
        pass


# -- where the app is ----------------------------------------------------------------------------


def runtime_dir():
    """The folder holding the runtime file and the authkey (created 0700).

    ``<home>/run`` when PYBLISH_QML_QUEUE_HOME is set, else the platform's user
    runtime dir (as platformdirs names it).
    """
    if os.environ.get(paths.HOME_ENV):
        return os.path.join(paths.home(), "run")
    try:
        import platformdirs
    except ImportError:
        platformdirs = None
    if platformdirs is not None:
        return platformdirs.user_runtime_dir(paths.APP_NAME, appauthor=False)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "Temp", paths.APP_NAME)
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/TemporaryItems/" + paths.APP_NAME)
    base = os.environ.get("XDG_RUNTIME_DIR", "").strip() or "/run/user/%d" % os.getuid()
    if not os.path.isdir(base):
        base = os.path.join(tempfile.gettempdir(), "runtime-%d" % os.getuid())
    return os.path.join(base, paths.APP_NAME)


def runtime_file():
    """The app's runtime file: JSON {address, family, pid, protocol, started}."""
    return os.path.join(runtime_dir(), "app.json")


def authkey_file():
    """The authkey (hex), readable by the user only."""
    return os.path.join(runtime_dir(), "authkey")


def read_runtime():
    """The running app's runtime file as a dict, or None if there is none or
    its pid is dead (a stale file)."""
    try:
        with open(runtime_file(), "r") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("address"), str):
        return None
    if not pid_alive(info.get("pid")):
        return None
    return info


def read_authkey():
    """The authkey bytes, or None when no app ever created one."""
    try:
        with open(authkey_file(), "rb") as f:
            key = f.read().strip()
    except OSError:
        return None
    return key or None


def pid_alive(pid):
    if not _is_int(pid) or pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def connect(timeout=2.0):
    """Connect and authenticate to the running app.

    Returns:
        multiprocessing.connection.Connection, or None when no app runs.

    Raises:
        multiprocessing.AuthenticationError: the authkey does not match.
    """
    from multiprocessing.connection import Client

    info = read_runtime()
    key = read_authkey()
    if info is None or key is None:
        return None
    family = info.get("family") or ("AF_PIPE" if sys.platform == "win32" else "AF_UNIX")
    deadline = time.time() + timeout
    while True:
        try:
            return Client(info["address"], family=family, authkey=key)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except OSError:
            if time.time() > deadline:
                return None
            time.sleep(0.05)
