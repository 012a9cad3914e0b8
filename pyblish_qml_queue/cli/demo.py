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
    from pyblish_qml_queue.cli.command import CliError
    from pyblish_qml_queue.common import paths
    from pyblish_qml_queue.demo.host import VERSIONS

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

    from pyblish_qml_queue.gui.app import AppError
    from pyblish_qml_queue.gui.demo import run_demo
    from pyblish_qml_queue.hub.transport import HubRunning

    try:
        code = run_demo(names, root, args)
    except AppError as error:
        raise CliError(str(error)) from None
    except HubRunning as error:
        raise CliError(
            f"{error}; quit it, or run the demo in another home folder: "
            "PYBLISH_QML_QUEUE_HOME=/tmp/demo pyblish-qml-queue demo"
        ) from None
    print(f"demo: finished; published files are under {os.path.join(root, 'publish')}", flush=True)
    return code


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
