"""The interpreter the app last ran with, recorded in the home folder.

``pyblish-qml-queue app`` records its own ``sys.executable`` once its Qt
binding imported, so a DCC whose Python cannot run the app (Python 3.7, no
PySide6) starts the app with that one when nothing else is configured.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import json
import os
import sys
import time

from pyblish_qml_queue.common import paths, spool

FILE_NAME = "app-python.json"


def record_file():
    """``<home>/app-python.json``."""
    return os.path.join(paths.home(), FILE_NAME)


def record(python=None):
    """Write ``{"python", "version", "recorded"}`` for this (the app's) interpreter.
    Never raises: the app starts even when its home cannot be written."""
    path = record_file()
    data = {
        "python": python or sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "recorded": time.time(),
    }
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        spool.write_atomic(path, json.dumps(data).encode("utf-8"))
    except OSError:
        pass


def recorded():
    """The recorded interpreter's path when it still exists, else None."""
    try:
        with open(record_file()) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    python = data.get("python") if isinstance(data, dict) else None
    if isinstance(python, str) and os.path.isfile(python):
        return python
    return None
