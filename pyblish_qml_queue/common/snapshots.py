"""Where scene snapshots live, and removing them when their job is done with them.

``<home>/snapshots/<job id>/`` by default; a studio folder that farm nodes can
read is set with ``PYBLISH_QML_QUEUE_SNAPSHOTS`` or ``"snapshots"`` in
``<home>/settings.json``. The host saves snapshots
(:mod:`pyblish_qml_queue.host.snapshot`); the queue deletes them when their job
succeeds or is removed, and keeps them while it can be retried.

Standard library only, Python 3.7 syntax.
"""

import json
import os
import shutil

from pyblish_qml_queue.common import paths

FOLDER_ENV = "PYBLISH_QML_QUEUE_SNAPSHOTS"


def root():
    """``(folder, shared)``: where snapshots go, and whether a studio setting chose it."""
    folder = os.environ.get(FOLDER_ENV, "").strip()
    if not folder:
        try:
            with open(os.path.join(paths.home(), "settings.json")) as f:
                value = json.load(f).get("snapshots")
            folder = value.strip() if isinstance(value, str) else ""
        except (OSError, ValueError, AttributeError):
            folder = ""
    if folder:
        return os.path.abspath(os.path.expanduser(folder)), True
    return os.path.join(paths.home(), "snapshots"), False


def describe(payload):
    """``{"path", "size", "exists"}`` of a job's snapshot (size as saved), or None."""
    info = payload.get("snapshot") if isinstance(payload, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("path"), str):
        return None
    return {
        "path": info["path"],
        "size": info.get("size"),
        "exists": os.path.isfile(info["path"]),
        "shared": bool(info.get("shared")),
    }


def human_size(size):
    """``"12.3 MB"``."""
    if not isinstance(size, (int, float)):
        return "? bytes"
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return ("%d %s" % (size, unit)) if unit == "bytes" else ("%.1f %s" % (size, unit))
        size /= 1000.0
    return "%d bytes" % size


def discard(payload):
    """Delete the snapshot folder of a job that no longer needs it (no error if gone)."""
    info = payload.get("snapshot") if isinstance(payload, dict) else None
    path = info.get("path") if isinstance(info, dict) else None
    if not isinstance(path, str) or not path:
        return
    folder = os.path.dirname(path)
    if os.path.basename(folder) == payload.get("id"):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        try:
            os.remove(path)
        except OSError:
            pass
