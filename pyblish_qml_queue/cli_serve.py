"""``pyblish-qml-queue serve``: run queued jobs without the GUI (farm nodes, CI)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

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
        "--concurrency", type=_positive(int), default=1, help="jobs running at once (default 1)"
    )
    parser.add_argument(
        "--lease",
        type=_positive(float),
        default=30.0,
        help="seconds a claim lasts unless renewed (default 30)",
    )
    parser.add_argument(
        "--stop-timeout",
        type=_positive(float),
        default=10.0,
        help="seconds workers get to finish their step when stopping "
        "(default 10); then they are killed and the step runs again",
    )
    parser.set_defaults(func=serve, log_level=logging.INFO)


def serve(args) -> int:
    from .cli import open_store
    from .hub import HubRunning, run_hub_for_serve
    from .queue.executor import Executor
    from .queue.spool import SpoolIngester

    store = open_store()
    executor = Executor(store, concurrency=args.concurrency, lease=args.lease)
    ingester = SpoolIngester(store, on_added=lambda ids: executor.wake())
    stop = threading.Event()

    def on_signal(signum, frame):
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in _stop_signals()}
    hub = None
    try:
        ingester.start(interval=SPOOL_INTERVAL)
        executor.start()
        try:
            hub = run_hub_for_serve(store, on_added=lambda job_id: executor.wake())
        except HubRunning as error:
            log.warning("%s; this serve runs queued jobs but does not accept hosts", error)
        print(f"serving {store.path}, concurrency {args.concurrency}", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        if hub is not None:
            hub.close()
        ingester.stop()
        executor.stop(timeout=args.stop_timeout)
        store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped; unfinished jobs resume at the next start", flush=True)
    return 0


def _stop_signals() -> list:
    return [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
        return value

    parse.__name__ = kind.__name__
    return parse
