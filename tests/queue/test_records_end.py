"""A job is recorded succeeded only when the store holds every one of its steps done:
RunRecords.end fails a "succeeded" run whose step ends never reached the store (a lost
event, a worker that stopped early), for the local and the farm executor alike."""

import pytest
from store_support import LEASE, OWNER, claimed

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.records import RunRecords
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


@pytest.fixture
def store(tmp_path, clock):
    store = SQLiteJobStore(str(tmp_path / "jobs.db"), clock=clock)
    yield store
    store.close()


def records_for(store, clock):
    return RunRecords(
        store, OWNER, clock, lambda job_id, event: None, lambda: None, lambda *a: False, LEASE
    )


def finish(store, job, index):
    store.start_step(job.id, OWNER, index)
    store.finish_step(job.id, OWNER, index, model.STEP_SUCCEEDED, duration=0.1)


def test_a_run_said_succeeded_with_a_step_never_ended_fails_and_says_which(store, clock):
    job = claimed(store, n_steps=2)
    finish(store, job, 0)  # the second step's end never reached the store

    state, error = records_for(store, clock).end(job, model.SUCCEEDED, None)

    stored = store.get(job.id)
    assert state == model.FAILED and stored.state == model.FAILED
    assert "1 of 2 steps never finished" in stored.error and "step 2" in stored.error
    assert any("never finished" in line["message"] for line in store.log(job.id))


def test_a_run_with_every_step_done_succeeds(store, clock):
    job = claimed(store, n_steps=2)
    finish(store, job, 0)
    finish(store, job, 1)

    assert records_for(store, clock).end(job, model.SUCCEEDED, None) == (model.SUCCEEDED, None)
    assert store.get(job.id).state == model.SUCCEEDED
