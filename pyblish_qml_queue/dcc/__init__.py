"""Host adapters: what differs between DCCs, behind one small interface.

One module per DCC (:mod:`.maya`, :mod:`.houdini`, :mod:`.nuke`,
:mod:`.blender`) and the plain-Python default (:mod:`.python`), each a
:class:`~.base.HostAdapter`. :func:`register_host` adds a studio's own (Katana,
3ds Max, Unreal); the built-in ones are registered the same way. The host asks
:func:`current` which adapter runs it; a job names its adapter (name and
import path) and the worker finds it again with :func:`for_job`.

This package runs in DCCs and in their batch interpreters (the worker), so it
sits beside ``common/``: standard library only, Python 3.7 syntax, each DCC's
module imported only inside the adapter's methods.
"""

import importlib
import logging

from pyblish_qml_queue.dcc.base import HostAdapter, SnapshotError, locator
from pyblish_qml_queue.dcc.blender import BlenderAdapter
from pyblish_qml_queue.dcc.houdini import HoudiniAdapter
from pyblish_qml_queue.dcc.maya import MayaAdapter
from pyblish_qml_queue.dcc.nuke import NukeAdapter
from pyblish_qml_queue.dcc.python import PythonAdapter

__all__ = [
    "HostAdapter",
    "locator",
    "SnapshotError",
    "current",
    "deregister_host",
    "for_job",
    "register_host",
    "registered_hosts",
]

log = logging.getLogger(__name__)

#: The methods an adapter must have (a studio's may be any object with them).
INTERFACE = (
    "detect",
    "version",
    "current_file",
    "save_snapshot",
    "member_name",
    "worker_command",
    "dispatch_wrapper",
    "open_snapshot",
    "missing_members",
)

_registered = []  # newest first: a studio's adapter wins over a built-in one
_fallback = PythonAdapter()


def register_host(adapter):
    """Add a host adapter (an instance, or a class taking no arguments).

    The newest registered adapter whose ``detect()`` is true runs the host;
    registering one with the name of a registered adapter replaces it. A
    worker imports the adapter's class again by its module and name, so define
    it in an importable module, not in ``__main__``.

    Raises:
        TypeError: ``adapter`` lacks ``name`` or a method of the interface.
    """
    if isinstance(adapter, type):
        adapter = adapter()
    name = getattr(adapter, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError("a host adapter needs a non-empty 'name' string")
    missing = [m for m in INTERFACE if not callable(getattr(adapter, m, None))]
    if missing:
        raise TypeError(
            "host adapter %r lacks %s; subclass pyblish_qml_queue.dcc.HostAdapter"
            % (name, ", ".join(missing))
        )
    deregister_host(name)
    _registered.insert(0, adapter)
    return adapter


def deregister_host(name):
    """Remove the adapter called ``name`` (no error when there is none)."""
    _registered[:] = [a for a in _registered if a.name != name]


def registered_hosts():
    """The registered adapters, newest first."""
    return list(_registered)


def current():
    """The adapter of this process: the newest registered one that detects
    itself, else the plain-Python adapter."""
    for adapter in _registered:
        try:
            if adapter.detect():
                return adapter
        except Exception:
            log.warning("host adapter %r failed to detect itself", adapter.name, exc_info=True)
    return _fallback


def for_job(name, where=None):
    """The adapter a job was made by, in the worker: the registered one called
    ``name``, else the class at ``where`` ("module:Class") imported again.

    Raises:
        SnapshotError: no such adapter here (the message says what to install).
    """
    for adapter in _registered:
        if adapter.name == name:
            return adapter
    if name == _fallback.name:
        return _fallback
    if where and ":" in where:
        module, _, attr = where.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
            return register_host(cls)
        except Exception as exc:
            raise SnapshotError(
                "the job's host adapter %r (%s) cannot be imported here: %s" % (name, where, exc)
            )
    raise SnapshotError("no host adapter called %r is registered here" % name)


for _cls in (MayaAdapter, HoudiniAdapter, NukeAdapter, BlenderAdapter):
    register_host(_cls)
del _cls
