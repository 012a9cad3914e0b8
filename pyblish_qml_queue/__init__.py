"""pyblish-qml-queue: multi-host Pyblish publishing with a durable background queue.

The public facade, safe to import inside a DCC: it loads only the host side
(standard library and pyblish-base; no Qt, no SQLite), and that only when a name is
first used, so that the app and the CLI start without it.

    import pyblish_qml_queue
    job_id = pyblish_qml_queue.submit()  # collect, validate, hand off the rest
"""

import importlib

__version__ = "0.1.0"

#: Each public name and the module it comes from. Imported on first use (PEP 562): the app
#: and the CLI import this package without loading pyblish and the host side; a DCC's
#: ``pyblish_qml_queue.show()`` loads them at its first call.
_EXPORTS = {
    "NotInWorker": "pyblish_qml_queue.common.farmwait",
    "expect_signal": "pyblish_qml_queue.common.farmwait",
    "HostAdapter": "pyblish_qml_queue.dcc",
    "SnapshotError": "pyblish_qml_queue.dcc",
    "register_host": "pyblish_qml_queue.dcc",
    "NotJsonSafe": "pyblish_qml_queue.host.job",
    "deregister_dispatch_wrapper": "pyblish_qml_queue.host.link",
    "register_dispatch_wrapper": "pyblish_qml_queue.host.link",
    "show": "pyblish_qml_queue.host.show",
    "HandOffRefused": "pyblish_qml_queue.host.submit",
    "ValidationFailed": "pyblish_qml_queue.host.submit",
    "submit": "pyblish_qml_queue.host.submit",
}


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups find it without coming here
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


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
