"""Rules both job stores apply the same way (:mod:`.memory`, :mod:`.sqlite`).

Each store keeps its own data structures and transactions; what a state
change means (which action a state allows, how a lost owner's job is taken
back, how a farm signal or an expired deadline changes a job and its step) is
decided here once, on plain :class:`~.model.Job` and :class:`~.model.Step`
objects, so the two stores cannot drift apart.
"""

from __future__ import annotations

import secrets
from typing import Callable, Optional

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.store import (
    InvalidState,
    JobNotFound,
    LeaseLost,
    NotWaiting,
    StepNotFound,
)

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


def check_run_end(state: str) -> None:
    """Raise ValueError unless a run can end in ``state`` (``finish_job``)."""
    if state not in model.RUN_ENDS:
        raise ValueError(f"a run cannot end as {state!r}; use one of {', '.join(model.RUN_ENDS)}")


def refusal(action: str, state: str) -> Optional[str]:
    """Why a user may not ``action`` a job in ``state`` ("is running; ..."), or None.

    Args:
        action: ``"cancel"``, ``"retry"``, ``"move"`` or ``"remove"``.
    """
    if action == "cancel" and state in model.FINISHED:
        return f"has already finished ({state}); there is nothing to cancel"
    if action == "retry" and state not in model.RETRYABLE:
        return f"{_is(state)}; only failed, cancelled or interrupted jobs can be retried"
    if action == "move" and state not in model.CLAIMABLE:
        return f"{_is(state)}; only queued jobs can be moved"
    if action == "remove" and state == model.RUNNING:
        return "is running; cancel it first, then remove it"
    return None


def check_action(action: str, job_id: str, state: str) -> None:
    """Raise :class:`InvalidState` unless a user may ``action`` a job in ``state``
    (see :func:`refusal`)."""
    why = refusal(action, state)
    if why is not None:
        raise InvalidState(f"job {job_id} {why}")


def allowed_actions(state: str, failed_steps: int = 0) -> dict:
    """What a user may do with a job in ``state``: the Queue page's ``can`` map.

    The same rules the stores apply (:func:`refusal`), so a button is enabled
    exactly when its action would be accepted. ``state`` "" (no job) allows
    nothing.

    Args:
        state: the job's state, or "" for no job.
        failed_steps: how many of its steps failed ("retry failed steps" needs one).

    Returns:
        ``{"cancel", "retry", "retryFailed", "moveUp", "moveDown", "remove",
        "openReport", "openFolder"}`` -> bool.
    """
    if not state:
        return {name: False for name in ACTIONS}
    retry = refusal("retry", state) is None
    move = refusal("move", state) is None
    return {
        "cancel": refusal("cancel", state) is None,
        "retry": retry,
        "retryFailed": retry and failed_steps > 0,
        "moveUp": move,
        "moveDown": move,
        "remove": refusal("remove", state) is None,
        "openReport": True,
        "openFolder": True,
    }


#: The keys of :func:`allowed_actions`.
ACTIONS = (
    "cancel",
    "retry",
    "retryFailed",
    "moveUp",
    "moveDown",
    "remove",
    "openReport",
    "openFolder",
)


def lost_reason(
    owner: Optional[str], lease_until: Optional[float], now: float, alive: Callable[[str], bool]
) -> Optional[str]:
    """Why a running job's owner lost it, or None while the owner still holds it."""
    if lease_until is None or lease_until < now:
        return f"the lease of {owner} expired"
    if not owner or not alive(owner):
        return f"its executor {owner} is gone"
    return None


#: A step interrupted this often without finishing (its executor died each time)
#: fails its job: it may be what kills the executor.
MAX_STEP_RUNS = 5


def recovered_state(
    attempts: int, max_attempts: int, cancel_requested: bool, reason: str, step_runs: int = 0
) -> tuple:
    """``(state, error, log line, attempts)`` for a running job taken back from a lost owner.

    A cancel that was requested is honoured. Otherwise the job runs again and the
    attempt is given back: an executor that died or stopped is not the job's own
    failure. Only a step that was interrupted :data:`MAX_STEP_RUNS` times without
    ever finishing ends the job, with that reason, so a job that makes no progress
    still ends. (``max_attempts`` counts the job's own failures: its worker dying
    while the executor lives; see ``JobRun.interrupt``.)
    """
    if cancel_requested:
        return model.CANCELLED, None, f"cancelled ({reason})", attempts
    if step_runs >= MAX_STEP_RUNS:
        error = (
            f"gave up: the same step was interrupted {step_runs} times without finishing "
            f"(last: {reason}); it may be what stops its executor, see the executor's log"
        )
        return model.FAILED, error, error, attempts
    line = f"interrupted: {reason}; it will run again (no attempt used)"
    return model.INTERRUPTED, reason, line, max(0, attempts - 1)


# -- farm signals ----------------------------------------------------------------------


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
        raise NotWaiting(f"job {job.id} {_is(job.state)}; it no longer waits for a signal")
    return True


def _is(state: str) -> str:
    """What a job in ``state`` is, after its id: "is running", but "succeeded"."""
    return state if state in (model.SUCCEEDED, model.FAILED) else f"is {state}"


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


def apply_farm_signal(job, signal, now: float) -> Optional[tuple]:
    """Apply a :class:`~.store.FarmSignal` to ``job`` (a plain copy the store then
    writes back).

    Returns:
        ``(step, log level, log line)`` when it changed the job, None when the
        same outcome was applied before.

    Raises:
        StepNotFound, NotWaiting: and nothing changed.
    """
    step = find_signal_step(job, signal.plugin, signal.instance)
    if not check_signal(job, step, signal.status):
        return None
    line = apply_signal(job, step, signal.status, signal.message, now)
    return step, "INFO" if signal.status == model.SIGNAL_SUCCESS else "ERROR", line


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
