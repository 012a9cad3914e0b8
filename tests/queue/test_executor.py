"""The executor with a real SQLite store, real worker processes and real plugins."""

import json
import os
import signal
import socket
import threading
import time

import pytest
from queue_support import add, finished, wait_finished
from waiting import wait_until

from pyblish_qml_queue.common.spool import write_job
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.executor import Executor, owner_alive, pid_alive
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.spool import SpoolIngester
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


def test_a_job_runs_to_success_with_every_step_checkpointed(store, plugins, start_executor):
    job_id = add(store, plugins.payload(["Mark", ("Mark", 1), ("Mark", 2)], key="one"))
    start_executor()

    job = wait_finished(store, job_id)

    assert job.state == model.SUCCEEDED
    assert [s.state for s in job.steps] == [model.STEP_SUCCEEDED] * 3
    assert all(s.duration is not None and s.runs == 1 for s in job.steps)
    assert [plugins.runs("one", "Mark", f"ben0{n}") for n in (1, 2, 3)] == [1, 1, 1]
    assert job.attempts == 1


def test_a_failing_plugin_fails_its_step_and_job_and_the_next_job_still_runs(
    store, plugins, start_executor
):
    bad = add(store, plugins.payload(["Mark", "Fail", ("Mark", 1)], key="bad"))
    good = add(store, plugins.payload(["Mark"], key="good"))
    start_executor()

    job = wait_finished(store, bad)
    assert job.state == model.FAILED
    assert [s.state for s in job.steps] == ["succeeded", "failed", "pending"]
    assert "on purpose" in job.steps[1].error
    assert plugins.runs("bad", "Mark", "ben02") == 0  # nothing after a failed step
    assert wait_finished(store, good).state == model.SUCCEEDED


def test_concurrency_one_never_runs_two_jobs_at_once(store, plugins, start_executor):
    ids = [add(store, plugins.payload(["Span"], key=key)) for key in ("a", "b", "c")]
    start_executor(concurrency=1)

    for job_id in ids:
        assert wait_finished(store, job_id).state == model.SUCCEEDED
    with open(os.path.join(plugins.markers, "spans")) as f:
        lines = f.read().split()
    spans = list(zip(lines[0::2], lines[1::2]))  # ("start", key), ("end", key), ...
    assert spans == [
        ("start", "a"),
        ("end", "a"),
        ("start", "b"),
        ("end", "b"),
        ("start", "c"),
        ("end", "c"),
    ]


def test_concurrency_two_runs_two_jobs_at_once(store, plugins, start_executor):
    """Meet succeeds only when the other job's Meet runs at the same time."""
    ids = [add(store, plugins.payload(["Meet"], key=key)) for key in ("a", "b")]
    start_executor(concurrency=2)

    assert [wait_finished(store, i).state for i in ids] == [model.SUCCEEDED] * 2


def test_cancel_stops_a_running_worker_within_two_seconds(store, plugins, start_executor):
    job_id = add(store, plugins.payload(["Hold", "Mark"], key="held"))
    executor = start_executor(grace=1.0)
    pid = wait_until(lambda: plugins.pid("held"), what="the Hold step to start")

    executor.cancel(job_id)

    wait_until(lambda: not pid_alive(pid), timeout=2.0, what="the worker to stop")
    job = wait_finished(store, job_id, timeout=5.0)
    assert job.state == model.CANCELLED
    assert job.steps[1].state == model.PENDING


def test_a_cancel_requested_through_the_store_stops_the_worker(store, plugins, start_executor):
    """As `pyblish-qml-queue cancel` does it from another process."""
    job_id = add(store, plugins.payload(["Hold"], key="held"))
    start_executor()
    pid = wait_until(lambda: plugins.pid("held"), what="the Hold step to start")

    store.cancel(job_id)

    assert wait_finished(store, job_id, timeout=5.0).state == model.CANCELLED
    assert not pid_alive(pid)


@pytest.mark.parametrize("failed_only", [False, True])
def test_retry_runs_again_and_failed_only_keeps_succeeded_steps(
    store, plugins, start_executor, failed_only
):
    job_id = add(store, plugins.payload(["Mark", "FailUnlessFixed", ("Mark", 1)], key="r"))
    start_executor()
    assert wait_finished(store, job_id).state == model.FAILED

    plugins.fix()
    store.retry(job_id, failed_only=failed_only)

    job = wait_until(lambda: finished(store, job_id), what="the retried job")
    assert job.state == model.SUCCEEDED
    assert plugins.runs("r", "Mark") == (1 if failed_only else 2)
    assert plugins.runs("r", "FailUnlessFixed") == 2
    assert plugins.runs("r", "Mark", "ben02") == 1


