"""The app's side of the host link: which handler answers which request (no Qt).

The schema, the frame format and the peer live in :mod:`pyblish_qml_queue.common.wire`
(the host needs them too and must not import the core). This module adds the
app's dispatcher: an explicit table from allow-listed method names to handlers,
so nothing a peer sends can name code to run. How a frame is answered (for a
test without a socket too) is :func:`pyblish_qml_queue.common.wire.peer.answer_frame`.
See docs/protocol.md.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from pyblish_qml_queue.common.wire.schema import (
    APP_METHODS,
    EVENTS,
    UNKNOWN_METHOD,
    ProtocolError,
)

__all__ = ["Dispatcher"]

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
