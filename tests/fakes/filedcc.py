"""A tiny DCC for the end-to-end tests, and its host adapter.

The "scene" is a list of node names held in this module (one per process, like
a real DCC's), saved to and opened from a JSON file. :class:`FileDccAdapter` is
the studio adapter a host registers with ``pyblish_qml_queue.register_host``:
its snapshot is the in-memory scene written to the snapshot folder (the scene as
validated, unsaved edits included, the artist's file untouched), and the worker
opens it back into this module. Standard library only, Python 3.7 syntax.
"""

import json
import os

from pyblish_qml_queue.dcc import HostAdapter, SnapshotError

_scene = {"path": None, "nodes": [], "modified": False}


# -- the DCC ---------------------------------------------------------------


def new(path, nodes):
    """Start a scene called ``path`` holding ``nodes`` and save it there."""
    _scene.update(path=os.path.abspath(path), nodes=list(nodes), modified=True)
    save()


def open_file(path):
    """Open the scene file at ``path`` (raises IOError/ValueError as json does)."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise ValueError(f"{path} is not a filedcc scene")
    _scene.update(path=os.path.abspath(path), nodes=list(data["nodes"]), modified=False)


def save(path=None):
    """Save the scene to its file (or to ``path``, which it then is called)."""
    if path is not None:
        _scene["path"] = os.path.abspath(path)
    _write(_scene["path"])
    _scene["modified"] = False


def _write(path):
    with open(path, "w") as f:
        json.dump({"nodes": _scene["nodes"]}, f)


def nodes():
    return list(_scene["nodes"])


def rename(old, new_name):
    _scene["nodes"] = [new_name if n == old else n for n in _scene["nodes"]]
    _scene["modified"] = True


def delete(name):
    _scene["nodes"].remove(name)
    _scene["modified"] = True


def scene_path():
    return _scene["path"]


def modified():
    return _scene["modified"]


# -- its host adapter --------------------------------------------------------


class FileDccAdapter(HostAdapter):
    name = "filedcc"
    label = "FileDCC"
    extension = ".json"

    def detect(self):
        return _scene["path"] is not None

    def version(self):
        return "1.0"

    def current_file(self):
        return _scene["path"]

    def save_snapshot(self, folder):
        base = os.path.basename(_scene["path"] or "untitled.json")
        path = os.path.join(folder, base)
        try:
            _write(path)  # the scene as it is now; the artist's file and state untouched
        except OSError as exc:
            raise SnapshotError(f"could not write {path}: {exc}")
        return path

    def open_snapshot(self, path):
        try:
            open_file(path)
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"FileDCC could not open {path}: {exc}")

    def missing_members(self, members):
        have = set(_scene["nodes"])
        return [m for m in members if isinstance(m, str) and m not in have]
