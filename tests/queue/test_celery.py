"""Scale-out through Celery: a real redis-server, real Celery worker processes
(``pyblish-qml-queue worker``), real plugins, and the local SQLite store mirroring
what the farm nodes do."""

import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
pytest.importorskip("redis", reason="the celery extra is not installed")

from celery_fixture import (
    LAUNCH,
    WHERE_STEP,
    free_port,
    ran_on,
    start_redis,
    stop,
    where_plugin_dir,
)
from conftest import ROOT
from executor_plugins import MODULE, Plugins
from queue_support import add, finished, in_state, wait_finished
from signals_fixture import FARM_JOB
from signals_fixture import Farm as FarmPlugins
from waiting import wait_until

from pyblish_qml_queue.common.farmwait import JOB_ID_VAR, SECRET_VAR
from pyblish_qml_queue.farm.signals import SignalReceiver, make_signal
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery.app import Keys, redis_client
from pyblish_qml_queue.queue.celery.executor import CeleryExecutor
from pyblish_qml_queue.queue.celery.where import farm_node, farm_queue
from pyblish_qml_queue.queue.executor import pid_alive


@pytest.fixture
def start_app(start_executor):
    """Start a CeleryExecutor on ``store`` (stopped at teardown)."""

    def start(broker, **kwargs):
        return start_executor(None, broker, kind=CeleryExecutor, **kwargs)

    return start


def test_jobs_run_on_a_farm_node_and_the_store_mirrors_their_steps(
    broker, farm, plugins, store, start_app
):
    farm.start(broker, "pyblish.python", "py")
    ids = [add(store, plugins.payload(["Mark", ("Mark", 1)], key=key)) for key in ("a", "b")]
    events = []
    start_app(broker, on_event=events.append)

    for job_id, key in zip(ids, ("a", "b")):
        job = wait_finished(store, job_id)
        assert job.state == model.SUCCEEDED
        assert [s.state for s in job.steps] == [model.STEP_SUCCEEDED] * 2
        assert all(s.runs == 1 and s.duration is not None for s in job.steps)
        assert job.steps[0].changes["instances"]["inst-00"]["set"] == {"marked": True}
        assert [plugins.runs(key, "Mark", i) for i in ("ben01", "ben02")] == [1, 1]
        assert any("running on farm node" in line["message"] for line in store.log(job_id))
        node = farm_node(store.log(job_id))["name"]
        assert [s.worker for s in job.steps] == [{"node": node}] * 2  # who ran each step
        assert farm_queue(store.log(job_id)) == "pyblish.python"  # where it was sent
    ended = [e for e in events if e["event"] == "job_ended"]
    assert sorted(e["job_id"] for e in ended) == sorted(ids)
    assert {e["event"] for e in events} >= {"job_started", "step_started", "step_finished"}
    keys = Keys(ids[0])  # cleaned once finished (the end markers expire by themselves)
    client = redis_client(broker)
    assert client.exists(keys.events, keys.checkpoints, keys.beat, keys.secret) == 0
    assert client.get(keys.current) == "finished" and client.ttl(keys.current) > 0


def test_a_failing_step_fails_the_remote_job_and_nothing_after_it_runs(
    broker, farm, plugins, store, start_app
):
    farm.start(broker, "pyblish.python", "py")
    job_id = add(store, plugins.payload(["Mark", "Fail", ("Mark", 1)], key="bad"))
    start_app(broker)

    job = wait_finished(store, job_id)

    assert job.state == model.FAILED
    assert [s.state for s in job.steps] == ["succeeded", "failed", "pending"]
    assert "on purpose" in job.steps[1].error
    assert plugins.runs("bad", "Mark", "ben02") == 0


def test_a_node_killed_mid_job_has_its_job_redelivered_without_rerunning_done_steps(
    broker, farm, plugins, store, start_app
):
    first = farm.start(broker, "pyblish.python", "first")
    job_id = add(store, plugins.payload(["Mark", "Hold", ("Mark", 1)], key="k"))
    start_app(broker)
    held = farm.wait(lambda: plugins.pid("k"), 30, "Hold to start on the first node")
    farm.wait(lambda: store.get(job_id).steps[0].state == model.STEP_SUCCEEDED, 10, "mirror")

    os.kill(first.pid, signal.SIGKILL)  # the Celery worker only; its children follow it
    wait_until(lambda: not pid_alive(held), 10, "the first node's job worker to die")
    plugins.release()
    farm.start(broker, "pyblish.python", "second")

    job = farm.wait(lambda: finished(store, job_id), 40, "the job to finish")
    assert job.state == model.SUCCEEDED
    assert plugins.runs("k", "Mark", "ben01") == 1  # done before the kill: not run again
    assert plugins.runs("k", "Hold") == 2  # interrupted: runs again
    assert plugins.runs("k", "Mark", "ben02") == 1
    assert job.attempts == 1  # the broker redelivered it; the app did not resend it
    assert any("resumed on farm node" in line["message"] for line in store.log(job_id))


