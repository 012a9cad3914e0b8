"""``pyblish-qml-queue serve``: run queued jobs without the GUI (farm nodes, CI)."""

from __future__ import annotations

import logging
import signal
import threading

from pyblish_qml_queue.cli.command import positive
from pyblish_qml_queue.cli.nodes import add_broker_argument

log = logging.getLogger(__name__)

#: Seconds between two looks into the spool folder.
SPOOL_INTERVAL = 0.25


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run queued jobs without the GUI (farm nodes, CI)",
        description="Run queued and spooled jobs until SIGINT/SIGTERM; unfinished jobs "
        "resume at the next start.",
    )
    parser.add_argument(
        "--concurrency",
        type=positive(int),
        default=None,
        help="jobs running at once (default 1); with --backend celery, jobs handed to the "
        "farm at once (default 16; the nodes' own --concurrency decides how many run)",
    )
    parser.add_argument(
        "--lease",
        type=positive(float),
        default=30.0,
        help="seconds a claim lasts unless renewed (default 30)",
    )
    parser.add_argument(
        "--stop-timeout",
        type=positive(float),
        default=10.0,
        help="seconds workers get to finish their step when stopping "
        "(default 10); then they are killed and the step runs again",
    )
    parser.add_argument(
        "--signals",
        metavar="HOST:PORT",
        help="accept farm signals over HTTP (POST /v1/signal) at this address, e.g. "
        "127.0.0.1:8765 (port 0: any free port); off by default",
    )
    add_backend_arguments(parser)
    parser.set_defaults(func=serve, log_level=logging.INFO)


def add_backend_arguments(parser) -> None:
    """``--backend local|celery`` and ``--broker``: where jobs run (``serve`` and ``app``)."""
    parser.add_argument(
        "--backend",
        choices=("local", "celery"),
        default="local",
        help="where jobs run: worker processes on this machine (default), or farm nodes "
        "through Celery (docs/farm.md)",
    )
    add_broker_argument(parser, "for --backend celery")


def serve(args) -> int:
    from pyblish_qml_queue.cli.command import open_store
    from pyblish_qml_queue.node import Node, PartFailed

    store = open_store()
    node = Node(
        store,
        close_store=True,
        backend=args.backend,
        broker=args.broker,
        concurrency=args.concurrency or 1,
        farm_concurrency=args.concurrency if args.backend == "celery" else None,
        lease=args.lease,
        stop_timeout=args.stop_timeout,
        spool_interval=SPOOL_INTERVAL,
        hub_required=False,
        signals=args.signals,
        signals_required=True,
    )
    stop = threading.Event()

    def on_signal(signum, frame):
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in _stop_signals()}
    try:
        try:
            node.start()
        except PartFailed as error:
            raise _cli_error(error)
        where = (
            "jobs run on farm nodes through Celery, "
            f"{node.executor.concurrency if node.executor else 0} at a time"
            if args.backend == "celery"
            else f"concurrency {args.concurrency or 1}"
        )
        print(f"serving {store.path}, {where}", flush=True)
        if node.signals is not None:
            print(f"farm signals at {node.signals.url}", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        node.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped; unfinished jobs resume at the next start", flush=True)
    return 0


def _cli_error(error):
    """A part of the node that could not start, as the CLI's one-line error."""
    from pyblish_qml_queue.cli.command import USAGE, CliError

    if error.part == "signals" and isinstance(error.__cause__, ValueError):
        return CliError(f"--signals: {error.__cause__}", USAGE)
    if error.part == "signals":
        return CliError(f"{error}; choose another address or port")
    return CliError(str(error))


def _stop_signals() -> list:
    return [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
