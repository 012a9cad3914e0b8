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


class JobStore(abc.ABC):
    """Durable home of jobs. See the module docstring for the fencing rule."""

    # -- adding and reading ------------------------------------------------------

    @abc.abstractmethod
    def add(self, job: Job) -> bool:
        """Store a new queued job. Idempotent by id.

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
    ) -> None:
        """The checkpoint: record a step's outcome in one transaction (fenced)."""

    @abc.abstractmethod
    def finish_job(self, job_id: str, owner: str, state: str, error: Optional[str] = None) -> None:
        """End a run: succeeded, failed, cancelled, waiting, or interrupted (the worker
        died: claimable again in its place, this attempt counted, unlike :meth:`release`);
        drops the lease (fenced). A step still marked running goes back to pending.
        Other states: ValueError."""

    @abc.abstractmethod
    def release(self, job_id: str, owner: str, reason: str) -> None:
        """Give a job back unfinished (executor stopping): it becomes interrupted,
        keeps its finished steps, and this attempt is not counted (fenced)."""

    @abc.abstractmethod
    def recover(self, alive: Callable[[str], bool]) -> list:
        """Take back jobs whose owner is dead (``alive(owner)`` is False) or whose lease
        expired: interrupted when attempts remain, failed otherwise; a running step
        goes back to pending. Returns the ids recovered."""

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
