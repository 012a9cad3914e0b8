"""What a claimed run writes: its steps, its end, its job log and its events.

:class:`RunRecords` is the one collaborator a run is given by its executor's
claim loop (:attr:`~.loop.ClaimLoop.records`): the local :class:`~.job_run.JobRun`
and the Celery executor's remote runs record through it alike, so both show
alike in the Queue page and CLI. Every store write is fenced by the executor's
owner; a lease that lapsed while nobody took the job is taken up again here
(:meth:`RunRecords.take_up_lapsed`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Optional

from pyblish_qml_queue.common import snapshots
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.store import LeaseLost, StoreError

if TYPE_CHECKING:
    from pyblish_qml_queue.queue.loop import Run

log = logging.getLogger(__name__)


def farm_details(event: dict, state: str, now: float) -> tuple:
    """``(farm, deadline)`` to record with a step_finished event (``finish_step``):
    a waiting step's farm job and timeout, and its deadline on the clock ``now``
    comes from; ``(None, None)`` for other steps."""
    if state != model.STEP_WAITING:
        return None, None
    sent = event.get("farm") if isinstance(event.get("farm"), dict) else {}
    farm = {"farm_job": sent.get("farm_job"), "timeout": sent.get("timeout")}
    timeout = farm["timeout"]
    ok = isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0
    if not ok:
        farm["timeout"] = None
    return farm, (now + timeout if ok else None)


class RunRecords:
    """What a run writes, and the one thing a run needs of its executor: its step
    events and its end to the store (fenced by the executor's owner), lines to the
    job's log and events to the executor's ``on_event``.

    The claim loop has one (:attr:`~.loop.ClaimLoop.records`) and hands it to each run.

    Args:
        store: the executor's :class:`~pyblish_qml_queue.queue.store.JobStore`.
        owner: the executor's owner, which fences every write.
        clock: the executor's time source.
        emit: ``emit(job_id, event)``, the executor's ``on_event`` (errors logged).
        wake: tells the loop to look at the queue now.
        known_step_end: ``known_step_end(run, event, state)``, whether the store
            already has a step end (then not written again).
        lease: the executor's lease, renewed with it.
    """

    def __init__(
        self,
        store,
        owner: str,
        clock: Callable[[], float],
        emit: Callable[[Optional[str], dict], None],
        wake: Callable[[], None],
        known_step_end: Callable[[Run, dict, str], bool],
        lease: float = 30.0,
    ):
        self.store = store
        self.owner = owner
        self.lease = lease
        self.clock = clock
        self._emit = emit
        self._wake = wake
        self._known_step_end = known_step_end

    def step(self, run: Run, event: dict) -> bool:
        """Record a ``step_started`` or ``step_finished`` event in the store.

        Returns:
            False for an event left out (an unknown step, or one the
            ``known_step_end`` hook says the store has).

        Raises:
            LeaseLost: the job is no longer ours.
        """
        kind = event.get("event")
        job_id = run.job.id
        index = event.get("index")
        if not (isinstance(index, int) and 0 <= index < len(run.job.steps)):
            log.warning("job %s: ignoring %s for an unknown step %r", job_id, kind, index)
            return False
        if kind == "step_started":
            run.current = index
            self.store.start_step(job_id, self.owner, index, worker=run.worker())
            return True
        state = event.get("state")
        if state not in model.STEP_STATES:
            log.warning(
                "job %s: step %d finished in unknown state %r; taken as failed",
                job_id,
                index,
                state,
            )
            state = model.STEP_FAILED
        if self._known_step_end(run, event, state):
            return False
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
        step = run.job.steps[index]
        step.state = state
        run.current = None
        duration = event.get("duration")
        log.log(
            logging.WARNING if state == model.STEP_FAILED else logging.INFO,
            "job %s: step %d/%d %s %s%s",
            job_id[:8],
            index + 1,
            len(run.job.steps),
            step.name,
            state,
            f" in {duration:.1f} s" if isinstance(duration, (int, float)) else "",
        )
        return True

    def end(
        self, job: model.Job, state: str, error: Optional[str], where: str = ""
    ) -> Optional[tuple]:
        """End the run in the store as ``state`` and say so in the job's log.

        A farm signal that arrived while it ran may leave the job in another
        state (``JobStore.finish_job``).

        A job is recorded succeeded only when the store holds every one of its
        steps done (succeeded or skipped): a step end that never reached the store
        (a lost event, a worker that stopped early) fails the job instead of letting
        it say it published what never ran.

        Returns:
            ``(state, error)`` the job was left in, or None when its lease was lost.
        """
        if state == model.SUCCEEDED:
            missing = self._steps_not_done(job.id)
            if missing:
                state, error = model.FAILED, missing
        try:
            recorded = self.store.finish_job(job.id, self.owner, state, error=error)
        except LeaseLost:
            log.warning("job %s: lease lost before it could be recorded %s", job.id, state)
            return None
        if recorded and recorded != state:  # a farm signal came in while it ran
            state = recorded
            error = self.store.get(job.id).error if recorded == model.FAILED else None
            log.info("job %s: a farm signal arrived while it ran; it is %s", job.id, state)
            if recorded == model.QUEUED:
                self._wake()
        if state == model.SUCCEEDED:
            snapshots.discard(job.payload)  # kept while the job can be retried
        if error and state != model.SUCCEEDED:
            level = {model.FAILED: "error", model.INTERRUPTED: "warning"}.get(state, "info")
            self.log(job.id, level, f"{state}: {error}")
        level = {model.FAILED: logging.ERROR, model.INTERRUPTED: logging.WARNING}.get(state)
        log.log(  # the Console counts a failed job among its errors
            level or logging.INFO,
            "job %s %s%s%s",
            job.id,
            state,
            where,
            f": {error}" if error else "",
        )
        return state, error

    def _steps_not_done(self, job_id: str) -> Optional[str]:
        """Why a job said to have succeeded did not, from the store's own steps;
        None when every step is done."""
        stored = self.store.get(job_id)
        left = [s for s in stored.steps if s.state not in model.STEP_DONE]
        if not left:
            return None
        return (
            f"{len(left)} of {len(stored.steps)} steps never finished "
            f"(first: step {left[0].index + 1}, {left[0].name}, {left[0].state}); "
            "the job is not reported as published"
        )

    def take_up_lapsed(self, job_id: str, doing: str) -> bool:
        """Take up again a job whose lease lapsed while nobody took it (the store
        was locked by another process for longer than the lease): the one answer to
        a :class:`LeaseLost` met while renewing or checkpointing (``doing``, for
        the log line).

        Returns:
            Whether a cancel was requested meanwhile.

        Raises:
            LeaseLost: another executor recovered the job, or it ended.
        """
        cancel = self.store.reclaim(job_id, self.owner, self.lease)
        log.warning(
            "job %s: its lease had lapsed while %s (the store was busy?); nobody took "
            "the job, so it runs on here",
            job_id,
            doing,
        )
        return cancel

    def log(self, job_id: str, level: str, message: str) -> None:
        """Add a line to the job's log; a store error is logged here instead."""
        try:
            self.store.add_log(job_id, level, message)
        except StoreError as exc:
            log.warning("job %s: could not write its log: %s", job_id, exc)

    def emit(self, job_id: Optional[str], event: dict) -> None:
        """Tell the executor's ``on_event`` of ``event`` (its error is logged)."""
        self._emit(job_id, event)
