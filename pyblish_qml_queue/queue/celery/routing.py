"""Which Celery queue a job goes to: by application, DCC version and OS, narrowest first.

A job of Maya 2025 handed off on Linux may go to ``pyblish.maya.2025.linux``, then
``pyblish.maya.2025``, then ``pyblish.maya`` (:func:`candidates`). A node serves the
queues it is given and every wider one (:func:`expand`: ``--queues
pyblish.maya.2025.linux`` also serves ``pyblish.maya.2025`` and ``pyblish.maya``), and
says which in Redis while it runs (:class:`NodeBeat`: a key per node that expires
after the node's lease, and a set of node names). The app sends each job to the
narrowest of its candidates some live node serves, else to the wide
``pyblish.<application>`` (:func:`route`, :class:`Served`), where it waits for a node.

The version part is the version's leading number (``2025`` of ``2025.1``, ``20`` of
Houdini ``20.5.332``, ``4`` of Blender ``4.5.15``); the OS part is ``linux``,
``windows`` or ``darwin``: the workstation's, or ``PYBLISH_QML_QUEUE_FARM_OS`` there.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import socket
import threading
import time
from typing import Iterable, Optional

log = logging.getLogger(__name__)

QUEUE_PREFIX = "pyblish."
#: The OS whose nodes a workstation's jobs prefer (default: the workstation's own).
OS_ENV = "PYBLISH_QML_QUEUE_FARM_OS"
#: ``<NODE_KEY><node name>``: JSON {node, queues, pid, time}, expiring after the lease.
NODE_KEY = "pyblish-qml-queue:node:"
#: A set of the names of nodes that published their queues (expired ones are dropped).
NODES = "pyblish-qml-queue:nodes"
#: Seconds the app keeps what the live nodes serve before asking Redis again.
SERVED_EVERY = 1.0


def _part(text) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", str(text).lower()).strip("_")


def os_name(system: Optional[str] = None) -> str:
    """``linux``, ``windows``, ``darwin`` (``$PYBLISH_QML_QUEUE_FARM_OS`` wins)."""
    return _part(system or os.environ.get(OS_ENV) or platform.system()) or "unknown"


def major_version(version) -> str:
    """The leading number of a DCC version (``"2025"`` of ``"2025.1"``), or ""."""
    match = re.match(r"\s*(\d+)", str(version or ""))
    return match.group(1) if match else ""


def wide_queue(payload: dict) -> str:
    """``pyblish.<host application>``, e.g. ``pyblish.maya`` (``pyblish.python`` when none)."""
    application = _part((payload.get("host") or {}).get("application") or "python") or "python"
    return QUEUE_PREFIX + application


def candidates(payload: dict, system: Optional[str] = None) -> list:
    """The queues of a job, narrowest first: ``pyblish.maya.2025.linux``,
    ``pyblish.maya.2025``, ``pyblish.maya`` (only the last without a version)."""
    wide = wide_queue(payload)
    version = major_version((payload.get("host") or {}).get("version"))
    if not version:
        return [wide]
    return [f"{wide}.{version}.{os_name(system)}", f"{wide}.{version}", wide]


def widen(queue: str) -> list:
    """``queue`` and every wider queue: ``pyblish.maya.2025.linux`` ->
    ``[pyblish.maya.2025.linux, pyblish.maya.2025, pyblish.maya]``. Other names alone."""
    if not queue.startswith(QUEUE_PREFIX):
        return [queue]
    parts = queue[len(QUEUE_PREFIX) :].split(".")
    return [QUEUE_PREFIX + ".".join(parts[:n]) for n in range(len(parts), 0, -1) if parts[0]]


def expand(queues: Iterable[str]) -> list:
    """The queues a node given ``queues`` serves: each and its wider ones, in order, once."""
    out = []
    for queue in queues:
        for name in widen(queue.strip()):
            if name and name not in out:
                out.append(name)
    return out


def route(payload: dict, served, system: Optional[str] = None) -> str:
    """The narrowest candidate of the job some live node serves, else the wide queue."""
    options = candidates(payload, system)
    for queue in options:
        if queue in served:
            return queue
    return options[-1]


def node_name(name: str) -> str:
    """A Celery node name with ``%h`` (and ``%n``, ``%d``) as Celery expands them."""
    host = socket.gethostname()
    short, _, domain = host.partition(".")
    return name.replace("%h", host).replace("%n", short).replace("%d", domain)


def publish(client, node: str, queues: list, ttl: float) -> None:
    """Say in Redis that ``node`` serves ``queues``, for ``ttl`` seconds."""
    info = {"node": node, "queues": list(queues), "pid": os.getpid(), "time": time.time()}
    pipe = client.pipeline(transaction=True)
    pipe.set(NODE_KEY + node, json.dumps(info), px=max(1, int(ttl * 1000)))
    pipe.sadd(NODES, node)
    pipe.execute()


def withdraw(client, node: str) -> None:
    pipe = client.pipeline(transaction=True)
    pipe.delete(NODE_KEY + node)
    pipe.srem(NODES, node)
    pipe.execute()


def live_nodes(client) -> dict:
    """``{node name: queues}`` of the nodes whose key has not expired (the names of
    expired ones are dropped from the set)."""
    names = sorted(client.smembers(NODES))
    if not names:
        return {}
    values = client.mget([NODE_KEY + n for n in names])
    live, gone = {}, []
    for name, raw in zip(names, values):
        try:
            info = json.loads(raw) if raw else None
        except ValueError:
            info = None
        if not isinstance(info, dict) or not isinstance(info.get("queues"), list):
            gone.append(name)
            continue
        live[name] = [str(q) for q in info["queues"]]
    if gone:
        client.srem(NODES, *gone)
    return live


class Served:
    """The queues the live nodes serve, read from Redis at most every ``every`` s."""

    def __init__(self, every: float = SERVED_EVERY):
        self.every = every
        self._queues = frozenset()
        self._read_at = None

    def get(self, client) -> frozenset:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= self.every:
            nodes = live_nodes(client)
            self._queues = frozenset(q for queues in nodes.values() for q in queues)
            self._read_at = now
        return self._queues


class NodeBeat:
    """A node's thread renewing :func:`publish` every third of ``ttl``; :meth:`stop`
    withdraws it. A broker that is away is said once and tried again."""

    def __init__(self, client, node: str, queues: list, ttl: float):
        self.client = client
        self.node = node
        self.queues = list(queues)
        self.ttl = float(ttl)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="node-beat", daemon=True)

    def start(self) -> NodeBeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        warned = False
        while True:
            try:
                publish(self.client, self.node, self.queues, self.ttl)
                warned = False
            except Exception as exc:
                if not warned:
                    log.warning("node %s: could not publish its queues: %s", self.node, exc)
                    warned = True
            if self._stop.wait(self.ttl / 3.0):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        try:
            withdraw(self.client, self.node)
        except Exception as exc:
            log.debug("node %s: could not withdraw its queues: %s", self.node, exc)