def test_a_worker_killed_from_outside_is_interrupted_and_retried(store, plugins, start_executor):
    job_id = add(store, plugins.payload(["Mark", "Hold", ("Mark", 1)], key="k"))
    start_executor()
    first = wait_until(lambda: plugins.pid("k"), what="the Hold step to start")

    os.kill(first, signal.SIGKILL)
    wait_until(lambda: plugins.pid("k") not in (None, first), what="the job to run again")
    plugins.release()

    job = wait_finished(store, job_id)
    assert job.state == model.SUCCEEDED
    assert job.attempts == 2
    assert plugins.runs("k", "Mark") == 1  # the checkpointed step did not run again
    assert plugins.runs("k", "Hold") == 2
    log = " ".join(entry["message"] for entry in store.log(job_id))
    assert "worker died with SIGKILL during step 1 (Hold on ben01)" in log


def test_a_worker_dying_on_every_attempt_fails_the_job_with_the_reason(
    store, plugins, start_executor
):
    job_id = add(store, plugins.payload(["Die"], key="d", max_attempts=2))
    other = add(store, plugins.payload(["Mark"], key="other"))
    start_executor()

    job = wait_finished(store, job_id)
    assert job.state == model.FAILED
    assert "gave up after 2 attempts" in job.error
    assert "worker died with SIGKILL during step 0 (Die on ben01)" in job.error
    assert plugins.runs("d", "Die") == 2
    assert wait_finished(store, other).state == model.SUCCEEDED


def test_a_malformed_spooled_payload_is_rejected_alone(home, store, plugins, start_executor):
    spool = os.path.join(str(home), "spool")
    good = plugins.payload(["Mark"], key="good")
    bad = plugins.payload(["Mark"], key="bad")
    del bad["steps"]
    write_job(bad, spool)
    write_job(good, spool)
    with open(os.path.join(spool, "garbage.json"), "w") as f:
        f.write("{not json")
    start_executor()

    added = SpoolIngester(store, spool).ingest_once()

    assert added == [good["id"]]
    assert wait_finished(store, good["id"]).state == model.SUCCEEDED
    rejected = sorted(os.listdir(os.path.join(spool, "rejected")))
    assert rejected == sorted(
        [
            bad["id"] + ".json",
            bad["id"] + ".json.reason.txt",
            "garbage.json",
            "garbage.json.reason.txt",
        ]
    )
    with open(os.path.join(spool, "rejected", bad["id"] + ".json.reason.txt")) as f:
        assert "steps must be a list" in f.read()
    assert [n for n in os.listdir(spool) if n != "rejected"] == []


def test_a_job_whose_worker_cannot_start_fails_alone(store, plugins, start_executor):
    broken = add(store, plugins.payload(["Mark"], key="x", python="/no/such/python"))
    good = add(store, plugins.payload(["Mark"], key="good"))
    start_executor()

    job = wait_finished(store, broken)
    assert job.state == model.FAILED
    assert "could not start the worker with /no/such/python" in job.error
    assert wait_finished(store, good).state == model.SUCCEEDED


def test_spool_ingestion_is_idempotent_when_a_file_outlives_its_add(home, store, plugins):
    """A kill between add and delete leaves the file: the next pass adds nothing twice."""
    spool = os.path.join(str(home), "spool")
    payload = plugins.payload(["Mark"], key="twice")
    write_job(payload, spool)
    assert store.add(Job.from_payload(payload))  # the add happened, the delete did not

    assert SpoolIngester(store, spool).ingest_once() == []
    assert [j.id for j in store.jobs()] == [payload["id"]]
    assert os.listdir(spool) == []


