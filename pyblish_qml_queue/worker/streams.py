"""The worker's process plumbing: dying with the parent, the event stream, control lines.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import json
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)

#: Exit code when the event stream is closed: nobody is listening.
EXIT_BROKEN_PIPE = 3


def die_with_parent():
    """On Linux, ask the kernel to SIGKILL this process when its parent dies.

    Best effort. The signal follows the parent *thread* that started us, so
    the executor keeps that thread alive while we run.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) != 0:
            log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except Exception:
        log.debug("prctl(PR_SET_PDEATHSIG) is not available", exc_info=True)


class Events(object):
    """The event stream: one JSON object per line on the real stdout.

    A write to a closed pipe ends the process at once with exit code 3: nobody
    is listening, and nothing more we do would be recorded.
    """

    def __init__(self, fd):
        self._fd = fd
        self._lock = threading.Lock()

    def emit(self, event):
        data = (json.dumps(event, allow_nan=False, default=str) + "\n").encode("ascii")
        with self._lock:
            try:
                while data:
                    written = os.write(self._fd, data)
                    data = data[written:]
            except OSError:  # BrokenPipeError and friends: the parent is gone
                os._exit(EXIT_BROKEN_PIPE)


def take_stdout():
    """Keep the real stdout for events; point fd 1 and sys.stdout at stderr.

    Plugins that print (or write to fd 1 from C code or child processes) then
    cannot corrupt the event stream.

    Returns:
        Events: the stream on a duplicate of the real stdout.
    """
    try:
        sys.stdout.flush()
    except Exception:
        pass
    events_fd = os.dup(1)  # not inherited by the plugins' child processes
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return Events(events_fd)


class Lines(object):
    """Lines from a file descriptor, read unbuffered by us.

    os.read on the fd, rather than sys.stdin, so the control thread holds no
    lock of sys.stdin's buffer when the interpreter shuts down.
    """

    def __init__(self, fd):
        self._fd = fd
        self._buffer = b""

    def readline(self):
        """The next line without its newline, or None at EOF."""
        while b"\n" not in self._buffer:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                line, self._buffer = self._buffer, b""
                return line or None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line


class Control(object):
    """Control lines from the executor, read in a thread: stop between steps.

    ``{"control": "stop"}`` asks to stop before the next step; EOF on stdin
    means the parent is gone, which stops too. ``{"control": "ack", "index": n}``
    says step n's checkpoint is stored (see :meth:`wait_ack`).
    """

    def __init__(self, lines):
        self.stop = threading.Event()
        self._lines = lines
        self._acked = set()
        self._cond = threading.Condition()

    def wait_ack(self, index):
        """Wait until the executor says step ``index``'s checkpoint is stored.

        Returns:
            bool: True once acknowledged; False when a stop was asked or the
            executor went away first (the step must then not be followed by another).
        """
        with self._cond:
            while index not in self._acked and not self.stop.is_set():
                self._cond.wait(0.5)
            return index in self._acked

    def _set_stop(self):
        self.stop.set()
        with self._cond:
            self._cond.notify_all()

    def start(self):
        thread = threading.Thread(target=self._read, name="worker-control")
        thread.daemon = True
        thread.start()

    def _read(self):
        while True:
            line = self._lines.readline()
            if line is None:
                self._set_stop()
                return
            if not line.strip():
                continue
            try:
                message = json.loads(line.decode("utf-8"))
            except ValueError:
                log.warning("ignoring a control line that is not JSON: %r", line[:200])
                continue
            control = message.get("control") if isinstance(message, dict) else None
            if control == "stop":
                log.info("stop requested; stopping before the next step")
                self._set_stop()
            elif control == "ack" and isinstance(message.get("index"), int):
                with self._cond:
                    self._acked.add(message["index"])
                    self._cond.notify_all()
            else:
                log.warning("ignoring an unknown control line: %r", line[:200])
