"""Who ran each step (``Step.worker``): the stores keep it, the local executor records its
real worker process and machine, and a schema-4 file is migrated to hold it."""

import os
import socket
import sqlite3

import pytest
from factories import make_job
from queue_support import add, wait_finished

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite import rows
from pyblish_qml_queue.queue.sqlite.schema import MIGRATIONS
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

OWNER = "test-owner"


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "jobs.db")


def claimed(store, n_steps=3):
    job = make_job(n_steps=n_steps)
    store.add(job)
    return store.claim(OWNER, 30)


def test_a_started_step_keeps_its_worker_until_it_runs_again(each_store):
    store = each_store
    job = claimed(store)
    assert store.get(job.id).steps[0].worker == {}

    store.start_step(job.id, OWNER, 0, worker={"machine": "ws-01", "pid": 4242})
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED, duration=1.0)
    store.start_step(job.id, OWNER, 1, worker={"node": "celery@render-07"})

    steps = store.get(job.id).steps
    assert steps[0].worker == {"machine": "ws-01", "pid": 4242}  # done: who did it stays
    assert steps[1].worker == {"node": "celery@render-07"}
    assert steps[2].worker == {}
    assert steps[1].to_dict()["worker"] == {"node": "celery@render-07"}  # show --json


def test_a_step_that_goes_back_to_pending_or_is_retried_has_no_worker(each_store):
    store = each_store
    job = claimed(store)
    store.start_step(job.id, OWNER, 0, worker={"machine": "ws-01", "pid": 1})
    store.finish_step(job.id, OWNER, 0, model.STEP_FAILED, error="boom")
    store.start_step(job.id, OWNER, 1, worker={"machine": "ws-01", "pid": 1})
    store.release(job.id, OWNER, "stopping")  # the running step goes back to pending

    steps = store.get(job.id).steps
    assert (steps[1].state, steps[1].worker) == (model.PENDING, {})
    assert steps[0].worker == {"machine": "ws-01", "pid": 1}
    store.retry(job.id)
    assert [s.worker for s in store.get(job.id).steps] == [{}, {}, {}]


def test_the_local_executor_records_its_worker_process_and_machine_on_each_step(
    store, plugins, start_executor
):
    job_id = add(store, plugins.payload(["Mark", ("Mark", 1)], key="who"))
    start_executor()

    job = wait_finished(store, job_id)

    assert job.state == model.SUCCEEDED
    pids = set()
    for instance in ("ben01", "ben02"):  # the marker files hold the plugin's os.getpid()
        with open(os.path.join(plugins.markers, f"who__Mark__{instance}.runs")) as f:
            pids.update(int(line) for line in f.read().split())
    (pid,) = pids  # one worker process ran both steps
    assert pid != os.getpid()
    assert [s.worker for s in job.steps] == [{"machine": socket.gethostname(), "pid": pid}] * 2


class StoreV4(SQLiteJobStore):
    MIGRATIONS = MIGRATIONS[:4]


def add_v4(store, job):
    """Add ``job`` to a schema-4 file as that schema's store did (its steps without worker)."""
    columns = rows.JOB_INSERT_COLUMNS
    conn = store._connection()
    conn.execute(
        f"INSERT INTO jobs ({columns}, position) VALUES ({rows.placeholders(columns)}, 1)",
        rows.job_values(job, 1.0),
    )
    old = rows.STEP_COLUMNS.replace(", worker", "")
    conn.executemany(
        f"INSERT INTO steps (job_id, {old}) VALUES ({rows.placeholders('job_id, ' + old)})",
        [values[:-1] for values in rows.step_values(job)],
    )


def test_a_schema_4_file_is_migrated_and_its_steps_have_no_worker(db):
    old = StoreV4(db)
    job = make_job(n_steps=2)
    job.steps[0].state = model.STEP_SUCCEEDED
    add_v4(old, job)
    old.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (4,)
        assert "worker" not in [r[1] for r in conn.execute("PRAGMA table_info(steps)")]

    store = SQLiteJobStore(db)
    try:
        conn = store._connection()
        assert conn.execute("PRAGMA user_version").fetchone() == (5,) == (len(MIGRATIONS),)
        got = store.get(job.id)
        assert [(s.state, s.worker) for s in got.steps] == [
            (model.STEP_SUCCEEDED, {}),
            (model.PENDING, {}),
        ]
        claimed_job = store.claim(OWNER, 30)
        store.start_step(claimed_job.id, OWNER, 1, worker={"machine": "ws-01", "pid": 7})
        assert store.get(job.id).steps[1].worker == {"machine": "ws-01", "pid": 7}
    finally:
        store.close()
