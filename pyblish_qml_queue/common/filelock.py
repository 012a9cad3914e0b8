"""An OS lock on a file, held by one process at a time and dropped when it dies.

``flock`` on POSIX, ``msvcrt.locking`` of the first byte on Windows. Used for the
app's listening lock (one hub per user) and the executor's home lock (one
executor per home). Standard library only, Python 3.7 syntax.
"""

import sys


def try_lock(path):
    """Open ``path`` (created) and lock it; the open file, or None when another
    process holds the lock. Closing the file (or :func:`unlock`) releases it."""
    f = open(path, "a+")
    try:
        if sys.platform == "win32":
            import msvcrt

            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def unlock(f):
    """Release a lock :func:`try_lock` took (no error if ``f`` is None or closed)."""
    if f is None or f.closed:
        return
    try:
        if sys.platform == "win32":
            import msvcrt

            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass
    finally:
        f.close()
