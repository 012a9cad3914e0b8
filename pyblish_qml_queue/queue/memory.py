"""An in-memory job store: dicts behind one lock.

For tests and for demos that need no durability. It keeps the same contract as
the SQLite store (the shared suite in tests/test_store_contract.py runs both).
Jobs are deep-copied in and out, so no caller shares mutable state with it.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import Callable, Optional

from pyblish_qml_queue.queue import model, rules
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.store import ALREADY_APPLIED, APPLIED, FarmSignal, JobStore, NonceSeen

log = logging.getLogger(__name__)


class MemoryJobStore(JobStore):
    """A :class:`~pyblish_qml_queue.queue.store.JobStore` that forgets on exit.

    Args:
        clock: Seconds since the epoch; inject a fake to test leases.
    """

    path = None
    recovered_from = None

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._lock = threading.RLock()
        self._jobs = {}  # id -> Job
        self._logs = {}  # id -> [{"time", "level", "message"}]
        self._last_position = 0
        self._nonces = {}  # nonce -> time sent

    # -- adding and reading ------------------------------------------------------

    def add(self, job: Job) -> bool:
        with self._lock:
            if job.id in self._jobs:
                return False
            job = copy.deepcopy(job)
            job.step_counts = None
            job.secret = job.secret or rules.new_secret()
            job.position = self._next_position()
            self._jobs[job.id] = job
            self._logs[job.id] = []
            return True

    def get(self, job_id: str) -> Job:
        with self._lock:
            return copy.deepcopy(self._find(job_id))

    def jobs(self, state=None, host=None, limit=None) -> list:
        with self._lock:
            found = [
                job
                for job in self._jobs.values()
                if (state is None or job.state == state)
                and (host is None or host in (job.host.get("application"), job.host.get("machine")))
            ]
            found.sort(key=_queue_order)
            if limit is not None:
                found = found[:limit]
            return [_summary(job) for job in found]

    def counts(self) -> dict:
        with self._lock:
            out = {}
            for job in self._jobs.values():
                out[job.state] = out.get(job.state, 0) + 1
            return out

    def log(self, job_id: str) -> list:
        with self._lock:
            return copy.deepcopy(self._logs[self._find(job_id).id])

    def add_log(self, job_id: str, level: str, message: str) -> None:
        with self._lock:
            job = self._find(job_id)
            self._append_log(job.id, level, message)

    # -- the executor's side (fenced) ------------------------------------------------

    def claim(self, owner: str, lease: float) -> Optional[Job]:
        with self._lock:
            claimable = [j for j in self._jobs.values() if j.state in model.CLAIMABLE]
            if not claimable:
                return None
            job = min(claimable, key=lambda j: j.position)
            now = self._clock()
            job.state = model.RUNNING
            job.owner = owner
            job.lease_until = now + lease
            job.attempts += 1
            job.started = job.started if job.started is not None else now
            job.error = None
            job.updated = now
            return copy.deepcopy(job)

    def renew(self, job_id: str, owner: str, lease: float) -> bool:
        with self._lock:
            job = self._fenced(job_id, owner)
            job.lease_until = self._clock() + lease
            return bool(job.cancel_requested)

    def reclaim(self, job_id: str, owner: str, lease: float) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state != model.RUNNING or job.owner != owner:
                raise rules.lease_lost(job_id, owner)
            job.lease_until = self._clock() + lease
            return bool(job.cancel_requested)

    def start_step(
        self, job_id: str, owner: str, index: int, worker: Optional[dict] = None
    ) -> None:
        with self._lock:
            job = self._fenced(job_id, owner)
            step = _step(job, index)
            now = self._clock()
            step.worker = dict(worker or {})
            step.state = model.STEP_RUNNING
            step.started = now
            step.finished = step.duration = step.error = step.traceback = None
            step.runs += 1
            job.updated = now

    def _finish_step(self, job_id: str, owner: str, index: int, outcome: dict) -> None:
        with self._lock:
            job = self._fenced(job_id, owner)
            step = _step(job, index)
            now = self._clock()
            for name, value in copy.deepcopy(outcome).items():
                setattr(step, name, value)
            step.finished = now
            job.updated = now

    def finish_job(self, job_id: str, owner: str, state: str, error: Optional[str] = None) -> str:
        rules.check_run_end(state)
        with self._lock:
            job = self._fenced(job_id, owner)
            now = self._clock()
            _reset_running_steps(job)
            state, error = rules.run_end(job, state, error)
            if state == model.QUEUED:
                job.attempts = 0
            job.state = state
            job.error = error
            job.owner = job.lease_until = None
            job.cancel_requested = job.resume = False
            job.finished = None if state in model.UNFINISHED_ENDS + (model.QUEUED,) else now
            job.updated = now
            return state

    def release(self, job_id: str, owner: str, reason: str) -> None:
        with self._lock:
            job = self._fenced(job_id, owner)
            _reset_running_steps(job)
            job.state = model.INTERRUPTED
            job.attempts = max(0, job.attempts - 1)
            job.owner = job.lease_until = None
            job.error = reason
            job.updated = self._clock()
            self._append_log(job.id, "INFO", f"released by its executor: {reason}")

    def recover(self, alive: Callable[[str], bool]) -> list:
        with self._lock:
            now = self._clock()
            recovered = []
            for job in sorted(self._jobs.values(), key=lambda j: j.position):
                if job.state != model.RUNNING:
                    continue
                reason = rules.lost_reason(job.owner, job.lease_until, now, alive)
                if reason is None:
                    continue
                step_runs = max([s.runs for s in job.steps if s.state == model.STEP_RUNNING] or [0])
                _reset_running_steps(job)
                state, error, line, job.attempts = rules.recovered_state(
                    job.attempts, job.max_attempts, job.cancel_requested, reason, step_runs
                )
                if job.resume and state == model.INTERRUPTED:
                    state, error = rules.run_end(job, state, error)
                    line = error if state == model.FAILED else line
                job.state = state
                job.error = error
                job.owner = job.lease_until = None
                job.cancel_requested = job.resume = False
                job.finished = None if state == model.INTERRUPTED else now
                job.updated = now
                self._append_log(job.id, "WARNING", line)
                log.warning("Job %s: %s", job.id, line)
                recovered.append(job.id)
            return recovered

    # -- farm signals ------------------------------------------------------------------

    def _signal_step(self, job_id: str, signal: FarmSignal) -> tuple:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise rules.not_found(job_id)
            if signal.forget_before is not None:
                for old in [n for n, t in self._nonces.items() if t < signal.forget_before]:
                    del self._nonces[old]
            if signal.nonce is not None and signal.nonce in self._nonces:
                raise NonceSeen(f"nonce {signal.nonce} was used before")
            changed = copy.deepcopy(job)
            applied = rules.apply_farm_signal(changed, signal, self._clock())
            if applied is not None:
                _step, level, line = applied
                self._jobs[job.id] = job = changed
                self._append_log(job.id, level, line)
            if signal.nonce is not None:
                self._nonces[signal.nonce] = self._clock() if signal.sent is None else signal.sent
            return (APPLIED if applied else ALREADY_APPLIED), job.state

    def expire_waiting(self) -> list:
        with self._lock:
            now = self._clock()
            failed = []
            for job in self._jobs.values():
                if job.state != model.WAITING:
                    continue
                steps = rules.expired_steps(job, now)
                if steps:
                    error = rules.expire(job, steps, now)
                    self._append_log(job.id, "ERROR", error)
                    log.error("Job %s: %s", job.id, error)
                    failed.append(job.id)
            return failed

    # -- the user's side ----------------------------------------------------------

    def cancel(self, job_id: str) -> str:
        with self._lock:
            job = self._find(job_id)
            rules.check_action("cancel", job.id, job.state)
            now = self._clock()
            if job.state == model.RUNNING:
                job.cancel_requested = True
                job.updated = now
                self._append_log(job.id, "INFO", "cancel requested")
                return model.RUNNING
            job.state = model.CANCELLED
            job.finished = job.updated = now
            self._append_log(job.id, "INFO", "cancelled")
            return model.CANCELLED

    def retry(self, job_id: str, failed_only: bool = False) -> None:
        with self._lock:
            job = self._find(job_id)
            rules.check_action("retry", job.id, job.state)
            for step in job.steps:
                if not (failed_only and step.done):
                    _reset_step(step)
            job.state = model.QUEUED
            job.attempts = 0
            job.error = job.owner = job.lease_until = job.finished = None
            job.cancel_requested = job.resume = False
            job.position = self._next_position()
            job.updated = self._clock()
            which = "failed steps" if failed_only else "all steps"
            self._append_log(job.id, "INFO", f"queued again ({which})")

    def move(self, job_id: str, delta: int) -> None:
        with self._lock:
            job = self._find(job_id)
            rules.check_action("move", job.id, job.state)
            queue = sorted(
                (j for j in self._jobs.values() if j.state in model.CLAIMABLE),
                key=lambda j: j.position,
            )
            positions = [j.position for j in queue]
            old = queue.index(job)
            new = max(0, min(len(queue) - 1, old + int(delta)))
            queue.insert(new, queue.pop(old))
            for other, position in zip(queue, positions):
                other.position = position

    def remove(self, job_id: str) -> None:
        with self._lock:
            job = self._find(job_id)
            rules.check_action("remove", job.id, job.state)
            del self._jobs[job.id]
            del self._logs[job.id]

    # -- inside ------------------------------------------------------------------

    def _next_position(self) -> int:
        # positions only ever come from here (move() swaps existing ones), so the
        # last one given is the highest
        self._last_position += 1
        return self._last_position

    def _find(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is not None:
            return job
        if len(job_id) >= rules.MIN_PREFIX:
            matches = [j for j in self._jobs.values() if j.id.startswith(job_id)]
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise rules.ambiguous(job_id, len(matches))
        raise rules.not_found(job_id)

    def _fenced(self, job_id: str, owner: str) -> Job:
        job = self._jobs.get(job_id)
        if (
            job is None
            or job.state != model.RUNNING
            or job.owner != owner
            or job.lease_until is None
            or job.lease_until < self._clock()
        ):
            raise rules.lease_lost(job_id, owner)
        return job

    def _append_log(self, job_id: str, level: str, message: str) -> None:
        self._logs[job_id].append({"time": self._clock(), "level": level, "message": message})


def _queue_order(job: Job) -> tuple:
    if job.state in model.CLAIMABLE:
        return (0, job.position, 0.0)
    return (1, job.created, job.position)


def _summary(job: Job) -> Job:
    out = copy.copy(job)
    out.payload = {"host": copy.deepcopy(job.host)}
    out.secret = None
    out.steps = []
    out.step_counts = (job.steps_done, len(job.steps))
    return out


def _step(job: Job, index: int):
    if not 0 <= index < len(job.steps):
        raise IndexError(f"job {job.id} has no step {index}")
    return job.steps[index]


def _reset_step(step) -> None:
    step.state = model.PENDING
    step.started = step.finished = step.duration = None
    step.error = step.traceback = None
    step.records = []
    step.changes = {}
    step.farm = {}
    step.deadline = None
    step.worker = {}


def _reset_running_steps(job: Job) -> None:
    for step in job.steps:
        if step.state == model.STEP_RUNNING:
            step.state = model.PENDING
            step.started = None
            step.worker = {}
