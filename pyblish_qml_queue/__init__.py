"""pyblish-qml-queue: multi-host Pyblish publishing with a durable background queue.

The public facade, safe to import inside a DCC: it loads only the host side
(standard library and pyblish-base; no Qt, no SQLite).

    import pyblish_qml_queue
    job_id = pyblish_qml_queue.submit()  # collect, validate, hand off the rest
"""

from pyblish_qml_queue.common.farmwait import NotInWorker, expect_signal
from pyblish_qml_queue.dcc import HostAdapter, SnapshotError, register_host
from pyblish_qml_queue.host.job import NotJsonSafe
from pyblish_qml_queue.host.link import deregister_dispatch_wrapper, register_dispatch_wrapper
from pyblish_qml_queue.host.show import show
from pyblish_qml_queue.host.submit import HandOffRefused, ValidationFailed, submit

__version__ = "0.1.0"

__all__ = [
    "HandOffRefused",
    "HostAdapter",
    "NotInWorker",
    "NotJsonSafe",
    "SnapshotError",
    "ValidationFailed",
    "__version__",
    "deregister_dispatch_wrapper",
    "expect_signal",
    "register_dispatch_wrapper",
    "register_host",
    "show",
    "submit",
]
