"""Nuke: ``nuke`` in the host, ``nuke -t`` for the worker.

The snapshot is ``nuke.scriptSaveToTemp(path)`` where Nuke has it (a copy,
the script's name and modified state untouched), else ``nuke.scriptSave(path)``
with the root's name and modified state put back. The worker is the Nuke
binary in terminal mode (``nuke -t <worker script>``; it takes a render
licence); it opens the snapshot with ``nuke.scriptOpen``. Calls from the app
run on Nuke's main thread through ``nuke.executeInMainThreadWithResult``.

Standard library only here, Python 3.7 syntax; ``nuke`` is imported inside
methods. Tested against a fake of ``nuke`` (tests/dcc/), since Nuke cannot be
installed on our test machines.
"""

import os
import sys

from pyblish_qml_queue.dcc.base import HostAdapter, SnapshotError, worker_script


def _nuke():
    import nuke

    return nuke


class NukeAdapter(HostAdapter):
    name = "nuke"
    label = "Nuke"
    extension = ".nk"

    def detect(self):
        return "nuke" in sys.modules

    def version(self):
        return str(_nuke().NUKE_VERSION_STRING)

    def current_file(self):
        name = _nuke().root().name()
        return None if name in ("", "Root") else name

    def save_snapshot(self, folder):
        nuke = _nuke()
        current = self.current_file() or "untitled.nk"
        path = os.path.join(folder, os.path.basename(current)).replace("\\", "/")
        root = nuke.root()
        try:
            if hasattr(nuke, "scriptSaveToTemp"):
                nuke.scriptSaveToTemp(path)
            else:
                modified = root.modified()
                name = root["name"].value()
                try:
                    nuke.scriptSave(path)
                finally:
                    root["name"].setValue(name)
                    root.setModified(modified)
        except RuntimeError as exc:
            raise SnapshotError("Nuke could not save %s: %s" % (path, exc))
        if not os.path.isfile(path):
            raise SnapshotError("Nuke did not write %s" % path)
        return path

    def member_name(self, member):
        if isinstance(member, str):
            return member
        if hasattr(member, "fullName") and callable(member.fullName):  # a nuke.Node
            return str(member.fullName())
        return HostAdapter.member_name(self, member)

    def worker_command(self):
        # nuke.EXE_PATH is the running Nuke binary; sys.executable only where it is absent.
        binary = getattr(_nuke(), "EXE_PATH", None) or sys.executable
        return [binary, "-t", worker_script()]

    def dispatch_wrapper(self):
        nuke = _nuke()
        if not nuke.GUI:
            return None
        return nuke.executeInMainThreadWithResult

    def open_snapshot(self, path):
        if not os.path.isfile(path):
            raise SnapshotError("the snapshot %s does not exist" % path)
        try:
            _nuke().scriptOpen(path)
        except RuntimeError as exc:
            raise SnapshotError("Nuke could not open %s: %s" % (path, exc))

    def missing_members(self, members):
        nuke = _nuke()
        return [m for m in members if isinstance(m, str) and nuke.toNode(m) is None]
