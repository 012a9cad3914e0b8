"""The job store interface, shared by the SQLite and the in-memory store.

Every method is safe to call from any thread. Times are seconds since the
epoch from the store's injectable clock (``clock=time.time``), so leases and
timeouts are testable without sleeping.

Writes made on behalf of a running job (``start_step``, ``finish_step``,
``renew``, ``finish_job``, ``release``) are *fenced*: they carry the owner
that claimed the job and succeed only while that owner still holds an
unexpired lease; otherwise they raise :class:`LeaseLost` and change nothing.
"""

from __future__ import annotations

import abc
import secrets
from typing import Callable, Iterable, Optional

from . import model
from .model import Job


class StoreError(Exception):
    """The store cannot do what was asked; the message says why and what to do."""


class JobNotFound(StoreError):
    """No job has this id."""


class LeaseLost(StoreError):
    """The caller no longer owns the job (lease expired or job taken over)."""


class InvalidState(StoreError):
    """The job is in a state that does not allow this (e.g. retry a running job)."""


class StoreFull(StoreError):
    """The disk is full; nothing was written."""


class StoreBusy(StoreError):
    """Another process held the store locked for longer than the busy timeout."""


class StepNotFound(StoreError):
    """A farm signal names a plugin x instance pair the job does not have."""


class NotWaiting(InvalidState):
    """A farm signal names a step (or job) that is not waiting for one."""


class NonceSeen(StoreError):
    """A farm signal's nonce was used before: a replay; nothing changed."""


#: ``JobStore.signal_step`` outcomes.
APPLIED = "applied"
ALREADY_APPLIED = "already applied"


