"""The Deadline event plug-in (assets/deadline/) against a small fake of Deadline's event API.

Deadline cannot be installed here: ``Deadline.Events`` is the one fake in the project.
Everything behind it is real: the plug-in's HTTP requests reach a real endpoint over
a real SQLite store.
"""

import importlib.util
import os
import shlex
import subprocess
import sys
import time
import types

import pytest
from factories import make_job

from pyblish_qml_queue.farm.http import SignalServer
from pyblish_qml_queue.farm.signals import SignalReceiver
from pyblish_qml_queue.queue import model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(ROOT, "assets", "deadline", "PyblishQmlQueue", "PyblishQmlQueue.py")
OWNER = "ws01:1:aaaa"


class _Callback:
    """Deadline's event callbacks take handlers with ``+=``."""

    def __init__(self):
        self.handlers = []

    def __iadd__(self, handler):
        self.handlers.append(handler)
        return self


class FakeDeadlineEventListener:
    """The parts of Deadline.Events.DeadlineEventListener the plug-in uses."""

    def __init__(self):
        self.OnJobFinishedCallback = _Callback()
        self.OnJobFailedCallback = _Callback()
        self.OnJobErrorCallback = _Callback()
        self.config = {}
        self.logs = []

    def GetConfigEntryWithDefault(self, key, default):
        return self.config.get(key, default)

    def LogInfo(self, message):
        self.logs.append(("info", message))

    def LogWarning(self, message):
        self.logs.append(("warning", message))


class FakeJob:
    """A Deadline job: name, id, extra info and environment key/values."""

    def __init__(self, extra=None, env=None, name="beauty_sh010"):
        self.JobName = name
        self.JobId = "5f9a0c1e2b3d4"
        self._extra = dict(extra or {})
        self._env = dict(env or {})

    def GetJobExtraInfoKeyValue(self, key):
        return self._extra.get(key, "")

    def GetJobEnvironmentKeyValue(self, key):
        return self._env.get(key, "")


class FakeReport:
    ReportMessage = "Error: out of memory on frame 12"


