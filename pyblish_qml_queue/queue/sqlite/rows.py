"""How a :class:`~.model.Job` and its steps map to rows of the SQLite store, and back.

Each column list here goes with the function that fills or reads it, in the same order.
"""

from __future__ import annotations

import json
from typing import Optional

from pyblish_qml_queue.queue.model import Job, Step

#: The columns :func:`job_values` fills (``position`` is the store's to set).
JOB_INSERT_COLUMNS = (
    "id, title, state, payload, host, host_application, host_machine, created, updated, "
    "started, finished, attempts, max_attempts, owner, lease_until, error, cancel_requested, "
    "steps_done, steps_total, secret, resume, host_version, host_user"
)
#: The columns :func:`job_from_row` reads, with the payload at 3.
JOB_COLUMNS = (
    "id, title, state, payload, created, updated, started, finished, position, attempts, "
    "max_attempts, owner, lease_until, error, cancel_requested, secret, resume"
)
#: The columns :func:`summary_from_row` reads: as JOB_COLUMNS with the host in place of
#: the payload, then the step counts.
SUMMARY_COLUMNS = (
    "id, title, state, host, created, updated, started, finished, position, attempts, "
    "max_attempts, owner, lease_until, error, cancel_requested, steps_done, steps_total"
)
#: The columns :meth:`~.store.SQLiteJobStore.listing` returns: what a list of jobs shows,
#: the host's fields as :func:`listed_text` stored them (no JSON to parse per job).
LISTING_COLUMNS = (
    "id, title, state, host_application, host_version, host_machine, host_user, created, "
    "updated, started, finished, position, attempts, max_attempts, error, cancel_requested, "
    "steps_done, steps_total"
)
#: The columns :func:`step_from_row` reads and :func:`step_values` fills (after job_id).
STEP_COLUMNS = (
    "idx, plugin, module, plugin_order, label, instance, instance_id, state, started, "
    "finished, duration, error, traceback, records, changes, runs, farm, deadline, worker"
)


def placeholders(columns: str) -> str:
    """``?, ?, ...``, one for each of ``columns``."""
    return ", ".join("?" for _ in columns.split(","))


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


_decode = json.JSONDecoder().raw_decode


def loads(text: str):
    """``json.loads`` of what :func:`dumps` wrote (no surrounding blanks, so no scans for them)."""
    return _decode(text)[0]


def listed_text(value) -> Optional[str]:
    """A host field as its listing column holds it: ``str(value)``, None when empty (a list
    shows ``str(value or "")``, as it would from the host's JSON)."""
    return str(value) if value else None


def job_values(job: Job, now: float) -> tuple:
    """The values of JOB_INSERT_COLUMNS for a new job."""
    host = job.host
    return (
        job.id,
        job.title,
        job.state,
        dumps(job.payload),
        dumps(host),
        host.get("application"),
        host.get("machine"),
        job.created,
        job.updated or now,
        job.started,
        job.finished,
        job.attempts,
        job.max_attempts,
        job.owner,
        job.lease_until,
        job.error,
        int(bool(job.cancel_requested)),
        sum(1 for s in job.steps if s.done),
        len(job.steps),
        job.secret,
        int(bool(job.resume)),
        listed_text(host.get("version")),
        listed_text(host.get("user")),
    )


def step_values(job: Job) -> list:
    """The values of ``job_id`` + STEP_COLUMNS for each of the job's steps."""
    return [
        (
            job.id,
            n,
            s.plugin,
            s.module,
            s.order,
            s.label,
            s.instance,
            s.instance_id,
            s.state,
            s.started,
            s.finished,
            s.duration,
            s.error,
            s.traceback,
            dumps(s.records),
            dumps(s.changes),
            s.runs,
            dumps(s.farm),
            s.deadline,
            dumps(s.worker),
        )
        for n, s in enumerate(job.steps)
    ]


def job_from_row(row, steps: list) -> Job:
    """A whole job from a JOB_COLUMNS row and its steps' STEP_COLUMNS rows."""
    job = _job(row, json.loads(row[3]), [step_from_row(s) for s in steps])
    job.secret = row[15]
    job.resume = bool(row[16])
    return job


def summary_from_row(row) -> Job:
    """A listed job (no steps, only the host in its payload) from a SUMMARY_COLUMNS row."""
    return _job(row, {"host": loads(row[3])}, [], step_counts=(row[15], row[16]))


def _job(row, payload: dict, steps: list, step_counts: Optional[tuple] = None) -> Job:
    return Job(
        id=row[0],
        title=row[1],
        state=row[2],
        payload=payload,
        steps=steps,
        created=row[4],
        updated=row[5],
        started=row[6],
        finished=row[7],
        position=row[8],
        attempts=row[9],
        max_attempts=row[10],
        owner=row[11],
        lease_until=row[12],
        error=row[13],
        cancel_requested=bool(row[14]),
        step_counts=step_counts,
    )


def step_from_row(row) -> Step:
    return Step(
        index=row[0],
        plugin=row[1],
        module=row[2],
        order=row[3],
        label=row[4],
        instance=row[5],
        instance_id=row[6],
        state=row[7],
        started=row[8],
        finished=row[9],
        duration=row[10],
        error=row[11],
        traceback=row[12],
        records=json.loads(row[13]),
        changes=json.loads(row[14]),
        runs=row[15],
        farm=json.loads(row[16]),
        deadline=row[17],
        worker=json.loads(row[18]),
    )
