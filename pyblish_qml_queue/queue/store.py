"""The job store interface, shared by the SQLite and the in-memory store.

The rules both stores apply alike live in :mod:`.rules`.

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
from typing import Callable, Iterable, NamedTuple, Optional

from pyblish_qml_queue.common import snapshots
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.model import Job


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


class FarmSignal(NamedTuple):
    """A verified farm signal: what :meth:`JobStore.signal_step` was given."""

    plugin: str
    instance: str
    status: str
    message: str = ""
    nonce: Optional[str] = None
    sent: Optional[float] = None
    forget_before: Optional[float] = None


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
    def reclaim(self, job_id: str, owner: str, lease: float) -> bool:
        """Renew a lease that lapsed while ``owner`` still holds the job (it is
        running and nobody recovered it: e.g. the store was locked by another
        process for longer than the lease). Returns whether a cancel was requested.
        Raises :class:`LeaseLost` when another owner took it or it ended."""

    @abc.abstractmethod
    def start_step(
        self, job_id: str, owner: str, index: int, worker: Optional[dict] = None
    ) -> None:
        """Mark a step running (fenced), run by ``worker`` (``Step.worker``: on a
        workstation ``{"machine", "pid"}``, on a farm ``{"node"}``; None: nobody known)."""

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
        "timeout"}``) and its ``deadline`` (None: no time limit). An unknown
        ``state``: ValueError."""
        if state not in model.STEP_STATES:
            raise ValueError(f"unknown step state {state!r}")
        self._finish_step(
            job_id,
            owner,
            index,
            {
                "state": state,
                "duration": duration,
                "error": error,
                "traceback": traceback,
                "records": list(records),
                "changes": dict(changes or {}),
                "farm": dict(farm or {}),
                "deadline": deadline,
            },
        )

    @abc.abstractmethod
    def _finish_step(self, job_id: str, owner: str, index: int, outcome: dict) -> None:
        """Write :meth:`finish_step`'s checked ``outcome`` (step fields by name) to
        step ``index`` with the time it finished, fenced, in one transaction."""

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
        signal = FarmSignal(plugin, instance, status, message, nonce, sent, forget_before)
        return self._signal_step(job_id, signal)

    @abc.abstractmethod
    def _signal_step(self, job_id: str, signal: FarmSignal) -> tuple:
        """:meth:`signal_step` with its arguments in one :class:`FarmSignal`."""

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


def remove_job(store: JobStore, job_id: str) -> None:
    """Remove a finished job and delete its scene snapshot (``JobStore.remove``'s errors)."""
    payload = store.get(job_id).payload
    store.remove(job_id)
    snapshots.discard(dict(payload, id=job_id))
