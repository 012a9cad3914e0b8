"""The JobStore contract, run against every store (in-memory and SQLite): adding,
reading, claiming, fencing, steps and runs. More in test_store_contract_queue.py."""

import threading

import pytest
from factories import make_job
from store_support import LEASE, OTHER, OWNER, add_jobs, claimed, everything

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.store import JobNotFound, LeaseLost


@pytest.fixture
def store(each_store):
    """Every test here runs against both stores (conftest.each_store)."""
    return each_store


# -- adding and reading ------------------------------------------------------------


def test_get_returns_the_added_job_with_its_steps(store):
    job = make_job(n_steps=3, title="Publish ben")
    assert store.add(job) is True
    got = store.get(job.id)
    assert got.title == "Publish ben"
    assert got.state == model.QUEUED
    assert got.payload == job.payload
    assert [(s.index, s.plugin, s.state) for s in got.steps] == [
        (0, "ExtractStep0", "pending"),
        (1, "ExtractStep1", "pending"),
        (2, "ExtractStep2", "pending"),
    ]


def test_add_of_an_existing_id_returns_false_and_changes_nothing(store):
    job = make_job(title="first")
    store.add(job)
    again = make_job(job_id=job.id, title="second", n_steps=5)
    assert store.add(again) is False
    got = store.get(job.id)
    assert got.title == "first"
    assert len(got.steps) == 2
    assert store.counts() == {"queued": 1}


def test_get_accepts_a_unique_id_prefix(store):
    store.add(make_job(job_id="abcd1234ef"))
    store.add(make_job(job_id="ffff0000"))
    assert store.get("abcd12").id == "abcd1234ef"


def test_get_with_an_ambiguous_prefix_says_so(store):
    store.add(make_job(job_id="abcd1111"))
    store.add(make_job(job_id="abcd2222"))
    with pytest.raises(JobNotFound, match="ambiguous"):
        store.get("abcd")


def test_get_refuses_prefixes_shorter_than_four_and_unknown_ids(store):
    store.add(make_job(job_id="abcd1111"))
    with pytest.raises(JobNotFound):
        store.get("abc")
    with pytest.raises(JobNotFound, match="not found"):
        store.get("nope0000")


def test_jobs_handed_out_are_copies(store):
    job = make_job()
    store.add(job)
    job.title = "changed by the caller after add"
    got = store.get(job.id)
    got.steps[0].state = model.STEP_FAILED
    got.payload["title"] = "changed"
    fresh = store.get(job.id)
    assert fresh.title != "changed by the caller after add"
    assert fresh.steps[0].state == model.PENDING
    assert fresh.payload["title"] != "changed"


def test_jobs_lists_summaries_with_step_counts_and_host(store):
    job = claimed(store, n_steps=3)
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED, records=[{"msg": "x"}])
    (listed,) = store.jobs()
    assert listed.id == job.id
    assert listed.steps == []
    assert listed.progress == (1, 3)
    assert listed.to_dict(steps=False)["progress"] == {"done": 1, "total": 3}
    assert listed.payload == {"host": job.host}
    assert listed.user == "ben"


def test_jobs_lists_claimable_by_position_then_the_rest_by_creation(store, clock):
    jobs = [make_job(now=clock.now + n) for n in range(4)]
    for job in jobs:
        store.add(job)
    first, second, third, fourth = (job.id for job in jobs)
    assert store.claim(OWNER, LEASE).id == first
    store.cancel(second)
    store.move(fourth, -1)
    assert [j.id for j in store.jobs()] == [fourth, third, first, second]


def test_jobs_filters_by_state_host_and_limit(store):
    maya = {"application": "maya", "machine": "ws02", "user": "ann"}
    a, b = add_jobs(store, 2)
    (c,) = add_jobs(store, 1, host=maya)
    store.cancel(b)
    assert [j.id for j in store.jobs(state="queued")] == [a, c]
    assert [j.id for j in store.jobs(host="maya")] == [c]
    assert [j.id for j in store.jobs(host="ws01")] == [a, b]
    assert [j.id for j in store.jobs(limit=1)] == [a]


def test_counts_number_jobs_per_state(store):
    ids = add_jobs(store, 4)
    store.cancel(ids[0])
    store.claim(OWNER, LEASE)
    assert store.counts() == {"cancelled": 1, "running": 1, "queued": 2}


