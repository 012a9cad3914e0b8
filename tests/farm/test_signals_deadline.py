"""The Deadline event plug-in (assets/deadline/) against a small fake of Deadline's event API.

Deadline cannot be installed here: ``Deadline.Events`` is the one fake in the project.
Everything behind it is real: the plug-in's HTTP requests reach a real endpoint over
a real SQLite store.
"""

import importlib.util
import os
import sys
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
    level, message = listener.logs[-1]
    assert level == "warning" and "bad_signature" in message and "HTTP 403" in message


def test_an_unreachable_queue_is_logged_and_never_raises(store, listener, endpoint):
    job = waiting_job(store)
    host, port = endpoint.address
    endpoint.close()
    listener.config["URL"] = f"http://{host}:{port}/v1/signal"
    listener.config["Timeout"] = "2"
    listener.OnJobFinished(FakeJob(extra=keys(job)))
    level, message = listener.logs[-1]
    assert level == "warning" and "could not send the success signal" in message
