"""Verbs on jobs: ``jobs``, ``show``, ``wait``, ``cancel``, ``retry``, ``remove``.

Jobs still in the spool (handed off while no executor ran) are listed and shown
as queued; verbs that change a job first ingest the spool, so they work on
those too.
"""

from __future__ import annotations

import json
import sys
import time

from pyblish_qml_queue.cli.command import FAILED, OK, TIMED_OUT, CliError, open_store
from pyblish_qml_queue.common import paths, snapshots
from pyblish_qml_queue.common.spool import read_spooled
from pyblish_qml_queue.queue import model, spool
from pyblish_qml_queue.queue.celery.where import farm_node, farm_queue
from pyblish_qml_queue.queue.rules import MIN_PREFIX
from pyblish_qml_queue.queue.store import JobNotFound, remove_job

#: Seconds between two looks at a job by ``wait``.
WAIT_POLL = 0.25
BAR_WIDTH = 20


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser("jobs", help="list jobs")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--state", choices=model.JOB_STATES, help="only jobs in this state")
    p.add_argument("--host", help="only jobs from this application or machine")
    p.set_defaults(func=list_jobs)

    _job_verb(subparsers, "show", show, "show a job: steps, errors, log and records", "the job")
    p = _job_verb(
        subparsers,
        "wait",
        wait,
        "wait for a job to finish",
        "the finished job",
        description="Wait for a job to finish, with its progress on stderr (a bar on a "
        "terminal); stdout gets only the outcome. Exit 0 when the job succeeded, 1 when it "
        "failed or was cancelled, 3 when the timeout passed first.",
    )
    p.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")
    _job_verb(
        subparsers,
        "cancel",
        cancel,
        "cancel a queued or running job",
        "the job",
        description="Cancel a job. A queued or waiting job is cancelled at once; a running "
        "one is stopped by its executor, which then records it cancelled. Exit 1 when the "
        "job has finished already.",
    )
    p = _job_verb(
        subparsers,
        "retry",
        retry,
        "queue a failed, cancelled or interrupted job again",
        "the job",
        description="Queue a failed, cancelled or interrupted job again: every step runs "
        "again, or with --failed-only only those that did not succeed. Exit 1 when the job "
        "is in another state.",
    )
    p.add_argument(
        "--failed-only", action="store_true", help="keep the steps that succeeded; run the rest"
    )
    _job_verb(
        subparsers,
        "remove",
        remove,
        "delete a job that is not running",
        "what was removed",
        description="Delete a job, its log and its scene snapshot from the store. Exit 1 "
        "when the job is running (cancel it first).",
    )


def _job_verb(subparsers, name: str, func, summary: str, printed: str, **kwargs):
    """A verb on one job, named by the ``job`` argument; ``--json`` prints ``printed``."""
    parser = subparsers.add_parser(name, help=summary, **kwargs)
    parser.add_argument("job", help="job id or a unique prefix of it")
    parser.add_argument("--json", action="store_true", help=f"print {printed} as JSON")
    parser.set_defaults(func=func)
    return parser


# -- finding jobs ------------------------------------------------------------------


def spooled_jobs() -> list:
    """Jobs waiting in the spool, as queued jobs (malformed files left out)."""
    jobs = []
    for _path, payload in read_spooled(paths.spool_dir()):
        if not isinstance(payload, dict):
            continue
        try:
            jobs.append(model.Job.from_payload(payload))
        except Exception:  # the ingester rejects it with the reason; `doctor` lists those
            continue
    return jobs


def find_job(store, job_id: str):
    """``(job, spooled)`` for an id or unique prefix, in the store or the spool."""
    try:
        return store.get(job_id), False
    except JobNotFound:
        pass
    matches = [j for j in spooled_jobs() if j.id.startswith(job_id)]
    exact = [j for j in matches if j.id == job_id]
    if exact:
        return exact[0], True
    if len(matches) == 1 and len(job_id) >= MIN_PREFIX:
        return matches[0], True
    return store.get(job_id), False  # ingested meanwhile, or JobNotFound