def test_log_returns_lines_oldest_first(store, clock):
    (job_id,) = add_jobs(store, 1)
    store.add_log(job_id, "INFO", "one")
    clock.advance(1)
    store.add_log(job_id, "ERROR", "two")
    lines = store.log(job_id)
    assert [(line["level"], line["message"]) for line in lines] == [
        ("INFO", "one"),
        ("ERROR", "two"),
    ]
    assert lines[1]["time"] == clock.now


def test_log_of_an_unknown_job_raises_job_not_found(store):
    with pytest.raises(JobNotFound):
        store.add_log("nope0000", "INFO", "x")


# -- claim -------------------------------------------------------------------------


def test_claim_returns_none_when_nothing_is_queued(store):
    assert store.claim(OWNER, LEASE) is None
    claimed(store)
    assert store.claim(OWNER, LEASE) is None


def test_claim_takes_jobs_in_queue_order(store):
    ids = add_jobs(store, 3)
    assert [store.claim(OWNER, LEASE).id for _ in ids] == ids


def test_claim_hands_over_the_job_running_with_owner_lease_and_attempt(store, clock):
    job = claimed(store, n_steps=2)
    assert job.state == model.RUNNING
    assert job.owner == OWNER
    assert job.lease_until == clock.now + LEASE
    assert job.attempts == 1
    assert len(job.steps) == 2
    assert store.get(job.id).owner == OWNER


def test_claims_from_many_threads_never_share_a_job(store):
    ids = set(add_jobs(store, 60, n_steps=1))
    got = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def claimer(n):
        start.wait()
        while True:
            job = store.claim(f"ws01:{n}:x", LEASE)
            if job is None:
                return
            with lock:
                got.append(job.id)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == sorted(ids)


# -- fencing -----------------------------------------------------------------------

FENCED_WRITES = {
    "renew": lambda s, job_id, owner: s.renew(job_id, owner, LEASE),
    "start_step": lambda s, job_id, owner: s.start_step(job_id, owner, 0),
    "finish_step": lambda s, job_id, owner: s.finish_step(
        job_id, owner, 0, model.STEP_SUCCEEDED, records=[{"msg": "late"}], changes={"a": 1}
    ),
    "finish_job": lambda s, job_id, owner: s.finish_job(job_id, owner, model.SUCCEEDED),
    "release": lambda s, job_id, owner: s.release(job_id, owner, "stopping"),
}


@pytest.mark.parametrize("write", sorted(FENCED_WRITES))
def test_a_write_by_another_owner_raises_lease_lost_and_changes_nothing(store, write):
    job = claimed(store)
    before = everything(store, job.id)
    with pytest.raises(LeaseLost):
        FENCED_WRITES[write](store, job.id, OTHER)
    assert everything(store, job.id) == before


@pytest.mark.parametrize("write", sorted(FENCED_WRITES))
def test_a_write_after_the_lease_expired_raises_lease_lost_and_changes_nothing(store, clock, write):
    job = claimed(store)
    clock.advance(LEASE + 0.001)
    before = everything(store, job.id)
    with pytest.raises(LeaseLost):
        FENCED_WRITES[write](store, job.id, OWNER)
    assert everything(store, job.id) == before


@pytest.mark.parametrize("write", sorted(FENCED_WRITES))
def test_a_write_for_a_job_no_longer_running_raises_lease_lost(store, write):
    job = claimed(store)
    store.finish_job(job.id, OWNER, model.FAILED, error="boom")
    with pytest.raises(LeaseLost):
        FENCED_WRITES[write](store, job.id, OWNER)


def test_renew_extends_the_lease(store, clock):
    job = claimed(store)
    clock.advance(LEASE - 1)
    assert store.renew(job.id, OWNER, LEASE) is False
    clock.advance(LEASE - 1)  # past the first lease, inside the renewed one
    store.start_step(job.id, OWNER, 0)
    assert store.get(job.id).lease_until == clock.now + 1


def test_renew_returns_whether_a_cancel_was_requested(store):
    job = claimed(store)
    assert store.renew(job.id, OWNER, LEASE) is False
    assert store.cancel(job.id) == model.RUNNING
    assert store.renew(job.id, OWNER, LEASE) is True


