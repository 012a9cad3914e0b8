"""``show(targets=None)``: the drop-in for ``pyblish_qml.show()``.

Connects this host to the running app (or starts one, detached, and connects
once it listens), registers it and asks the app to show its page. Returns at
once: within 0.5 s when the app runs already, and never waits for a starting
app on the caller's (the DCC's main) thread.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging
import os
import shlex
import subprocess
import sys
import threading
import time

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.host import link as link_module

log = logging.getLogger(__name__)

COMMAND_ENV = "PYBLISH_QML_QUEUE_APP_COMMAND"
PYTHON_ENV = "PYBLISH_QML_QUEUE_PYTHON"
#: Seconds show() waits for a running app to take the registration.
SHOW_WAIT = 0.4
#: Seconds a started app gets to write its runtime file before we start another.
START_GRACE = 60.0

_state = {"started": 0.0, "process": None}
_lock = threading.Lock()


def show(targets=None, start=True):
    """Show this host in the pyblish-qml-queue app, starting the app if needed.

    Args:
        targets (list): pyblish targets for this host's publishes (None:
            "default" plus the registered ones).
        start (bool): start the app when none runs (False: wait for one to start).

    Returns:
        Link: this process's link to the app (connected, or connecting in the
        background).
    """
    from pyblish_qml_queue.host.service import Service

    with _lock:
        link = link_module.current()
        if link is None:
            link = link_module.Link(Service(targets=targets))
            link_module._current[0] = link
        elif targets is not None and list(targets) != (link.service.targets or []):
            link.service.targets = list(targets)
    link.want_show = True
    if link.connected:
        threading.Thread(target=link.show, name="pyblish-qml-queue-show", daemon=True).start()
        return link
    if start and wire.read_runtime() is None:
        start_app()
    link.start()
    link.wait_connected(SHOW_WAIT)
    return link


def python_executable():
    """The interpreter that runs the app: the one registered with
    ``pyblish_qml.api.register_python_executable``, else PYBLISH_QML_QUEUE_PYTHON,
    else this one."""
    qml_host = sys.modules.get("pyblish_qml.host")
    if qml_host is not None:
        registered = getattr(qml_host, "registered_python_executable", lambda: None)()
        if registered:
            return registered
    return os.environ.get(PYTHON_ENV) or sys.executable


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
        _state["process"] = process
        _state["started"] = time.time()
        reaper = threading.Thread(target=process.wait, name="pyblish-qml-queue-reaper")
        reaper.daemon = True
        reaper.start()
        return process