@pytest.fixture
def deadline_plugin(monkeypatch):
    deadline = types.ModuleType("Deadline")
    events = types.ModuleType("Deadline.Events")
    events.DeadlineEventListener = FakeDeadlineEventListener
    deadline.Events = events
    monkeypatch.setitem(sys.modules, "Deadline", deadline)
    monkeypatch.setitem(sys.modules, "Deadline.Events", events)
    spec = importlib.util.spec_from_file_location("PyblishQmlQueue", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def endpoint(store):
    server = SignalServer(SignalReceiver(store), "127.0.0.1", 0)
    yield server
    server.close()


@pytest.fixture
def listener(deadline_plugin, endpoint):
    listener = deadline_plugin.GetDeadlineEventListener()
    listener.config["URL"] = endpoint.url
    yield listener
    deadline_plugin.CleanupDeadlineEventListener(listener)


def waiting_job(store):
    """A job parked waiting on ExtractStep0 for ben01; returns it with its secret."""
    job = make_job(n_steps=2)
    store.add(job)
    store.claim(OWNER, 30)
    store.finish_step(job.id, OWNER, 0, model.STEP_WAITING, farm={"farm_job": "5f9a0c1e2b3d4"})
    store.finish_job(job.id, OWNER, model.WAITING)
    return store.get(job.id)


def keys(job, secret=None):
    return {
        "PYBLISH_QML_QUEUE_JOB_ID": job.id,
        "PYBLISH_QML_QUEUE_JOB_SECRET": secret or job.secret,
        "PYBLISH_QML_QUEUE_PLUGIN": "ExtractStep0",
        "PYBLISH_QML_QUEUE_INSTANCE": "ben01",
    }


def test_the_listener_registers_the_three_job_events(listener):
    assert listener.OnJobFinishedCallback.handlers == [listener.OnJobFinished]
    assert listener.OnJobFailedCallback.handlers == [listener.OnJobFailed]
    assert listener.OnJobErrorCallback.handlers == [listener.OnJobError]


def test_a_finished_deadline_job_resumes_the_waiting_job(store, listener):
    job = waiting_job(store)
    listener.OnJobFinished(FakeJob(extra=keys(job)))
    got = store.get(job.id)
    assert (got.state, got.steps[0].state) == ("queued", "succeeded")
    assert "beauty_sh010" in got.steps[0].farm["message"]
    assert listener.logs[-1][0] == "info"


def test_a_failed_deadline_job_fails_the_job_reading_keys_from_the_environment(store, listener):
    job = waiting_job(store)
    listener.OnJobFailed(FakeJob(env=keys(job)))
    got = store.get(job.id)
    assert got.state == "failed"
    assert got.error == (
        "ExtractStep0 on ben01 failed on the farm: Deadline job beauty_sh010 (5f9a0c1e2b3d4) failed"
    )


def test_an_error_report_fails_the_step_only_when_configured(store, listener):
    job = waiting_job(store)
    listener.OnJobError(FakeJob(extra=keys(job)), None, FakeReport())
    assert store.get(job.id).state == "waiting"
    listener.config["ErrorsFailTheStep"] = "True"
    listener.OnJobError(FakeJob(extra=keys(job)), None, FakeReport())
    got = store.get(job.id)
    assert got.state == "failed" and "out of memory on frame 12" in got.error


def test_a_deadline_job_without_our_keys_sends_nothing(store, listener):
    job = waiting_job(store)
    listener.OnJobFinished(FakeJob())
    assert store.get(job.id).state == "waiting"
    assert listener.logs == []


def test_a_refused_signal_is_logged_as_a_warning_and_changes_nothing(store, listener):
    job = waiting_job(store)
    listener.OnJobFinished(FakeJob(extra=keys(job, secret="0" * 64)))
    assert store.get(job.id).state == "waiting"
    [(level, message)] = listener.logs  # a refusal is final: one attempt, no wait
    assert level == "warning" and "bad_signature" in message and "HTTP 403" in message


def test_an_unreachable_queue_is_logged_and_never_raises_within_its_retry_time(
    store, listener, endpoint
):
    job = waiting_job(store)
    host, port = endpoint.address
    endpoint.close()
    listener.config["URL"] = f"http://{host}:{port}/v1/signal"
    listener.config["Timeout"] = "2"
    listener.config["RetryFor"] = "1.5"
    started = time.monotonic()
    listener.OnJobFinished(FakeJob(extra=keys(job)))
    elapsed = time.monotonic() - started
    assert elapsed < 3.0  # real sleeps: bounded by RetryFor, not by the attempts' timeouts
    level, message = listener.logs[-1]
    assert level == "warning" and "failed (" in message and "gave up after" in message
    assert "Connection refused" in message
    assert store.get(job.id).state == "waiting"


class FakeTime:
    """The plug-in's clock and sleep: sleeping moves the clock; ``on_sleep`` runs at each."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.sleeps = []
        self.on_sleep = on_sleep

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))


def test_a_signal_is_retried_with_backoff_until_the_endpoint_is_back(
    store, listener, endpoint, deadline_plugin, monkeypatch
):
    job = waiting_job(store)
    host, port = endpoint.address
    endpoint.close()
    servers = []

    def come_back(n):
        if n == 2:  # back during the second wait
            servers.append(SignalServer(SignalReceiver(store), host, port))

    fake = FakeTime(come_back)
    monkeypatch.setattr(deadline_plugin, "_clock", fake.clock)
    monkeypatch.setattr(deadline_plugin, "_sleep", fake.sleep)
    try:
        listener.OnJobFinished(FakeJob(extra=keys(job)))
    finally:
        for server in servers:
            server.close()

    assert fake.sleeps == [1.0, 2.0]
    assert store.get(job.id).state == "queued"
    lines = [message for _level, message in listener.logs]
    assert [line.split(" to send")[0] for line in lines[:2]] == [
        "pyblish-qml-queue: attempt 1",
        "pyblish-qml-queue: attempt 2",
    ]
    assert "trying again in 1 s" in lines[0] and "trying again in 2 s" in lines[1]
    assert listener.logs[2][0] == "info" and lines[2].endswith("(attempt 3)")


def test_retries_stop_after_retry_for_and_log_the_command_that_replays_the_signal(
    store, listener, endpoint, deadline_plugin, monkeypatch, tmp_path
):
    job = waiting_job(store)
    host, port = endpoint.address
    endpoint.close()
    fake = FakeTime()
    monkeypatch.setattr(deadline_plugin, "_clock", fake.clock)
    monkeypatch.setattr(deadline_plugin, "_sleep", fake.sleep)
    listener.config["RetryFor"] = "20"

    listener.OnJobFinished(FakeJob(extra=keys(job)))

    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0, 5.0]  # 20 s in all, never more
    assert [level for level, _m in listener.logs] == ["info"] * 5 + ["warning"]
    last = listener.logs[-1][1]
    assert "attempt 6 to send the success signal" in last and "gave up after 20 s" in last
    command = last.split("Replay it on the queue's machine with: ")[1]
    assert job.secret not in command
    # the TD runs it where the queue's store is: no secret needed there
    argv = shlex.split(command)
    assert argv[0] == "pyblish-qml-queue"
    result = subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue", *argv[1:]],
        env=dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    got = store.get(job.id)
    assert (got.state, got.steps[0].state) == ("queued", "succeeded")
    assert "beauty_sh010" in got.steps[0].farm["message"]


def test_busy_answers_are_retried(store, listener, deadline_plugin, monkeypatch):
    job = waiting_job(store)
    fake = FakeTime()
    monkeypatch.setattr(deadline_plugin, "_clock", fake.clock)
    monkeypatch.setattr(deadline_plugin, "_sleep", fake.sleep)
    real_post = deadline_plugin.post
    answers = [(503, {"ok": False, "error": "busy"}), (408, {"ok": False, "reason": "timeout"})]

    def post(url, body, timeout):
        return answers.pop(0) if answers else real_post(url, body, timeout)

    monkeypatch.setattr(deadline_plugin, "post", post)
    listener.OnJobFinished(FakeJob(extra=keys(job)))
    assert fake.sleeps == [1.0, 2.0] and store.get(job.id).state == "queued"
    assert "HTTP 503: busy" in listener.logs[0][1]
