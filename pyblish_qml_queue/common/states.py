"""The one vocabulary of states: every state name a host, job, step or row can be in.

Each is a ``str`` enum, so a member *is* its string: it compares equal to it,
hashes like it, goes into JSON and SQLite as it, and reads back from either as a
plain string that still compares equal (``JobState.RUNNING == "running"``).
``str()`` and ``format()`` give the value on every Python version (a plain
``(str, Enum)`` prints ``JobState.RUNNING`` in f-strings from Python 3.11 on), so
messages may format members directly.

The GUI hands these to QML as the ``States`` singleton
(:mod:`pyblish_qml_queue.gui.states`); the CLI prints their values.

Standard library only, Python 3.7 syntax.
"""

import enum

from pyblish_qml_queue.common import stages

__all__ = [
    "State",
    "HostState",
    "JobState",
    "StepState",
    "HELD",
    "RunOutcome",
    "ItemState",
    "SignalStatus",
    "HostGroup",
    "JobGroup",
    "HOST_BUSY",
    "HOST_ACTIVE",
    "HOST_FINISHED",
    "JOB_CLAIMABLE",
    "JOB_FINISHED",
    "JOB_ACTIVE",
    "JOB_RETRYABLE",
    "JOB_RUN_ENDS",
    "JOB_UNFINISHED_ENDS",
    "STEP_DONE",
    "ITEM_RANK",
    "host_state_of_stage",
]


class State(str, enum.Enum):
    """Base of the state enums: a member prints as its value everywhere."""

    __str__ = str.__str__
    __format__ = str.__format__


class HostState(State):
    """A DCC session as the hub sees it (Overview cards, ``hosts`` CLI)."""

    CONNECTED = "connected"
    COLLECTING = "collecting"
    VALIDATING = "validating"
    EXTRACTING = "extracting"
    INTEGRATING = "integrating"
    HANDED_OFF = "handed off"
    FINISHED = "finished"
    FAILED = "failed"
    DISCONNECTED = "disconnected"


class JobState(State):
    """A job in the store (``jobs.state``)."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"  # for a farm signal
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its run stopped unfinished; it runs again


class StepState(State):
    """A step of a job in the store (``steps.state``)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"  # handed to a farm, waiting for its signal


#: A pending step the worker does not run in this run because it depends on a
#: waiting one (a later step on the same instance, or a context step after it).
#: Worker-internal: it is reported in ``job_finished`` (``"held": [indexes]``)
#: and never stored, so it is deliberately not a :class:`StepState` (the store
#: rejects it); the step stays pending and runs when the job resumes.
HELD = "held"


class RunOutcome(State):
    """How one worker run ended: the ``state`` of its ``job_finished`` event."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WAITING = "waiting"
    STOPPED = "stopped"  # told to stop between steps; the job is given back


class ItemState(State):
    """A row of the Publish page (instance or plugin), worst last but processing."""

    IDLE = "idle"
    PROCESSING = "processing"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class SignalStatus(State):
    """The ``status`` of a farm signal."""

    SUCCESS = "success"
    FAILURE = "failure"


class HostGroup(State):
    """The Overview's host filters."""

    ALL = "all"
    ACTIVE = "active"
    FINISHED = HostState.FINISHED.value
    DISCONNECTED = HostState.DISCONNECTED.value


class JobGroup(State):
    """The Queue page's state filters that stand for several job states (the same
    words as the Overview's groups)."""

    ACTIVE = HostGroup.ACTIVE.value
    FINISHED = HostGroup.FINISHED.value


#: Host states in which a publish runs on the host.
HOST_BUSY = (
    HostState.COLLECTING,
    HostState.VALIDATING,
    HostState.EXTRACTING,
    HostState.INTEGRATING,
)
#: Host states of the Overview's "active" filter.
HOST_ACTIVE = (HostState.CONNECTED,) + HOST_BUSY
#: Host states of the Overview's "finished" filter.
HOST_FINISHED = (HostState.HANDED_OFF, HostState.FINISHED, HostState.FAILED)

#: States a job can be claimed from.
JOB_CLAIMABLE = (JobState.QUEUED, JobState.INTERRUPTED)
#: States a job never leaves by itself.
JOB_FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
#: States of the Queue page's "active" filter (all but the finished ones).
JOB_ACTIVE = (JobState.QUEUED, JobState.RUNNING, JobState.WAITING, JobState.INTERRUPTED)
#: States a user can retry a job from.
JOB_RETRYABLE = (JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED)
#: States a run can end in (``JobStore.finish_job``); interrupted means "run it
#: again", with this attempt counted (unlike ``JobStore.release``).
JOB_RUN_ENDS = (
    JobState.SUCCEEDED,
    JobState.FAILED,
    JobState.CANCELLED,
    JobState.WAITING,
    JobState.INTERRUPTED,
)
#: Run ends that leave the job unfinished (no ``finished`` time).
JOB_UNFINISHED_ENDS = (JobState.WAITING, JobState.INTERRUPTED)

#: Step states that count as done: a resumed job never runs them again.
STEP_DONE = (StepState.SUCCEEDED, StepState.SKIPPED)

#: How bad a finished row is: a row shows the worst of its results.
ITEM_RANK = {ItemState.IDLE: 0, ItemState.SUCCESS: 1, ItemState.WARNING: 2, ItemState.ERROR: 3}

_STAGE_STATES = {
    stages.COLLECT: HostState.COLLECTING,
    stages.VALIDATE: HostState.VALIDATING,
    stages.EXTRACT: HostState.EXTRACTING,
    stages.INTEGRATE: HostState.INTEGRATING,
}


def host_state_of_stage(stage):
    """The host state while ``stage`` (a :mod:`.stages` name) runs, e.g. "collecting"."""
    return _STAGE_STATES[stage]
