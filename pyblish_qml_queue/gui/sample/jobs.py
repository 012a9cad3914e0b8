"""Sample jobs: realistic store contents in every state, and an executor stand-in. No Qt.

:func:`fill_store` adds a studio's day of jobs and drives them, through the
store's own API, into every state the Queue page shows.
"""

from __future__ import annotations

import socket
import time
import uuid

from pyblish_qml_queue.queue import model as jobs_model
from pyblish_qml_queue.queue.model import Job

HOSTS = [
    ("Maya", "2025", "ws-anim-07", "jdoe"),
    ("Houdini", "20.5", "ws-fx-09", "tnguyen"),
    ("Nuke", "15.1", "ws-comp-03", "akim"),
    ("Maya", "2025", "ws-lkd-01", "skhan"),
    ("Python", "3.11", "farm-util-02", "svc_pipeline"),
    ("Houdini", "20.5", "ws-fx-04", "bchen"),
]
TITLES = [
    "sh0140 anim caches",
    "sh0170 fx splash sim",
    "sh0090 comp render",
    "sh0160 lookdev textures",
    "sq030 plate ingest",
    "sh0120 fx debris cache",
    "sh0410 layout publish",
    "sh0130 anim caches",
]
PLUGINS = [
    ("ExtractAlembic", "CHAR_ben01"),
    ("ExtractAlembic", "CHAR_tom01"),
    ("ExtractCameraAlembic", "sh0140_cam"),
    ("ExtractPlayblast", "sh0140_playblast"),
    ("ExtractReviewMov", "sh0140_playblast"),
    ("ExtractThumbnail", "sh0140_playblast"),
    ("IntegrateAsset", "sh0140_cam"),
    ("IntegrateAsset", "CHAR_ben01"),
    ("IntegrateAsset", "CHAR_tom01"),
    ("SubmitRenderToDeadline", "beauty"),
]

#: What a failed sample step logged, and what its worker printed.
TRACEBACK = """Traceback (most recent call last):
  File "/studio/pyblish/plugins/extract_vdb.py", line 48, in process
    vdb.write(path, grids)
  File "/studio/lib/vdbtools/io.py", line 112, in write
    handle.flush()
OSError: [Errno 28] No space left on device: '/cache/sh0120/debris_v003.vdb'"""
WORKER_OUTPUT = """worker output:
[vdb] opening 14 grids (density, vel, temperature, ...)
[vdb] 9.8 GB to write, 1.2 GB free on /cache
ExtractVDB: disk full on /cache"""


def sample_payload(n, n_steps=None, now=None):
    """A valid job payload: the n-th of a studio's day."""
    application, version, machine, user = HOSTS[n % len(HOSTS)]
    n_steps = n_steps or 6 + n % 5
    instances = {}
    steps = []
    for k in range(n_steps):
        plugin, instance = PLUGINS[k % len(PLUGINS)]
        instances.setdefault(
            instance,
            {"id": f"i-{instance}", "name": instance, "families": ["pointcache"], "data": {}},
        )
        steps.append(
            {
                "plugin": plugin,
                "module": "studio_plugins." + plugin.lower(),
                "order": 2.0 + k * 0.01,
                "instance": instance,
                "instance_id": f"i-{instance}",
            }
        )
    return {
        "schema": jobs_model.SCHEMA,
        "id": uuid.uuid4().hex,
        "title": TITLES[n % len(TITLES)] if n < len(TITLES) else f"sh{1000 + n:04d} publish",
        "host": {
            "application": application,
            "version": version,
            "pid": 40000 + n,
            "machine": machine,
            "user": user,
        },
        "targets": ["default"],
        "plugins": {"paths": [], "modules": []},
        "env": {},
        "context": {"data": {}},
        "instances": list(instances.values()),
        "steps": steps,
        "created": (time.time() if now is None else now) - 3600 + n * 60,
    }


#: States of the sample jobs, cycled: every state the Queue page shows.
STATES_CYCLE = [
    jobs_model.RUNNING,
    jobs_model.RUNNING,
    jobs_model.WAITING,
    jobs_model.QUEUED,
    jobs_model.SUCCEEDED,
    jobs_model.FAILED,
    jobs_model.CANCELLED,
    jobs_model.SUCCEEDED,
    jobs_model.INTERRUPTED,
    jobs_model.QUEUED,
]


