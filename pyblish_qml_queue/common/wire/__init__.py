"""The wire between a host and the app: messages, frames, runtime files.

Everything both sides need, so the host (standard library only, Python 3.7
syntax) and the app's core (``protocol``, ``transport``, ``hub``) speak exactly
the same protocol. This module gathers the three parts under one name:

- :mod:`~pyblish_qml_queue.common.wire.schema`: the messages, their schema and checks;
- :mod:`~pyblish_qml_queue.common.wire.frames`: one message per capped frame;
- :mod:`~pyblish_qml_queue.common.wire.runtime`: the runtime file, the authkey, connecting.

The peer that speaks it over one connection is :mod:`pyblish_qml_queue.common.wire.peer`.
See docs/protocol.md.
"""

from pyblish_qml_queue.common.wire import frames, runtime, schema
from pyblish_qml_queue.common.wire.frames import *  # noqa: F403 - the wire is the three parts under one name
from pyblish_qml_queue.common.wire.runtime import *  # noqa: F403
from pyblish_qml_queue.common.wire.schema import *  # noqa: F403

__all__ = frames.__all__ + runtime.__all__ + schema.__all__
