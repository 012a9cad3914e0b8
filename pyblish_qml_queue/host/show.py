"""``show()``: the drop-in for ``pyblish_qml.show()``.

Connects this host to the running app (or starts one, detached, and connects
once it listens), registers it and asks the app to show its page. Returns at
once: the caller's (the DCC's main) thread only starts a thread, which starts
the app if need be and connects; the page appears as soon as the app listens
(with the app running, within milliseconds of the call). When the app it started exits
before it listens, the host logs one line saying why and what to set.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging
import os
import shlex
import subprocess
import sys
import threading
import time

from pyblish_qml_queue.common import interpreter, wire
from pyblish_qml_queue.host import link as link_module

log = logging.getLogger(__name__)

COMMAND_ENV = "PYBLISH_QML_QUEUE_APP_COMMAND"
PYTHON_ENV = "PYBLISH_QML_QUEUE_PYTHON"
#: pyblish-qml's own setting (os.pathsep-separated; the first that exists), a fallback.
QML_PYTHON_ENV = "PYBLISH_QML_PYTHON_EXECUTABLE"
#: Seconds a started app gets to write its runtime file before we start another.
START_GRACE = 60.0

_state = {"started": 0.0, "process": None, "failure": None}
_lock = threading.Lock()


def show(
    parent=None,
    targets=None,
    modal=None,
    foster=None,
    auto_publish=False,
    auto_validate=False,
    start=True,
):
    """Show this host in the pyblish-qml-queue app, starting the app if needed.

    The signature is ``pyblish_qml.show()``'s, plus ``start``.

    Args:
        parent: accepted and ignored (as in pyblish-qml, where it is deprecated):
            the app is its own window, shared by every host, never a child of a
            DCC window.
        targets (list): pyblish targets for this host's publishes (None or
            empty: "default" plus the registered ones).
        modal (bool): accepted and ignored (also ``PYBLISH_QML_MODAL``): the app
            never blocks the DCC; ``show()`` always returns at once.
        foster: accepted and ignored (deprecated in pyblish-qml).
        auto_publish (bool): the app publishes this host as soon as it is shown
            (after a reset when the host published or validated before).
        auto_validate (bool): the app validates this host as soon as it is
            shown. ``auto_publish`` wins when both are given.
        start (bool): start the app when none runs (False: wait for one to start).

    Returns:
        Link: this process's link to the app (connected, or connecting in the
        background).
    """
    from pyblish_qml_queue.host.service import Service

    if isinstance(parent, (list, tuple)) and all(isinstance(t, str) for t in parent):
        # show(["local"]): this package's show(targets, start) before 0.2.
        log.warning("show(targets) is show(parent, targets) now, as in pyblish-qml: pass targets=")
        if isinstance(targets, bool):
            start, targets = targets, None
        if targets is None:
            targets = list(parent)
        parent = None
    targets = list(targets) if targets else None
    with _lock:
        link = link_module.current()
        if link is None:
            link = link_module.Link(Service(targets=targets))
            link_module._current[0] = link
        elif targets is not None and targets != (link.service.targets or []):
            link.service.targets = targets
    if auto_publish:
        link.auto = "publish"
    elif auto_validate:
        link.auto = "validate"
    link.want_show = True
    if link.connected:
        threading.Thread(target=link.show, name="pyblish-qml-queue-show", daemon=True).start()
        return link
    threading.Thread(
        target=_start_and_connect, args=(link, start), name="pyblish-qml-queue-start", daemon=True
    ).start()
    return link


def _start_and_connect(link, start):
    """Off the caller's thread: start the app when none runs, then keep the link
    up (it registers and asks for the page as soon as the app listens)."""
    if start and wire.read_runtime() is None:
        start_app()
    link.start()


def python_executable():
    """The interpreter that runs the app, the first of: the one registered with
    ``pyblish_qml.api.register_python_executable``, PYBLISH_QML_QUEUE_PYTHON,
    pyblish-qml's PYBLISH_QML_PYTHON_EXECUTABLE (the first that exists), the
    one the app last ran with (recorded in the home folder), this one."""
    return _python_and_source()[0]


def _python_and_source():
    qml = sys.modules.get("pyblish_qml")
    state = getattr(qml, "_state", None)
    registered = state.get("pythonExecutable") if isinstance(state, dict) else None
    if registered:
        return registered, "pyblish_qml.api.register_python_executable"
    if os.environ.get(PYTHON_ENV):
        return os.environ[PYTHON_ENV], PYTHON_ENV
    for candidate in os.environ.get(QML_PYTHON_ENV, "").split(os.pathsep):
        if candidate and os.path.isfile(candidate):
            return candidate, QML_PYTHON_ENV
    recorded = interpreter.recorded()
    if recorded:
        return recorded, "the interpreter the app last ran with (%s)" % interpreter.record_file()
    return sys.executable, "this process's interpreter"


def app_command():
    """``[python, "-m", "pyblish_qml_queue", "app"]``, or PYBLISH_QML_QUEUE_APP_COMMAND."""
    override = os.environ.get(COMMAND_ENV, "").strip()
    if override:
        return shlex.split(override, posix=sys.platform != "win32")
    return [python_executable(), "-m", "pyblish_qml_queue", "app"]


def start_app():
    """Start the app detached, unless this process started one that is still
    coming up. Returns the Popen, or None."""
    with _lock:
        process = _state["process"]
        if process is not None and process.poll() is None:
            if time.time() - _state["started"] < START_GRACE:
                return process
        command = app_command()
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)  # a DCC's PYTHONHOME breaks another interpreter
        folder = wire.runtime_dir()
        try:
            os.makedirs(folder, mode=0o700)
        except OSError:
            pass
        log_path = os.path.join(folder, "app-start.log")
        kwargs = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED | NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        log.info("starting the app: %s", " ".join(command))
        try:
            offset = os.path.getsize(log_path)
        except OSError:
            offset = 0
        try:
            with open(log_path, "ab") as output:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=env,
                    close_fds=True,
                    **kwargs,
                )
        except OSError as error:
            _report_start_failure(command, None, str(error), log_path)
            return None
        _state["process"] = process
        _state["started"] = time.time()
        _state["failure"] = None
        watcher = threading.Thread(
            target=_watch_start,
            args=(process, command, log_path, offset),
            name="pyblish-qml-queue-app-watch",
        )
        watcher.daemon = True
        watcher.start()
        return process


def start_failure():
    """The line logged when the app this process started could not start, or None."""
    return _state["failure"]


def _watch_start(process, command, log_path, offset):
    """Reap the started app; when it ended and no app listens, say why in one line."""
    code = process.wait()
    if wire.read_runtime() is not None:
        return  # it runs (or handed over to one that runs)
    _report_start_failure(command, code, _last_line(log_path, offset), log_path)


def _report_start_failure(command, code, reason, log_path):
    if os.environ.get(COMMAND_ENV, "").strip():
        origin, what = COMMAND_ENV, "fix %s" % COMMAND_ENV
    else:
        origin = _python_and_source()[1]
        what = "set %s to a Python 3.9+ with pyblish-qml-queue and PySide6 installed" % PYTHON_ENV
    line = "the app could not start: %s (%s) %s: %s; %s (see docs/install.md)" % (
        command[0],
        origin,
        "failed" if code is None else "exited with %s" % code,
        reason or "no output (see %s)" % log_path,
        what,
    )
    _state["failure"] = line
    log.error("%s", line)


def _last_line(path, offset):
    """The last non-empty line written to ``path`` after ``offset``, on one line."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read()[-8192:].decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
