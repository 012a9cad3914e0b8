"""The Qt side of ``pyblish-qml-queue demo``: the app, the demo hosts and the scripted tour."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QEvent, QTimer

from pyblish_qml_queue.common.states import JOB_ACTIVE, HostState, JobState
from pyblish_qml_queue.demo.script import DemoScript, start_hosts, stop_hosts
from pyblish_qml_queue.gui.app import (
    AppError,
    build_app,
    freeze_startup_objects,
    quit_on_signals,
    session_of,
    shut_down,
)

log = logging.getLogger(__name__)

#: Host states of a demo host that extracts or integrates in its session.
EXTRACTING = (HostState.EXTRACTING, HostState.INTEGRATING)


def run_demo(names, root, args) -> int:
    """Build the app, start the demo hosts and run until the user (or ``args``) quits.

    Raises:
        AppError: the window did not load.
        HubRunning: another app accepts hosts already.
    """
    app, engine, root_window = build_app(sys.argv[:1])
    quit_on_signals(app)
    hub = session_of(engine).hub
    if hub is None:
        shut_down(engine)
        raise AppError(
            "the app has no hub, so demo hosts cannot connect; run 'pyblish-qml-queue doctor'"
        )
    print(f"demo: {len(names)} hosts ({', '.join(names)}) publishing into {root}", flush=True)
    logs = os.path.join(root, "logs")
    processes = start_hosts(names, log_dir=logs)
    print(f"demo: the demo hosts' own output goes to {logs}", flush=True)
    script = DemoScript(hub, names)
    script.start()
    if args.quit_after:
        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    watch = _Watch(app, engine, root_window, script, names, args)
    timer = QTimer(engine)
    timer.timeout.connect(watch.tick)
    timer.start(250)
    freeze_startup_objects()
    try:
        code = app.exec() or watch.code
    finally:
        timer.stop()
        script.stop()
        stop_hosts(processes)
        shut_down(engine)
        # Delete the window and everything under the engine here, on the GUI thread.
        engine.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code


class _Watch:
    """Takes the screenshots at a lively moment and ends the demo when asked to."""

    def __init__(self, app, engine, root, script, names, args):
        self.app, self.root, self.script, self.names = app, root, script, names
        self.session = session_of(engine)
        self.store = self.session.store
        self.shots = args.screenshots
        self.exit_when_done = args.exit_when_done
        self.code = 0

    def tick(self) -> None:
        try:
            if self.shots and self._lively():
                self._screenshots()
                self.shots = None
            if self.exit_when_done and self._done():
                self.app.quit()
        except Exception:
            log.exception("the demo's watch failed")

    def _lively(self) -> bool:
        hosts = self.session.hub.hosts()
        busy = any(h["state"] in EXTRACTING for h in hosts)
        return busy and bool(self.store.jobs(state=JobState.RUNNING))

    def _done(self) -> bool:
        if len(self.script.done) < len(self.names):
            return False
        counts = self.store.counts()
        if any(counts.get(s) for s in JOB_ACTIVE):
            return False
        if self.shots:  # never caught a lively moment: take them now
            self._screenshots()
            self.shots = None
        failed = counts.get(JobState.FAILED, 0)
        if failed:
            log.error("%d demo job(s) failed; see 'pyblish-qml-queue jobs --state failed'", failed)
        self.code = 1 if failed else 0
        return True

    def _screenshots(self) -> None:
        os.makedirs(self.shots, exist_ok=True)
        app = self.session.app
        app.showOverview()
        self._grab("demo-overview.png")
        running = self.store.jobs(state=JobState.RUNNING)
        app.showQueue()
        if running:
            self.session.queue.select(running[0].id)
        self._grab("demo-queue.png")
        busy = [h for h in self.session.hub.hosts() if h["state"] in EXTRACTING]
        if busy:
            app.openHost(busy[0]["id"])
            self._grab("demo-publish.png")
        app.showConsole()
        self._grab("demo-console.png")
        app.showOverview()

    def _grab(self, name: str) -> None:
        for _ in range(5):
            self.session.bridge.drain()
            self.app.processEvents()
        path = os.path.join(self.shots, name)
        self.root.grabWindow().save(path)
        print(f"demo: saved {path}", flush=True)
