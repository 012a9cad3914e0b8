"""The job model: what a handed-off publish is, as plain Python data.

A job is the remainder of one publish (extraction on) that a host handed to
the queue. It travels as JSON (see :func:`Job.from_payload`); this module
validates that JSON and gives it names. No Qt, no SQLite.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Optional

from pyblish_qml_queue.common import states
from pyblish_qml_queue.common.states import JobState, SignalStatus, StepState

SCHEMA = 1

# Job states (names for the members of :class:`~pyblish_qml_queue.common.states.JobState`)
QUEUED = JobState.QUEUED
RUNNING = JobState.RUNNING
WAITING = JobState.WAITING
SUCCEEDED = JobState.SUCCEEDED
FAILED = JobState.FAILED
CANCELLED = JobState.CANCELLED
INTERRUPTED = JobState.INTERRUPTED
JOB_STATES = tuple(s.value for s in JobState)  # plain strings: argparse choices print them
#: States a job can be claimed from.
CLAIMABLE = states.JOB_CLAIMABLE
#: States a job never leaves by itself.
FINISHED = states.JOB_FINISHED
#: States a run can end in (``JobStore.finish_job``); interrupted means "run it
#: again", with this attempt counted (unlike ``JobStore.release``).
RUN_ENDS = states.JOB_RUN_ENDS
#: Run ends that leave the job unfinished (no ``finished`` time).
UNFINISHED_ENDS = states.JOB_UNFINISHED_ENDS
#: States a user can retry a job from.
RETRYABLE = states.JOB_RETRYABLE

# Step states (:class:`~pyblish_qml_queue.common.states.StepState`)
PENDING = StepState.PENDING
STEP_RUNNING = StepState.RUNNING
STEP_SUCCEEDED = StepState.SUCCEEDED
STEP_FAILED = StepState.FAILED
STEP_SKIPPED = StepState.SKIPPED
STEP_WAITING = StepState.WAITING
STEP_STATES = tuple(s.value for s in StepState)
#: Step states that count as done: a resumed job never runs them again.
STEP_DONE = states.STEP_DONE

# Farm signal statuses (see pyblish_qml_queue.farm.signals)
SIGNAL_SUCCESS = SignalStatus.SUCCESS
SIGNAL_FAILURE = SignalStatus.FAILURE
SIGNAL_STATUSES = tuple(s.value for s in SignalStatus)


class JobPayloadError(ValueError):
    """A job payload is malformed; the message names the offending field."""


@dataclasses.dataclass
class Step:
    """One plugin x instance pair of a job (instance is None for a ContextPlugin)."""

    index: int
    plugin: str  # class name
    module: str
    order: float
    label: str = ""
    instance: Optional[str] = None  # instance name, for people
    instance_id: Optional[str] = None  # instance id, for the worker
    state: str = PENDING
    started: Optional[float] = None
    finished: Optional[float] = None
    duration: Optional[float] = None  # seconds
    error: Optional[str] = None
    traceback: Optional[str] = None
    records: list = dataclasses.field(default_factory=list)
    #: Data the step changed: ``{"context": {...}, "instances": {id: {...}}}``,
    #: replayed by a resumed worker so later steps see it.
    changes: dict = dataclasses.field(default_factory=dict)
    runs: int = 0
    #: A step handed to a render farm (``expect_signal``): ``{"farm_job", "timeout"}``
    #: while it waits, then ``"status"``, ``"message"`` and ``"signalled"`` (time) once
    #: the farm's signal arrived. Empty for other steps.
    farm: dict = dataclasses.field(default_factory=dict)
    #: When a waiting step gives up on its signal (seconds since the epoch), or None.
    deadline: Optional[float] = None
    #: Who ran the step last (set when it starts, see ``JobStore.start_step``): on a
    #: workstation ``{"machine", "pid"}`` (the worker process), on a farm ``{"node"}``
    #: (the Celery node's name). Empty for a step that never started.
    worker: dict = dataclasses.field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state in STEP_DONE

    @property
    def name(self) -> str:
        """The step for people: ``"Extract Alembic on sh010"``, or the plugin alone
        for a context step."""
        name = self.label or self.plugin
        return f"{name} on {self.instance}" if self.instance else name

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Job:
    """A job as the store holds it."""

    id: str
    title: str
    payload: dict
    steps: list
    state: str = QUEUED
    created: float = 0.0
    updated: float = 0.0
    started: Optional[float] = None
    finished: Optional[float] = None
    position: float = 0.0
    attempts: int = 0
    max_attempts: int = 3
    owner: Optional[str] = None
    lease_until: Optional[float] = None
    error: Optional[str] = None
    cancel_requested: bool = False
    #: The job's HMAC key for farm signals, made by the store when the job is added.
    #: Never part of :meth:`to_dict` (``show``/``jobs`` never print it) nor of listings.
    secret: Optional[str] = dataclasses.field(default=None, repr=False)
    #: A farm signal arrived while the job ran: when this run ends, the job runs again
    #: (or fails, for a failure signal) instead of parking as waiting.
    resume: bool = False
    #: ``(done, total)`` when the steps were not loaded (``JobStore.jobs()`` listings);
    #: None when ``steps`` holds them all.
    step_counts: Optional[tuple] = None

    # -- derived ------------------------------------------------------------

    @property
    def host(self) -> dict:
        return self.payload.get("host") or {}

    @property
    def user(self) -> str:
        return str(self.host.get("user") or "")

    @property
    def steps_done(self) -> int:
        if self.step_counts is not None:
            return self.step_counts[0]
        return sum(1 for s in self.steps if s.done)

    @property
    def progress(self) -> tuple:
        """(steps done, steps in all), also for a listed job whose steps were not loaded."""
        if self.step_counts is not None:
            return tuple(self.step_counts)
        return self.steps_done, len(self.steps)

    @property
    def next_step(self) -> Optional[Step]:
        return next((s for s in self.steps if not s.done), None)

    def to_dict(self, steps: bool = True) -> dict:
        """A JSON-safe view, as ``show --json`` prints it."""
        done, total = self.progress
        out = {
            "id": self.id,
            "title": self.title,
            "state": self.state,
            "host": self.host,
            "user": self.user,
            "created": self.created,
            "updated": self.updated,
            "started": self.started,
            "finished": self.finished,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "owner": self.owner,
            "error": self.error,
            "progress": {"done": done, "total": total},
        }
        if steps:
            out["steps"] = [s.to_dict() for s in self.steps]
        return out

    # -- from the wire --------------------------------------------------------

    @classmethod
    def from_payload(cls, payload: Any, now: Optional[float] = None) -> Job:
        """Validate a hand-off payload (as ``host.job.build_job`` makes it).

        Raises:
            JobPayloadError: naming the first field that is wrong.
        """
        if not isinstance(payload, dict):
            raise JobPayloadError("job payload must be a JSON object")
        if payload.get("schema") != SCHEMA:
            raise JobPayloadError(
                f"job payload schema {payload.get('schema')!r} is not supported (expected {SCHEMA})"
            )
        job_id = _require(payload, "id", str)
        if not job_id or len(job_id) > 64 or not all(c.isalnum() or c in "-_" for c in job_id):
            raise JobPayloadError(f"job id {job_id!r} must be 1-64 letters, digits, '-' or '_'")
        title = _require(payload, "title", str)
        _require(payload, "host", dict)
        _require(payload, "targets", list)
        plugins = _require(payload, "plugins", dict)
        for key in ("paths", "modules"):
            value = plugins.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise JobPayloadError(f"plugins.{key} must be a list of strings")
        env = payload.get("env", {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise JobPayloadError("env must map names to strings")
        context = _require(payload, "context", dict)
        if not isinstance(context.get("data", {}), dict):
            raise JobPayloadError("context.data must be an object")
        instances = _require(payload, "instances", list)
        ids = set()
        for n, inst in enumerate(instances):
            if not isinstance(inst, dict):
                raise JobPayloadError(f"instances[{n}] must be an object")
            _require(inst, "id", str, f"instances[{n}].")
            _require(inst, "name", str, f"instances[{n}].")
            if not isinstance(inst.get("data", {}), dict):
                raise JobPayloadError(f"instances[{n}].data must be an object")
            if not isinstance(inst.get("members", []), list):
                raise JobPayloadError(f"instances[{n}].members must be a list")
            ids.add(inst["id"])
        command = payload.get("command")
        if command is not None and (
            not isinstance(command, list)
            or not command
            or not all(isinstance(c, str) and c for c in command)
        ):
            raise JobPayloadError("command must be a non-empty list of strings, or null")
        snapshot = payload.get("snapshot")
        if snapshot is not None and not (
            isinstance(snapshot, dict) and isinstance(snapshot.get("path"), str)
        ):
            raise JobPayloadError("snapshot must be an object with a 'path' string, or null")
        raw_steps = _require(payload, "steps", list)
        steps = []
        for n, raw in enumerate(raw_steps):
            if not isinstance(raw, dict):
                raise JobPayloadError(f"steps[{n}] must be an object")
            where = f"steps[{n}]."
            instance_id = raw.get("instance_id")
            if instance_id is not None and not isinstance(instance_id, str):
                raise JobPayloadError(f"{where}instance_id must be a string or null")
            if instance_id is not None and instance_id not in ids:
                raise JobPayloadError(f"{where}instance_id {instance_id!r} names no instance")
            order = raw.get("order")
            if not isinstance(order, (int, float)) or isinstance(order, bool):
                raise JobPayloadError(f"{where}order must be a number")
            steps.append(
                Step(
                    index=n,
                    plugin=_require(raw, "plugin", str, where),
                    module=_require(raw, "module", str, where),
                    order=float(order),
                    label=str(raw.get("label") or raw["plugin"]),
                    instance=raw.get("instance"),
                    instance_id=instance_id,
                )
            )
        step_timeout = payload.get("step_timeout")
        if step_timeout is not None and (
            not isinstance(step_timeout, (int, float)) or isinstance(step_timeout, bool)
        ):
            raise JobPayloadError("step_timeout must be a number of seconds or null")
        created = payload.get("created")
        if created is not None and (
            not isinstance(created, (int, float)) or isinstance(created, bool)
        ):
            raise JobPayloadError("created must be a number (seconds since the epoch) or null")
        max_attempts = payload.get("max_attempts", 3)
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise JobPayloadError("max_attempts must be a positive integer")
        now = time.time() if now is None else now
        body = {k: v for k, v in payload.items() if k != "steps"}
        return cls(
            id=job_id,
            title=title or "Untitled publish",
            payload=body,
            steps=steps,
            created=float(payload.get("created") or now),
            updated=now,
            max_attempts=max_attempts,
        )


def _require(obj: dict, key: str, kind: type, where: str = "") -> Any:
    value = obj.get(key)
    if not isinstance(value, kind):
        raise JobPayloadError(f"{where}{key} must be a {kind.__name__}, got {type(value).__name__}")
    return value
