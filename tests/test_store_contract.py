"""The JobStore contract, run against every store (in-memory and SQLite)."""

import threading

import pytest
from factories import make_job

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.memory import MemoryJobStore
from pyblish_qml_queue.queue.sqlite import SQLiteJobStore
from pyblish_qml_queue.queue.store import InvalidState, JobNotFound, LeaseLost

OWNER = "ws01:1234:aaaa"
OTHER = "ws01:5678:bbbb"
LEASE = 30.0


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path, clock):
    if request.param == "memory":
        store = MemoryJobStore(clock=clock)
    else:
        store = SQLiteJobStore(str(tmp_path / "jobs.db"), clock=clock)
    yield store
    store.close()


def add_jobs(store, n, **kwargs):
    jobs = [make_job(**kwargs) for _ in range(n)]
    for job in jobs:
        assert store.add(job)
    return [job.id for job in jobs]


def claimed(store, n_steps=2, **kwargs):
    """Add one job and claim it as OWNER; returns the claimed job."""
    add_jobs(store, 1, n_steps=n_steps, **kwargs)
    job = store.claim(OWNER, LEASE)
    assert job is not None
    return job


def everything(store, job_id):
    """All a store holds about a job, to show that nothing changed."""
    return store.get(job_id).to_dict(), store.log(job_id)


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
    assert (got.state, got.error, got.owner, got.lease_until) == (
        "failed",
        "ExtractStep1 failed: boom",
        None,
        None,
    )
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
    assert (got.state, got.error, got.owner, got.finished) == (
        "interrupted",
        "worker died with SIGKILL",
        None,
        None,
    )
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


def test_recover_fails_a_job_that_used_up_its_attempts(store):
    (job_id,) = add_jobs(store, 1, max_attempts=2)
    for attempt in (1, 2):
        job = store.claim(OWNER, LEASE)
        assert (job.id, job.attempts) == (job_id, attempt)
        store.recover(alive=lambda owner: False)
    got = store.get(job_id)
    assert got.state == model.FAILED
    assert got.error.startswith("gave up after 2 attempts: ")
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