class JobStore(abc.ABC):
    """Durable home of jobs. See the module docstring for the fencing rule."""

    # -- adding and reading ------------------------------------------------------

    @abc.abstractmethod
    def add(self, job: Job) -> bool:
        """Store a new queued job. Idempotent by id.

        The store gives the job its farm-signal secret (``job.secret``) unless it
        has one; :meth:`get` and :meth:`claim` return it, listings never do.

        Returns:
            True if it was added, False if a job with this id existed already
            (then nothing changes).
        """

    @abc.abstractmethod
    def get(self, job_id: str) -> Job:
        """The job with its steps. Raises :class:`JobNotFound`.

        A unique prefix of an id is accepted too, as people type short ids.
        """

    @abc.abstractmethod
    def jobs(
        self, state: Optional[str] = None, host: Optional[str] = None, limit: Optional[int] = None
    ) -> list:
        """Jobs in queue order (claimable ones first by position, then the rest by
        creation, newest last), without loading their steps' records.
        ``host`` matches ``payload["host"]["application"]`` or ``["machine"]``.

        A listed job is a summary, cheap at 10,000+ jobs: its ``steps`` is empty,
        ``step_counts`` is ``(done, total)`` (so ``progress`` and ``to_dict(steps=False)``
        work) and its ``payload`` holds only ``"host"``. Call :meth:`get` for the whole job.
        """

    @abc.abstractmethod
    def counts(self) -> dict:
        """``{state: number of jobs}`` for every state present."""

    @abc.abstractmethod
    def log(self, job_id: str) -> list:
        """The job's own log: ``[{"time", "level", "message"}]`` oldest first."""

    @abc.abstractmethod
    def add_log(self, job_id: str, level: str, message: str) -> None:
        """Append a line to the job's log."""

    # -- the executor's side (fenced) ------------------------------------------------

    @abc.abstractmethod
    def claim(self, owner: str, lease: float) -> Optional[Job]:
        """Atomically take the first claimable job: running, owned by ``owner``
        until now + ``lease``, attempts + 1. None when nothing is queued."""

    @abc.abstractmethod
    def renew(self, job_id: str, owner: str, lease: float) -> bool:
        """Extend the lease. Returns whether a cancel was requested meanwhile.
        Raises :class:`LeaseLost`."""

    @abc.abstractmethod
    def start_step(self, job_id: str, owner: str, index: int) -> None:
        """Mark a step running (fenced)."""

    @abc.abstractmethod
    def finish_step(
        self,
        job_id: str,
        owner: str,
        index: int,
        state: str,
        *,
        duration: Optional[float] = None,
        error: Optional[str] = None,
        traceback: Optional[str] = None,
        records: Iterable = (),
        changes: Optional[dict] = None,
        farm: Optional[dict] = None,
        deadline: Optional[float] = None,
    ) -> None:
        """The checkpoint: record a step's outcome in one transaction (fenced).

        A ``waiting`` step (handed to a farm) carries ``farm`` (``{"farm_job",
        "timeout"}``) and its ``deadline`` (None: no time limit)."""

    @abc.abstractmethod
    def finish_job(self, job_id: str, owner: str, state: str, error: Optional[str] = None) -> str:
        """End a run: succeeded, failed, cancelled, waiting, or interrupted (the worker
        died: claimable again in its place, this attempt counted, unlike :meth:`release`);
        drops the lease (fenced). A step still marked running goes back to pending.
        Other states: ValueError.

        A farm signal that arrived during the run wins (see :func:`run_end`): a
        failure fails the job, a success queues it again instead of parking it.

        Returns:
            The state the job was left in.
        """

    @abc.abstractmethod
    def release(self, job_id: str, owner: str, reason: str) -> None:
        """Give a job back unfinished (executor stopping): it becomes interrupted,
        keeps its finished steps, and this attempt is not counted (fenced)."""

    @abc.abstractmethod
    def recover(self, alive: Callable[[str], bool]) -> list:
        """Take back jobs whose owner is dead (``alive(owner)`` is False) or whose lease
        expired: interrupted when attempts remain, failed otherwise; a running step
        goes back to pending. Returns the ids recovered."""

    # -- farm signals ------------------------------------------------------------------

    @abc.abstractmethod
    def signal_step(
        self,
        job_id: str,
        plugin: str,
        instance: str,
        status: str,
        message: str = "",
        nonce: Optional[str] = None,
        sent: Optional[float] = None,
        forget_before: Optional[float] = None,
    ) -> tuple:
        """Apply a verified farm signal to a waiting step, in one transaction.

        ``job_id`` must be the whole id. Success: the step succeeds and a waiting job
        is queued again (its attempts start afresh); failure: the step and the job fail
        with the farm's message. A signal for a running job is applied to the step and
        the job acts on it when its run ends. The same outcome a second time changes
        nothing and returns :data:`ALREADY_APPLIED`.

        Args:
            plugin: the step's plugin class name.
            instance: the step's instance name or id ("" or "context" for a context step).
            status: ``"success"`` or ``"failure"``.
            nonce: recorded with ``sent`` (the signal's own time); a nonce used before
                raises :class:`NonceSeen`. Nonces sent before ``forget_before`` are forgotten.

        Returns:
            ``(APPLIED or ALREADY_APPLIED, the job's state after it)``.

        Raises:
            JobNotFound, StepNotFound, NotWaiting, NonceSeen: and nothing changed.
        """

    @abc.abstractmethod
    def expire_waiting(self) -> list:
        """Fail the waiting jobs with a step whose deadline passed (its step failed too,
        saying no signal came in time). Returns the ids failed."""

    # -- the user's side ----------------------------------------------------------

    @abc.abstractmethod
    def cancel(self, job_id: str) -> str:
        """Cancel: a claimable or waiting job is cancelled at once; a running one gets
        ``cancel_requested`` (its executor stops the worker). Returns the new state
        (``"cancelled"``, or ``"running"`` for a running job until its executor stops it).
        Raises :class:`InvalidState` for a finished job."""

    @abc.abstractmethod
    def retry(self, job_id: str, failed_only: bool = False) -> None:
        """Queue a failed, cancelled or interrupted job again, attempts reset.
        ``failed_only`` keeps succeeded steps; otherwise every step runs again.
        The job goes to the end of the queue. Raises :class:`InvalidState` otherwise."""

    @abc.abstractmethod
    def move(self, job_id: str, delta: int) -> None:
        """Move a claimable job ``delta`` places among the claimable jobs (negative:
        sooner), clamped to the ends. Raises :class:`InvalidState` for other jobs."""

    @abc.abstractmethod
    def remove(self, job_id: str) -> None:
        """Delete a job that is not running. Raises :class:`InvalidState` otherwise."""

    def close(self) -> None:  # noqa: B027 - optional
        """Release resources."""


