"""The Redis side of the Celery backend, shared by the app and the farm nodes.

The broker's URL, a client per process, the keys one job has there (see
:mod:`.celery_app` for what goes through them), the errors that mean it is down and
what its Redis settings lack.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Optional

log = logging.getLogger(__name__)

#: Environment variable naming the broker (``celery -A ...`` and the default app).
BROKER_ENV = "PYBLISH_QML_QUEUE_BROKER"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
#: Seconds to wait for the broker when connecting, before saying it is down.
CONNECT_TIMEOUT = 3.0


def broker_url(broker: Optional[str] = None) -> str:
    """``broker``, else ``$PYBLISH_QML_QUEUE_BROKER``, else :data:`DEFAULT_BROKER`."""
    return broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER


class Keys:
    """The Redis keys of one job."""

    def __init__(self, job_id: str):
        base = f"pyblish-qml-queue:job:{job_id}:"
        self.events = base + "events"  # stream: {"task": task id, "event": JSON}
        self.checkpoints = base + "checkpoints"  # hash: step index -> JSON of the done step
        self.current = base + "current"  # the task id the app expects to run
        self.lock = base + "lock"  # the node token running it
        self.ended = base + "ended"  # the task id whose run ended
        self.runs = base + "runs"  # how many deliveries of the current task started
        self.secret = base + "secret"  # the job's farm-signal secret, for its worker
        self.beat = base + "beat"  # the node running it: JSON {node, task, lease, time}, expires


_clients = {}  # (pid, url) -> redis client; a forked pool process makes its own
_clients_lock = threading.Lock()


def redis_client(url: str):
    """A Redis client for the broker ``url`` (strings decoded), one per process."""
    import redis

    key = (os.getpid(), url)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            if url.startswith("redis+socket://"):
                url = "unix://" + url[len("redis+socket://") :]
            client = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=30.0,
                health_check_interval=30,
            )
            _clients[key] = client
        return client


def describe_broker(url: str) -> str:
    """The broker URL without a password, for messages."""
    return re.sub(r"//[^/@]*:[^/@]*@", "//***@", url)


class Backoff:
    """Growing waits between tries: ``first``, twice that, ... at most ``most`` seconds.

    The one retry schedule of the Celery backend (the app reaching a broker that is
    down, a node sending its checkpoints, its run's end and its journal).
    """

    def __init__(self, first: float = 0.2, most: float = 5.0):
        self.first = first
        self.most = most
        self.delay = 0.0

    def next(self) -> float:
        """The wait before the next try (it grows with each call)."""
        self.delay = min(self.most, self.delay * 2 if self.delay else self.first)
        return self.delay

    def reset(self) -> None:
        self.delay = 0.0


def broker_errors() -> tuple:
    """The errors that mean the broker cannot be reached (Redis, kombu, the OS)."""
    import kombu.exceptions
    import redis.exceptions

    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        kombu.exceptions.OperationalError,
        OSError,
    )


def redis_warnings(client) -> list:
    """What the broker's Redis lacks to keep tasks and checkpoints: persistence
    (``appendonly yes``) and ``maxmemory-policy noeviction``. Empty when it has
    both, or when it cannot be asked (down, or CONFIG disabled)."""
    try:
        config = {}
        for name in ("appendonly", "maxmemory-policy"):
            config.update(client.config_get(name))
    except Exception as exc:
        log.debug("could not read the broker's settings: %s", exc)
        return []
    lines = []
    if config.get("appendonly") != "yes":
        lines.append(
            "the broker's Redis has no append-only file (appendonly no): a Redis restart "
            "loses queued tasks, and the app has to send them again; set appendonly yes"
        )
    policy = config.get("maxmemory-policy")
    if policy is not None and policy != "noeviction":
        lines.append(
            f"the broker's Redis may evict keys (maxmemory-policy {policy}): a full Redis "
            "could drop tasks or checkpoints; set maxmemory-policy noeviction"
        )
    return lines
