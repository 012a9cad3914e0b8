"""Farm signals over real HTTP into a running ``serve --signals``, and through the CLI."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from queue_support import in_state
from signals_fixture import Farm
from waiting import wait_until

from pyblish_qml_queue.farm.signals import make_signal
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWO_FARM_STEPS = [("SubmitFarm", 0), ("SubmitFarm", 1), ("Integrate", 0), ("Integrate", 1)]


class Serve:
    """``pyblish-qml-queue serve --signals 127.0.0.1:0`` in a subprocess, for one home."""

    def __init__(self, home):
        self.home = str(home)
        self.env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=self.home, PYTHONPATH=ROOT)
        self.proc = None
        self.url = None

    def start(self):
        log = open(os.path.join(self.home, "serve.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyblish_qml_queue", "serve", "--signals", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=log,
            env=self.env,
            text=True,
        )
        log.close()
        for line in self.proc.stdout:
            if line.startswith("farm signals at "):
                self.url = line.split(" at ", 1)[1].strip()
                return self
        raise AssertionError(f"serve did not start: {self.log()}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        self.proc = None

    def log(self):
        with open(os.path.join(self.home, "serve.log"), encoding="utf-8", errors="replace") as f:
            return f.read()[-3000:]

    def cli(self, *args):
        return subprocess.run(
            [sys.executable, "-m", "pyblish_qml_queue", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One serve for the module, its store opened here too, and farm plugins."""
    root = tmp_path_factory.mktemp("signals_http")
    home = root / "home"
    home.mkdir()
    serve = Serve(home).start()
    store = SQLiteJobStore(os.path.join(str(home), "jobs.db"))
    try:
        yield serve, store, Farm(root)
    finally:
        serve.stop()
        store.close()