# -- policy both stores share ------------------------------------------------------------

#: Shortest id prefix a store accepts for a job id (people type short ids).
MIN_PREFIX = 4


def not_found(job_id: str) -> JobNotFound:
    return JobNotFound(f"job {job_id} not found")


def ambiguous(prefix: str, count: int) -> JobNotFound:
    return JobNotFound(
        f"job id {prefix!r} is ambiguous ({count} jobs start with it); type more of it"
    )


def lease_lost(job_id: str, owner: str) -> LeaseLost:
    return LeaseLost(f"job {job_id} is no longer owned by {owner}")


def check_step_state(state: str) -> None:
    """Raise ValueError unless ``state`` is a step state (``finish_step``)."""
    if state not in model.STEP_STATES:
        raise ValueError(f"unknown step state {state!r}")


def check_run_end(state: str) -> None:
    """Raise ValueError unless a run can end in ``state`` (``finish_job``)."""
    if state not in model.RUN_ENDS:
        raise ValueError(f"a run cannot end as {state!r}; use one of {', '.join(model.RUN_ENDS)}")


def check_action(action: str, job_id: str, state: str) -> None:
    """Raise :class:`InvalidState` unless a user may ``action`` a job in ``state``.

    Args:
        action: ``"cancel"``, ``"retry"``, ``"move"`` or ``"remove"``.
    """
    if action == "cancel" and state in model.FINISHED:
        why = f"is already {state}; there is nothing to cancel"
    elif action == "retry" and state not in model.RETRYABLE:
        why = f"is {state}; only failed, cancelled or interrupted jobs can be retried"
    elif action == "move" and state not in model.CLAIMABLE:
        why = f"is {state}; only queued jobs can be moved"
    elif action == "remove" and state == model.RUNNING:
        why = "is running; cancel it first, then remove it"
    else:
        return
    raise InvalidState(f"job {job_id} {why}")


def lost_reason(
    owner: Optional[str], lease_until: Optional[float], now: float, alive: Callable[[str], bool]
) -> Optional[str]:
    """Why a running job's owner lost it, or None while the owner still holds it."""
    if lease_until is None or lease_until < now:
        return f"the lease of {owner} expired"
    if not owner or not alive(owner):
        return f"its executor {owner} is gone"
    return None


def recovered_state(attempts: int, max_attempts: int, cancel_requested: bool, reason: str) -> tuple:
    """``(state, error, log line)`` for a running job taken back from a lost owner.

    A cancel that was requested is honoured; otherwise the job is interrupted (it
    runs again) while attempts remain, and failed once they are used up.
    """
    if cancel_requested:
        return model.CANCELLED, None, f"cancelled ({reason})"
    if attempts < max_attempts:
        return model.INTERRUPTED, reason, f"interrupted: {reason}; it will run again"
    error = f"gave up after {attempts} attempts: {reason}"
    return model.FAILED, error, error


# -- farm signals, shared by both stores ------------------------------------------------


def new_secret() -> str:
    """A job's farm-signal secret: 256 random bits as hex."""
    return secrets.token_hex(32)


def step_title(step) -> str:
    """``"Render beauty on sh010"`` / ``"Publish context"``: a step for people."""
    return f"{step.label or step.plugin} on {step.instance or 'context'}"


def find_signal_step(job, plugin: str, instance: str):
    """The step of ``job`` a signal names. Raises :class:`StepNotFound`."""
    wanted = instance or None
    for step in job.steps:
        if step.plugin != plugin:
            continue
        if step.instance is None and wanted in (None, "context"):
            return step
        if wanted is not None and wanted in (step.instance, step.instance_id):
            return step
    raise StepNotFound(
        f"job {job.id} has no step of plugin {plugin!r} on instance {instance or 'context'!r}"
    )