def stored_id(store, job_id: str) -> str:
    """The full id of a job, ingesting the spool first when the job is still there."""
    job, spooled = find_job(store, job_id)
    if spooled:
        from pyblish_qml_queue.queue.spool import SpoolIngester

        SpoolIngester(store).ingest_once()
    return store.get(job.id).id


# -- verbs -------------------------------------------------------------------------


def list_jobs(args) -> int:
    store = open_store()
    jobs = [(job, False) for job in store.jobs(state=args.state, host=args.host)]
    if args.state in (None, model.QUEUED):
        known = {job.id for job, _ in jobs}
        for job in spooled_jobs():
            host = job.host
            if job.id not in known and (
                not args.host or args.host in (host.get("application"), host.get("machine"))
            ):
                jobs.append((job, True))
    refused = spool.rejected(paths.spool_dir())
    if refused:  # on stderr, so --json stays a list of jobs
        print(
            f"{len(refused)} spooled job file(s) were rejected and will not run, the latest "
            f"{refused[-1][0]}: {refused[-1][1]} (see {paths.spool_dir()}/rejected)",
            file=sys.stderr,
        )
    if args.json:
        out = [
            dict(job.to_dict(steps=False), spooled=spooled, node=_node(store, job))
            for job, spooled in jobs
        ]
        print(json.dumps(out, indent=2))
        return OK
    if not jobs:
        print("no jobs" + (f" {args.state}" if args.state else ""))
        return OK
    rows = [("ID", "STATE", "PROGRESS", "ATTEMPTS", "TITLE", "HOST", "CREATED")]
    for job, spooled in jobs:
        done, total = job.progress
        rows.append(
            (
                job.id[:8],
                job.state + (" (spooled)" if spooled else ""),
                f"{done}/{total}",
                f"{job.attempts}/{job.max_attempts}",
                job.title,
                _host_name(job.host),
                _when(job.created),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return OK


def show(args) -> int:
    store = open_store()
    job, spooled = find_job(store, args.job)
    job_log = [] if spooled else store.log(job.id)
    snapshot = snapshots.describe(dict(job.payload, id=job.id))
    node = farm_node(job_log) if job.state == model.RUNNING else None
    queue = farm_queue(job_log)
    if args.json:
        out = dict(job.to_dict(), log=job_log, spooled=spooled, snapshot=snapshot)
        out["node"] = node
        out["queue"] = queue
        print(json.dumps(out, indent=2))
        return OK
    done, total = job.progress
    state = job.state + (" (spooled, waiting for an executor)" if spooled else "")
    print(f"Job       {job.id}")
    print(f"Title     {job.title}")
    print(f"State     {state}" + (f": {job.error}" if job.error else ""))
    print(f"Progress  {done}/{total} steps, attempt {job.attempts} of {job.max_attempts}")
    print(f"Host      {_host_name(job.host)}, user {job.user or '?'}")
    if queue is not None:
        print(f"Queue     {queue} (farm)")
    if node is not None:
        lost = " (node lost; sent again)" if node["state"] == "lost" else ""
        print(f"Node      {node['name'] or '?'}{lost}")
    if job.host.get("scene"):
        print(f"Scene     {job.host['scene']}")
    if snapshot is not None:
        kept = "" if snapshot["exists"] else " (deleted: the job is done with it)"
        size = snapshots.human_size(snapshot["size"])
        print(f"Snapshot  {snapshot['path']}, {size}{kept}")
    print(f"Created   {_when(job.created)}")
    print("Steps")
    for step in job.steps:
        duration = f"{step.duration:.2f} s" if step.duration is not None else ""
        print(f"  {step.index + 1:>3}  {step.state:<9}  {duration:>9}  {step.name}")
        if step.state == model.STEP_WAITING:
            print(f"       {_farm_line(step)}")
        if step.error:
            print(f"       error: {step.error}")
    if job_log:
        print("Log")
        for entry in job_log:
            lines = str(entry.get("message", "")).splitlines() or [""]
            print(
                f"  {_when(entry.get('time'), seconds=True)}  "
                f"{str(entry.get('level', '')).lower():<7}  {lines[0]}"
            )
            for line in lines[1:]:
                print(f"  {'':<19}  {'':<7}  {line}")
    records = [(step, r) for step in job.steps for r in step.records or ()]
    if records:
        print("Records")
        last = None
        for step, record in records:
            if step is not last:
                print(f"  step {step.index + 1} {step.name}")
                last = step
            print(f"    {str(record.get('level', '')).lower():<7}  {record.get('message', '')}")
    return OK


def wait(args) -> int:
    store = open_store()
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    view = _ProgressView(sys.stderr)  # stdout stays the outcome's, for scripts
    while True:
        job, _spooled = find_job(store, args.job)
        view.update(job)
        if job.state in model.FINISHED:
            view.close()
            if args.json:
                print(json.dumps(job.to_dict(), indent=2))
            else:
                print(f"job {job.id[:8]} {job.state}" + (f": {job.error}" if job.error else ""))
            return OK if job.state == model.SUCCEEDED else FAILED
        if deadline is not None and time.monotonic() >= deadline:
            view.close()
            done, total = job.progress
            raise CliError(
                f"timed out after {args.timeout:g} s; job {job.id[:8]} is still "
                f"{job.state} ({done}/{total} steps); wait again, or give a longer --timeout",
                TIMED_OUT,
            )
        pause = WAIT_POLL if deadline is None else min(WAIT_POLL, deadline - time.monotonic())
        time.sleep(max(0.0, pause))


def cancel(args) -> int:
    store = open_store()
    job_id = stored_id(store, args.job)
    state = store.cancel(job_id)
    if args.json:
        print(json.dumps(store.get(job_id).to_dict(steps=False), indent=2))
    elif state == model.CANCELLED:
        print(f"job {job_id[:8]} cancelled")
    else:
        print(
            f"job {job_id[:8]} is {state}; its executor stops the worker and records it cancelled"
        )
    return OK


def retry(args) -> int:
    store = open_store()
    job_id = stored_id(store, args.job)
    store.retry(job_id, failed_only=args.failed_only)
    if args.json:
        print(json.dumps(store.get(job_id).to_dict(steps=False), indent=2))
        return OK
    what = "its failed and remaining steps" if args.failed_only else "every step"
    print(f"job {job_id[:8]} queued again; {what} will run")
    return OK


def remove(args) -> int:
    store = open_store()
    job_id = stored_id(store, args.job)
    remove_job(store, job_id)
    if args.json:
        print(json.dumps({"id": job_id, "removed": True}))
        return OK
    print(f"job {job_id[:8]} removed")
    return OK


# -- presentation ------------------------------------------------------------------


class _ProgressView:
    """A bar with step counts on a terminal, plain lines on change elsewhere."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.last = None
        self.width = 0

    def update(self, job) -> None:
        done, total = job.progress
        step = _current_step(job)
        current = step.name if step is not None and job.state == model.RUNNING else ""
        if self.tty:
            filled = BAR_WIDTH * done // total if total else BAR_WIDTH
            line = (
                f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} "
                f"{current or job.state}"
            )
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
            self.stream.flush()
            return
        text = f"{job.state} {done}/{total}" + (f" {current}" if current else "")
        if text != self.last:
            print(text, file=self.stream, flush=True)
            self.last = text

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def _node(store, job):
    """The farm node running a job (``{"name", "state"}``), None when not on the farm."""
    return farm_node(store.log(job.id)) if job.state == model.RUNNING else None


def _current_step(job):
    running = [s for s in job.steps if s.state == model.STEP_RUNNING]
    return running[0] if running else job.next_step


def _farm_line(step) -> str:
    """What a waiting step waits for: its farm job and the deadline of its signal."""
    farm = step.farm or {}
    job = f"farm job {farm['farm_job']}" if farm.get("farm_job") else "farm job not named"
    if step.deadline is None:
        return f"{job}; waiting for its signal, no time limit"
    return f"{job}; waiting for its signal until {_when(step.deadline, seconds=True)}"


def _host_name(host: dict) -> str:
    app = host.get("application") or "?"
    machine = host.get("machine")
    return f"{app}@{machine}" if machine else app


def _when(stamp, seconds: bool = False) -> str:
    if not stamp:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.localtime(stamp))
