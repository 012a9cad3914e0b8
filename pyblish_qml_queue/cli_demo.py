"""``pyblish-qml-queue demo``: the app with demo hosts publishing a demo shot.

A new user sees every page alive with one command: demo hosts (plain Python processes
standing in for Maya, Houdini and Nuke) connect, validate, repair, publish in their session
or hand their extraction to the queue, whose executor runs it in worker processes.
"""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)

DEFAULT_HOSTS = "maya,houdini,nuke"


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the app plus demo hosts that publish a demo shot",
        description="Start the app with demo hosts (Python processes standing in for Maya, "
        "Houdini and Nuke) that publish the bundled demo plugins and hand work to the queue.",
    )
    parser.add_argument(
        "--hosts",
        default=DEFAULT_HOSTS,
        help=f"comma-separated demo hosts (default {DEFAULT_HOSTS}; also: python)",
    )
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="seconds one demo extraction takes (default 12)"
    )
    parser.add_argument(
        "--quit-after",
        type=float,
        default=None,
        metavar="S",
        help="quit the app after S seconds (for unattended runs)",
    )
    parser.add_argument(
        "--exit-when-done",
        action="store_true",
        help="quit once every demo host has played its part and the queue "
        "is empty; exit 1 if a demo job failed",
    )
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="save the Overview and Queue pages as PNG files in DIR while "
        "hosts publish and the queue runs",
    )
    parser.set_defaults(func=demo, log_level=logging.INFO)


def demo(args) -> int:
    from .cli import CliError
    from .demo.host import VERSIONS
    from .host import paths

    names = [n.strip() for n in args.hosts.split(",") if n.strip()]
    unknown = sorted(set(names) - set(VERSIONS))
    if unknown or not names:
        raise CliError(
            f"unknown demo host {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(sorted(VERSIONS))}",
            code=2,
        )
    root = os.environ.setdefault("PYBLISH_QML_QUEUE_DEMO_ROOT", os.path.join(paths.home(), "demo"))
    os.environ["PYBLISH_QML_QUEUE_DEMO_SECONDS"] = str(args.seconds)
    _headless_fallback()

    from .demo.script import DemoScript, start_hosts, stop_hosts
    from .gui.app import AppError, build_app, session_of, shut_down

    try:
        app, engine, _root = build_app(sys.argv[:1])
    except AppError as error:
        raise CliError(str(error)) from None
    hub = session_of(engine).hub
    if hub is None:
        shut_down(engine)
        raise CliError(
            "the app has no hub, so demo hosts cannot connect; run 'pyblish-qml-queue doctor'"
        )
    print(f"demo: {len(names)} hosts ({', '.join(names)}) publishing into {root}", flush=True)
    processes = start_hosts(names)
    script = DemoScript(hub, names)
    script.start()
    from PySide6.QtCore import QTimer

    if args.quit_after:
        QTimer.singleShot(int(args.quit_after * 1000), app.quit)
    watch = _Watch(app, engine, _root, script, names, args)
    timer = QTimer()
    timer.timeout.connect(watch.tick)
    timer.start(250)
    try:
        code = app.exec()
        code = code or watch.code
    finally:
        timer.stop()
        script.stop()
        stop_hosts(processes)
        shut_down(engine)
    print(f"demo: finished; published files are under {os.path.join(root, 'publish')}", flush=True)
    return code


class _Watch:
    """Takes the screenshots at a lively moment and ends the demo when asked to."""

    def __init__(self, app, engine, root, script, names, args):
        from .gui.app import session_of

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
        busy = any(h["state"] in ("extracting", "integrating") for h in hosts)
        return busy and bool(self.store.jobs(state="running"))

    def _done(self) -> bool:
        if len(self.script.done) < len(self.names):
            return False
        counts = self.store.counts()
        if any(counts.get(s) for s in ("queued", "running", "interrupted", "waiting")):
            return False
        if self.shots:  # never caught a lively moment: take them now
            self._screenshots()
            self.shots = None
        failed = counts.get("failed", 0)
        if failed:
            log.error("%d demo job(s) failed; see 'pyblish-qml-queue jobs --state failed'", failed)
        self.code = 1 if failed else 0
        return True

    def _screenshots(self) -> None:
        os.makedirs(self.shots, exist_ok=True)
        app = self.session.app
        app.showOverview()
        self._grab("demo-overview.png")
        running = self.store.jobs(state="running")
        app.showQueue()
        if running:
            self.session.queue.select(running[0].id)
        self._grab("demo-queue.png")
        busy = [h for h in self.session.hub.hosts() if h["state"] in ("extracting", "integrating")]
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


def _headless_fallback() -> None:
    """No display on Linux: run offscreen rather than abort in Qt's xcb plugin."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        print(
            "demo: no display found, running offscreen; follow the queue with "
            "'pyblish-qml-queue jobs'",
            file=sys.stderr,
            flush=True,
        )
