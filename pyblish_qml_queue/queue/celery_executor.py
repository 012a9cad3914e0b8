"""The Celery executor: runs the store's queued jobs on farm nodes.

It has the public surface of :class:`~.executor.Executor` (start, stop, wake,
pause, resume, paused, running, cancel, on_event), so ``serve --backend celery``
or the app constructs it in the Executor's place. The local store stays the
source of truth: the executor claims a job as the local one does, sends it as a
Celery task to the queue of its host family (:func:`.celery_app.queue_for`),
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
job (``JobStore.retry``) is claimed again and sent with its remaining steps. A
node that dies mid-job is the broker's business: the task is redelivered
(acks_late, reject_on_worker_lost) and resumes from the node checkpoints. A
worker that dies on a live node ends the run interrupted; it is sent again
while attempts remain. When the broker cannot be reached the executor says so
in one line, keeps the store as it is and tries again with a growing delay.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from typing import Callable, Optional

from . import model
from .celery_app import TASK_NAME, Keys, describe_broker, make_app, queue_for, redis_client
from .executor import (
    RECOVER_EVERY,
    RENEW_AT_MOST,
    STDERR_CAP,
    expire_waiting,
    farm_details,
    forget_owner,
    make_owner,
    owner_alive,
    register_owner,
)
from .store import LeaseLost, StoreError

log = logging.getLogger(__name__)

#: Longest wait, in seconds, between two tries to reach a broker that is down.
BACKOFF_MAX = 30.0
#: Events read from the streams in one go.
READ_BATCH = 500


def _broker_errors() -> tuple:
    import kombu.exceptions
    import redis.exceptions

    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        kombu.exceptions.OperationalError,
        OSError,
    )


class _Remote:
    """One job sent to the farm."""

    def __init__(self, job: model.Job, task_id: str, queue: str, now: float):
        self.job = job
        self.task_id = task_id
        self.queue = queue
        self.keys = Keys(job.id)
        self.last_id = "0-0"
        self.renewed = now
        self.node = None
        self.stderr = []
        self.stderr_size = 0
        self.stderr_dropped = 0


class CeleryExecutor:
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
    """

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
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store = store
        self.broker = broker
        self.concurrency = concurrency
        self.lease = float(lease)
        self.clock = clock
        self.poll = poll
        self.on_event = on_event
        self.app = app or make_app(broker)
        self.owner = make_owner()
        #: The one-line error while the broker cannot be reached, else None.
        self.broker_error = None
        self._errors = _broker_errors()
        self._runs = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._paused = False
        self._thread = None
        self._recovered_at = None
        self._backoff = 0.0
        self._retry_at = 0.0

    @property
    def client(self):
        return redis_client(self.broker)

    # -- control ----------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs of dead owners, then run the loop in a thread."""
        register_owner(self.owner)
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="celery-executor", daemon=True)
        self._thread.start()
        log.info("celery executor %s started, broker %s", self.owner, describe_broker(self.broker))

    def wake(self) -> None:
        """Look at the queue now (e.g. a job was just added)."""
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Send no new jobs; jobs on the farm go on."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self.wake()

    def running(self) -> list:
        """Ids of the jobs on the farm."""
        with self._lock:
            return list(self._runs)

    def cancel(self, job_id: str) -> str:
        """Cancel a job; one on the farm has its task revoked (terminate) and is
        recorded cancelled. Returns the store's state.

        Raises:
            JobNotFound, InvalidState: as :meth:`JobStore.cancel`.
        """
        job_id = self.store.get(job_id).id
        state = self.store.cancel(job_id)
        with self._lock:
            run = self._runs.get(job_id)
        if run is not None and self._cancel_remote(run):
            return model.CANCELLED
        return state

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following the farm. Jobs on it go on there; they are released
        here, and the next start sends them again, which resumes them from the
        nodes' checkpoints once their current run ends."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.poll + timeout)
        with self._lock:
            runs = list(self._runs.values())
            self._runs.clear()
        for run in runs:
            try:
                self.store.release(run.job.id, self.owner, "the app stopped following the farm")
            except StoreError as exc:
                log.warning("job %s: could not give it back: %s", run.job.id, exc)
        forget_owner(self.owner)
        log.info("celery executor %s stopped", self.owner)

    # -- the loop ---------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("celery executor loop: unexpected error; going on")
            with self._lock:
                idle = not self._runs
            if idle or self.broker_error:
                self._wake.wait(self.poll)
                self._wake.clear()

    def _tick(self) -> None:
        now = time.monotonic()
        if self._recovered_at is None or now - self._recovered_at >= RECOVER_EVERY:
            self._recover()
        for job_id, error in expire_waiting(self.store):
            self._emit(job_id, {"event": "job_ended", "state": model.FAILED, "error": error})
        self._renew_all()
        if self.broker_error:
            if now < self._retry_at:
                return
            try:
                self.client.ping()
            except self._errors as exc:
                self._down(exc)
                return
            self._up()
        try:
            while not self._paused and not self._stopping.is_set():
                with self._lock:
                    if len(self._runs) >= self.concurrency:
                        break
                if not self._claim():
                    break
            if not self.broker_error:
                self._read()
        except self._errors as exc:
            self._down(exc)

    def _recover(self) -> None:
        self._recovered_at = time.monotonic()
        try:
            ids = self.store.recover(owner_alive)
        except StoreError as exc:
            log.warning("could not recover jobs of stopped executors: %s", exc)
            return
        if ids:
            log.info("recovered %d job(s) of stopped executors: %s", len(ids), ", ".join(ids))

    def _renew_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if self.clock() - run.renewed < min(self.lease / 3.0, RENEW_AT_MOST):
                continue
            try:
                cancel = self.store.renew(run.job.id, self.owner, self.lease)
            except LeaseLost:
                log.warning("job %s: its lease was lost; no longer following it", run.job.id)
                self._take(run)
                continue
            except StoreError as exc:
                log.warning("job %s: could not renew its lease: %s", run.job.id, exc)
                continue
            run.renewed = self.clock()
            if cancel:
                log.info("job %s: cancel requested; revoking its farm task", run.job.id)
                self._cancel_remote(run)

    # -- sending ----------------------------------------------------------------

    def _claim(self) -> bool:
        job = self.store.claim(self.owner, self.lease)
        if job is None:
            return False
        try:
            self._submit(job)
        except self._errors as exc:
            self._give_back(job, self._down(exc))
            return False
        return True

    def _submit(self, job: model.Job) -> None:
        task_id = f"{job.id}-{job.attempts}-{secrets.token_hex(3)}"
        queue = queue_for(job.payload)
        run = _Remote(job, task_id, queue, self.clock())
        steps = [dict(step.to_dict(), records=[]) for step in job.steps]
        message = {
            "job_id": job.id,
            "attempt": job.attempts,
            "payload": job.payload,
            "steps": steps,
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.set(run.keys.current, task_id)
        pipe.set(run.keys.secret, job.secret or "")
        pipe.delete(run.keys.events, run.keys.ended, run.keys.runs)
        pipe.execute()
        self.app.send_task(TASK_NAME, args=[message], task_id=task_id, queue=queue)
        with self._lock:
            self._runs[job.id] = run
        self._log(
            job.id,
            "info",
            f"attempt {job.attempts} of {job.max_attempts} sent to the farm queue {queue}",
        )
        self._emit(job.id, {"event": "job_started", "attempt": job.attempts, "queue": queue})

    def _give_back(self, job: model.Job, reason: str) -> None:
        try:
            self.store.release(job.id, self.owner, reason)
        except StoreError as exc:
            log.warning("job %s: could not give it back: %s", job.id, exc)

    # -- the broker's health ----------------------------------------------------

    def _down(self, exc: BaseException) -> str:
        reason = str(exc).strip() or type(exc).__name__
        message = (
            f"cannot reach the broker at {describe_broker(self.broker)}: {reason}; "
            "local jobs are unaffected"
        )
        self._backoff = min(BACKOFF_MAX, self._backoff * 2 if self._backoff else 1.0)
        self._retry_at = time.monotonic() + self._backoff
        if self.broker_error is None:
            log.error("%s (trying again every %.0f s at most)", message, BACKOFF_MAX)
            log.debug("broker error", exc_info=exc)
            self.broker_error = message
            self._emit(None, {"event": "broker_down", "error": message})
        return message

    def _up(self) -> None:
        log.info("the broker at %s answers again", describe_broker(self.broker))
        self.broker_error = None
        self._backoff = 0.0
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
                    log.warning("job %s: its lease was lost at a checkpoint", run.job.id)
                    self._take(run)
                    break

    def _handle(self, run: _Remote, event: dict) -> None:
        kind = event.get("event")
        job_id = run.job.id
        index = event.get("index")
        if kind in ("step_started", "step_finished") and not (
            isinstance(index, int) and 0 <= index < len(run.job.steps)
        ):
            log.warning("job %s: ignoring %s for an unknown step %r", job_id, kind, index)
            return
        if kind == "step_started":
            self.store.start_step(job_id, self.owner, index)
        elif kind == "step_finished":
            state = event.get("state")
            if state not in model.STEP_STATES:
                state = model.STEP_FAILED
            if event.get("replayed") and self._mirrored(job_id, index, state):
                return  # the store has it, or a farm signal settled the step since
            farm, deadline = farm_details(event, state, self.clock())
            self.store.finish_step(
                job_id,
                self.owner,
                index,
                state,
                duration=event.get("duration"),
                error=event.get("error"),
                traceback=event.get("traceback"),
                records=event.get("records") or (),
                changes=event.get("changes") or {},
                farm=farm,
                deadline=deadline,
            )
            run.job.steps[index].state = state
        elif kind == "node_started":
            run.node = event.get("node")
            again = event.get("run", 1) > 1
            self._log(
                job_id,
                "warning" if again else "info",
                f"{'resumed' if again else 'running'} on farm node {run.node}"
                + (" after its previous node stopped answering" if again else ""),
            )
        elif kind == "stderr":
            self._keep_stderr(run, str(event.get("text", "")))
        elif kind == "job_ended":
            self._conclude(run, event.get("state"), event.get("error"))
            return
        self._emit(job_id, event)

    def _mirrored(self, job_id: str, index: int, state: str) -> bool:
        """Whether the store's step ``index`` is already ``state`` or done: a replayed
        checkpoint must not undo what the store knows (a farm signal's success)."""
        step = self.store.get(job_id).steps[index]
        return step.state == state or step.state in model.STEP_DONE

    def _conclude(self, run: _Remote, state: Optional[str], error: Optional[str]) -> None:
        if not self._take(run):
            return
        job = run.job
        if run.stderr:
            text = "\n".join(run.stderr)
            if run.stderr_dropped:
                text += f"\n[{run.stderr_dropped} more bytes of worker output dropped]"
            self._log(job.id, "info", f"worker output on {run.node or 'the farm'}:\n{text}")
        if state == model.INTERRUPTED and job.attempts >= job.max_attempts:
            state, error = model.FAILED, f"gave up after {job.attempts} attempts: {error}"
        elif state not in model.RUN_ENDS:
            state, error = model.FAILED, error or f"the farm reported the unknown end {state!r}"
        if state == model.WAITING:
            waiting = [_step_name(s) for s in job.steps if s.state == model.STEP_WAITING]
            self._log(
                job.id,
                "info",
                "waiting for the farm"
                + (f" ({', '.join(waiting)})" if waiting else "")
                + "; no worker runs until its signal comes",
            )
        try:
            recorded = self.store.finish_job(job.id, self.owner, state, error=error)
        except LeaseLost:
            log.warning("job %s: lease lost before it could be recorded %s", job.id, state)
            return
        if recorded and recorded != state:  # a farm signal came in while it ran
            state = recorded
            error = self.store.get(job.id).error if recorded == model.FAILED else None
            log.info("job %s: a farm signal arrived while it ran; it is %s", job.id, state)
        if error and state != model.SUCCEEDED:
            level = {model.FAILED: "error", model.INTERRUPTED: "warning"}.get(state, "info")
            self._log(job.id, level, f"{state}: {error}")
        log.info("job %s %s on the farm%s", job.id, state, f": {error}" if error else "")
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
            self.client.set(run.keys.current, "cancelled")
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
        self._forget(run, finished=True)
        self._emit(job_id, {"event": "job_ended", "state": state, "error": error})
        return True

    def _take(self, run: _Remote) -> bool:
        """Stop following ``run``; True for the one caller that did it."""
        with self._lock:
            if self._runs.get(run.job.id) is not run:
                return False
            del self._runs[run.job.id]
        self._wake.set()
        return True

    def _forget(self, run: _Remote, finished: bool) -> None:
        """Drop the job's Redis keys: all of them once it finished or parked (its
        next run starts from the store's steps), else its events only (checkpoints
        stay for the next run, which comes at once)."""
        try:
            if finished:
                self.client.delete(
                    run.keys.events,
                    run.keys.checkpoints,
                    run.keys.current,
                    run.keys.runs,
                    run.keys.secret,
                )
            else:
                self.client.delete(run.keys.events)
        except self._errors as exc:
            log.warning("job %s: could not clean its farm keys: %s", run.job.id, exc)

    def _keep_stderr(self, run: _Remote, line: str) -> None:
        if run.stderr_size + len(line) <= STDERR_CAP:
            run.stderr.append(line)
            run.stderr_size += len(line) + 1
        else:
            run.stderr_dropped += len(line) + 1

    # -- reporting ----------------------------------------------------------------

    def _log(self, job_id: str, level: str, message: str) -> None:
        try:
            self.store.add_log(job_id, level, message)
        except StoreError as exc:
            log.warning("job %s: could not write its log: %s", job_id, exc)

    def _emit(self, job_id: Optional[str], event: dict) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(dict(event, job_id=job_id))
        except Exception:
            log.exception("on_event callback failed for job %s", job_id)


def _step_name(step) -> str:
    name = step.label or step.plugin
    return f"{name} on {step.instance}" if step.instance else name
