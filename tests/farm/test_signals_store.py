"""The JobStore's farm-signal contract (secrets, waiting steps, signals, deadlines), both stores."""

import sqlite3

import pytest
from factories import make_job
from store_support import LEASE, OWNER

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.schema import SCHEMA_V1
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
from pyblish_qml_queue.queue.store import (
    ALREADY_APPLIED,
    APPLIED,
    NonceSeen,
    NotWaiting,
    StepNotFound,
)


@pytest.fixture
def store(each_store):
    """Every test here runs against both stores (conftest.each_store)."""
    return each_store


def parked(store, clock, deadline_in=None, n_steps=3):
    """A job whose step 0 (ExtractStep0 on ben01) waits for the farm; steps after it pend."""
    job = make_job(n_steps=n_steps)
    assert store.add(job)
    claimed = store.claim(OWNER, LEASE)
    store.start_step(job.id, OWNER, 0)
    deadline = None if deadline_in is None else clock() + deadline_in
    store.finish_step(
        job.id,
        OWNER,
        0,
        model.STEP_WAITING,
        farm={"farm_job": "dl-42", "timeout": deadline_in},
        deadline=deadline,
    )
    assert claimed.id == job.id
    return job.id


def test_add_gives_each_job_a_secret_that_get_returns(store):
    first, second = make_job(), make_job()
    store.add(first)
    store.add(second)
    a, b = store.get(first.id).secret, store.get(second.id).secret
    assert a and b and a != b and len(a) == 64


def test_the_secret_is_in_no_listing_and_no_json_view(store):
    job = make_job()
    store.add(job)
    secret = store.get(job.id).secret
    assert store.jobs()[0].secret is None
    assert secret not in repr(store.get(job.id))
    assert secret not in str(store.get(job.id).to_dict())


def test_claim_hands_the_secret_to_the_executor(store):
    job = make_job()
    store.add(job)
    assert store.claim(OWNER, LEASE).secret == store.get(job.id).secret


def test_a_waiting_step_keeps_its_farm_job_and_deadline(store, clock):
    job_id = parked(store, clock, deadline_in=60)
    step = store.get(job_id).steps[0]
    assert (step.state, step.farm["farm_job"], step.deadline) == ("waiting", "dl-42", clock() + 60)


def test_finish_job_waiting_parks_the_job(store, clock):
    job_id = parked(store, clock)
    assert store.finish_job(job_id, OWNER, model.WAITING) == model.WAITING
    assert store.claim(OWNER, LEASE) is None


