"""What the demo does once its hosts are connected: drive them through the hub like an artist.

Qt-free: it uses only the :class:`~pyblish_qml_queue.hub.hub.Hub` API, on its own thread.

- maya: validate (fails on naming), run the repair action, reset and validate again (passes), then
  *Publish in background*: the job appears in the Queue and the host is free at once.
- houdini: repair, then publish in the session, so its card shows live extraction progress.
- nuke: validate only, and leave the failure on screen for the user to repair.
- python: repair, validate and hand off, like ``maya``.
"""

import logging
import os
import subprocess
import sys
import threading
import time

from pyblish_qml_queue.common.states import HOST_BUSY

log = logging.getLogger(__name__)

BUSY = HOST_BUSY
SCENARIOS = {
    "maya": ("validate", "repair", "reset", "validate", "handoff"),
    "houdini": ("repair", "validate", "publish"),
    "nuke": ("validate",),
    "python": ("repair", "validate", "handoff"),
}


def start_hosts(names, env=None, log_dir=None):
    """Start one demo host process per name; returns the processes.

    With ``log_dir``, each host's own output (its pyblish log, tracebacks of failing
    validators) goes to ``<log_dir>/<name>.log`` instead of this terminal.
    """
    processes = []
    for name in names:
        output = None
        if log_dir:
            os.makedirs(log_dir, exist_ok=True)
            output = open(os.path.join(log_dir, name + ".log"), "a")
        try:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "pyblish_qml_queue.demo.host",
                        "--host",
                        name,
                        "--parent",
                        str(os.getpid()),
                    ],
                    env=dict(os.environ, **(env or {})),
                    stdout=output,
                    stderr=subprocess.STDOUT if output else None,
                )
            )
        finally:
            if output is not None:
                output.close()  # the child has its own copy
    return processes


def stop_hosts(processes, timeout=5.0):
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.time() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            process.kill()


class DemoScript:
    """Drives each connected demo host through its scenario, one thread per host."""

    def __init__(self, hub, names, timeout=120.0, pause=1.5):
        self.hub = hub
        self.names = list(names)
        self.timeout = timeout
        self.pause = pause  # seconds between actions, so a person can follow them
        self.done = {}
        self._threads = []
        self._stop = threading.Event()

    def start(self):
        thread = threading.Thread(target=self._run, name="demo-script", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self):
        self._stop.set()

    def _run(self):
        seen = set()
        deadline = time.time() + self.timeout
        while not self._stop.is_set() and len(seen) < len(self.names) and time.time() < deadline:
            for host in self.hub.hosts():
                app = host["application"]
                if host["connected"] and app in self.names and app not in seen:
                    seen.add(app)
                    thread = threading.Thread(
                        target=self._drive, args=(host["id"], app), name="demo-" + app, daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
            self._stop.wait(0.2)
        if len(seen) < len(self.names):
            log.warning(
                "demo hosts that never connected: %s", ", ".join(sorted(set(self.names) - seen))
            )

    def _drive(self, host_id, app):
        try:
            self._wait_idle(host_id)
            for action in SCENARIOS.get(app, ()):
                if self._stop.wait(self.pause):
                    return
                self._act(host_id, action)
                self._wait_idle(host_id)
            self.done[app] = self.hub.host(host_id)["state"]
        except Exception:
            log.exception("the demo script for %s stopped", app)

    def _act(self, host_id, action):
        log.info("demo: %s on %s", action, host_id)
        if action == "repair":
            plugin = next(
                p for p in self.hub.items(host_id)["plugins"] if p["name"] == "ValidateDemoNaming"
            )
            action = next(a for a in plugin["actions"] if a["label"] == "Repair naming")
            self.hub.act(host_id, plugin["id"], action["id"])
        elif action == "handoff":
            self.hub.handoff(host_id, title=self._title(host_id))
        else:
            getattr(self.hub, action)(host_id)

    def _title(self, host_id):
        host = self.hub.host(host_id)
        scene = os.path.basename(host.get("scene") or "") or host["application"]
        return scene.split("_v")[0] + " publish"

    def _wait_idle(self, host_id, timeout=300.0):
        deadline = time.time() + timeout
        time.sleep(0.3)  # let the hub mark the host busy first
        while time.time() < deadline and not self._stop.is_set():
            if self.hub.host(host_id)["state"] not in BUSY:
                return
            time.sleep(0.1)
