"""``pyblish-qml-queue serve``: run queued jobs without the GUI (farm nodes, CI)."""

from __future__ import annotations

import logging
import signal
import threading

from pyblish_qml_queue.cli.command import add_concurrency_argument, positive
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
    add_concurrency_argument(parser)
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
    parser.add_argument(
        "--backend",
        choices=("local", "celery"),
        default="local",
        help="where jobs run: worker processes on this machine (default), or farm nodes "
        "through Celery (docs/farm.md)",
    )
    add_broker_argument(parser, "for --backend celery")
    parser.set_defaults(func=serve, log_level=logging.INFO)


def serve(args) -> int:
    from pyblish_qml_queue.cli.command import open_store
    from pyblish_qml_queue.hub.hub import HubRunning, run_hub_for_serve
    from pyblish_qml_queue.queue.executor import Executor
    from pyblish_qml_queue.queue.spool import SpoolIngester

    store = open_store()
    executor = _executor(args, store, Executor)
    ingester = SpoolIngester(store, on_added=lambda ids: executor.wake())
    stop = threading.Event()

    def on_signal(signum, frame):
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in _stop_signals()}
    hub = signals = None
    try:
        ingester.start(interval=SPOOL_INTERVAL)
        executor.start()
        try:
            hub = run_hub_for_serve(store, on_added=lambda job_id: executor.wake())
        except HubRunning as error:
            log.warning("%s; this serve runs queued jobs but does not accept hosts", error)
        if args.signals:
            signals = _serve_signals(store, args.signals, executor)
        where = (
            "jobs run on farm nodes through Celery"
            if args.backend == "celery"
            else f"concurrency {args.concurrency}"
        )
        print(f"serving {store.path}, {where}", flush=True)
        if signals is not None:
            print(f"farm signals at {signals.url}", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        if signals is not None:
            signals.close()
        if hub is not None:
            hub.close()
        ingester.stop()
        executor.stop(timeout=args.stop_timeout)
        store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped; unfinished jobs resume at the next start", flush=True)
    return 0


def _serve_signals(store, address: str, executor):
    """The farm-signal endpoint at ``address``; a CliError saying why it cannot start."""
    from pyblish_qml_queue.cli.command import USAGE, CliError
    from pyblish_qml_queue.farm.http import serve_signals

    try:
        return serve_signals(store, address, on_applied=lambda job_id: executor.wake())
    except ValueError as exc:
        raise CliError(f"--signals: {exc}", USAGE)
    except OSError as exc:
        raise CliError(
            f"cannot accept farm signals at {address}: {exc.strerror or exc}; "
            "choose another address or port"
        )


def _executor(args, store, local):
    """The local executor, or the Celery one for ``--backend celery``."""
    if args.backend != "celery":
        return local(store, concurrency=args.concurrency, lease=args.lease)
    from pyblish_qml_queue.cli.nodes import celery_backend

    celery_app = celery_backend()
    from pyblish_qml_queue.queue.celery.executor import CeleryExecutor

    return CeleryExecutor(store, celery_app.broker_url(args.broker), lease=args.lease)


def _stop_signals() -> list:
    return [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