def test_two_executors_on_one_store_never_run_a_job_twice(tmp_path, store, plugins, start_executor):
    keys = [f"j{n}" for n in range(6)]
    ids = [add(store, plugins.payload(["Mark", ("Mark", 1)], key=k)) for k in keys]
    other = SQLiteJobStore(str(tmp_path / "jobs.db"))
    start_executor(concurrency=2)
    start_executor(on=other, concurrency=2)

    for job_id in ids:
        assert wait_finished(store, job_id).state == model.SUCCEEDED
    assert set(plugins.all_runs().values()) == {1}
    assert len(plugins.all_runs()) == 12
    owners = {
        e["message"].split(" started by ")[1]
        for i in ids
        for e in store.log(i)
        if " started by " in e["message"]
    }
    assert len(owners) == 2  # both executors took part


def test_stop_lets_the_running_step_finish_and_releases_the_job(store, plugins):
    job_id = add(store, plugins.payload(["Hold", "Mark"], key="s"))
    executor = Executor(store, poll=0.05)
    executor.start()
    wait_until(lambda: plugins.pid("s"), what="the Hold step to start")

    stopping = threading.Thread(target=executor.stop, kwargs={"timeout": 20.0})
    stopping.start()
    plugins.release()
    stopping.join(30)

    job = store.get(job_id)
    assert job.state == model.INTERRUPTED
    assert [s.state for s in job.steps] == ["succeeded", "pending"]
    assert job.attempts == 0  # a release does not use up an attempt
    assert plugins.runs("s", "Mark") == 0


def test_a_new_executor_resumes_at_the_step_a_stop_interrupted(store, plugins, start_executor):
    job_id = add(store, plugins.payload(["Mark", "Hold", ("Mark", 1)], key="s"))
    executor = Executor(store, poll=0.05, grace=0.5)
    executor.start()
    first = wait_until(lambda: plugins.pid("s"), what="the Hold step to start")
    executor.stop(timeout=0.2)  # Hold does not finish in time: killed
    assert not pid_alive(first)
    assert store.get(job_id).state == model.INTERRUPTED

    plugins.release()
    start_executor()

    job = wait_finished(store, job_id)
    assert job.state == model.SUCCEEDED
    assert plugins.runs("s", "Mark") == 1
    assert plugins.runs("s", "Hold") == 2
    assert plugins.runs("s", "Mark", "ben02") == 1


def test_on_event_reports_steps_and_the_end_of_the_job(store, plugins, start_executor):
    events = []
    job_id = add(store, plugins.payload(["Mark", ("Mark", 1)], key="e"))
    start_executor(on_event=events.append)

    wait_finished(store, job_id)
    wait_until(lambda: any(e["event"] == "job_ended" for e in events), 5.0, "job_ended")
    kinds = [e["event"] for e in events if e["event"] != "stderr"]
    assert kinds[0] == "job_started"
    assert kinds.count("step_started") == kinds.count("step_finished") == 2
    assert kinds[-2:] == ["job_finished", "job_ended"]
    assert {e["job_id"] for e in events} == {job_id}
    json.dumps(events)  # JSON-safe, for the GUI and the CLI


def test_a_lost_lease_kills_the_worker_and_leaves_the_job_to_its_new_owner(
    tmp_path, store, plugins, start_executor
):
    job_id = add(store, plugins.payload(["Hold"], key="l"))
    executor = start_executor()
    pid = wait_until(lambda: plugins.pid("l"), what="the Hold step to start")
    later = SQLiteJobStore(str(tmp_path / "jobs.db"), clock=lambda: time.time() + 100)
    try:
        assert later.recover(lambda owner: True) == [job_id]  # the lease expired there
        assert later.claim("elsewhere:1:beef", 1000.0).id == job_id
    finally:
        later.close()

    wait_until(lambda: not pid_alive(pid), timeout=10, what="the worker to be killed")
    wait_until(lambda: executor.running() == [], timeout=5, what="the executor to forget it")
    job = store.get(job_id)
    assert (job.state, job.owner) == (model.RUNNING, "elsewhere:1:beef")


def test_owner_alive_tells_dead_and_stopped_owners_from_live_ones(store):
    executor = Executor(store)
    executor.start()
    here = socket.gethostname()
    try:
        assert owner_alive(executor.owner)
        assert not owner_alive(f"{here}:{os.getpid()}:feedbeef")  # not a live executor
        assert owner_alive("some-other-machine:1:abcd")  # its lease decides
        assert not owner_alive(f"{here}:999999999:abcd")
        assert not owner_alive("garbage")
    finally:
        executor.stop(timeout=1.0)
    assert not owner_alive(executor.owner)