def test_success_queues_the_waiting_job_again_with_fresh_attempts(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    outcome = store.signal_step(job_id, "ExtractStep0", "ben01", "success", "rendered", nonce="n1")
    job = store.get(job_id)
    assert outcome == (APPLIED, model.QUEUED)
    assert (job.state, job.attempts, job.steps[0].state) == ("queued", 0, "succeeded")
    assert job.steps[0].farm["message"] == "rendered"
    assert job.progress == (1, 3)
    assert store.claim(OWNER, LEASE).id == job_id


def test_failure_fails_the_step_and_the_job_with_the_farms_message(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    store.signal_step(job_id, "ExtractStep0", "ben01", "failure", "frame 12 crashed", nonce="n1")
    job = store.get(job_id)
    assert job.state == "failed" and "frame 12 crashed" in job.error
    assert job.steps[0].state == "failed" and "frame 12 crashed" in job.steps[0].error
    assert job.finished == clock()


def test_the_same_signal_twice_changes_nothing_the_second_time(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n1")
    before = store.get(job_id)
    again = store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n2")
    assert again == (ALREADY_APPLIED, model.QUEUED)
    assert store.get(job_id) == before


def test_a_contrary_signal_after_one_applied_is_refused(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n1")
    with pytest.raises(NotWaiting, match="already said success"):
        store.signal_step(job_id, "ExtractStep0", "ben01", "failure", nonce="n2")


def test_a_used_nonce_is_refused_and_changes_nothing(store, clock):
    job_id = parked(store, clock, n_steps=3)
    store.finish_job(job_id, OWNER, model.WAITING)
    store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n1", sent=clock())
    before = store.get(job_id)
    with pytest.raises(NonceSeen):
        store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n1")
    assert store.get(job_id) == before


def test_nonces_sent_before_forget_before_are_forgotten(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n1", sent=clock())
    outcome = store.signal_step(
        job_id, "ExtractStep0", "ben01", "success", nonce="n1", forget_before=clock() + 1
    )
    assert outcome[0] == ALREADY_APPLIED


def test_a_signal_for_a_step_that_is_not_waiting_is_refused_and_changes_nothing(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    before = store.get(job_id)
    with pytest.raises(NotWaiting, match="pending"):
        store.signal_step(job_id, "ExtractStep1", "ben01", "success", nonce="n1")
    assert store.get(job_id) == before
    # the refused signal's nonce was not kept
    store.signal_step(job_id, "ExtractStep0", "ben01", "success", nonce="n1")


def test_a_signal_for_an_unknown_step_or_job_is_refused(store, clock):
    job_id = parked(store, clock)
    with pytest.raises(StepNotFound):
        store.signal_step(job_id, "RenderBeauty", "ben01", "success")
    with pytest.raises(StepNotFound):
        store.signal_step(job_id, "ExtractStep0", "tom01", "success")
    with pytest.raises(Exception, match="not found"):
        store.signal_step("f" * 32, "ExtractStep0", "ben01", "success")


def test_a_signal_for_a_cancelled_job_is_refused(store, clock):
    job_id = parked(store, clock)
    store.finish_job(job_id, OWNER, model.WAITING)
    store.cancel(job_id)
    with pytest.raises(NotWaiting, match="cancelled"):
        store.signal_step(job_id, "ExtractStep0", "ben01", "success")


def test_a_success_while_the_job_runs_queues_it_again_when_the_run_ends(store, clock):
    job_id = parked(store, clock)
    assert store.signal_step(job_id, "ExtractStep0", "ben01", "success") == (APPLIED, "running")
    assert store.finish_job(job_id, OWNER, model.WAITING) == model.QUEUED
    job = store.get(job_id)
    assert (job.state, job.finished, job.resume) == ("queued", None, False)


def test_a_failure_while_the_job_runs_fails_it_when_the_run_ends(store, clock):
    job_id = parked(store, clock)
    store.signal_step(job_id, "ExtractStep0", "ben01", "failure", "no licence")
    assert store.finish_job(job_id, OWNER, model.WAITING) == model.FAILED
    assert "no licence" in store.get(job_id).error


def test_a_failure_while_the_job_runs_fails_it_when_its_owner_is_lost(store, clock):
    job_id = parked(store, clock)
    store.signal_step(job_id, "ExtractStep0", "ben01", "failure", "no licence")
    assert store.recover(lambda owner: False) == [job_id]
    assert store.get(job_id).state == "failed"


def test_expire_waiting_fails_jobs_past_their_deadline_only(store, clock):
    late = parked(store, clock, deadline_in=10)
    store.finish_job(late, OWNER, model.WAITING)
    patient = parked(store, clock)  # no deadline
    store.finish_job(patient, OWNER, model.WAITING)
    clock.advance(5)
    assert store.expire_waiting() == []
    clock.advance(6)
    assert store.expire_waiting() == [late]
    job = store.get(late)
    assert job.state == "failed" and "timed out waiting for the farm" in job.error
    assert "no signal from the farm within 10 s (farm job dl-42)" in job.steps[0].error
    assert store.get(patient).state == "waiting"
    assert store.expire_waiting() == []


def test_retry_of_a_timed_out_job_runs_the_farm_step_again(store, clock):
    job_id = parked(store, clock, deadline_in=1)
    store.finish_job(job_id, OWNER, model.WAITING)
    clock.advance(2)
    store.expire_waiting()
    store.retry(job_id, failed_only=True)
    step = store.get(job_id).steps[0]
    assert (step.state, step.farm, step.deadline) == ("pending", {}, None)


def test_waiting_jobs_and_secrets_survive_reopening_the_file(tmp_path, clock):
    path = str(tmp_path / "jobs.db")
    store = SQLiteJobStore(path, clock=clock)
    job_id = parked(store, clock, deadline_in=60)
    store.finish_job(job_id, OWNER, model.WAITING)
    secret = store.get(job_id).secret
    store.close()
    again = SQLiteJobStore(path, clock=clock)
    try:
        job = again.get(job_id)
        assert (job.state, job.secret, job.steps[0].deadline) == ("waiting", secret, clock() + 60)
        assert again.signal_step(job_id, "ExtractStep0", "ben01", "success")[0] == APPLIED
    finally:
        again.close()


def test_a_v1_store_is_migrated_and_its_jobs_get_secrets(tmp_path):
    path = str(tmp_path / "jobs.db")
    conn = sqlite3.connect(path)
    for statement in SCHEMA_V1:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO jobs (id, title, state, payload, host, created, updated, position) "
        "VALUES ('old1', 'old', 'failed', '{}', '{}', 1, 1, 1)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = SQLiteJobStore(path)
    try:
        assert len(store.get("old1").secret) == 64
    finally:
        store.close()
