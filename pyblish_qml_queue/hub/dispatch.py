"""The app's side of the host link: which handler answers which request (no Qt).

The schema, the frame format and the peer live in :mod:`pyblish_qml_queue.common.wire`
(the host needs them too and must not import the core). This module adds the
app's dispatcher: an explicit table from allow-listed method names to handlers,
so nothing a peer sends can name code to run.
See docs/protocol.md.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from pyblish_qml_queue.common.wire.schema import (
    APP_METHODS,
    EVENTS,
    FAILED,
    INTERNAL,
    UNKNOWN_METHOD,
    ProtocolError,
    RemoteError,
    encode,
    parse_frame,
    response,
)

__all__ = ["Dispatcher", "handle_frame"]

log = logging.getLogger(__name__)


class Dispatcher:
    """Calls the handler registered for an allow-listed method.

    Args:
        handlers: method name -> ``handler(params) -> result``. Names must be in
            ``methods``; there is no lookup by attribute or dotted name.
        methods: the schema the params were checked against.
    """

    def __init__(self, handlers: dict, methods: Optional[dict] = None):
        self.methods = APP_METHODS if methods is None else methods
        unknown = set(handlers) - set(self.methods) - set(EVENTS)
        if unknown:
            raise ValueError(f"handlers for methods outside the schema: {sorted(unknown)}")
        self._handlers = dict(handlers)

    def __call__(self, method: str, params: dict) -> Any:
        handler: Optional[Callable] = self._handlers.get(method)
        if handler is None:
            raise ProtocolError(UNKNOWN_METHOD, f"method {method!r} is not served here")
        return handler(params)


def handle_frame(data: bytes, dispatcher: Dispatcher) -> Optional[bytes]:
    """Answer one frame synchronously (what a peer does, without a socket).

    Returns the encoded reply, or None for events and responses. Never raises
    for anything in ``data``.
    """
    try:
        kind, msg, params = parse_frame(data, dispatcher.methods)
    except ProtocolError as error:
        if error.msg_id is None and error.code == UNKNOWN_METHOD:
            return None
        return encode(response(error.msg_id, error=error.to_error()))
    if kind != "request":
        return None
    try:
        reply = response(msg["id"], dispatcher(msg["method"], params))
        return encode(reply)
    except (ProtocolError, RemoteError) as error:
        code = getattr(error, "code", FAILED)
        return encode(response(msg["id"], error={"code": code, "message": str(error)}))
    except Exception as error:
        log.exception("%s failed", msg["method"])
        return encode(response(msg["id"], error={"code": INTERNAL, "message": str(error)}))