def test_cancel_revokes_the_farm_task_and_records_the_job_cancelled(
    broker, farm, plugins, store, start_app
):
    farm.start(broker, "pyblish.python", "py")
    job_id = add(store, plugins.payload(["Hold", ("Mark", 1)], key="c"))
    app = start_app(broker)
    held = wait_until(lambda: plugins.pid("c"), 30, "Hold to start on the node")

    assert app.cancel(job_id) == model.CANCELLED

    assert store.get(job_id).state == model.CANCELLED
    wait_until(lambda: not pid_alive(held), 10, "the node's job worker to be terminated")
    assert plugins.runs("c", "Mark", "ben02") == 0
    assert app.running() == []


def test_a_cancel_requested_through_the_store_reaches_the_farm(
    broker, farm, plugins, store, start_app
):
    farm.start(broker, "pyblish.python", "py")
    job_id = add(store, plugins.payload(["Hold", ("Mark", 1)], key="s"))
    start_app(broker)
    held = wait_until(lambda: plugins.pid("s"), 30, "Hold to start on the node")

    store.cancel(job_id)  # as `pyblish-qml-queue cancel` does from another process

    wait_until(lambda: store.get(job_id).state == model.CANCELLED, 10, "the job to be cancelled")
    wait_until(lambda: not pid_alive(held), 10, "the node's job worker to be terminated")


def test_workers_on_two_family_queues_get_only_their_own_jobs(
    broker, farm, plugins, store, start_app, tmp_path
):
    where_dir = where_plugin_dir(tmp_path)
    farm.start(broker, "pyblish.maya", "maya")
    farm.start(broker, "pyblish.python", "python")
    jobs = {}
    for key, application in (("m1", "maya"), ("p1", "python"), ("m2", "maya"), ("p2", "python")):
        payload = plugins.payload([], key=key, host={"application": application, "user": "ben"})
        payload["steps"] = [dict(WHERE_STEP)]
        payload["plugins"]["paths"].append(str(where_dir))
        jobs[key] = (add(store, payload), application)
    start_app(broker)

    for key, (job_id, application) in jobs.items():
        assert wait_finished(store, job_id).state == model.SUCCEEDED
        assert ran_on(plugins, key) == [application]


def test_a_broker_that_is_down_leaves_jobs_queued_and_they_run_once_it_is_up(
    tmp_path, farm, plugins, store, start_app
):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    job_id = add(store, plugins.payload(["Mark"], key="late"))
    events = []
    app = start_app(url, on_event=events.append)

    wait_until(lambda: app.broker_error, 15, "the broker error")
    assert app.broker_error.startswith(f"cannot reach the broker at {url}: ")
    assert app.broker_error.endswith("; local jobs are unaffected")
    assert store.get(job_id).state in model.CLAIMABLE
    assert [e["event"] for e in events if e["event"].startswith("broker")] == ["broker_down"]

    redis = start_redis(tmp_path / "redis", port)
    try:
        farm.start(url, "pyblish.python", "py")
        assert wait_finished(store, job_id, timeout=60).state == model.SUCCEEDED
        assert app.broker_error is None
        assert plugins.runs("late", "Mark") == 1
    finally:
        farm.stop_all()
        stop(redis)


def test_the_worker_verb_says_in_one_line_when_the_broker_is_unreachable(home):
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, "worker", "--broker", url],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT),
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"pyblish-qml-queue: error: cannot reach the broker at {url}: ")


def park(farm, store, job_id):
    """Wait until the job parks waiting for the farm; returns it."""
    job = farm.wait(
        lambda: in_state(store, job_id, model.WAITING, *model.FINISHED), 40, "the job to park"
    )
    assert job.state == model.WAITING, job.error
    return job


def signal_success(store, job_id, secret):
    """Apply a signed success for SubmitFarm on ben01, as ``pyblish-qml-queue signal`` does."""
    body = make_signal(job_id, "SubmitFarm", "ben01", "success", secret, message="rendered")
    return SignalReceiver(store).apply(body)["state"]


