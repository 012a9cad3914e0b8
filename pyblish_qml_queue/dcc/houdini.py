"""Houdini: ``hou`` in the host, ``hython`` for the worker.

The snapshot is ``hou.hipFile.saveAsBackup()`` with ``$HOUDINI_BACKUP_DIR``
pointed at the snapshot folder for the call, renamed after the work file:
Houdini writes a copy without renaming the session or clearing its unsaved
state. The worker is ``$HFS/bin/hython`` running the worker's script; it opens
the snapshot with ``hou.hipFile.load(path, suppress_save_prompt=True,
ignore_load_warnings=True)``. Calls from the app run on Houdini's main thread
through ``hdefereval.executeInMainThreadWithResult``.

Standard library only here, Python 3.7 syntax; ``hou`` is imported inside
methods. Tested against a fake of ``hou`` (tests/dcc/), since Houdini cannot
be installed on our test machines.
"""

import os
import shutil
import sys

from pyblish_qml_queue.dcc.base import HostAdapter, SnapshotError, worker_script

#: Where ``hou.hipFile.saveAsBackup()`` writes its copy.
BACKUP_DIR_VAR = "HOUDINI_BACKUP_DIR"


def _hou():
    import hou

    return hou


class HoudiniAdapter(HostAdapter):
    name = "houdini"
    label = "Houdini"
    extension = ".hip"

    def detect(self):
        return "hou" in sys.modules

    def version(self):
        return str(_hou().applicationVersionString())

    def current_file(self):
        hou = _hou()
        if hou.hipFile.isNewFile():
            return None
        return hou.hipFile.path()

    def save_snapshot(self, folder):
        hou = _hou()
        # saveAsBackup() writes <name>_bak<N>.hip into $HOUDINI_BACKUP_DIR, else a
        # "backup" folder beside the artist's file: point it at the snapshot folder
        # for the call, so nothing lands beside the work file and the copy is not
        # moved across disks afterwards.
        previous = hou.getenv(BACKUP_DIR_VAR)
        hou.putenv(BACKUP_DIR_VAR, folder)
        try:
            backup = hou.hipFile.saveAsBackup()
        except hou.OperationFailed as exc:
            raise SnapshotError("Houdini could not save a backup copy: %s" % exc)
        finally:
            if previous is None:
                hou.unsetenv(BACKUP_DIR_VAR)
            else:
                hou.putenv(BACKUP_DIR_VAR, previous)
        if not backup or not os.path.isfile(backup):
            raise SnapshotError("Houdini did not write its backup copy (%r)" % backup)
        path = os.path.join(folder, os.path.basename(hou.hipFile.basename() or "untitled.hip"))
        shutil.move(backup, path)
        return path.replace("\\", "/")

    def member_name(self, member):
        if isinstance(member, str):
            return member
        if hasattr(member, "path") and callable(member.path):  # a hou.Node
            return str(member.path())
        return HostAdapter.member_name(self, member)

    def worker_command(self):
        return [hython(), worker_script()]

    def dispatch_wrapper(self):
        if not _hou().isUIAvailable():
            return None
        import hdefereval

        return hdefereval.executeInMainThreadWithResult

    def open_snapshot(self, path):
        if not os.path.isfile(path):
            raise SnapshotError("the snapshot %s does not exist" % path)
        hou = _hou()
        try:
            hou.hipFile.load(path, suppress_save_prompt=True, ignore_load_warnings=True)
        except hou.OperationFailed as exc:
            raise SnapshotError("Houdini could not open %s: %s" % (path, exc))

    def missing_members(self, members):
        hou = _hou()
        return [m for m in members if isinstance(m, str) and hou.node(m) is None]


def hython():
    """``hython`` of this Houdini: in $HFS/bin, else beside the running binary."""
    name = "hython.exe" if sys.platform == "win32" else "hython"
    folders = [os.path.dirname(sys.executable)]
    if os.environ.get("HFS"):  # unset: not "bin" relative to the working folder
        folders.insert(0, os.path.join(os.environ["HFS"], "bin"))
    for folder in folders:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return name