def post(url, raw, headers=None):
    request = urllib.request.Request(
        url, data=raw, headers=dict({"Content-Type": "application/json"}, **(headers or {}))
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def send(url, body):
    return post(url, json.dumps(body).encode())


def park(store, farm, steps=TWO_FARM_STEPS):
    job = Job.from_payload(farm.payload(steps))
    assert store.add(job)
    job = wait_until(lambda: in_state(store, job.id, "waiting", "failed"), what="job to park")
    assert job.state == "waiting", job.error
    return job


def signed(store, job_id, status="success", plugin="SubmitFarm", instance="ben01", **kwargs):
    secret = kwargs.pop("secret", None) or store.get(job_id).secret
    return make_signal(job_id, plugin, instance, status, secret, **kwargs)


def snapshot(store, job_id):
    return store.get(job_id).to_dict(), store.log(job_id)


@pytest.fixture(scope="module")
def parked(served):
    """A job parked waiting on SubmitFarm for ben01 and ben02, for the refusals."""
    _serve, store, farm = served
    return park(store, farm).id


def refused(served, job_id, raw, status, reason):
    serve, store, _farm = served
    before = snapshot(store, job_id)
    got_status, answer = post(serve.url, raw)
    assert (got_status, answer["ok"], answer["reason"]) == (status, False, reason), answer
    assert answer["error"]
    assert snapshot(store, job_id) == before
    return answer


def test_a_wrong_signature_is_refused_and_changes_nothing(served, parked):
    body = signed(served[1], parked, secret="0" * 64)
    answer = refused(served, parked, json.dumps(body).encode(), 403, "bad_signature")
    assert "does not match" in answer["error"]


def test_a_stale_timestamp_is_refused_and_changes_nothing(served, parked):
    body = signed(served[1], parked, now=time.time() - 1000)
    answer = refused(served, parked, json.dumps(body).encode(), 403, "stale")
    assert "behind this machine's clock" in answer["error"]


def test_bad_json_is_refused(served, parked):
    refused(served, parked, b'{"job": "abc", ', 400, "bad_json")


def test_a_signal_of_the_wrong_shape_is_refused(served, parked):
    body = dict(signed(served[1], parked), status="done")
    refused(served, parked, json.dumps(body).encode(), 400, "bad_shape")


def test_a_huge_body_is_refused(served, parked):
    body = signed(served[1], parked, message="x" * 70_000)
    refused(served, parked, json.dumps(body).encode(), 413, "too_large")


def test_a_signal_for_an_unknown_job_is_refused(served, parked):
    body = make_signal("0" * 32, "SubmitFarm", "ben01", "success", "s" * 64)
    refused(served, parked, json.dumps(body).encode(), 403, "bad_signature")


def test_a_signal_for_a_step_that_is_not_waiting_is_refused(served, parked):
    body = signed(served[1], parked, plugin="Integrate")
    answer = refused(served, parked, json.dumps(body).encode(), 409, "not_waiting")
    assert "is pending, not waiting" in answer["error"]


def test_a_signal_for_an_unknown_step_is_refused(served, parked):
    body = signed(served[1], parked, plugin="RenderBeauty")
    refused(served, parked, json.dumps(body).encode(), 404, "unknown_step")


def test_a_get_is_answered_with_how_to_post(served):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(served[0].url, timeout=10)
    with caught.value:
        assert caught.value.code == 405


def test_success_resumes_the_job_replays_are_refused_and_repeats_change_nothing(served, tmp_path):
    serve, store, _farm = served
    farm = Farm(tmp_path)  # its own run counts
    job_id = park(store, farm).id
    first = signed(store, job_id, message="beauty rendered")
    assert send(serve.url, first)[0] == 200
    # it runs again: ben01's integration, then it parks on ben02
    job = wait_until(
        lambda: (
            store.get(job_id).steps[2].state == "succeeded" and in_state(store, job_id, "waiting")
        ),
        what="ben01 integrated",
    )
    assert [s.state for s in job.steps] == ["succeeded", "waiting", "succeeded", "pending"]

    status, answer = send(serve.url, first)
    assert (status, answer["reason"]) == (409, "replay")
    status, answer = send(serve.url, signed(store, job_id))
    assert (status, answer["result"]) == (200, "already applied")

    send(serve.url, signed(store, job_id, instance="ben02"))
    job = wait_until(lambda: in_state(store, job_id, "succeeded", "failed"), what="the job")
    assert job.state == "succeeded", job.error
    assert (farm.runs("SubmitFarm", "ben01"), farm.runs("Integrate", "ben01")) == (1, 1)


def test_the_cli_signals_a_failure_over_http_and_show_prints_it(served):
    serve, store, farm = served
    job_id = park(store, farm, [("SubmitFarm", 0), ("Integrate", 0)]).id
    done = serve.cli(
        "signal", "--job", job_id, "--plugin", "SubmitFarm", "--instance", "ben01",
        "--status", "failure", "--message", "frame 12: out of memory",
        "--secret", store.get(job_id).secret, "--url", serve.url.rsplit("/v1", 1)[0],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job = store.get(job_id)
    assert (job.state, job.error) == (
        "failed",
        "SubmitFarm on ben01 failed on the farm: frame 12: out of memory",
    )
    shown = serve.cli("show", job_id)
    assert "frame 12: out of memory" in shown.stdout
    assert (
        job.secret not in shown.stdout
        and job.secret not in serve.cli("show", job_id, "--json").stdout
    )


def test_the_cli_signals_the_local_store_and_a_repeat_exits_0(served):
    serve, store, farm = served
    job_id = park(store, farm, [("SubmitFarm", 0), ("Integrate", 0)]).id
    argv = ["signal", "--job", job_id, "--plugin", "SubmitFarm", "--instance", "ben01",
            "--status", "success"]  # fmt: skip
    wrong = serve.cli(*argv, "--secret", "1" * 64)
    assert wrong.returncode == 1 and "bad_signature" in wrong.stderr
    serve.env["PYBLISH_QML_QUEUE_JOB_SECRET"] = store.get(job_id).secret
    try:
        first, second = serve.cli(*argv), serve.cli(*argv)
    finally:
        del serve.env["PYBLISH_QML_QUEUE_JOB_SECRET"]
    assert first.returncode == 0 and "applied" in first.stdout, first.stderr
    assert second.returncode == 0 and "already applied" in second.stdout
    job = wait_until(lambda: in_state(store, job_id, "succeeded", "failed"), what="the job")
    assert job.state == "succeeded", job.error


def test_a_job_resumes_after_a_signal_that_comes_after_a_serve_restart(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    farm = Farm(tmp_path)
    serve = Serve(home).start()
    store = SQLiteJobStore(os.path.join(str(home), "jobs.db"))
    try:
        job = park(store, farm, [("SubmitFarm", 0), ("Integrate", 0)])
        serve.stop()
        serve.start()
        assert send(serve.url, signed(store, job.id))[0] == 200
        got = wait_until(lambda: in_state(store, job.id, "succeeded", "failed"), what="the job")
        assert got.state == "succeeded", got.error
        assert (farm.runs("SubmitFarm"), farm.runs("Integrate")) == (1, 1)
    finally:
        serve.stop()
        store.close()