def check_signal(job, step, status: str) -> bool:
    """Whether a signal with ``status`` is to be applied (True) or was already (False).

    Raises:
        NotWaiting: the step is not waiting, or the job is finished.
    """
    farm = step.farm or {}
    if step.state != model.STEP_WAITING:
        if farm.get("status") == status:
            return False
        said = f" (the farm already said {farm['status']})" if farm.get("status") else ""
        raise NotWaiting(
            f"step {step_title(step)} of job {job.id} is {step.state}, "
            f"not waiting for a signal{said}"
        )
    if job.state in model.FINISHED:
        raise NotWaiting(f"job {job.id} is {job.state}; it no longer waits for a signal")
    return True


def apply_signal(job, step, status: str, message: str, now: float) -> str:
    """Apply a checked signal to ``job`` and ``step`` (plain objects); returns a log line.

    The store writes back the step and the job's ``state``, ``error``, ``finished``,
    ``attempts``, ``resume`` and ``updated``.
    """
    if status not in model.SIGNAL_STATUSES:
        raise ValueError(f"unknown signal status {status!r}")
    farm = dict(step.farm or {})
    farm.update(status=status, message=message or "", signalled=now)
    step.farm = farm
    step.finished = now
    step.deadline = None
    where = step_title(step)
    said = f": {message}" if message else ""
    job.updated = now
    if status == model.SIGNAL_SUCCESS:
        step.state = model.STEP_SUCCEEDED
        step.error = None
        if job.state == model.WAITING:
            job.state = model.QUEUED
            job.attempts = 0
            job.error = None
        elif job.state == model.RUNNING:
            job.resume = True
        return f"the farm signalled success for {where}{said}; the job goes on"
    step.state = model.STEP_FAILED
    step.error = f"the farm reported a failure: {message}" if message else "the farm job failed"
    error = f"{where} failed on the farm" + said
    if job.state == model.RUNNING:
        job.resume = True
    else:
        job.state = model.FAILED
        job.error = error
        job.finished = now
    return f"the farm signalled failure for {where}{said}"


def run_end(job, state: str, error: Optional[str]) -> tuple:
    """``(state, error)`` a run ending in ``state`` leaves ``job`` in (``finish_job``),
    given farm signals that arrived while it ran (``job.resume``)."""
    if not job.resume:
        return state, error
    failed = [
        s
        for s in job.steps
        if s.state == model.STEP_FAILED and (s.farm or {}).get("status") == model.SIGNAL_FAILURE
    ]
    if failed and state not in (model.FAILED, model.CANCELLED):
        message = failed[0].farm.get("message")
        return model.FAILED, f"{step_title(failed[0])} failed on the farm" + (
            f": {message}" if message else ""
        )
    if state == model.WAITING:
        return model.QUEUED, None
    return state, error


def expired_steps(job, now: float) -> list:
    """Waiting steps of ``job`` whose deadline passed."""
    return [
        s
        for s in job.steps
        if s.state == model.STEP_WAITING and s.deadline is not None and s.deadline < now
    ]


def expire(job, steps: list, now: float) -> str:
    """Fail ``job`` and its expired ``steps`` (plain objects); returns the job's error."""
    for step in steps:
        farm_job = (step.farm or {}).get("farm_job")
        timeout = (step.farm or {}).get("timeout")
        within = f" within {timeout:g} s" if isinstance(timeout, (int, float)) else " in time"
        step.state = model.STEP_FAILED
        step.error = f"no signal from the farm{within}" + (
            f" (farm job {farm_job})" if farm_job else ""
        )
        step.finished = now
        step.deadline = None
    first = steps[0]
    job.state = model.FAILED
    job.error = (
        f"{step_title(first)} timed out waiting for the farm: {first.error}; "
        "check the farm job, then retry"
    )
    job.finished = job.updated = now
    return job.error
