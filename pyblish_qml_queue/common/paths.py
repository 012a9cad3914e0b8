"""Where pyblish-qml-queue keeps its files.

Runs inside DCCs: standard library only (platformdirs is used when present,
so host and app agree on the folder), Python 3.7 syntax.
"""

import os
import sys

APP_NAME = "pyblish-qml-queue"
HOME_ENV = "PYBLISH_QML_QUEUE_HOME"


def _platform_data_dir():
    try:
        import platformdirs
    except ImportError:
        platformdirs = None
    if platformdirs is not None:
        return platformdirs.user_data_dir(APP_NAME, appauthor=False)
    # The same folders platformdirs picks, for DCCs that do not ship it.
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, APP_NAME)
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Application Support/" + APP_NAME)
    base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
    return os.path.join(base, APP_NAME)


def home():
    """The folder holding the store, the spool and the runtime files.

    ``PYBLISH_QML_QUEUE_HOME`` overrides the platform's user data dir.
    """
    return os.path.abspath(os.environ.get(HOME_ENV) or _platform_data_dir())


def store_path():
    """The SQLite store: ``<home>/jobs.db``."""
    return os.path.join(home(), "jobs.db")


def spool_dir():
    """Jobs handed off while no app or ``serve`` runs wait here as JSON files."""
    return os.path.join(home(), "spool")