def test_a_farm_step_on_a_node_parks_the_job_and_a_signal_resumes_it_on_the_farm(
    broker, farm, store, start_app, tmp_path
):
    plugins = FarmPlugins(tmp_path)
    farm.start(broker, "pyblish.python", "py")
    job_id = add(store, plugins.payload(FARM_JOB, timeout=3600))
    sent = time.time()
    start_app(broker)

    job = park(farm, store, job_id)
    states = [s.state for s in job.steps]
    assert states == ["waiting", "succeeded", "pending", "succeeded", "pending"]
    assert job.steps[0].farm == {"farm_job": "dl-ben01", "timeout": 3600.0}
    assert sent + 3600 <= job.steps[0].deadline <= time.time() + 3600  # on the app's clock
    given = plugins.signal_info("ben01")  # what the node's worker gave SubmitFarm
    assert (given[JOB_ID_VAR], given[SECRET_VAR]) == (job_id, store.get(job_id).secret)
    keys = Keys(job_id)  # nothing of the parked run stays behind in Redis
    assert redis_client(broker).exists(keys.checkpoints, keys.secret, keys.beat) == 0

    assert signal_success(store, job_id, given[SECRET_VAR]) == model.QUEUED

    job = farm.wait(lambda: finished(store, job_id), 40, "the job to finish")
    assert job.state == model.SUCCEEDED, job.error
    assert [s.state for s in job.steps] == [model.STEP_SUCCEEDED] * 5
    assert plugins.runs("SubmitFarm") == 1
    assert plugins.runs("Integrate", "ben01") == 1  # and it saw SubmitFarm's data
    assert plugins.runs("IntegrateContext", "context") == 1
    assert sum("running on farm node" in line["message"] for line in store.log(job_id)) == 2


def test_a_node_dying_after_a_farm_step_neither_submits_it_again_nor_undoes_its_signal(
    broker, farm, store, start_app, tmp_path
):
    plugins = FarmPlugins(tmp_path)
    hold = Plugins(tmp_path)
    payload = hold.payload([], key="w")
    payload["steps"] = plugins.payload(FARM_JOB[:1] + [("Integrate", 0)])["steps"]
    payload["steps"].insert(1, dict(payload["steps"][0], plugin="Hold", module=MODULE))
    payload["steps"][1].update(instance="ben02", instance_id="inst-01")
    payload["plugins"]["paths"].append(plugins.plugin_dir)
    payload["env"]["FARM_TEST_MARKERS"] = plugins.markers
    job_id = add(store, payload)  # SubmitFarm on ben01, Hold on ben02, Integrate on ben01
    first = farm.start(broker, "pyblish.python", "first")
    start_app(broker)
    held = farm.wait(lambda: hold.pid("w"), 30, "Hold to start on the first node")
    farm.wait(lambda: store.get(job_id).steps[0].state == model.STEP_WAITING, 10, "mirror")

    os.kill(first.pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(held), 10, "the first node's job worker to die")
    # The farm answers while no node runs the job: the store takes it at once.
    assert signal_success(store, job_id, plugins.signal_info()[SECRET_VAR]) == model.RUNNING
    hold.release()
    farm.start(broker, "pyblish.python", "second")

    job = farm.wait(lambda: finished(store, job_id), 60, "the job to finish")
    assert job.state == model.SUCCEEDED, job.error
    assert plugins.runs("SubmitFarm") == 1  # the redelivery did not submit it again
    assert hold.runs("w", "Hold", "ben02") == 2  # interrupted: runs again
    assert plugins.runs("Integrate", "ben01") == 1
    assert job.steps[0].farm["status"] == "success"
    assert any("resumed on farm node" in line["message"] for line in store.log(job_id))


def test_a_farm_step_on_a_node_whose_signal_is_overdue_fails_the_job(
    broker, farm, store, start_app, tmp_path
):
    plugins = FarmPlugins(tmp_path)
    farm.start(broker, "pyblish.python", "py")
    job_id = add(store, plugins.payload(FARM_JOB, timeout=0.5))
    events = []
    start_app(broker, on_event=events.append)

    job = farm.wait(lambda: finished(store, job_id), 40, "the job to time out")
    assert job.state == model.FAILED
    assert "timed out waiting for the farm" in job.error
    assert "no signal from the farm within 0.5 s (farm job dl-ben01)" in job.steps[0].error
    assert plugins.runs("Integrate", "ben01") == 0
    ended = [e for e in events if e["event"] == "job_ended"]
    assert [e["state"] for e in ended] == [model.WAITING, model.FAILED]


def test_a_job_whose_snapshot_is_on_this_workstation_only_fails_before_it_is_sent(
    broker, farm, plugins, store, start_app, tmp_path
):
    """Farm nodes on other machines cannot open a snapshot in the workstation's home:
    the job fails at once, saying which setting to use, and no node runs a step."""
    farm.start(broker, "pyblish.python", "py")
    scene = tmp_path / "home-only" / "shot.blend"
    scene.parent.mkdir()
    scene.write_bytes(b"scene")
    payload = plugins.payload(["Mark"], key="local")
    payload["snapshot"] = {"path": str(scene), "size": 5, "shared": False}
    other_id = add(store, plugins.payload(["Mark"], key="other"))
    local_id = add(store, payload)
    start_app(broker)
    job = wait_finished(store, local_id)
    assert job.state == "failed"
    assert "PYBLISH_QML_QUEUE_SNAPSHOTS" in job.error and "farm nodes" in job.error
    assert job.steps[0].state == "pending"
    assert wait_finished(store, other_id).state == "succeeded"
    assert plugins.runs("local", "Mark") == 0 and plugins.runs("other", "Mark") == 1
