"""The JobStore contract, run against every store (in-memory and SQLite): recovering,
cancelling, retrying, moving and removing jobs."""

import pytest
from store_support import LEASE, OWNER, add_jobs, claimed, everything

from pyblish_qml_queue.queue import model, rules
from pyblish_qml_queue.queue.store import InvalidState, JobNotFound, LeaseLost


@pytest.fixture
def store(each_store):
    """Every test here runs against both stores (conftest.each_store)."""
    return each_store


# -- recover -----------------------------------------------------------------------


def test_recover_takes_back_a_job_whose_owner_is_dead(store):
    job = claimed(store, n_steps=2)
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED)
    store.start_step(job.id, OWNER, 1)
    assert store.recover(alive=lambda owner: owner != OWNER) == [job.id]
    got = store.get(job.id)
    assert (got.state, got.owner, got.lease_until) == ("interrupted", None, None)
    assert [s.state for s in got.steps] == ["succeeded", "pending"]
    assert any(OWNER in line["message"] for line in store.log(job.id))
    with pytest.raises(LeaseLost):
        store.finish_step(job.id, OWNER, 1, model.STEP_SUCCEEDED)


def test_recover_takes_back_a_job_whose_lease_expired(store, clock):
    job = claimed(store)
    assert store.recover(alive=lambda owner: True) == []
    clock.advance(LEASE + 1)
    assert store.recover(alive=lambda owner: True) == [job.id]
    assert store.get(job.id).state == model.INTERRUPTED


def test_recover_leaves_jobs_of_live_owners_alone(store):
    job = claimed(store)
    before = everything(store, job.id)
    assert store.recover(alive=lambda owner: True) == []
    assert everything(store, job.id) == before


def test_recover_gives_the_attempt_back_an_executor_death_is_not_the_jobs_failure(store):
    (job_id,) = add_jobs(store, 1, max_attempts=2)
    for _ in range(3):  # more deaths than attempts: none of them counts
        job = store.claim(OWNER, LEASE)
        assert (job.id, job.attempts) == (job_id, 1)
        store.recover(alive=lambda owner: False)
        got = store.get(job_id)
        assert (got.state, got.attempts) == (model.INTERRUPTED, 0)
    assert "no attempt used" in store.log(job_id)[-1]["message"]


def test_recover_fails_a_job_whose_same_step_is_interrupted_again_and_again(store):
    (job_id,) = add_jobs(store, 1, max_attempts=2)
    for _ in range(rules.MAX_STEP_RUNS):
        job = store.claim(OWNER, LEASE)
        store.start_step(job.id, OWNER, 0)  # the step starts, the executor dies
        store.recover(alive=lambda owner: False)
    got = store.get(job_id)
    assert got.state == model.FAILED
    assert got.error.startswith(f"gave up: the same step was interrupted {rules.MAX_STEP_RUNS} ")
    assert store.claim(OWNER, LEASE) is None


def test_recover_honours_a_cancel_requested_before_the_owner_died(store):
    job = claimed(store)
    store.cancel(job.id)
    store.recover(alive=lambda owner: False)
    assert store.get(job.id).state == model.CANCELLED


# -- the user's side ---------------------------------------------------------------


def test_cancel_of_a_queued_job_cancels_it_at_once(store):
    (job_id,) = add_jobs(store, 1)
    assert store.cancel(job_id) == model.CANCELLED
    assert store.get(job_id).state == model.CANCELLED
    assert store.claim(OWNER, LEASE) is None


def test_cancel_of_a_running_job_requests_it(store):
    job = claimed(store)
    assert store.cancel(job.id) == model.RUNNING
    got = store.get(job.id)
    assert (got.state, got.cancel_requested) == (model.RUNNING, True)
    store.finish_job(job.id, OWNER, model.CANCELLED)
    assert store.get(job.id).cancel_requested is False


def test_cancel_of_a_job_waiting_for_the_farm_cancels_it_at_once(store):
    job = claimed(store)
    store.finish_job(job.id, OWNER, model.WAITING)
    assert store.cancel(job.id) == model.CANCELLED
    assert store.get(job.id).state == model.CANCELLED


def test_cancel_of_a_finished_job_is_refused(store):
    job = claimed(store)
    store.finish_job(job.id, OWNER, model.SUCCEEDED)
    with pytest.raises(InvalidState):
        store.cancel(job.id)


