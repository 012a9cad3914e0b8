"""The farm nodes' heartbeats, as the Celery executor follows them.

A node that runs a job renews the job's heartbeat key in Redis (``beat``: node, task,
lease). :class:`NodeWatch` looks at every followed job's ``current`` and heartbeat in
one round trip, every :data:`WATCH_EVERY` s:

- a heartbeat of the job's task names its node and pushes its deadline a lease on;
- no ``current``: the broker lost the job's keys (restarted empty), so they are put
  back and the node gets ``node_silent`` seconds to be heard from;
- past its deadline without a heartbeat, the node is lost (its hold on the job expired
  with the heartbeat): the job is sent again, same attempt;
- a job waiting untaken in a narrow queue (``pyblish.maya.2025.linux``) no live node
  serves any more is sent again to the narrowest one still served.

It is the part of :class:`~.executor.CeleryExecutor` that reads heartbeats, cut out by
meaning; it is given what it needs of the executor, as :class:`~.records.RunRecords` is.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Callable, Optional

from pyblish_qml_queue.queue.celery import routing, where
from pyblish_qml_queue.queue.celery.node import NODE_LEASE

log = logging.getLogger(__name__)

#: Seconds between two looks at the jobs' heartbeats.
WATCH_EVERY = 0.5
#: Seconds a job's node gets to be heard from after the broker lost the job's
#: keys (restarted empty).
NODE_SILENT = 30.0


class NodeWatch:
    """Who runs each job on the farm, and what to do when nobody does.

    Args:
        client: ``client()``, the broker's Redis client.
        runs: ``runs()``, the runs the executor follows now (a copy).
        follows: ``follows(run)``, whether the executor still follows ``run``.
        take: ``take(run)``, stop following ``run``; True for the one caller that did.
        send_again: ``send_again(run, why)``, send the run's job again, same attempt,
            with the steps the store has (when it is still running and ours).
        emit: ``emit(job_id, event)``, the executor's ``on_event``.
        served: ``served()``, the queues the live nodes serve.
        node_silent: seconds a job's node gets after the broker lost the job's keys.
    """

    def __init__(
        self,
        client: Callable,
        runs: Callable[[], list],
        follows: Callable,
        take: Callable,
        send_again: Callable,
        emit: Callable[[Optional[str], dict], None],
        served: Callable[[], frozenset],
        node_silent: float = NODE_SILENT,
    ):
        self.client = client
        self.runs = runs
        self.follows = follows
        self.take = take
        self.send_again = send_again
        self.emit = emit
        self.served = served
        self.node_silent = float(node_silent)
        self.watched_at = 0.0

    def due(self) -> bool:
        """Whether :data:`WATCH_EVERY` s passed since the last look."""
        return time.monotonic() - self.watched_at >= WATCH_EVERY

    def look(self) -> None:
        """Look at every followed job's ``current`` and heartbeat (one round trip);
        see the module docstring."""
        self.watched_at = time.monotonic()
        runs = self.runs()
        if not runs:
            return
        pipe = self.client().pipeline(transaction=False)
        for run in runs:
            pipe.get(run.keys.current)
            pipe.get(run.keys.beat)
        values = pipe.execute()
        now = time.monotonic()
        for i, run in enumerate(runs):
            current, beat = values[2 * i], values[2 * i + 1]
            if not self.follows(run):
                continue
            if current is None:
                self._restore(run, now)
                continue
            if current != run.task_id:
                continue  # being cancelled here
            info = beat_of(beat)
            if info.get("task") == run.task_id:
                run.node = str(info.get("node") or run.node or "?")
                run.lease = seconds(info.get("lease"), NODE_LEASE)
                run.deadline = now + run.lease + 1.0
            elif run.deadline is not None and now > run.deadline:
                self._node_lost(run)
        self._reroute(runs)

    def broker_back(self) -> None:
        """The broker answers again; nodes could not beat meanwhile: give each its
        lease to be heard from again."""
        now = time.monotonic()
        for run in self.runs():
            if run.deadline is not None:
                run.deadline = now + (run.lease or self.node_silent) + 1.0

    def _reroute(self, runs: list) -> None:
        """Send again, same attempt, the jobs waiting untaken in a narrow queue
        (``pyblish.maya.2025.linux``) no live node serves any more: to the
        narrowest one still served, else the application's queue, which every
        node of that application serves. The task left behind drops itself if a
        node of that queue comes back (it is no longer ``current``)."""
        served = None
        for run in runs:
            if run.node is not None or run.deadline is not None:
                continue  # a node has it
            if run.queue == routing.wide_queue(run.job.payload):
                continue
            if served is None:
                served = self.served()
            if run.queue in served or not self.take(run):
                continue
            why = f"no live farm node serves the queue {run.queue} any more"
            log.warning("job %s: %s; sending it again", run.job.id, why)
            self.send_again(run, why)

    def _restore(self, run, now: float) -> None:
        pipe = self.client().pipeline(transaction=True)
        pipe.set(run.keys.current, run.task_id, nx=True)
        pipe.set(run.keys.secret, run.job.secret or "", nx=True)
        pipe.execute()
        run.restored = True
        run.deadline = now + max(self.node_silent, (run.lease or 0.0) + 1.0)
        log.warning(
            "job %s: the broker had lost its keys (restarted without its data?); put back, "
            "waiting %.0f s for its node",
            run.job.id,
            run.deadline - now,
        )

    def _node_lost(self, run) -> None:
        """The job's node is gone (or its task was lost with the broker's data):
        send the job again, same attempt, with the steps the store has."""
        if not self.take(run):
            return
        job_id = run.job.id
        if run.node and not run.restored:
            why = f"{where.LOST} farm node {run.node} sent no heartbeat for {run.lease:.0f} s"
        elif run.node:
            why = f"{where.LOST} farm node {run.node} went silent after the broker lost its data"
        else:
            why = f"{where.LOST} its farm task was lost with the broker's data"
        log.warning("job %s: %s; sending it again", job_id, why)
        self.emit(job_id, {"event": "node_lost", "node": run.node})
        self.send_again(run, why)


def beat_of(raw: Optional[str]) -> dict:
    """A heartbeat's fields ({} for none or a malformed one)."""
    try:
        info = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def seconds(value, default: float) -> float:
    """``value`` when it is a positive number of seconds, else ``default``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    return float(value) if ok else default
