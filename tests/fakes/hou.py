"""A faithful fake of SideFX Houdini's ``hou`` module, for the adapter tests.

Only what pyblish_qml_queue.dcc.houdini calls, with the signatures and
semantics of the HOM reference (``hou.hipFile``, ``hou.node``,
``hou.isUIAvailable``, ``hou.applicationVersionString``, ``hou.getenv`` /
``putenv`` / ``unsetenv``, ``hou.OperationFailed``, ``hou.LoadWarning``):

- ``hipFile.saveAsBackup() -> str`` saves the session to a *new* file in
  ``$HOUDINI_BACKUP_DIR`` (else a ``backup`` folder beside the scene file), named
  ``<name>_bak<N>.hip`` with N increasing, returns its absolute path, and leaves the
  session's name and unsaved state alone.
- ``hipFile.load(file_name, suppress_save_prompt=False, ignore_load_warnings=False)``
  raises ``OperationFailed`` if the file cannot be read, ``LoadWarning`` (after
  loading) if it loads with warnings unless ``ignore_load_warnings``; in a graphical
  session with unsaved changes it would prompt: the fake raises instead, so a caller
  must pass ``suppress_save_prompt=True``.
- ``hipFile.hasUnsavedChanges()`` is always True in hython (no UI), as documented.

The scene is a set of node paths written to and read from real files (a
``FAKEHIP`` header, one ``node <path>`` line each; a ``warning <text>`` line
makes loading warn). Every call is appended to :data:`calls`.
"""

import os

calls = []

_state = {
    "ui": False,
    "path": os.path.join(os.getcwd(), "untitled.hip").replace("\\", "/"),
    "new": True,
    "unsaved": False,
    "nodes": ["/obj", "/out", "/stage", "/mat"],
    "env": dict(os.environ),
}


class Error(Exception):
    pass


class OperationFailed(Error):
    pass


class LoadWarning(Error):
    pass


class Node:
    def __init__(self, path):
        self._path = path

    def path(self):
        return self._path

    def name(self):
        return self._path.rsplit("/", 1)[-1]

    def createNode(self, node_type_name, node_name=None):
        calls.append(("Node.createNode", (self._path, node_type_name), {"node_name": node_name}))
        path = "{}/{}".format(self._path.rstrip("/"), node_name or node_type_name + "1")
        _state["nodes"].append(path)
        _state["unsaved"] = True
        return Node(path)

    def destroy(self):
        calls.append(("Node.destroy", (self._path,), {}))
        _state["nodes"] = [
            n for n in _state["nodes"] if n != self._path and not n.startswith(self._path + "/")
        ]
        _state["unsaved"] = True

    def setName(self, name):
        calls.append(("Node.setName", (self._path, name), {}))
        new = self._path.rsplit("/", 1)[0] + "/" + name
        _state["nodes"] = [
            new + n[len(self._path) :] if n == self._path or n.startswith(self._path + "/") else n
            for n in _state["nodes"]
        ]
        self._path = new
        _state["unsaved"] = True

    def __repr__(self):
        return f"<hou.Node {self._path}>"


def node(path):
    """The node at ``path``, or None when there is none."""
    calls.append(("node", (path,), {}))
    if not isinstance(path, str):
        raise TypeError("node() argument 1 must be str")
    return Node(path) if path in _state["nodes"] else None


def isUIAvailable():
    calls.append(("isUIAvailable", (), {}))
    return _state["ui"]


def applicationVersionString():
    calls.append(("applicationVersionString", (), {}))
    return "20.5.487"


def getenv(name, default_value=None):
    calls.append(("getenv", (name,), {"default_value": default_value}))
    return _state["env"].get(name, default_value)


def putenv(name, value):
    calls.append(("putenv", (name, value), {}))
    _state["env"][name] = value


def unsetenv(name):
    calls.append(("unsetenv", (name,), {}))
    _state["env"].pop(name, None)


def _write(path):
    folder = os.path.dirname(path)
    try:
        if not os.path.isdir(folder):
            os.makedirs(folder)
        with open(path, "w") as f:
            f.write("FAKEHIP 20.5.487\n")
            for n in _state["nodes"]:
                f.write(f"node {n}\n")
    except OSError as exc:
        raise OperationFailed(f"Failed to save {path}: {exc}")


class _HipFile:
    """``hou.hipFile`` (a module in Houdini; its functions here)."""

    def path(self):
        calls.append(("hipFile.path", (), {}))
        return _state["path"]

    def basename(self):
        calls.append(("hipFile.basename", (), {}))
        return os.path.basename(_state["path"])

    def name(self):
        calls.append(("hipFile.name", (), {}))
        return os.path.relpath(_state["path"]).replace("\\", "/")

    def isNewFile(self):
        calls.append(("hipFile.isNewFile", (), {}))
        if not _state["ui"]:
            return os.path.basename(_state["path"]) == "untitled.hip"
        return _state["new"]

    def hasUnsavedChanges(self):
        calls.append(("hipFile.hasUnsavedChanges", (), {}))
        return _state["unsaved"] if _state["ui"] else True

    def setName(self, file_name):
        calls.append(("hipFile.setName", (file_name,), {}))
        _state["path"] = os.path.abspath(file_name).replace("\\", "/")

    def save(self, file_name=None, save_to_recent_files=True):
        calls.append(
            (
                "hipFile.save",
                (),
                {"file_name": file_name, "save_to_recent_files": save_to_recent_files},
            )
        )
        if file_name is not None:
            _state["path"] = os.path.abspath(file_name).replace("\\", "/")
        _write(_state["path"])
        _state.update(new=False, unsaved=False)

    def saveAsBackup(self):
        calls.append(("hipFile.saveAsBackup", (), {}))
        folder = _state["env"].get("HOUDINI_BACKUP_DIR") or os.path.join(
            os.path.dirname(_state["path"]), "backup"
        )
        stem = os.path.splitext(os.path.basename(_state["path"]))[0]
        number = 1
        while os.path.exists(os.path.join(folder, f"{stem}_bak{number}.hip")):
            number += 1
        backup = os.path.abspath(os.path.join(folder, f"{stem}_bak{number}.hip"))
        _write(backup)
        return backup.replace("\\", "/")

    def clear(self, suppress_save_prompt=False):
        calls.append(("hipFile.clear", (), {"suppress_save_prompt": suppress_save_prompt}))
        _state.update(
            path=os.path.join(os.getcwd(), "untitled.hip").replace("\\", "/"),
            new=True,
            unsaved=False,
            nodes=["/obj", "/out", "/stage", "/mat"],
        )

    def load(self, file_name, suppress_save_prompt=False, ignore_load_warnings=False):
        calls.append(
            (
                "hipFile.load",
                (file_name,),
                {
                    "suppress_save_prompt": suppress_save_prompt,
                    "ignore_load_warnings": ignore_load_warnings,
                },
            )
        )
        if _state["ui"] and _state["unsaved"] and not suppress_save_prompt:
            raise OperationFailed("the fake cannot answer Houdini's save prompt")
        try:
            with open(file_name) as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise OperationFailed(f"Unable to open file: {file_name} ({exc})")
        if not lines or not lines[0].startswith("FAKEHIP"):
            raise OperationFailed(f"Unable to load {file_name}: not a hip file")
        _state["nodes"] = [line[5:] for line in lines if line.startswith("node ")]
        _state.update(path=os.path.abspath(file_name).replace("\\", "/"), new=False, unsaved=False)
        warnings = [line[8:] for line in lines if line.startswith("warning ")]
        if warnings and not ignore_load_warnings:
            raise LoadWarning("\n".join(warnings))


hipFile = _HipFile()
