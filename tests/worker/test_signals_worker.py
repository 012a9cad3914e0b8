"""Jobs that wait for a farm: real worker processes, a real SQLite store, real signals."""

import os

import pytest
from queue_support import add, in_state
from signals_fixture import FARM_JOB, Farm
from waiting import wait_until

import pyblish_qml_queue
from pyblish_qml_queue.farm.signals import SignalReceiver, make_signal
from pyblish_qml_queue.queue.executor import Executor
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


@pytest.fixture
def farm(tmp_path):
    return Farm(tmp_path)


def parked(store, executor, job_id):
    job = wait_until(lambda: in_state(store, job_id, "waiting", "failed"), what="job to park")
    assert job.state == "waiting", job.error
    wait_until(lambda: not executor.running(), what="its worker to exit")
    return job


def signal(store, job_id, status, plugin="SubmitFarm", instance="ben01", message=""):
    secret = store.get(job_id).secret
    body = make_signal(job_id, plugin, instance, status, secret, message=message)
    return SignalReceiver(store).apply(body)


def test_expect_signal_outside_a_worker_raises_a_clear_error():
    with pytest.raises(pyblish_qml_queue.NotInWorker, match="only inside a step run by"):
        pyblish_qml_queue.expect_signal(None)


def test_independent_steps_run_and_dependent_ones_wait_then_the_worker_exits(store, farm, executor):
    job_id = add(store, farm.payload(FARM_JOB))
    job = parked(store, executor, job_id)
    states = [s.state for s in job.steps]
    assert states == ["waiting", "succeeded", "pending", "succeeded", "pending"]
    assert job.steps[0].farm == {"farm_job": "dl-ben01", "timeout": None}
    assert job.steps[0].deadline is None
    assert (farm.runs("Integrate", "ben01"), farm.runs("IntegrateContext", "context")) == (0, 0)
    assert job.finished is None


def test_the_worker_gives_plugins_the_jobs_id_and_secret_for_the_farm(store, farm, executor):
    job_id = add(store, farm.payload(FARM_JOB))
    parked(store, executor, job_id)
    assert farm.signal_info("ben01") == {
        "PYBLISH_QML_QUEUE_JOB_ID": job_id,
        "PYBLISH_QML_QUEUE_JOB_SECRET": store.get(job_id).secret,
        "PYBLISH_QML_QUEUE_PLUGIN": "SubmitFarm",
        "PYBLISH_QML_QUEUE_INSTANCE": "ben01",
    }


def test_a_success_signal_resumes_the_job_and_integration_runs_once(store, farm, executor):
    job_id = add(store, farm.payload(FARM_JOB))
    parked(store, executor, job_id)
    answer = signal(store, job_id, "success", message="frames 1-24 rendered")
    assert (answer["result"], answer["state"]) == ("applied", "queued")
    job = wait_until(lambda: in_state(store, job_id, "succeeded", "failed"), what="the job")
    assert job.state == "succeeded", job.error
    assert [s.state for s in job.steps] == ["succeeded"] * 5
    assert farm.runs("SubmitFarm") == 1  # the farm step is not run again
    assert farm.runs("Integrate", "ben01") == 1  # and it saw SubmitFarm's data
    assert farm.runs("Integrate", "ben02") == 1
    assert farm.runs("IntegrateContext", "context") == 1
    assert any("frames 1-24 rendered" in line["message"] for line in store.log(job_id))


def test_a_failure_signal_fails_the_job_with_the_farms_message(store, farm, executor):
    job_id = add(store, farm.payload(FARM_JOB))
    parked(store, executor, job_id)
    signal(store, job_id, "failure", message="frame 12: out of memory")
    job = store.get(job_id)
    assert job.state == "failed"
    assert job.error == "SubmitFarm on ben01 failed on the farm: frame 12: out of memory"
    assert farm.runs("Integrate", "ben01") == 0


def test_a_waiting_job_past_its_timeout_fails_with_a_clear_reason(store, farm, executor):
    job_id = add(store, farm.payload(FARM_JOB, timeout=0.3))
    job = wait_until(lambda: in_state(store, job_id, "failed", "succeeded"), what="the timeout")
    assert "timed out waiting for the farm" in job.error
    assert "no signal from the farm within 0.3 s (farm job dl-ben01)" in job.steps[0].error
    assert farm.runs("Integrate", "ben01") == 0


def test_a_context_plugin_after_a_waiting_step_waits_too(store, farm, executor):
    job_id = add(store, farm.payload([("SubmitFarm", 0), ("IntegrateContext", None), ("Mark", 1)]))
    job = parked(store, executor, job_id)
    assert [s.state for s in job.steps] == ["waiting", "pending", "pending"]


def test_expect_signal_with_another_instance_fails_the_step(store, farm, executor):
    job_id = add(store, farm.payload([("NotAWorker", 0)]))
    job = wait_until(lambda: in_state(store, job_id, "failed", "succeeded", "waiting"))
    assert job.state == "failed" and "this step processes instance 'ben01'" in job.error


def test_the_demo_render_is_rendered_by_a_stand_in_farm_then_integrated(home, tmp_path):
    from factories import make_payload

    from pyblish_qml_queue.common import paths
    from pyblish_qml_queue.demo import PLUGIN_PATH

    render = {"id": "inst-r", "name": "beauty", "families": ["render"]}
    render["data"] = {"frameStart": 1001, "frameEnd": 1003, "asset": "sh0140"}
    steps = [
        {"plugin": "SubmitDemoRenderToFarm", "module": "submit_demo_farm", "order": 2.1},
        {"plugin": "IntegrateDemoVersion", "module": "integrate_demo", "order": 3.0},
    ]
    for step in steps:
        step.update(instance="beauty", instance_id="inst-r")
    payload = make_payload(
        steps=steps,
        plugins={"paths": [PLUGIN_PATH], "modules": []},
        env={"PYBLISH_QML_QUEUE_DEMO_SECONDS": "0.3"},
        context={"data": {"demoRoot": str(tmp_path / "demo"), "shot": "sh0140"}},
    )
    payload["instances"] = [render]
    store = SQLiteJobStore(paths.store_path())
    executor = Executor(store, poll=0.05)
    executor.start()
    try:
        job_id = add(store, payload)
        job = wait_until(lambda: in_state(store, job_id, "succeeded", "failed"), what="the farm")
        assert job.state == "succeeded", job.error
        assert job.steps[0].farm["farm_job"].startswith("demo-farm-")
        published = tmp_path / "demo" / "publish" / "sh0140" / "beauty" / "v001"
        assert sorted(os.listdir(published)) == [f"beauty.{n}.exr" for n in (1001, 1002, 1003)]
    finally:
        executor.stop(timeout=2.0)
        store.close()