def fill_store(store, count=30, clock=time.time, owner="sample:1:0", running=2):
    """Add ``count`` jobs and drive them, through the store's own API, into every state.

    At most ``running`` jobs are left running (owned by ``owner`` with a long lease).
    Returns the job ids in the order added.
    """
    now = clock()
    ids = []
    for n in range(count):
        job = Job.from_payload(sample_payload(n, now=now), now=now)
        store.add(job)
        ids.append(job.id)
    wanted = []
    left_running = 0
    for n in range(count):
        want = STATES_CYCLE[n % len(STATES_CYCLE)]
        if want == jobs_model.RUNNING:
            if left_running >= running:
                want = jobs_model.SUCCEEDED
            left_running += 1
        wanted.append(want)
    # Interrupted jobs are claimable: make them last so they do not get claimed instead.
    order = sorted(range(count), key=lambda n: wanted[n] == jobs_model.INTERRUPTED)
    for n in order:
        _drive(store, ids[n], wanted[n], owner, n)
    return ids


def _worker(n):
    """Who runs sample job ``n``'s steps: a farm node for every fifth, else a local
    worker process of this machine."""
    if n % 5 == 2:
        return {"node": f"celery@render-{n % 17 + 1:02d}"}
    return {"machine": socket.gethostname(), "pid": 41200 + n * 7}


def _drive(store, job_id, want, owner, n):
    """Claim ``job_id`` and walk it into state ``want`` (other jobs wait meanwhile)."""
    if want == jobs_model.QUEUED:
        return
    if want == jobs_model.CANCELLED and n % 2:
        store.cancel(job_id)
        return
    job = _claim_exactly(store, job_id, owner)
    total = len(job.steps)
    upto = {
        jobs_model.SUCCEEDED: total,
        jobs_model.RUNNING: total * 6 // 10,
        jobs_model.WAITING: total - 1,
        jobs_model.FAILED: total * 6 // 10,
        jobs_model.CANCELLED: total // 4,
        jobs_model.INTERRUPTED: total // 2,
    }[want]
    for index in range(upto):
        store.start_step(job_id, owner, index, worker=_worker(n))
        store.finish_step(
            job_id,
            owner,
            index,
            jobs_model.STEP_SUCCEEDED,
            duration=0.8 + (index * 7.3 + n) % 50,
            records=[
                {
                    "levelname": "INFO",
                    "created": time.time(),
                    "message": f"{job.steps[index].plugin} finished",
                }
            ],
        )
    worker = _worker(n)
    if "node" in worker:  # the lines the Celery executor writes (queue/celery/where.py)
        app = (job.host or {}).get("application", "python").lower()
        queue = f"pyblish.{app}.linux"
        store.add_log(
            job_id,
            "INFO",
            f"attempt {job.attempts} of {job.max_attempts} sent to the farm queue {queue}",
        )
        store.add_log(job_id, "INFO", f"running on farm node {worker['node']}")
    else:
        store.add_log(job_id, "INFO", f"claimed by worker-1 (attempt {job.attempts})")
    if want == jobs_model.RUNNING:
        store.start_step(job_id, owner, upto, worker=_worker(n))
        return
    if want == jobs_model.WAITING:
        store.start_step(job_id, owner, upto, worker=_worker(n))
        store.finish_step(job_id, owner, upto, jobs_model.STEP_WAITING)
        store.finish_job(job_id, owner, jobs_model.WAITING)
        return
    if want == jobs_model.FAILED:
        store.start_step(job_id, owner, upto, worker=_worker(n))
        store.finish_step(
            job_id,
            owner,
            upto,
            jobs_model.STEP_FAILED,
            duration=3.2,
            error="ExtractVDB: disk full on /cache",
            records=[
                {
                    "levelname": "INFO",
                    "created": time.time(),
                    "message": f"writing {job.steps[upto].instance} to /cache/vdb",
                },
                {"levelname": "ERROR", "created": time.time(), "message": TRACEBACK},
            ],
        )
        store.add_log(job_id, "INFO", WORKER_OUTPUT)
        store.finish_job(job_id, owner, jobs_model.FAILED, error="ExtractVDB: disk full on /cache")
        return
    if want == jobs_model.INTERRUPTED:
        store.release(job_id, owner, "the app stopped")
        return
    store.finish_job(job_id, owner, want)


def _claim_exactly(store, job_id, owner):
    """Move ``job_id`` to the front of the queue and claim it."""
    jobs = [j for j in store.jobs() if j.state in jobs_model.CLAIMABLE]
    place = next(n for n, j in enumerate(jobs) if j.id == job_id)
    if place:
        store.move(job_id, -place)
    job = store.claim(owner, 10_000.0)
    if job is None or job.id != job_id:
        raise RuntimeError(f"the store claimed {job and job.id} instead of {job_id}")
    return job


class SampleExecutor:
    """The executor's control side without workers (for screenshots and benchmarks)."""

    def __init__(self, store, concurrency=2):
        self.store = store
        self.concurrency = concurrency
        self.paused = False
        self.on_event = None

    def pause(self):
        self.paused = True

    def resume(self):
        self.paused = False

    def wake(self):
        pass

    def cancel(self, job_id):
        return self.store.cancel(job_id)
