"""The Celery task on a farm node: run one job sent by the app (:mod:`.celery_app`).

- it runs the job with the local :class:`~.executor.Executor` over an in-memory
  store, so the worker process is started exactly as on a workstation
  (``python -m pyblish_qml_queue.worker``, same input line, same events);
- every event goes to the job's Redis stream (``XADD``), each finished step
  (done, or waiting for a render farm) also into the job's checkpoint hash, in
  one transaction: a task redelivered after its node died merges the checkpoints
  into the steps it was sent and resumes at the interrupted step, without
  running completed ones again nor submitting a waiting one to the farm twice;
- the job's farm-signal secret is a Redis key the app sets with the task
  (never in the task message, which monitors show): the node's worker gets it
  as ``PYBLISH_QML_QUEUE_JOB_SECRET``, as on a workstation;
- a lock per job (``SET NX PX``, renewed while the job runs) lets only one
  delivery run a job; another delivery of it retries later, so it takes over
  once the lock holder's node is dead, or finds the job ended and drops itself;
- the app names the task id it expects to run (``current``); a delivery of an
  older or cancelled submission drops itself.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from typing import Optional

from celery.exceptions import Reject
from redis.exceptions import RedisError

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery.broker import Keys, redis_client
from pyblish_qml_queue.queue.owners import make_owner

log = logging.getLogger(__name__)

#: Seconds a node's hold on a job lasts unless renewed (its heartbeat renews it
#: every third of that); a dead node's job is taken over after at most this.
NODE_LEASE = 30.0
#: Events kept per job stream (approximately); the app reads them as they come.
STREAM_LENGTH = 10000
#: Seconds Redis keys of a finished job are kept (then they expire).
KEEP_ENDED = 24 * 3600.0
#: Seconds between two looks of a waiting delivery at a job another node holds.
WATCH_EVERY = 2.0
#: Step states a checkpoint keeps: a redelivery neither runs these steps again
#: nor submits a waiting one to the farm again.
_CHECKPOINTED = model.STEP_DONE + (model.STEP_WAITING,)
#: Step states of a sent step that a checkpoint may replace.
_TO_RUN = (model.PENDING, model.STEP_RUNNING)

# Renew the lock only while it is ours; drop it only if it is ours.
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)
_DROP = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def run_job(task, message: dict) -> dict:
    """Run one job on this node (the body of the Celery task :data:`TASK_NAME`).

    Returns:
        ``{"state": ...}`` how the run ended, or ``{"dropped": reason}`` when this
        delivery had nothing to do (superseded, cancelled, already ended).
    """
    job_id = message["job_id"]
    task_id = task.request.id
    client = redis_client(task.app.conf.broker_url)
    keys = Keys(job_id)
    current, ended, secret = client.mget(keys.current, keys.ended, keys.secret)
    if current != task_id:
        log.info("job %s: task %s is superseded or cancelled; dropped", job_id, task_id)
        return {"dropped": "superseded or cancelled"}
    if ended == task_id:
        log.info("job %s: task %s already ran to its end; dropped", job_id, task_id)
        return {"dropped": "already ended"}
    lease = float(task.app.conf.get("pyblish_node_lease") or NODE_LEASE)
    token = make_owner()
    if not client.set(keys.lock, token, nx=True, px=int(lease * 1000)):
        holder = client.get(keys.lock)
        log.info("job %s runs on %s; looking again in %.0f s", job_id, holder, WATCH_EVERY)
        raise task.retry(countdown=WATCH_EVERY)
    run = NodeRun(client, keys, task_id, token, lease, message, secret)
    try:
        return run.run()
    except RedisError as exc:
        # The end could not be reported: leave the message to the broker, which
        # hands it out again; that delivery resumes from the checkpoints.
        log.error("job %s: lost the broker (%s); the job goes back to its queue", job_id, exc)
        raise Reject(str(exc), requeue=True)
    finally:
        run.heartbeat_stop.set()
        try:
            client.eval(_DROP, 1, keys.lock, token)
        except Exception:
            log.warning("job %s: could not drop its lock; it expires in %.0f s", job_id, lease)


class NodeRun:
    """One delivery of a job running on this node, holding the job's lock."""

    def __init__(
        self,
        client,
        keys: Keys,
        task_id: str,
        token: str,
        lease: float,
        message: dict,
        secret: Optional[str] = None,
    ):
        self.client = client
        self.keys = keys
        self.task_id = task_id
        self.token = token
        self.lease = lease
        self.message = message
        self.secret = secret
        self.job_id = message["job_id"]
        self.ended = threading.Event()
        self.heartbeat_stop = threading.Event()
        self.outcome = {}
        self.lost = False
        self.outbox = []  # [(event, checkpoint or None)] not yet in Redis
        self.outbox_lock = threading.Lock()

    def run(self) -> dict:
        from pyblish_qml_queue.queue.executor import Executor
        from pyblish_qml_queue.queue.memory import MemoryJobStore

        runs = self.client.incr(self.keys.runs)
        limit = int(self.message.get("payload", {}).get("max_attempts") or 3)
        node = socket.gethostname()
        if runs > limit:
            error = f"gave up after farm nodes died {runs - 1} times running it"
            self._end(model.FAILED, error)
            return {"state": model.FAILED, "error": error}
        threading.Thread(target=self._heartbeat, name="job-lock", daemon=True).start()
        steps = self._merge_checkpoints()
        self._emit({"event": "node_started", "node": node, "pid": os.getpid(), "run": runs})
        store = MemoryJobStore()
        store.add(self._job(steps))
        executor = Executor(
            store, concurrency=1, lease=max(self.lease, 10.0), on_event=self._on_event
        )
        executor.start()
        try:
            while not self.ended.wait(0.5):
                if self.lost:
                    log.error("job %s: another node took it over; stopping here", self.job_id)
                    break
        finally:
            executor.pause()
            executor.stop(timeout=2.0)
        if self.lost:
            return {"state": "lost"}
        self._end(self.outcome.get("state"), self.outcome.get("error"))
        return {"state": self.outcome.get("state"), "error": self.outcome.get("error")}

    def _job(self, steps: list) -> model.Job:
        fields = {f for f in model.Step.__dataclass_fields__}
        payload = self.message["payload"]
        return model.Job(
            id=self.job_id,
            title=str(payload.get("title") or ""),
            payload=payload,
            steps=[model.Step(**{k: v for k, v in s.items() if k in fields}) for s in steps],
            max_attempts=2,  # one run here; a dead worker ends it as interrupted, not failed
            secret=self.secret,  # its worker's PYBLISH_QML_QUEUE_JOB_SECRET, for farm signals
        )

    def _merge_checkpoints(self) -> list:
        """The steps sent, with what earlier deliveries did: steps they finished
        are done, steps they handed to a farm are waiting (not submitted again).

        Only steps the app sent as still to run (pending, running) take a
        checkpoint: the app's store knows better about the others (a farm signal
        may have made a waiting step succeed since). Each merged step is announced
        as ``step_finished`` (``"replayed": true``) so the app's store catches up
        with what a dead node did.
        """
        steps = [dict(s) for s in self.message["steps"]]
        saved = self.client.hgetall(self.keys.checkpoints)
        for raw_index, raw in sorted(saved.items(), key=lambda kv: int(kv[0])):
            index = int(raw_index)
            if not 0 <= index < len(steps) or steps[index].get("state") not in _TO_RUN:
                continue
            done = json.loads(raw)
            steps[index].update(
                state=done["state"],
                changes=done.get("changes") or {},
                farm=done.get("farm") or {},
                error=None,
                traceback=None,
            )
            self._emit(dict(done, event="step_finished", index=index, replayed=True))
        return steps

    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        event = {k: v for k, v in event.items() if k != "job_id"}
        if kind == "job_started":
            return  # the node's own bookkeeping; node_started said where it runs
        if kind == "job_ended":
            if not self.ended.is_set():  # the first end counts (not a later expiry)
                self.outcome = event
                self.ended.set()
            return  # sent by _end, together with the end marker
        checkpoint = None
        if kind == "step_finished" and event.get("state") in _CHECKPOINTED:
            checkpoint = {
                k: event.get(k)
                for k in ("state", "duration", "error", "traceback", "records", "changes", "farm")
            }
        self._emit(event, checkpoint)

    def _emit(self, event: dict, checkpoint: Optional[dict] = None) -> None:
        """Send an event (with the checkpoint of its step, in one transaction).

        Events that Redis did not take wait in an outbox, in order, and go with
        the next event that gets through; :meth:`_end` insists on them.
        """
        with self.outbox_lock:
            self.outbox.append((event, checkpoint))
            try:
                self._flush()
            except RedisError as exc:
                log.warning("job %s: cannot report to the broker (%s); kept", self.job_id, exc)

    def _flush(self) -> None:
        while self.outbox:
            event, checkpoint = self.outbox[0]
            pipe = self.client.pipeline(transaction=True)
            if checkpoint is not None:
                pipe.hset(self.keys.checkpoints, str(event["index"]), json.dumps(checkpoint))
            pipe.xadd(
                self.keys.events,
                {"task": self.task_id, "event": json.dumps(event)},
                maxlen=STREAM_LENGTH,
                approximate=True,
            )
            pipe.execute()
            self.outbox.pop(0)

    def _end(self, state: Optional[str], error: Optional[str]) -> None:
        """Report how the run ended and mark this task ended, in one transaction.

        Raises:
            redis.RedisError: the broker did not take it (nor earlier events).
        """
        if state not in model.RUN_ENDS:
            state, error = model.INTERRUPTED, error or "the node's run ended without an outcome"
        with self.outbox_lock:
            self._flush()
            pipe = self.client.pipeline(transaction=True)
            event = {"event": "job_ended", "state": state, "error": error}
            pipe.xadd(self.keys.events, {"task": self.task_id, "event": json.dumps(event)})
            pipe.set(self.keys.ended, self.task_id, ex=int(KEEP_ENDED))
            pipe.execute()

    def _heartbeat(self) -> None:
        every = self.lease / 3.0
        while not self.heartbeat_stop.wait(every):
            try:
                held = self.client.eval(
                    _RENEW, 1, self.keys.lock, self.token, int(self.lease * 1000)
                )
            except Exception as exc:
                log.warning("job %s: could not renew its lock: %s", self.job_id, exc)
                continue
            if not held:
                self.lost = True
                return
