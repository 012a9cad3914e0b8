"""``pyblish-qml-queue app`` and ``pyblish-qml-queue doctor``.

``app`` is one per user session: when an app runs already, a second ``app`` asks
it over the link to bring its window to the front (a ``raise`` request) and
exits 0 instead of starting another. Qt is imported only once we know we start.
"""

from __future__ import annotations

import json
import logging
import sys

from pyblish_qml_queue.cli.command import positive
from pyblish_qml_queue.cli.serve import add_backend_arguments

log = logging.getLogger(__name__)


def add_parsers(subparsers) -> None:
    app = subparsers.add_parser(
        "app",
        help="the desktop app: overview, queue, tray, hub and executor",
        description="Start the app (one per user session; when one runs already it is "
        "brought to the front). Closing its window keeps it in the system tray.",
    )
    app.add_argument(
        "--concurrency", type=positive(int), default=None, help="jobs running at once (default 1)"
    )
    app.add_argument(
        "--signals",
        metavar="HOST:PORT",
        default=None,
        help="accept farm signals over HTTP (POST /v1/signal) at this address for this run "
        "(default: the 'signals' setting, off)",
    )
    add_backend_arguments(app)
    # Its node makes the home private right after the first frame (a walk of every file).
    app.set_defaults(func=run_app_verb, log_level=logging.WARNING, private_home=False)

    doctor = subparsers.add_parser(
        "doctor",
        help="check Qt, the tray, the store and the link; say how to fix what is wrong",
        description="Check the Qt platform, the system tray, the job store, the spool "
        "folder, the runtime file and the link to a running app. Exit 1 when a check failed.",
    )
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    doctor.add_argument(
        "--ack",
        action="store_true",
        help="acknowledge the stores moved aside so far (doctor warns of each until then)",
    )
    doctor.add_argument(
        "--salvage",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="put back in the queue the jobs a damaged store still holds (default: every "
        "store moved aside and not acknowledged); the damaged file stays",
    )
    doctor.add_argument(
        "--node",
        action="store_true",
        help="check this farm node instead: broker, Celery, pyblish, plugin paths, snapshot "
        "folder, DCC interpreters (no display needed, no job store opened)",
    )
    doctor.add_argument("--broker", default=None, help="with --node: the broker's Redis URL")
    doctor.set_defaults(func=run_doctor)


def run_doctor(args) -> int:
    from pyblish_qml_queue.cli.command import FAILED, OK
    from pyblish_qml_queue.cli.doctor import WARN, failed, format_checks, run_checks
    from pyblish_qml_queue.cli.doctor_node import node_checks
    from pyblish_qml_queue.cli.doctor_store import acknowledge

    if getattr(args, "salvage", None) is not None:
        from pyblish_qml_queue.cli.doctor_store import run_salvage

        return run_salvage(args)
    node = getattr(args, "node", False)
    if args.ack and not node:
        names = acknowledge()
        if not args.json:
            print(f"acknowledged {len(names)} moved-aside store(s): they stay where they are")
    checks = run_checks(steps=node_checks(args.broker) if node else None)
    bad = failed(checks)
    if args.json:
        out = {"ok": not bad, "checks": [c.to_dict() for c in checks]}
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_checks(checks, one_line=node))
        warned = any(c.status == WARN for c in checks)
        print(
            "something is wrong: see the FAIL lines"
            if bad
            else "works, but see the warn lines"
            if warned
            else "all good"
        )
    return FAILED if bad else OK


def run_app_verb(args) -> int:
    from pyblish_qml_queue.cli.command import OK
    from pyblish_qml_queue.common import logbuffer

    pid = raise_running()
    if pid:
        print(f"pyblish-qml-queue runs already (pid {pid}); brought its window to the front")
        return OK
    logbuffer.default_buffer()  # the Console shows everything logged from here on
    from pyblish_qml_queue.common import interpreter
    from pyblish_qml_queue.gui.app import run_app  # imports PySide6
    from pyblish_qml_queue.hub.transport import HubRunning

    try:
        # This interpreter runs the app: a host with nothing configured starts it with this
        # one. Written (and fsynced) after the first frame, which does not wait for it.
        return run_app(args, after_start=[interpreter.record])
    except HubRunning:  # another app started between our look and our listen
        pid = raise_running()
        if pid:
            print(f"pyblish-qml-queue runs already (pid {pid}); brought its window to the front")
            return OK
        raise


def raise_running(timeout: float = 5.0) -> int:
    """Ask a running app to come to the front.

    Returns:
        The running app's pid, or 0 when none runs (start one).

    Raises:
        CliError: something else holds the link (``serve``, an app that does not
            answer, a wrong authkey); the message says what to do.
    """
    from pyblish_qml_queue.cli.command import FAILED, CliError
    from pyblish_qml_queue.common import wire

    info = wire.read_runtime()
    if info is None:
        return 0
    from pyblish_qml_queue.common.wire import client

    pid = info.get("pid")
    try:
        reply = client.request("raise", {}, timeout, "app-raise", connect_timeout=timeout) or {}
    except client.KeyRefused:
        raise CliError(
            f"an app runs (pid {pid}) but refused our authkey; quit it (kill {pid}) and "
            "start the app again",
            FAILED,
        )
    except client.NotRunning:
        return 0  # a stale runtime file: the new app replaces it
    except wire.RemoteError as error:
        if error.code != wire.UNKNOWN_METHOD:
            raise CliError(f"the running app (pid {pid}) could not come to the front: {error}")
        reply = {"raised": False}
    except wire.ConnectionLost:
        raise CliError(
            f"the running app (pid {pid}) did not answer; quit it (kill {pid}) and start again",
            FAILED,
        )
    if not reply.get("raised"):
        raise CliError(
            f"'pyblish-qml-queue serve' (or an older app) runs as pid {pid} and has no window; "
            f"stop it (kill {pid}) before starting the app, or use it as it is",
            FAILED,
        )
    return pid
