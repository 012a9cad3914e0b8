"""A lease that lapsed while nobody took the job (the store was locked longer than the
lease) is taken up again by one helper, RunRecords.take_up_lapsed, whether the executor
meets it renewing (ClaimLoop._renew) or checkpointing a step (JobRun.checkpoint)."""

import pytest
from store_support import LEASE, OWNER, claimed

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.job_run import JobRun
from pyblish_qml_queue.queue.loop import ClaimLoop
from pyblish_qml_queue.queue.records import RunRecords
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
from pyblish_qml_queue.queue.store import LeaseLost


@pytest.fixture
def store(tmp_path, clock):
    store = SQLiteJobStore(str(tmp_path / "jobs.db"), clock=clock)
    yield store
    store.close()


def records_for(store, clock, owner=OWNER):
    return RunRecords(
        store, owner, clock, lambda job_id, event: None, lambda: None, lambda *a: False, LEASE
    )


def lapsed(store, clock):
    """A job claimed by OWNER whose lease has just lapsed, nobody having taken it."""
    job = claimed(store)
    clock.advance(LEASE + 1)
    with pytest.raises(LeaseLost):
        store.renew(job.id, OWNER, LEASE)
    return job


def test_take_up_lapsed_renews_the_lease_and_says_so(store, clock, caplog):
    job = lapsed(store, clock)
    records = records_for(store, clock)
    assert records.take_up_lapsed(job.id, "renewing") is False
    assert store.renew(job.id, OWNER, LEASE) is False  # a fresh lease again
    assert any("lease had lapsed while renewing" in r.getMessage() for r in caplog.records)


def test_take_up_lapsed_tells_of_a_cancel_requested_meanwhile(store, clock):
    job = lapsed(store, clock)
    store.cancel(job.id)
    assert records_for(store, clock).take_up_lapsed(job.id, "renewing") is True


def test_take_up_lapsed_refuses_a_job_another_executor_recovered(store, clock):
    job = lapsed(store, clock)
    store.recover(alive=lambda owner: True)  # the lease expired: taken back
    with pytest.raises(LeaseLost):
        records_for(store, clock).take_up_lapsed(job.id, "renewing")


def test_the_claim_loop_renewing_a_lapsed_lease_runs_the_job_on(store, clock, monkeypatch):
    loop = ClaimLoop(store, 1, LEASE, clock, 0.05, None)
    job = claimed(store)
    job = store.get(job.id)
    run = JobRun(job, loop.records, None, 1.0, lambda run: None)
    loop.owner = loop.records.owner = OWNER
    taken = []
    real = loop.records.take_up_lapsed
    monkeypatch.setattr(loop.records, "take_up_lapsed", lambda *a: taken.append(a[1]) or real(*a))
    clock.advance(LEASE + 1)
    assert loop._renew(run) is False
    assert taken == ["renewing"]
    assert store.get(job.id).state == model.RUNNING
    assert store.get(job.id).lease_until == clock() + LEASE


def test_a_checkpoint_after_a_lapsed_lease_stores_the_step(store, clock, monkeypatch):
    records = records_for(store, clock)
    job = store.get(claimed(store).id)
    run = JobRun(job, records, None, 1.0, lambda run: None)
    taken = []
    real = records.take_up_lapsed
    monkeypatch.setattr(records, "take_up_lapsed", lambda *a: taken.append(a[1]) or real(*a))
    store.start_step(job.id, OWNER, 0)
    clock.advance(LEASE + 1)
    event = {"event": "step_finished", "index": 0, "state": model.STEP_SUCCEEDED}
    assert run.checkpoint(event) is True
    assert taken == ["checkpointing"]
    assert store.get(job.id).steps[0].state == model.STEP_SUCCEEDED


def test_a_checkpoint_of_a_job_another_executor_recovered_raises_lease_lost(store, clock):
    records = records_for(store, clock)
    job = store.get(claimed(store).id)
    run = JobRun(job, records, None, 1.0, lambda run: None)
    clock.advance(LEASE + 1)
    store.recover(alive=lambda owner: True)
    event = {"event": "step_finished", "index": 0, "state": model.STEP_SUCCEEDED}
    with pytest.raises(LeaseLost):
        run.checkpoint(event)
    assert store.get(job.id).steps[0].state == "pending"
