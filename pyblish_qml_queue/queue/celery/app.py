"""The Celery app that runs queued jobs on farm nodes (``pip install pyblish-qml-queue[celery]``).

The app's store stays the source of truth (see :mod:`.celery_executor`); a farm
node only runs what it is sent and reports back through Redis: the task
:data:`TASK_NAME` gets ``{"job_id", "attempt", "payload", "steps"}`` (JSON
only), routed by application, DCC version and OS (:func:`queue_for`), and
runs it as :mod:`.celery_node` describes (checkpoints, a lock per job, the
job's secret). The Redis keys and client are in :mod:`.celery_redis`.

Run a node with ``pyblish-qml-queue worker --queues pyblish.maya --broker URL``
or ``celery -A pyblish_qml_queue.queue.celery.app worker -Q pyblish.maya``
(``PYBLISH_QML_QUEUE_BROKER`` names the broker then); see docs/farm.md.
"""

from __future__ import annotations

from typing import Optional

from celery import Celery, signals

from pyblish_qml_queue.queue.celery import routing
from pyblish_qml_queue.queue.celery.broker import (
    BROKER_ENV,
    CONNECT_TIMEOUT,
    DEFAULT_BROKER,
    Keys,
    broker_url,
    describe_broker,
    redis_client,
)
from pyblish_qml_queue.queue.celery.node import NODE_LEASE, run_job

# Keys, redis_client, describe_broker, BROKER_ENV, DEFAULT_BROKER: where callers
# have always found them.
__all__ = [
    "BROKER_ENV",
    "DEFAULT_BROKER",
    "QUEUE_PREFIX",
    "TASK_NAME",
    "Keys",
    "app",
    "broker_url",
    "describe_broker",
    "make_app",
    "queue_for",
    "redis_client",
]

TASK_NAME = "pyblish_qml_queue.run_job"
QUEUE_PREFIX = routing.QUEUE_PREFIX
#: Seconds before the broker gives a job whose node vanished (unacknowledged)
#: to another node. Shorter than a job is safe: the job lock stops a second run.
REDELIVER_AFTER = 600.0


def queue_for(payload: dict, served=None, system: Optional[str] = None) -> str:
    """The Celery queue of a job: the narrowest of ``pyblish.maya.2025.linux``,
    ``pyblish.maya.2025`` that a live node serves (``served``: their queues), else
    ``pyblish.<host application>``, e.g. ``pyblish.maya`` (:mod:`.routing`)."""
    return routing.route(payload, served or (), system)


def make_app(broker: Optional[str] = None, **conf) -> Celery:
    """A Celery app with our task and settings.

    Args:
        broker: ``redis://host:port/db``; defaults to ``$PYBLISH_QML_QUEUE_BROKER``
            or :data:`DEFAULT_BROKER`.
        **conf: Celery settings over ours, plus ``pyblish_node_lease`` (seconds,
            :data:`.celery_node.NODE_LEASE`) and ``pyblish_redeliver_after`` (seconds,
            :data:`REDELIVER_AFTER`), and ``pyblish_announced`` (True: the node publishes
            its queues itself, as ``pyblish-qml-queue worker`` does; else :func:`announce`).
    """
    broker = broker_url(broker)
    redeliver = float(conf.pop("pyblish_redeliver_after", REDELIVER_AFTER))
    app = Celery("pyblish_qml_queue", broker=broker, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE_PREFIX + "python",
        broker_connection_timeout=CONNECT_TIMEOUT,
        broker_connection_retry_on_startup=True,
        # a node reconnects by itself, however long the broker is away
        broker_connection_retry=True,
        broker_connection_max_retries=None,
        # a broker blip must not cancel running jobs (Celery 6 would by default):
        # their checkpoints wait in the node's journal and go out once it is back
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_transport_options={
            "visibility_timeout": redeliver,
            # look for abandoned deliveries often enough to honour a short timeout
            "unacked_restore_interval": max(1, min(10, int(redeliver / 3))),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": CONNECT_TIMEOUT,
        },
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        worker_hijack_root_logger=False,
        pyblish_node_lease=NODE_LEASE,
    )
    app.conf.update(conf)
    app.task(
        bind=True, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True, max_retries=None
    )(run_job)
    return app


_beats = {}  # node name -> its NodeBeat, for nodes started with plain `celery worker`


def announce(sender=None, **_kwargs) -> None:
    """A node of ours started with plain ``celery -A ... worker -Q ...`` says in Redis
    which queues it consumes (:class:`.routing.NodeBeat`), as ``pyblish-qml-queue
    worker`` does, so that the app routes jobs to them (``worker_ready``). Only the
    queues it consumes: a plain Celery node does not serve the wider ones."""
    app = getattr(sender, "app", None)
    if app is None or TASK_NAME not in app.tasks or app.conf.get("pyblish_announced"):
        return
    try:
        queues = sorted(q.name for q in sender.task_consumer.queues)
    except AttributeError:
        queues = sorted(app.amqp.queues.consume_from or app.amqp.queues)
    lease = float(app.conf.get("pyblish_node_lease") or NODE_LEASE)
    client = redis_client(app.conf.broker_url)
    _beats[sender.hostname] = routing.NodeBeat(client, sender.hostname, queues, lease).start()


def withdraw(sender=None, **_kwargs) -> None:
    """The node stops: its queues are withdrawn at once (``worker_shutdown``)."""
    beat = _beats.pop(getattr(sender, "hostname", None), None)
    if beat is not None:
        beat.stop()


signals.worker_ready.connect(announce, weak=False)
signals.worker_shutdown.connect(withdraw, weak=False)

#: The app ``celery -A pyblish_qml_queue.queue.celery.app worker`` runs
#: (broker from ``$PYBLISH_QML_QUEUE_BROKER``).
app = make_app()
