"""Maya: ``maya.cmds`` in the host, ``mayapy`` for the worker.

The snapshot is ``cmds.file(path, exportAll=True, type=...)``: a copy of the
whole scene in the work file's format, so the artist's file name and unsaved
state stay as they were. The worker is the ``mayapy`` beside the Maya binary;
it starts ``maya.standalone`` and opens the snapshot with
``cmds.file(path, open=True, force=True)``. Calls from the app run on Maya's
main thread through ``maya.utils.executeInMainThreadWithResult``.

Standard library only here, Python 3.7 syntax; Maya's modules are imported
inside methods. Tested against a fake of ``maya.cmds`` (tests/dcc/), since
Maya cannot be installed on our test machines.
"""

import os
import sys

from pyblish_qml_queue.dcc.base import HostAdapter, SnapshotError, worker_module_command

TYPES = {".ma": "mayaAscii", ".mb": "mayaBinary"}


def _cmds():
    from maya import cmds

    return cmds


class MayaAdapter(HostAdapter):
    name = "maya"
    label = "Maya"
    extension = ".ma"

    def detect(self):
        return "maya.cmds" in sys.modules

    def version(self):
        return str(_cmds().about(version=True))

    def current_file(self):
        return _cmds().file(query=True, sceneName=True) or None

    def save_snapshot(self, folder):
        cmds = _cmds()
        scene = cmds.file(query=True, sceneName=True) or "untitled.ma"
        base, ext = os.path.splitext(os.path.basename(scene))
        ext = ext.lower() if ext.lower() in TYPES else self.extension
        path = os.path.join(folder, base + ext).replace("\\", "/")
        try:
            cmds.file(path, exportAll=True, type=TYPES[ext], force=True, preserveReferences=True)
        except RuntimeError as exc:
            raise SnapshotError("Maya could not export %s: %s" % (path, exc))
        if not os.path.isfile(path):
            raise SnapshotError("Maya did not write %s" % path)
        return path

    def member_name(self, member):
        if isinstance(member, str):
            return member
        if hasattr(member, "fullPathName") and callable(member.fullPathName):  # an MDagPath
            return str(member.fullPathName())
        if hasattr(member, "longName") and callable(member.longName):  # a PyNode
            return str(member.longName())
        return HostAdapter.member_name(self, member)

    def worker_command(self):
        return worker_module_command(mayapy())

    def dispatch_wrapper(self):
        if _cmds().about(batch=True):
            return None
        from maya import utils

        return utils.executeInMainThreadWithResult

    def open_snapshot(self, path):
        if not os.path.isfile(path):
            raise SnapshotError("the snapshot %s does not exist" % path)
        cmds = _cmds()
        if not hasattr(cmds, "file"):  # mayapy before maya.standalone.initialize()
            import maya.standalone

            maya.standalone.initialize(name="python")
            cmds = _cmds()
        try:
            cmds.file(path, open=True, force=True)
        except RuntimeError as exc:
            raise SnapshotError("Maya could not open %s: %s" % (path, exc))

    def missing_members(self, members):
        cmds = _cmds()
        return [m for m in members if isinstance(m, str) and not cmds.objExists(m)]


def mayapy():
    """The ``mayapy`` of this Maya: beside the running binary, else in $MAYA_LOCATION/bin."""
    name = "mayapy.exe" if sys.platform == "win32" else "mayapy"
    if os.path.basename(sys.executable).lower().startswith("mayapy"):
        return sys.executable
    folders = [os.path.dirname(sys.executable)]
    if os.environ.get("MAYA_LOCATION"):  # unset: not "bin" relative to the working folder
        folders.append(os.path.join(os.environ["MAYA_LOCATION"], "bin"))
    for folder in folders:
        candidate = os.path.join(folder, name)
        if folder and os.path.isfile(candidate):
            return candidate
    return name  # found on PATH, or the executor says it cannot start it
