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


# -- private modes -----------------------------------------------------------------
#
# The home holds every job's farm-signal secret (jobs.db) and the host's
# environment: only its user may read it. Folders are made 0700 and files 0600 as
# they are created; private_home() repairs an existing home at start. POSIX only:
# on Windows the user's profile folders are private already and chmod cannot
# express ACLs, so these do nothing there.

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_POSIX = os.name == "posix"


def make_private_dir(path):
    """Create ``path`` and any missing parent, each 0700 (POSIX). An existing
    folder is left as it is. Returns ``path``."""
    if os.path.isdir(path):
        return path
    parent = os.path.dirname(os.path.abspath(path))
    if parent and parent != path and not os.path.isdir(parent):
        make_private_dir(parent)
    try:
        os.mkdir(path, PRIVATE_DIR)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return path
    if _POSIX:
        os.chmod(path, PRIVATE_DIR)  # whatever the umask
    return path


def make_private_file(path):
    """Create ``path`` empty with mode 0600 unless it exists (then left as it is).
    Returns True when it was created."""
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def private_home(log=None):
    """Make the home 0700 and what is in it (folders 0700, files 0600) when other
    users could read or enter it; say so once, in one log line, when files other
    users could read were among them (an empty folder is fixed quietly). Only
    entries owned by this user are changed; symbolic links are not followed.
    Does nothing on Windows or when the home does not exist yet.

    Returns:
        int: how many entries were changed.
    """
    root = home()
    if not _POSIX or not os.path.isdir(root):
        return 0
    uid = os.getuid()
    changed = 0
    exposed = 0  # files other users could read: worth telling about
    for folder, _dirs, files in os.walk(root):
        for name, mode in [(folder, PRIVATE_DIR)] + [
            (os.path.join(folder, f), PRIVATE_FILE) for f in files
        ]:
            try:
                st = os.lstat(name)
                if st.st_uid != uid or (st.st_mode & 0o077) == 0:
                    continue
                if os.path.islink(name):
                    continue
                # files keep their owner's bits (an executable stays one)
                os.chmod(name, mode if mode == PRIVATE_DIR else st.st_mode & 0o700)
                changed += 1
                exposed += mode == PRIVATE_FILE
            except OSError:
                continue
    if exposed:  # a new, still empty home folder made by someone else is fixed quietly
        import logging

        (log or logging.getLogger(__name__)).warning(
            "Made %s private: %d of its folders and files could be read by other users "
            "(folders are now 0700, files 0600).",
            root,
            changed,
        )
    return changed
