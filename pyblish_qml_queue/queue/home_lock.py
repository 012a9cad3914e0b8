"""One executor per home: a lock file beside the store, held while it runs jobs.

Two executors on one store would each think the other's jobs lost whenever one
stalls (SIGSTOP, a long lock), and run completed steps again. So the executor of
``serve`` or the app holds ``<home>/executor.lock`` (an OS lock, released when
the process dies, even by kill -9); a second one is told which process holds it.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

from pyblish_qml_queue.common import filelock

LOCK_NAME = "executor.lock"


class HomeTaken(RuntimeError):
    """Another executor runs this home's jobs."""

    def __init__(self, path: str, pid: Optional[int]):
        self.path = path
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{who} already runs the jobs of {os.path.dirname(path)}; stop it first, or give "
            "this one its own PYBLISH_QML_QUEUE_HOME"
        )


class HomeLock:
    """The lock of one home's executor; :meth:`release` (or process exit) frees it."""

    def __init__(self, store_path: str):
        self.path = os.path.join(os.path.dirname(os.path.abspath(store_path)), LOCK_NAME)
        self._file = None

    def take(self) -> HomeLock:
        """Take the lock. Raises :class:`HomeTaken` when another process holds it."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        f = filelock.try_lock(self.path)
        if f is None:
            try:
                with open(self.path) as held:
                    text = held.read().strip()
            except OSError:
                text = ""
            raise HomeTaken(self.path, int(text) if text.isdigit() else None)
        if sys.platform != "win32":
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
        self._file = f
        return self

    def release(self) -> None:
        f, self._file = self._file, None
        filelock.unlock(f)