# -- steps and runs ----------------------------------------------------------------


def test_start_step_marks_it_running_and_counts_the_run(store, clock):
    job = claimed(store)
    store.start_step(job.id, OWNER, 1)
    step = store.get(job.id).steps[1]
    assert (step.state, step.started, step.runs) == (model.STEP_RUNNING, clock.now, 1)


def test_finish_step_checkpoints_state_records_and_changes(store, clock):
    job = claimed(store, n_steps=3)
    store.start_step(job.id, OWNER, 0)
    records = [{"levelname": "INFO", "msg": "wrote /tmp/ben01.abc"}]
    changes = {"context": {}, "instances": {"inst-00": {"outputPath": "/tmp/ben01.abc"}}}
    store.finish_step(
        job.id, OWNER, 0, model.STEP_SUCCEEDED, duration=1.5, records=records, changes=changes
    )
    store.finish_step(
        job.id, OWNER, 1, model.STEP_FAILED, error="boom", traceback="Traceback: boom"
    )
    got = store.get(job.id)
    first, second, third = got.steps
    assert (first.state, first.duration, first.records, first.changes) == (
        model.STEP_SUCCEEDED,
        1.5,
        records,
        changes,
    )
    assert first.finished == clock.now
    assert (second.state, second.error, second.traceback) == ("failed", "boom", "Traceback: boom")
    assert third.state == model.PENDING
    assert got.progress == (1, 3)
    assert got.next_step.index == 1


def test_finish_step_of_a_missing_step_raises_and_changes_nothing(store):
    job = claimed(store, n_steps=1)
    before = everything(store, job.id)
    with pytest.raises(IndexError):
        store.finish_step(job.id, OWNER, 7, model.STEP_SUCCEEDED)
    assert everything(store, job.id) == before


def test_finish_job_records_the_end_and_drops_the_lease(store, clock):
    job = claimed(store)
    clock.advance(5)
    store.finish_job(job.id, OWNER, model.FAILED, error="ExtractStep1 failed: boom")
    got = store.get(job.id)
    assert (got.state, got.error) == ("failed", "ExtractStep1 failed: boom")
    assert (got.owner, got.lease_until) == (None, None)
    assert got.finished == clock.now


def test_finish_job_waiting_parks_the_job_unfinished(store):
    job = claimed(store)
    store.finish_job(job.id, OWNER, model.WAITING)
    got = store.get(job.id)
    assert (got.state, got.owner, got.finished) == ("waiting", None, None)
    assert store.claim(OWNER, LEASE) is None


def test_finish_job_interrupted_counts_the_attempt_and_queues_the_job_in_its_place(store):
    job = claimed(store, n_steps=2)
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED)
    store.start_step(job.id, OWNER, 1)
    add_jobs(store, 1)
    store.finish_job(job.id, OWNER, model.INTERRUPTED, error="worker died with SIGKILL")
    got = store.get(job.id)
    assert (got.state, got.error) == ("interrupted", "worker died with SIGKILL")
    assert (got.owner, got.finished) == (None, None)
    assert [s.state for s in got.steps] == ["succeeded", "pending"]
    again = store.claim(OTHER, LEASE)
    assert (again.id, again.attempts) == (job.id, 2)


def test_finish_job_refuses_states_a_run_cannot_end_in(store):
    job = claimed(store)
    with pytest.raises(ValueError):
        store.finish_job(job.id, OWNER, model.QUEUED)


def test_release_makes_the_job_claimable_again_without_counting_the_attempt(store):
    job = claimed(store, n_steps=3)
    store.finish_step(job.id, OWNER, 0, model.STEP_SUCCEEDED)
    store.start_step(job.id, OWNER, 1)
    add_jobs(store, 1)  # queued later: the released job keeps its place before it
    store.release(job.id, OWNER, "executor stopping")
    got = store.get(job.id)
    assert (got.state, got.attempts, got.owner) == ("interrupted", 0, None)
    assert [s.state for s in got.steps] == ["succeeded", "pending", "pending"]
    assert any("executor stopping" in line["message"] for line in store.log(job.id))
    again = store.claim(OTHER, LEASE)
    assert (again.id, again.attempts, again.owner) == (job.id, 1, OTHER)
    assert again.next_step.index == 1