def test_retry_runs_every_step_again(store):
    job = claimed(store, n_steps=2)
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED, records=[{"msg": "x"}])
    store.finish_step(job.id, OWNER, 1, model.STEP_FAILED, error="boom")
    store.finish_job(job.id, OWNER, model.FAILED, error="boom")
    store.retry(job.id)
    got = store.get(job.id)
    assert (got.state, got.attempts, got.error, got.finished) == ("queued", 0, None, None)
    assert [(s.state, s.error, s.records) for s in got.steps] == [("pending", None, [])] * 2
    assert store.claim(OWNER, LEASE).id == job.id


def test_retry_failed_only_keeps_succeeded_steps(store):
    job = claimed(store, n_steps=3)
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED, records=[{"msg": "kept"}])
    store.finish_step(job.id, OWNER, 1, model.STEP_FAILED, error="boom")
    store.finish_job(job.id, OWNER, model.FAILED, error="boom")
    store.retry(job.id, failed_only=True)
    got = store.get(job.id)
    assert [s.state for s in got.steps] == ["succeeded", "pending", "pending"]
    assert got.steps[0].records == [{"msg": "kept"}]
    assert got.steps[1].error is None
    assert got.progress == (1, 3)
    assert store.jobs()[0].progress == (1, 3)


def test_retry_puts_the_job_at_the_end_of_the_queue(store):
    job = claimed(store)
    store.finish_job(job.id, OWNER, model.FAILED)
    (waiting,) = add_jobs(store, 1)
    store.retry(job.id)
    assert [store.claim(OWNER, LEASE).id for _ in range(2)] == [waiting, job.id]


@pytest.mark.parametrize("state", [model.QUEUED, model.RUNNING, model.SUCCEEDED])
def test_retry_of_a_queued_running_or_succeeded_job_is_refused(store, state):
    job = claimed(store)
    if state == model.SUCCEEDED:
        store.finish_job(job.id, OWNER, model.SUCCEEDED)
    if state == model.QUEUED:
        (job_id,) = add_jobs(store, 1)
    else:
        job_id = job.id
    with pytest.raises(InvalidState):
        store.retry(job_id)


def test_move_changes_the_claim_order(store):
    a, b, c, d = add_jobs(store, 4)
    store.move(d, -2)  # a d b c
    store.move(a, 1)  # d a b c
    store.move(c, -10)  # c d a b
    store.move(c, 0)
    assert [store.claim(OWNER, LEASE).id for _ in range(4)] == [c, d, a, b]


def test_move_steps_over_claimable_jobs_only(store):
    a, b, c = add_jobs(store, 3)
    assert store.claim(OWNER, LEASE).id == a  # a runs
    store.cancel(b)  # b is finished
    (d,) = add_jobs(store, 1)
    store.move(d, -1)  # one place: ahead of c
    assert [j.id for j in store.jobs(state="queued")] == [d, c]


def test_move_of_a_job_that_is_not_queued_is_refused(store):
    job = claimed(store)
    with pytest.raises(InvalidState):
        store.move(job.id, -1)


def test_remove_deletes_the_job_and_its_log(store):
    a, b = add_jobs(store, 2)
    store.add_log(a, "INFO", "hello")
    store.remove(a)
    with pytest.raises(JobNotFound):
        store.get(a)
    with pytest.raises(JobNotFound):
        store.log(a)
    assert [j.id for j in store.jobs()] == [b]


def test_remove_of_a_running_job_is_refused(store):
    job = claimed(store)
    with pytest.raises(InvalidState, match="running"):
        store.remove(job.id)
    assert store.get(job.id).state == model.RUNNING


def test_reclaim_takes_up_a_lapsed_lease_that_nobody_took(store, clock):
    job = claimed(store)
    clock.advance(LEASE + 1)
    with pytest.raises(LeaseLost):
        store.renew(job.id, OWNER, LEASE)
    assert store.reclaim(job.id, OWNER, LEASE) is False
    store.renew(job.id, OWNER, LEASE)  # a fresh lease again


def test_reclaim_refuses_once_another_executor_recovered_the_job(store, clock):
    job = claimed(store)
    clock.advance(LEASE + 1)
    store.recover(alive=lambda owner: True)  # the lease expired: taken back
    with pytest.raises(LeaseLost):
        store.reclaim(job.id, OWNER, LEASE)
