"""What a host adapter is: the small interface every DCC implements.

An adapter knows, for one DCC, how to tell that it is running, what the
application is called, which scene is open, how to save a **snapshot** (a copy
of the scene exactly as validated, leaving the artist's file and unsaved state
alone), which command runs the job's worker (``mayapy``, ``hython``,
``nuke -t``, Blender), how the worker **opens** the snapshot, and how to run a
call on the DCC's main thread.

Runs inside DCCs and their batch interpreters: standard library only, Python
3.7 syntax; the DCC's own module is imported only inside the methods.
"""

import os
import platform
import sys


class SnapshotError(Exception):
    """The scene snapshot could not be saved or opened; the message says why."""


def worker_module_command(python):
    """``[python, "-m", "pyblish_qml_queue.worker"]``: the worker under ``python``."""
    return [python, "-m", "pyblish_qml_queue.worker"]


def worker_script():
    """The worker's ``__main__.py``, for DCCs that run a script file (``nuke -t``)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(here, "worker", "__main__.py")


class HostAdapter(object):
    """The plain-Python host, and the base of every DCC's adapter.

    Subclasses override what differs; :func:`pyblish_qml_queue.register_host`
    adds one. Every method may be called from the host (``detect`` to
    ``save_snapshot``, ``dispatch_wrapper``) or from the worker
    (``open_snapshot``, ``missing_members``); none may assume the other side.

    Attributes:
        name: short id stored with the job ("maya"); the worker finds the
            adapter again by it (and by its class's import path).
        label: the application's name for people ("Maya").
        extension: the snapshot file's extension (".ma"), "" for no scene.
    """

    name = "python"
    label = "Python"
    extension = ""

    # -- in the host -------------------------------------------------------

    def detect(self):
        """True when this process is this DCC."""
        return True

    def version(self):
        """The application's version for people ("2025", "4.5.15"), not Python's."""
        return platform.python_version()

    def current_file(self):
        """The artist's scene file, or None (unsaved, or no scene at all)."""
        return None

    def save_snapshot(self, folder):
        """Save a copy of the scene as it is now into ``folder``; return its path.

        Must not rename the artist's file, change its dirty state or the
        scene. Runs on the DCC's main thread. Return None when this host has no
        scene (plain Python): the job then runs without one.

        Raises:
            SnapshotError: the copy could not be written (the message says why).
        """
        return None

    def member_name(self, member):
        """A JSON-safe name for one of an instance's members (a node, a path).

        Strings, numbers, booleans and None pass unchanged; anything else is
        refused (raise TypeError), the way non-JSON instance data is refused.
        """
        if member is None or isinstance(member, (str, bool, int, float)):
            return member
        raise TypeError("a %s cannot travel with the job" % type(member).__name__)

    def worker_command(self):
        """The command that runs this host's jobs, ending with what runs the
        worker (e.g. ``[".../mayapy", "-m", "pyblish_qml_queue.worker"]``), or
        None for the executor's own Python."""
        return None

    def dispatch_wrapper(self):
        """``wrapper(func)`` running ``func()`` on the DCC's main thread and
        returning when it is done, or None where a direct call is right."""
        return None

    # -- in the worker ------------------------------------------------------

    def open_snapshot(self, path):
        """Open the snapshot saved by :meth:`save_snapshot` (in the worker).

        Raises:
            SnapshotError: it cannot be opened (the message says why).
        """
        raise SnapshotError("%s jobs carry no scene to open" % self.label)

    def missing_members(self, members):
        """Those of ``members`` (names) that the open scene does not hold;
        [] where the host cannot tell."""
        return []


def locator(adapter):
    """``"module:Class"`` of ``adapter``: how a worker imports it again."""
    cls = type(adapter)
    return "%s:%s" % (cls.__module__, cls.__name__)


def python_version():
    return sys.version.split()[0]
