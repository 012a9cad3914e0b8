"""A real job store damaged by overwriting pages in its middle, for the salvage tests."""

import os
import random
import sqlite3

from factories import make_job

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

OWNER = "ws01:1234:aaaa"
#: Jobs in the store before it is damaged.
JOBS = 200


def filled_store(path, n=JOBS):
    """A store at ``path`` with ``n`` jobs of 3 steps, closed (its WAL checkpointed):
    the first tenth succeeded, the next tenth running with its first step done and its
    second started, the others queued.

    Returns:
        ``{job id: (state, [step states])}`` as the store held them.
    """
    store = SQLiteJobStore(path)
    for n_job in range(n):
        job = make_job(n_steps=3, title=f"shot{n_job:03d}")
        store.add(job)
        store.add_log(job.id, "info", f"added shot{n_job:03d}")
    for n_job in range(n // 5):
        job = store.claim(OWNER, 3600.0)  # in queue order
        store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED)
        if n_job < n // 10:
            for index in (1, 2):
                store.finish_step(job.id, OWNER, index, model.STEP_SUCCEEDED)
            store.finish_job(job.id, OWNER, model.SUCCEEDED)
        else:
            store.start_step(job.id, OWNER, 1)
    held = {job.id: (job.state, [s.state for s in job.steps]) for job in _all(store)}
    store.close()
    assert not os.path.exists(path + "-wal") or os.path.getsize(path + "-wal") == 0
    return held


def _all(store):
    return [store.get(job.id) for job in store.jobs()]


def damage_middle(path, pages=8, seed=14):
    """Overwrite ``pages`` pages in the middle of the file with random bytes.

    Returns:
        the tables whose pages were hit (e.g. ``{"jobs", "steps"}``).
    """
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    count = conn.execute("PRAGMA page_count").fetchone()[0]
    first = count // 2 - pages // 2
    hit = {
        name
        for (name,) in conn.execute(
            "SELECT DISTINCT name FROM dbstat WHERE pageno BETWEEN ? AND ?",
            (first, first + pages - 1),
        )
    }
    conn.close()
    noise = random.Random(seed)
    with open(path, "r+b") as f:
        for page in range(first, first + pages):
            f.seek((page - 1) * page_size)
            f.write(bytes(noise.getrandbits(8) for _ in range(page_size)))
    return hit
