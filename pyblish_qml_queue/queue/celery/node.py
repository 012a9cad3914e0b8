"""The Celery task on a farm node: run one job sent by the app (:mod:`.app`).

- it runs the job with the local :class:`~.executor.Executor` over an in-memory
  store, so the worker process is started exactly as on a workstation
  (``python -m pyblish_qml_queue.worker``, same input line, same events);
- every event goes to the job's Redis stream (``XADD``); each finished step
  (done, or waiting for a render farm) also into the job's checkpoint hash, in
  one script that first checks the app still wants this delivery (``current``):
  a task redelivered after its node died merges the checkpoints into the steps
  it was sent and resumes at the interrupted step, without running completed
  ones again nor submitting a waiting one to the farm twice;
- the worker's acknowledgement of a step (docs/adr/0002-worker-protocol.md)
  waits until that step's checkpoint is in Redis or, while the broker is away,
  in the node's journal (``<home>/node-journal/<task>.json``, fsynced); events
  Redis did not take wait in order and are sent with backoff, and a node
  restarted with a journal sends it first (:func:`.journal.replay_journal`). So no step
  starts before the previous one's checkpoint is durable somewhere;
- the job's farm-signal secret is a Redis key the app sets with the task
  (never in the task message, which monitors show): the node's worker gets it
  as ``PYBLISH_QML_QUEUE_JOB_SECRET``, as on a workstation;
- a lock per job (redis-py's :class:`~redis.lock.Lock`, renewed while the job
  runs, taken back when a restarted broker lost it) lets only one delivery run
  a job; another delivery of it retries later, so it takes over once the lock
  holder's node is dead, or finds the job ended and drops itself. With the lock,
  the node renews the job's heartbeat key (``beat``: node, task, lease), which
  the app watches to tell a lost node;
- the app names the task id it expects to run (``current``); a delivery of an
  older or cancelled submission drops itself, and a running one that finds
  ``current`` changed (cancel, or the app sent the job again) kills its worker
  within :data:`LOOK_EVERY` s plus the executor's grace, on every pool.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Optional

from celery.exceptions import Reject
from redis.exceptions import LockError, RedisError

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery import farmenv
from pyblish_qml_queue.queue.celery.broker import Backoff, Keys, redis_client
from pyblish_qml_queue.queue.celery.journal import Journal, journal_folder, write_entry
from pyblish_qml_queue.queue.celery.journal import start_replay as start_replay  # cli/nodes.py
from pyblish_qml_queue.queue.executor import Executor
from pyblish_qml_queue.queue.job_run import JobRun
from pyblish_qml_queue.queue.memory import MemoryJobStore
from pyblish_qml_queue.queue.owners import make_owner

log = logging.getLogger(__name__)

#: Seconds a node's hold on a job lasts unless renewed (its heartbeat renews it
#: every third of that); a dead node's job is taken over after at most this.
NODE_LEASE = 30.0
#: Seconds between two looks of a waiting delivery at a job another node holds.
WATCH_EVERY = 2.0
#: Seconds between two looks of a running delivery at ``current`` (cancel).
LOOK_EVERY = 0.5
#: Deliveries that find no ``current`` (a broker restarted empty) look again this
#: many times, :data:`WATCH_EVERY` s apart, for the app to put it back.
MISSING_RETRIES = 15
#: Seconds a node keeps trying to report its run's end before it gives the task
#: back to the broker (its checkpoints stay in its journal meanwhile).
END_PATIENCE = 300.0
#: Step states a checkpoint keeps: a redelivery neither runs these steps again
#: nor submits a waiting one to the farm again.
_CHECKPOINTED = model.STEP_DONE + (model.STEP_WAITING,)
#: Step states of a sent step that a checkpoint may replace.
_TO_RUN = (model.PENDING, model.STEP_RUNNING)

# The heartbeat: KEYS beat, current, ended; ARGV beat JSON, its ms, task. A
# current lost with a broker restarted empty is put back (unless this task ended).
_BEAT = """
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('get', KEYS[3]) ~= ARGV[3] then redis.call('set', KEYS[2], ARGV[3], 'NX') end
return 1
"""


class _Refused(Exception):
    """The app no longer wants this delivery (cancelled, finished, sent again)."""


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
    if ended == task_id:
        log.info("job %s: task %s already ran to its end; dropped", job_id, task_id)
        return {"dropped": "already ended"}
    if current is None:
        # The broker lost the job's keys (restarted empty): the app following the
        # job puts them back, or sends the job again.
        if (task.request.retries or 0) < MISSING_RETRIES:
            log.info("job %s: the broker has no record of it yet; looking again", job_id)
            raise task.retry(countdown=WATCH_EVERY)
        return {"dropped": "unknown to the broker"}
    if current != task_id:
        log.info("job %s: task %s is superseded or cancelled; dropped", job_id, task_id)
        return {"dropped": "superseded or cancelled"}
    lease = float(task.app.conf.get("pyblish_node_lease") or NODE_LEASE)
    token = make_owner()
    lock = client.lock(keys.lock, timeout=lease, blocking=False, thread_local=False)
    if not lock.acquire(token=token):
        holder = client.get(keys.lock)
        log.info("job %s runs on %s; looking again in %.0f s", job_id, holder, WATCH_EVERY)
        raise task.retry(countdown=WATCH_EVERY)
    journal = Journal(journal_folder(), job_id, task_id)
    run = NodeRun(client, keys, task_id, lock, token, lease, message, secret, journal)
    run.node = task.request.hostname or run.node  # the Celery node name (--name)
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
            lock.release()
        except (LockError, RedisError):
            log.warning("job %s: could not drop its lock; it expires in %.0f s", job_id, lease)


class _NodeJobRun(JobRun):
    """A :class:`JobRun` whose acknowledgement of a step waits until the step's
    checkpoint is durable (Redis, else the node's journal)."""

    node = None  # the NodeRun

    def handle(self, event: dict) -> None:
        if (
            event["event"] == "step_finished"
            and event.get("state") in _CHECKPOINTED
            and not self.lost
            and self.node is not None
        ):
            if not self.node.make_durable(event):
                # The app no longer wants this run: no ack, so no further step.
                self.stop()
                return
        super().handle(event)


class _NodeExecutor(Executor):
    """The local executor, running :class:`_NodeJobRun` for one NodeRun."""

    def __init__(self, store, node, **kwargs):
        super().__init__(store, **kwargs)
        self.node = node

    def _make_run(self, job: model.Job) -> _NodeJobRun:
        run = _NodeJobRun(job, self.records, self.python, self.grace, self._run_ended)
        run.node = self.node
        return run


class NodeRun:
    """One delivery of a job running on this node, holding the job's lock."""

    def __init__(
        self,
        client,
        keys: Keys,
        task_id: str,
        lock,
        token: str,
        lease: float,
        message: dict,
        secret: Optional[str] = None,
        journal: Optional[Journal] = None,
    ):
        self.client = client
        self.keys = keys
        self.task_id = task_id
        self.lock = lock
        self.token = token
        self.lease = lease
        self.message = message
        self.secret = secret
        self.journal = journal
        self.job_id = message["job_id"]
        self.node = socket.gethostname()
        self.ended = threading.Event()
        self.heartbeat_stop = threading.Event()
        self.outcome = {}
        self.lost = False  # another node holds the job's lock
        self.refused = None  # why the app no longer wants this run, once it says so
        self.executor = None
        self.outbox = []  # [{"event", "checkpoint", "end"}] not yet in Redis, in order
        self.outbox_lock = threading.RLock()
        self.sending = False  # a thread sends the outbox with backoff

    def run(self) -> dict:
        runs = self.client.incr(self.keys.runs)
        limit = int(self.message.get("payload", {}).get("max_attempts") or 3)
        if runs > limit:
            error = f"gave up after farm nodes died {runs - 1} times running it"
            self._end(model.FAILED, error)
            return {"state": model.FAILED, "error": error}
        threading.Thread(target=self._heartbeat, name="job-beat", daemon=True).start()
        steps = self._merge_checkpoints()
        self._emit({"event": "node_started", "node": self.node, "pid": os.getpid(), "run": runs})
        store = MemoryJobStore()
        store.add(self._job(steps))
        self.executor = _NodeExecutor(
            store, self, concurrency=1, lease=max(self.lease, 10.0), on_event=self._on_event
        )
        self.executor.start()
        try:
            while not self.ended.wait(LOOK_EVERY):
                if self.lost:
                    log.error("job %s: another node took it over; stopping here", self.job_id)
                    break
                self._look()
        finally:
            self.executor.pause()
            self.executor.stop(timeout=2.0)
        if self.lost:
            return {"state": "lost"}
        if self.refused:
            return {"dropped": self.refused}
        self._end(self.outcome.get("state"), self.outcome.get("error"))
        return {"state": self.outcome.get("state"), "error": self.outcome.get("error")}

    def _look(self) -> None:
        """Stop the job at once when the app no longer wants this run."""
        if self.refused:
            return
        try:
            current = self.client.get(self.keys.current)
        except RedisError:
            return  # the broker is away: the job goes on, its checkpoints journalled
        if current is not None and current != self.task_id:
            self._refuse("cancelled" if current == "cancelled" else f"superseded ({current})")

    def _refuse(self, why: str) -> None:
        if self.refused:
            return
        self.refused = why
        log.warning("job %s: the app no longer wants this run (%s); stopping it", self.job_id, why)
        with self.outbox_lock:
            self.outbox.clear()
            if self.journal is not None:
                self.journal.clear()
        executor = self.executor
        if executor is not None:
            try:
                executor.cancel(self.job_id)  # SIGTERM, then SIGKILL after the grace
            except Exception as exc:  # ended meanwhile
                log.debug("job %s: cancel: %s", self.job_id, exc)

    def _job(self, steps: list) -> model.Job:
        fields = {f for f in model.Step.__dataclass_fields__}
        # the node's own environment, the job's allowed variables, studio paths mapped
        payload = farmenv.for_node(self.message["payload"])
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

    # -- events and checkpoints -----------------------------------------------------

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
        if event.pop("durable", False):
            return  # sent with its checkpoint before the worker's ack
        checkpoint = None
        if kind == "step_finished" and event.get("state") in _CHECKPOINTED:
            checkpoint = _checkpoint_of(event)
        self._emit(event, checkpoint)

    def make_durable(self, event: dict) -> bool:
        """Send a finished step with its checkpoint; while the broker does not take
        it, keep it in the journal. Returns once one of them has it (False: the app
        no longer wants this run). Tries with backoff while neither can take it."""
        sent = {k: v for k, v in event.items() if k != "job_id"}
        entry = {"event": sent, "checkpoint": _checkpoint_of(sent), "end": False}
        backoff = Backoff(0.2, 5.0)
        with self.outbox_lock:
            self.outbox.append(entry)
        while True:
            with self.outbox_lock:
                if self.refused:
                    return False
                if not any(e is entry for e in self.outbox):
                    break  # the sender took it meanwhile
                try:
                    self._flush()
                    break
                except _Refused:
                    return False
                except RedisError as exc:
                    reason = f"the broker is away ({exc})"
                try:
                    if self.journal is None:
                        raise OSError("no journal")
                    self.journal.save(self.outbox)
                    log.warning(
                        "job %s: step %s kept in the journal %s: %s; sending it later",
                        self.job_id,
                        sent.get("index"),
                        self.journal.path,
                        reason,
                    )
                    self._send_later()
                    break
                except OSError as exc:
                    reason += f", and the journal cannot take it ({exc})"
            wait = backoff.next()
            log.error(
                "job %s: step %s is safe nowhere yet: %s; its job waits, trying again in %.1f s",
                self.job_id,
                sent.get("index"),
                reason,
                wait,
            )
            time.sleep(wait)
        event["durable"] = True
        return True

    def _emit(self, event: dict, checkpoint: Optional[dict] = None) -> None:
        """Send an event (with the checkpoint of its step, in one script).

        Events that Redis did not take wait in the outbox, in order, and a thread
        sends them with backoff; :meth:`_end` insists on them.
        """
        with self.outbox_lock:
            if self.refused:
                return
            self.outbox.append({"event": event, "checkpoint": checkpoint, "end": False})
            try:
                self._flush()
            except _Refused:
                pass
            except RedisError as exc:
                log.warning("job %s: cannot report to the broker (%s); kept", self.job_id, exc)
                self._send_later()

    def _flush(self) -> None:
        """Send the outbox in order. Raises RedisError, or _Refused (then the run stops)."""
        with self.outbox_lock:
            while self.outbox:
                result = write_entry(self.client, self.keys, self.task_id, self.outbox[0], True)
                if result != 1:
                    current = self.client.get(self.keys.current)
                    self._refuse("cancelled" if current == "cancelled" else "superseded")
                    raise _Refused()
                self.outbox.pop(0)
            if self.journal is not None:
                self.journal.sync(self.outbox)

    def _send_later(self) -> None:
        """Send the outbox from a thread, with backoff, until it is empty."""
        with self.outbox_lock:
            if self.sending:
                return
            self.sending = True
        threading.Thread(target=self._sender, name="job-outbox", daemon=True).start()

    def _sender(self) -> None:
        backoff = Backoff(0.2, 5.0)
        while True:
            with self.outbox_lock:
                try:
                    self._flush()
                except RedisError:
                    pass
                except _Refused:
                    self.outbox.clear()
                if not self.outbox:
                    self.sending = False
                    log.info("job %s: the broker has its events again", self.job_id)
                    return
            time.sleep(backoff.next())

    def _end(self, state: Optional[str], error: Optional[str]) -> None:
        """Report how the run ended and mark this task ended, in one script, after
        every event before it; tries with backoff for :data:`END_PATIENCE` s.

        Raises:
            redis.RedisError: the broker did not take it in time.
        """
        if state not in model.RUN_ENDS:
            state, error = model.INTERRUPTED, error or "the node's run ended without an outcome"
        event = {"event": "job_ended", "state": state, "error": error}
        with self.outbox_lock:
            self.outbox.append({"event": event, "checkpoint": None, "end": True})
        backoff = Backoff(0.2, 5.0)
        deadline = time.monotonic() + END_PATIENCE
        while True:
            with self.outbox_lock:
                try:
                    self._flush()
                    return
                except _Refused:
                    return
                except RedisError as exc:
                    if time.monotonic() > deadline:
                        raise
                    log.warning(
                        "job %s: cannot report its end yet (%s); trying again", self.job_id, exc
                    )
                    if self.journal is not None:
                        try:
                            self.journal.save(self.outbox)
                        except OSError:
                            pass
            time.sleep(backoff.next())

    def _heartbeat(self) -> None:
        """Renew the job's lock and heartbeat every third of the lease."""
        every = self.lease / 3.0
        warned = False
        while True:
            try:
                held = self._beat()
                warned = False
            except RedisError as exc:
                held = True  # nobody can take the job while the broker is away
                if not warned:
                    log.warning("job %s: could not renew its lock: %s", self.job_id, exc)
                    warned = True
            if not held:
                self.lost = True
                return
            if self.heartbeat_stop.wait(every):
                return

    def _beat(self) -> bool:
        """One renewal; False when another node holds the job's lock."""
        try:
            self.lock.reacquire()
        except LockError:
            if self.client.get(self.keys.lock) is not None:
                return False
            if not self.lock.acquire(token=self.token):
                return False
            log.warning(
                "job %s: the broker had lost this node's hold on the job (restarted empty?); "
                "taken back",
                self.job_id,
            )
        beat = {"node": self.node, "task": self.task_id, "lease": self.lease, "pid": os.getpid()}
        self.client.eval(
            _BEAT,
            3,
            self.keys.beat,
            self.keys.current,
            self.keys.ended,
            json.dumps(beat),
            int(self.lease * 1000),
            self.task_id,
        )
        return True


def _checkpoint_of(event: dict) -> dict:
    return {
        k: event.get(k)
        for k in ("state", "duration", "error", "traceback", "records", "changes", "farm")
    }
