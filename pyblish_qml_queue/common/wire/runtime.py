"""Where the app is: its runtime file and authkey, whether a pid lives, connecting.

The app writes the runtime file (JSON {address, family, pid, protocol,
started}) and the authkey (hex, user-only) into :func:`runtime_dir`; a host
or the CLI reads them to connect. Standard library only, Python 3.7 syntax.
"""

import json
import os
import sys
import tempfile
import time

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.common.wire.schema import is_int

__all__ = [
    "authkey_file",
    "connect",
    "pid_alive",
    "read_authkey",
    "read_runtime",
    "runtime_dir",
    "runtime_file",
]


def runtime_dir():
    """The folder holding the runtime file and the authkey (created 0700).

    ``<home>/run`` when PYBLISH_QML_QUEUE_HOME is set, else the platform's user
    runtime dir (as platformdirs names it).
    """
    if os.environ.get(paths.HOME_ENV):
        return os.path.join(paths.home(), "run")
    try:
        import platformdirs
    except ImportError:
        platformdirs = None
    # Without XDG_RUNTIME_DIR platformdirs prints a raw RuntimeDirWarning (its source line
    # too) and falls back as we do below.
    unset = sys.platform not in ("win32", "darwin") and not os.environ.get("XDG_RUNTIME_DIR")
    if platformdirs is not None and not unset:
        return platformdirs.user_runtime_dir(paths.APP_NAME, appauthor=False)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "Temp", paths.APP_NAME)
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/TemporaryItems/" + paths.APP_NAME)
    base = os.environ.get("XDG_RUNTIME_DIR", "").strip() or "/run/user/%d" % os.getuid()
    if not os.path.isdir(base):
        base = os.path.join(tempfile.gettempdir(), "runtime-%d" % os.getuid())
    return os.path.join(base, paths.APP_NAME)


def runtime_file():
    """The app's runtime file: JSON {address, family, pid, protocol, started}."""
    return os.path.join(runtime_dir(), "app.json")


def authkey_file():
    """The authkey (hex), readable by the user only."""
    return os.path.join(runtime_dir(), "authkey")


def read_runtime():
    """The running app's runtime file as a dict, or None if there is none or
    its pid is dead (a stale file)."""
    try:
        with open(runtime_file(), "r") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("address"), str):
        return None
    if not pid_alive(info.get("pid")):
        return None
    return info


def read_authkey():
    """The authkey bytes, or None when no app ever created one."""
    try:
        with open(authkey_file(), "rb") as f:
            key = f.read().strip()
    except OSError:
        return None
    return key or None


def pid_alive(pid):
    """Whether a process with this pid runs (one we may not signal counts as running)."""
    if not is_int(pid) or pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def connect(timeout=2.0):
    """Connect and authenticate to the running app.

    Returns:
        multiprocessing.connection.Connection, or None when no app runs.

    Raises:
        multiprocessing.AuthenticationError: the authkey does not match.
    """
    from multiprocessing.connection import Client

    info = read_runtime()
    key = read_authkey()
    if info is None or key is None:
        return None
    family = info.get("family") or ("AF_PIPE" if sys.platform == "win32" else "AF_UNIX")
    deadline = time.time() + timeout
    while True:
        try:
            return Client(info["address"], family=family, authkey=key)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except OSError:
            if time.time() > deadline:
                return None
            time.sleep(0.05)
