"""The protocol's schema: message kinds, methods and their params, error codes, checks.

A message is one JSON object (never pickle)::

    {"protocol": 1, "kind": "request",  "id": 7, "method": "process", "params": {...}}
    {"protocol": 1, "kind": "response", "id": 7, "result": ...}
    {"protocol": 1, "kind": "response", "id": 7, "error": {"code": "...", "message": "..."}}
    {"protocol": 1, "kind": "event", "method": "heartbeat", "params": {}}

Every message is checked here before anything runs. Standard library only,
Python 3.7 syntax. See docs/protocol.md.
"""

import json
import logging
import os

log = logging.getLogger(__name__)

__all__ = [
    "APP_METHODS",
    "ConnectionLost",
    "DISCONNECTED",
    "DRIVE_ACTIONS",
    "EVENTS",
    "FAILED",
    "HEARTBEAT",
    "HEARTBEAT_TIMEOUT",
    "HOST_FIELDS",
    "HOST_METHODS",
    "INTERNAL",
    "INVALID_MESSAGE",
    "INVALID_PARAMS",
    "KINDS",
    "MAX_FRAME",
    "NOT_ALLOWED",
    "PARSE_ERROR",
    "PROTOCOL_VERSION",
    "ProtocolError",
    "RemoteError",
    "TIMEOUT",
    "TOO_LARGE",
    "UNKNOWN_HOST",
    "UNKNOWN_METHOD",
    "UNSUPPORTED_VERSION",
    "check_envelope",
    "check_host",
    "check_params",
    "decode",
    "encode",
    "event",
    "is_int",
    "parse_frame",
    "request",
    "response",
]

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
UNKNOWN_HOST = "unknown_host"  # no connected or remembered host has that id (or pid)
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
    # one of job (the payload) or spooled (a job id: a hand-off by reference, see handoff.py)
    "submit": {"job": ((dict,), False), "spooled": ((str,), False)},
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
EVENTS = {"heartbeat": {}}
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
    data = _ENCODER.encode(msg).encode("utf-8")
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
        msg = _DECODER.decode(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ProtocolError(PARSE_ERROR, "frame is not JSON: %s" % _short(error))
    if not isinstance(msg, dict):
        raise ProtocolError(PARSE_ERROR, "a message must be a JSON object")
    check_envelope(msg)
    return msg


def _refuse_constant(name):
    raise ValueError("%s is not JSON" % name)


# Made once: json.dumps and json.loads with options build a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def check_envelope(msg):
    """Check the fields every message has. Raises ProtocolError."""
    msg_id = msg.get("id")
    if not is_int(msg_id) and msg_id is not None:
        raise ProtocolError(INVALID_MESSAGE, "id must be an integer or null")
    if not is_int(msg.get("protocol")):
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
        if not is_int(msg_id) and not has_error:
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
        if kind == "request" and not is_int(msg_id):
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


def is_int(value):
    """An integer, and not a boolean (JSON's true is no id)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_a(value, kinds):
    for kind in kinds:
        if kind is int and is_int(value):
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
