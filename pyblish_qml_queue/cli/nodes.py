"""``pyblish-qml-queue worker``: run jobs sent to the farm on this node (Celery + Redis).

The app (``serve --backend celery``) sends each job to the narrowest Celery queue
of its application, DCC version and OS a live node serves (``pyblish.maya.2025.linux``,
``pyblish.maya.2025``), else to ``pyblish.<application>``; a node serves the queues
it is given and every wider one (``--queues pyblish.maya.2025.linux,pyblish.python``
also serves ``pyblish.maya.2025`` and ``pyblish.maya``) and publishes them in Redis
while it runs. ``--queues auto`` serves the queues of the DCCs found on the node
(:mod:`~.queue.celery.dccs`). See docs/farm.md.
"""

from __future__ import annotations

import logging
import os
import sys

from pyblish_qml_queue.cli.command import add_concurrency_argument, positive
from pyblish_qml_queue.queue.celery.broker import BROKER_ENV, DEFAULT_BROKER

log = logging.getLogger(__name__)


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run jobs sent to the farm on this node (needs the celery extra)",
        description="Start a Celery worker that runs pyblish-qml-queue jobs from the given "
        "queues until SIGINT/SIGTERM (a warm stop: running jobs finish first).",
    )
    parser.add_argument(
        "--queues",
        "-Q",
        default="pyblish.python",
        help="comma-separated queues to serve, each with its wider ones, e.g. "
        "pyblish.maya.2025.linux (also pyblish.maya.2025 and pyblish.maya),pyblish.python "
        "(default pyblish.python); 'auto' stands for the queues of the DCCs found on this "
        "node and of this Python (see 'doctor --node')",
    )
    add_broker_argument(parser, "of the broker")
    add_concurrency_argument(parser)
    parser.add_argument(
        "--name",
        default=None,
        help="this worker's node name (default pyblish-<pid>@<host name>)",
    )
    parser.add_argument(
        "--pool",
        choices=("prefork", "solo", "threads"),
        default="solo" if sys.platform == "win32" else "prefork",
        help="Celery pool (default prefork; solo on Windows)",
    )
    parser.add_argument(
        "--node-lease",
        type=positive(float),
        default=None,
        help="seconds before a job held by a dead node may run elsewhere (default 30)",
    )
    parser.add_argument(
        "--redeliver-after",
        type=positive(float),
        default=None,
        help="seconds before the broker gives an unfinished job of a vanished node to "
        "another node (default 600)",
    )
    parser.set_defaults(func=worker, log_level=logging.INFO)


def add_broker_argument(parser, what: str) -> None:
    """``--broker``: the Redis URL ``what`` (e.g. "of the broker"), with its default."""
    parser.add_argument(
        "--broker",
        default=None,
        help=f"Redis URL {what} (default ${BROKER_ENV} or {DEFAULT_BROKER})",
    )


def celery_backend():
    """The :mod:`~.queue.celery_app` module, or a CliError saying how to install Celery."""
    from pyblish_qml_queue.cli.command import CliError

    try:
        from pyblish_qml_queue.queue.celery import app as celery_app
    except ImportError as exc:
        raise CliError(
            f"the celery backend is not installed ({exc}); "
            "install it with: pip install 'pyblish-qml-queue[celery]'"
        ) from None
    return celery_app


def worker(args) -> int:
    celery_app = celery_backend()
    broker = celery_app.broker_url(args.broker)
    check_broker(broker)
    conf = {"pyblish_announced": True}  # its NodeBeat says every queue it serves
    if args.node_lease is not None:
        conf["pyblish_node_lease"] = args.node_lease
    if args.redeliver_after is not None:
        conf["pyblish_redeliver_after"] = args.redeliver_after
    app = celery_app.make_app(broker, **conf)
    from pyblish_qml_queue.queue.celery.node import start_replay

    start_replay(broker)  # what this node could not send before it stopped
    from pyblish_qml_queue.queue.celery import routing

    served = routing.expand(queues_to_serve(args.queues))
    queues = ",".join(served)
    name = args.name or f"pyblish-{os.getpid()}@%h"
    lease = args.node_lease if args.node_lease is not None else celery_app.NODE_LEASE
    beat = routing.NodeBeat(
        celery_app.redis_client(broker), routing.node_name(name), served, lease
    ).start()
    print(
        f"worker {name} serving {queues} from {celery_app.describe_broker(broker)}, "
        f"concurrency {args.concurrency}",
        flush=True,
    )
    argv = [
        "worker",
        "--queues",
        queues,
        "--concurrency",
        str(args.concurrency),
        "--pool",
        args.pool,
        "--hostname",
        name,
        "--loglevel",
        "DEBUG" if getattr(args, "debug", False) else "INFO",
    ]
    try:
        app.worker_main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    finally:
        beat.stop()
    return 0


def queues_to_serve(text: str) -> list:
    """The queues of ``--queues``, ``auto`` replaced by those of the DCCs found on this
    node and of this Python (:mod:`~.queue.celery.dccs`), each said on stdout."""
    from pyblish_qml_queue.cli.command import UsageError
    from pyblish_qml_queue.queue.celery import dccs

    names = [q.strip() for q in text.split(",") if q.strip()]
    if not names:
        raise UsageError("pyblish-qml-queue worker", "--queues names no queue")
    if "auto" not in names:
        return names
    found = dccs.on_this_node()
    for dcc in found:
        print(f"found {dcc.describe()}: serving {dcc.queue()}", flush=True)
    auto = dccs.auto_queues(found)
    at = names.index("auto")
    return names[:at] + auto + [q for q in names[at + 1 :] if q != "auto"]


def check_broker(broker: str) -> None:
    """Raise CliError in one line unless the broker answers."""
    from pyblish_qml_queue.cli.command import CliError
    from pyblish_qml_queue.queue.celery.broker import describe_broker, redis_client

    try:
        redis_client(broker).ping()
    except Exception as exc:
        log.debug("broker check failed", exc_info=True)
        raise CliError(
            f"cannot reach the broker at {describe_broker(broker)}: {exc}; start Redis there "
            "or name another broker with --broker"
        )
