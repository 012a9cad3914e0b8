"""Blender: the ``blender`` binary, or ``bpy`` imported as a Python module.

The snapshot is ``bpy.ops.wm.save_as_mainfile(filepath=..., copy=True)``: a
copy, so the artist's file name and unsaved state stay as they were. The
worker is Blender's own binary in background mode with factory settings
(``blender -b --factory-startup --python-expr ...``), or, when bpy runs as a
Python module (the ``bpy`` wheel), that Python itself; it opens the snapshot
with ``bpy.ops.wm.open_mainfile``. Calls from the app run on Blender's main
thread through ``bpy.app.timers`` when Blender has a user interface.

Standard library only here, Python 3.7 syntax; bpy is imported inside methods.
"""

import os
import sys
import threading

from pyblish_qml_queue.dcc.base import HostAdapter, SnapshotError, worker_module_command

#: What the Blender binary runs: the worker, then Blender's exit code is the worker's.
WORKER_EXPR = (
    "import sys; from pyblish_qml_queue.worker import main; "
    "code = main(); sys.stdout.flush(); sys.exit(code)"
)


def _bpy():
    import bpy

    return bpy


def _as_module(bpy):
    """True when bpy was imported into a Python that is not Blender's binary."""
    binary = getattr(bpy.app, "binary_path", "") or ""
    if not binary:
        return True
    name = os.path.basename(binary).lower()
    return not name.startswith("blender")


class BlenderAdapter(HostAdapter):
    name = "blender"
    label = "Blender"
    extension = ".blend"

    def detect(self):
        return "bpy" in sys.modules

    def version(self):
        bpy = _bpy()
        return ".".join(str(n) for n in bpy.app.version)

    def current_file(self):
        return _bpy().data.filepath or None

    def save_snapshot(self, folder):
        bpy = _bpy()
        base = os.path.splitext(os.path.basename(bpy.data.filepath or "untitled"))[0]
        path = os.path.join(folder, base + self.extension)
        try:
            result = bpy.ops.wm.save_as_mainfile(
                filepath=path, copy=True, check_existing=False, compress=False
            )
        except RuntimeError as exc:
            raise SnapshotError("Blender could not save %s: %s" % (path, exc))
        if "FINISHED" not in result or not os.path.isfile(path):
            raise SnapshotError("Blender did not save %s (%s)" % (path, ", ".join(result)))
        return path

    def member_name(self, member):
        name = getattr(member, "name", None)
        if isinstance(name, str) and hasattr(member, "bl_rna"):
            return name  # a bpy ID (object, collection): its name
        return HostAdapter.member_name(self, member)

    def worker_command(self):
        bpy = _bpy()
        if _as_module(bpy):
            return worker_module_command(sys.executable)
        return [bpy.app.binary_path, "-b", "--factory-startup", "--python-expr", WORKER_EXPR]

    def dispatch_wrapper(self):
        bpy = _bpy()
        if bpy.app.background:
            return None  # no event loop runs timers: the link's own queue or a direct call
        return _timer_wrapper

    def open_snapshot(self, path):
        bpy = _bpy()
        if not os.path.isfile(path):
            raise SnapshotError("the snapshot %s does not exist" % path)
        try:
            result = bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
        except RuntimeError as exc:
            raise SnapshotError("Blender could not open %s: %s" % (path, str(exc).strip()))
        if "FINISHED" not in result:
            raise SnapshotError("Blender did not open %s (%s)" % (path, ", ".join(result)))

    def missing_members(self, members):
        data = _bpy().data
        known = set(data.objects.keys()) | set(data.collections.keys())
        return [m for m in members if isinstance(m, str) and m not in known]


def _timer_wrapper(func):
    """Run ``func()`` from a ``bpy.app.timers`` callback and wait for it."""
    bpy = _bpy()
    done = threading.Event()

    def call():
        try:
            func()
        finally:
            done.set()
        return None  # run once

    bpy.app.timers.register(call, first_interval=0.0)
    done.wait()
