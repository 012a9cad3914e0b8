"""The Celery executor: runs the store's queued jobs on farm nodes.

It has the public surface of :class:`~.executor.Executor` (start, stop, wake,
pause, resume, paused, running, cancel, on_event), so ``serve --backend celery``
or the app constructs it in the Executor's place. The local store stays the
source of truth: the executor claims a job as the local one does, sends it as a
Celery task to the narrowest queue of its application, DCC version and OS a
live node serves, else its application's (:func:`.celery_app.queue_for`),
renews its lease while a node runs it, and mirrors the node's events from the
job's Redis stream into the store with the same fenced calls (``start_step``,
``finish_step``, ``finish_job``), so the Queue page and the CLI show remote jobs
exactly like local ones.

A step that hands its work to a render farm (``expect_signal``) on a node is
mirrored as waiting, with its farm job and a deadline on this executor's clock,
and the job parks as waiting in the store, as a local one does (the node's
worker got the job's id and secret). The farm's signal, applied to the store,
queues the job again; it is sent to the farm again and resumes after the
waiting step. Overdue waiting jobs are failed here as by the local executor.

Cancel revokes the task (terminate) and records the job cancelled. A retried
job (``JobStore.retry``) is claimed again and sent with its remaining steps.

A node that runs a job renews the job's heartbeat key in Redis (``beat``:
node, task, lease). The executor watches it (:mod:`.heartbeats`): once it has expired (the node's
lock on the job expired with it, so the node is certainly gone) the job log
says "node lost" and the job is sent again at once, same attempt, with the
steps the store has; the next delivery merges the checkpoints the node left in
Redis. A broker restarted without its data (the job's keys gone, sent tasks
with them) is noticed the same way: the executor puts the job's keys back and
gives its node ``node_silent`` seconds to be heard from, then sends the job
again. A node killed with kill -9 also has its task redelivered by the broker
(acks_late, reject_on_worker_lost); whichever delivery is not ``current`` drops
itself. A worker that dies on a live node ends the run interrupted; it is sent
again while attempts remain. When the broker cannot be reached the executor
says so in one line, keeps the store as it is and tries again with a growing
delay.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Callable, Optional

from pyblish_qml_queue.common import snapshots
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery import routing, where
from pyblish_qml_queue.queue.celery.app import TASK_NAME, make_app, queue_for
from pyblish_qml_queue.queue.celery.broker import (
    Backoff,
    Keys,
    broker_errors,
    describe_broker,
    redis_client,
    redis_warnings,
)
from pyblish_qml_queue.queue.celery.heartbeats import NODE_SILENT, NodeWatch
from pyblish_qml_queue.queue.celery.journal import KEEP_ENDED
from pyblish_qml_queue.queue.loop import ClaimLoop, Run, steps_to_send, waiting_line
from pyblish_qml_queue.queue.store import LeaseLost, StoreError

log = logging.getLogger(__name__)

#: Longest wait, in seconds, between two tries to reach a broker that is down.
BACKOFF_MAX = 30.0
#: Events read from the streams in one go.
READ_BATCH = 500


def _local_snapshot(job: model.Job) -> str:
    """Why farm nodes cannot open this job's scene snapshot, or "" when they can.

    A snapshot saved without a studio snapshot folder lies in the workstation's
    home, which other machines cannot read.
    """
    info = job.payload.get("snapshot")
    if not isinstance(info, dict) or not info.get("path") or info.get("shared"):
        return ""
    return (
        f"its scene snapshot {info['path']} is on this workstation only, and farm nodes "
        f'cannot open it. Set {snapshots.FOLDER_ENV} (or "snapshots" in settings.json) in '
        "the DCC to a studio folder every node can read, then hand the publish off again"
    )


class _Remote(Run):
    """One job sent to the farm."""

    def __init__(self, job: model.Job, task_id: str, queue: str, now: float):
        super().__init__(job, now)
        self.task_id = task_id
        self.queue = queue
        self.keys = Keys(job.id)
        self.last_id = "0-0"
        self.node = None  # the farm node running it, once heard of
        self.lease = None  # that node's lease (its heartbeat's lifetime)
        self.deadline = None  # monotonic time by which a heartbeat must come, or None
        self.restored = False  # the broker lost the job's keys and they were put back

    def worker(self) -> dict:
        """The farm node running the job (its Celery name), as a step it runs records it."""
        return {"node": self.node} if self.node else {}


class CeleryExecutor(ClaimLoop):
    """Runs queued jobs of ``store`` on farm nodes through Celery.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore`.
        broker: the Redis URL of the broker (``redis://host:6379/0``).
        concurrency: jobs handed to the farm at once (the farm's nodes decide
            how many of them run).
        lease: seconds a claim lasts unless renewed.
        clock: time source for leases.
        poll: seconds one read of the event streams waits for news.
        on_event: called from the executor thread with ``{"job_id", "event", ...}``
            for every event of a node's worker, ``job_started`` / ``job_ended``
            (as :class:`~.executor.Executor`), ``node_started`` {node, run} and
            ``broker_down`` {error} / ``broker_up``.
        app: a Celery app from :func:`.celery_app.make_app` (made from ``broker``
            by default).
        node_silent: seconds a job's node gets to be heard from after the broker
            lost the job's keys; then the job is sent again.
    """

    thread_name = "celery-executor"

    def __init__(
        self,
        store,
        broker: str,
        concurrency: int = 16,
        lease: float = 30.0,
        clock: Callable[[], float] = time.time,
        poll: float = 0.2,
        on_event: Optional[Callable[[dict], None]] = None,
        app=None,
        node_silent: float = NODE_SILENT,
    ):
        super().__init__(store, concurrency, lease, clock, poll, on_event)
        self.broker = broker
        self.app = app or make_app(broker)
        self.node_silent = float(node_silent)
        #: The one-line error while the broker cannot be reached, else None.
        self.broker_error = None
        self._errors = broker_errors()
        self._backoff = Backoff(1.0, BACKOFF_MAX)
        self._retry_at = 0.0
        self._served = routing.Served()  # the queues live nodes serve
        #: Who runs each job on the farm (the nodes' heartbeats).
        self.nodes = NodeWatch(
            lambda: self.client,
            self._followed,
            self._follows,
            self._take,
            self._send_again,
            self._emit,
            lambda: self._served.get(self.client),
            self.node_silent,
        )

    @property
    def client(self):
        return redis_client(self.broker)

    # -- control ----------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs of dead owners, then run the loop in a thread."""
        super().start()
        log.info("celery executor %s started, broker %s", self.owner, describe_broker(self.broker))
        for line in redis_warnings(self.client):
            log.warning("%s (docs/farm.md, Redis settings for the broker)", line)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following the farm. Jobs on it go on there; they are released
        here, and the next start sends them again, which resumes them from the
        nodes' checkpoints once their current run ends."""
        runs = self._stop_loop(timeout)
        with self._lock:
            self._runs.clear()
        for run in runs:
            try:
                self.store.release(run.job.id, self.owner, "the app stopped following the farm")
            except StoreError as exc:
                log.warning("job %s: could not give it back: %s", run.job.id, exc)
        self._stopped()
        log.info("celery executor %s stopped", self.owner)

    # -- the loop ---------------------------------------------------------------

    def _idle(self) -> bool:
        # a read of the streams waits for news itself while jobs are on the farm
        with self._lock:
            return not self._runs or bool(self.broker_error)

    def _tick(self) -> None:
        self._look_after_store()
        if self.broker_error:
            if time.monotonic() < self._retry_at:
                return
            try:
                self.client.ping()
            except self._errors as exc:
                self._down(exc)
                return
            self._up()
        try:
            self._claim_while_room()
            if not self.broker_error:
                self._read()
            if not self.broker_error and self.nodes.due():
                self.nodes.look()
        except self._errors as exc:
            self._down(exc)

    def _cancel_run(self, run: _Remote, state: str) -> str:
        # the task is revoked (terminate) and the job recorded cancelled at once
        return model.CANCELLED if self._cancel_remote(run) else state

    def _lease_lost(self, run: _Remote, why: str) -> None:
        log.warning("job %s: %s; no longer following it", run.job.id, why)
        self._take(run)

    def _cancel_requested(self, run: _Remote) -> None:
        log.info("job %s: cancel requested; revoking its farm task", run.job.id)
        self._cancel_remote(run)

    # -- sending ----------------------------------------------------------------

    def _claim(self) -> bool:
        job = self.store.claim(self.owner, self.lease)
        if job is None:
            return False
        local = _local_snapshot(job)
        if local:
            self.records.end(job, model.FAILED, local, " before it was sent")
            return True
        try:
            self._submit(job)
        except self._errors as exc:
            self._give_back(job, self._broker_line(exc))  # before broker_error is seen
            self._down(exc)
            return False
        return True

    def _submit(self, job: model.Job, again: str = "") -> None:
        """Send ``job`` as a new task; ``again``: why it is sent again in the same
        attempt (its node was lost), which keeps the count of dead deliveries."""
        task_id = f"{job.id}-{job.attempts}-{secrets.token_hex(3)}"
        queue = queue_for(job.payload, self._served.get(self.client))
        run = _Remote(job, task_id, queue, self.clock())
        message = {
            "job_id": job.id,
            "attempt": job.attempts,
            "payload": job.payload,
            "steps": steps_to_send(job),
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.set(run.keys.current, task_id)
        pipe.set(run.keys.secret, job.secret or "")
        pipe.delete(run.keys.events, run.keys.ended, run.keys.beat)
        if not again:
            pipe.delete(run.keys.runs)
        pipe.execute()
        self.app.send_task(TASK_NAME, args=[message], task_id=task_id, queue=queue)
        with self._lock:
            self._runs[job.id] = run
        if again:
            self.records.log(job.id, "warning", f"{again}; sent again to the farm queue {queue}")
            return
        self.records.log(
            job.id,
            "info",
            f"attempt {job.attempts} of {job.max_attempts} sent to the farm queue {queue}",
        )
        self._emit(job.id, {"event": "job_started", "attempt": job.attempts, "queue": queue})

    def _send_again(self, run: _Remote, why: str) -> None:
        """Send a run's job again, same attempt, when it is still running and ours
        (its node was lost, or its narrow queue has no node any more)."""
        try:
            job = self.store.get(run.job.id)
            if job.state == model.RUNNING and job.owner == self.owner:
                self._submit(job, again=why)
        except StoreError as exc:
            log.warning("job %s: could not send it again: %s", run.job.id, exc)

    def _give_back(self, job: model.Job, reason: str) -> None:
        try:
            self.store.release(job.id, self.owner, reason)
        except StoreError as exc:
            log.warning("job %s: could not give it back: %s", job.id, exc)

    # -- the broker's health ----------------------------------------------------

    def _broker_line(self, exc: BaseException) -> str:
        reason = str(exc).strip() or type(exc).__name__
        return (
            f"cannot reach the broker at {describe_broker(self.broker)}: {reason}; "
            "local jobs are unaffected"
        )

    def _down(self, exc: BaseException) -> str:
        message = self._broker_line(exc)
        self._retry_at = time.monotonic() + self._backoff.next()
        if self.broker_error is None:
            log.error("%s (trying again every %.0f s at most)", message, BACKOFF_MAX)
            log.debug("broker error", exc_info=exc)
            self.broker_error = message
            self._emit(None, {"event": "broker_down", "error": message})
        return message

    def _up(self) -> None:
        log.info("the broker at %s answers again", describe_broker(self.broker))
        self.broker_error = None
        self._backoff.reset()
        self.nodes.broker_back()
        self._emit(None, {"event": "broker_up"})

    # -- mirroring ----------------------------------------------------------------

    def _read(self) -> None:
        with self._lock:
            runs = {run.keys.events: run for run in self._runs.values()}
        if not runs:
            return
        streams = {key: run.last_id for key, run in runs.items()}
        block = max(1, int(self.poll * 1000))
        for key, entries in self.client.xread(streams, count=READ_BATCH, block=block) or []:
            run = runs[key]
            for entry_id, fields in entries:
                run.last_id = entry_id
                if fields.get("task") != run.task_id:
                    continue  # an older or superseded delivery
                try:
                    event = json.loads(fields["event"])
                except (KeyError, ValueError):
                    log.warning("job %s: ignoring a malformed farm event", run.job.id)
                    continue
                try:
                    self._handle(run, event)
                except LeaseLost:
                    self._lease_lost(run, "its lease was lost at a checkpoint")
                    break

    def _handle(self, run: _Remote, event: dict) -> None:
        kind = event.get("event")
        job_id = run.job.id
        if kind in ("step_started", "step_finished"):
            if not self.records.step(run, event):
                return
        elif kind == "node_started":
            run.node = event.get("node")
            again = event.get("run", 1) > 1
            self.records.log(
                job_id,
                "warning" if again else "info",
                f"{where.RESUMED if again else where.RUNNING} {run.node}"
                + (" after its previous node stopped answering" if again else ""),
            )
        elif kind == "stderr":
            run.output.add((str(event.get("text", "")) + "\n").encode("utf-8"))
        elif kind == "job_ended":
            self._conclude(run, event.get("state"), event.get("error"))
            return
        self._emit(job_id, event)

    def _known_step_end(self, run: _Remote, event: dict, state: str) -> bool:
        """Whether a replayed checkpoint finds the store's step already ``state`` or
        done: it must not undo what the store knows (a farm signal's success)."""
        if not event.get("replayed"):
            return False
        step = self.store.get(run.job.id).steps[event["index"]]
        return step.state == state or step.state in model.STEP_DONE

    def _conclude(self, run: _Remote, state: Optional[str], error: Optional[str]) -> None:
        if not self._take(run):
            return
        job = run.job
        text = run.output.text()
        if text:
            self.records.log(job.id, "info", f"worker output on {run.node or 'the farm'}:\n{text}")
        if state == model.INTERRUPTED and job.attempts >= job.max_attempts:
            state, error = model.FAILED, f"gave up after {job.attempts} attempts: {error}"
        elif state not in model.RUN_ENDS:
            state, error = model.FAILED, error or f"the farm reported the unknown end {state!r}"
        if state == model.WAITING:
            names = [s.name for s in job.steps if s.state == model.STEP_WAITING]
            self.records.log(job.id, "info", waiting_line(names))
        ended = self.records.end(job, state, error, " on the farm")
        if ended is None:
            return
        state, error = ended
        # A parked job's steps are all in the store now, and its next run may be
        # long off (the user may fail, cancel or retry it meanwhile): its
        # checkpoints must not outlive the run.
        self._forget(run, finished=state in model.FINISHED or state == model.WAITING)
        self._emit(job.id, {"event": "job_ended", "state": state, "error": error})

    def _cancel_remote(self, run: _Remote) -> bool:
        """Revoke the job's task and record it cancelled; False if it ended meanwhile."""
        if not self._take(run):
            return False
        job_id = run.job.id
        try:
            # every pool: the node looks at current twice a second and kills the worker
            self.client.set(run.keys.current, "cancelled", ex=int(KEEP_ENDED))
            self.app.control.revoke(run.task_id, terminate=True, signal="SIGTERM")
        except self._errors as exc:
            log.warning(
                "job %s: could not revoke its farm task (%s); a node may finish it, "
                "its outcome is ignored",
                job_id,
                self._down(exc),
            )
        try:
            state = self.store.finish_job(job_id, self.owner, model.CANCELLED, error="cancelled")
        except LeaseLost:
            log.warning("job %s: lease lost before it could be recorded cancelled", job_id)
            return False
        state = state or model.CANCELLED
        error = "cancelled" if state == model.CANCELLED else self.store.get(job_id).error
        log.info("job %s %s; its farm task %s revoked", job_id, state, run.task_id)
        self._forget(run, finished=True, marker="cancelled")
        self._emit(job_id, {"event": "job_ended", "state": state, "error": error})
        return True

    def _followed(self) -> list:
        with self._lock:
            return list(self._runs.values())

    def _follows(self, run: _Remote) -> bool:
        with self._lock:
            return self._runs.get(run.job.id) is run

    def _take(self, run: _Remote) -> bool:
        """Stop following ``run``; True for the one caller that did it."""
        with self._lock:
            if self._runs.get(run.job.id) is not run:
                return False
            del self._runs[run.job.id]
        self._wake.set()
        return True

    def _forget(self, run: _Remote, finished: bool, marker: str = "finished") -> None:
        """Drop the job's Redis keys: all of them once it finished or parked (its
        next run starts from the store's steps; ``current`` says ``marker`` for a
        day, so a late delivery or a node still running it stops), else its events
        only (checkpoints stay for the next run, which comes at once)."""
        try:
            if finished:
                pipe = self.client.pipeline(transaction=True)
                pipe.delete(
                    run.keys.events,
                    run.keys.checkpoints,
                    run.keys.runs,
                    run.keys.secret,
                    run.keys.beat,
                )
                pipe.set(run.keys.current, marker, ex=int(KEEP_ENDED))
                pipe.execute()
            else:
                self.client.delete(run.keys.events)
        except self._errors as exc:
            log.warning("job %s: could not clean its farm keys: %s", run.job.id, exc)
