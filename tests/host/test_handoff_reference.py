"""Big hand-offs by reference from the host (issue 17, item 3): ``submit()`` goes on once
the job is built and a thread writes it for the app; the app's Hand off button gets a
``{"spooled": id}`` reply for a job too big for a frame. The threshold is lowered with
PYBLISH_QML_QUEUE_INLINE_LIMIT, so a few instances stand in for 50,000."""

import json
import logging
import os
import threading

import plugins_fixture as pf
import pyblish.api
import pyblish.util
import pytest
from host_fixtures import start_host, steps, stop
from waiting import wait_until

import pyblish_qml_queue
from pyblish_qml_queue.common import spool
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.host import service as service_module
from pyblish_qml_queue.hub import session as session_module
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.queue.model import Job

PLUGINS = """
import pyblish.api


class CollectShots(pyblish.api.ContextPlugin):
    order = pyblish.api.CollectorOrder

    def process(self, context):
        for name in ("sh010", "sh020"):
            instance = context.create_instance(name)
            instance.data["family"] = "shot"
            instance.data["frames"] = [1001, 1002]
            instance.data["cache"] = {"format": "abc"}


class ExtractShot(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    families = ["shot"]

    def process(self, instance):
        pass
"""


@pytest.fixture(autouse=True)
def pyblish_clean():
    with pf.pyblish_state():
        yield


@pytest.fixture
def shots(tmp_path, home):
    pyblish.api.register_plugin_path(pf.write_plugin(tmp_path / "plugins", "shots.py", PLUGINS))


@pytest.fixture
def by_reference(monkeypatch):
    """Every job travels by reference (the threshold lowered to 0 bytes)."""
    monkeypatch.setenv(handoff.INLINE_LIMIT_ENV, "0")


def _hub(stored, gate=None):
    def on_job(payload):
        if gate is not None:
            gate.wait(30)
        stored.append(Job.from_payload(payload))
        return payload["id"]

    hub = Hub(on_job=on_job)
    hub.start()
    return hub


def _hand_off_threads():
    return [t for t in threading.enumerate() if t.name.startswith("pyblish-qml-queue-handoff-")]


def _join_hand_offs():
    for thread in _hand_off_threads():
        thread.join(30)
    assert not _hand_off_threads()


def _spool_files(home):
    folder = home / "spool"
    return sorted(os.listdir(str(folder))) if folder.is_dir() else []


# -- encoding -------------------------------------------------------------------------


def test_a_job_encoded_in_chunks_is_what_one_json_call_gives():
    steps = [{"plugin": "ExtractShot", "instance": f"sh{n:04d}", "order": 2.0} for n in range(1234)]
    payload = {"id": "abc", "steps": steps, "instances": [], "title": "\u00e9t\u00e9", "n": None}
    expected = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    assert handoff.encode(payload) == expected


def test_a_job_too_deep_to_encode_says_so():
    nested = []
    for _ in range(100000):
        nested = [nested]
    with pytest.raises(ValueError, match="job abc is nested too deeply"):
        handoff.encode({"id": "abc", "data": nested})


def test_the_inline_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(handoff.INLINE_LIMIT_ENV, "10")
    assert handoff.inline_limit() == 10
    assert handoff.by_reference(1) and handoff.by_reference(1, 11)
    assert not handoff.by_reference(1, 10)
    monkeypatch.setenv(handoff.INLINE_LIMIT_ENV, "lots")
    assert handoff.inline_limit() == handoff.INLINE_LIMIT
    assert not handoff.by_reference(handoff.INLINE_STEPS - 1)


# -- submit() -------------------------------------------------------------------------


def test_submit_of_a_big_job_goes_on_before_it_is_encoded_and_later_edits_do_not_reach_it(
    shots, home, by_reference, monkeypatch
):
    """submit() returns once the job is built; the thread encodes it only after the
    scene was edited here, and the stored job still holds what was validated."""
    encoded, edited = [], threading.Event()
    encode = handoff.encode

    def encode_after_the_edit(payload):
        assert edited.wait(30)
        encoded.append(payload["id"])
        return encode(payload)

    monkeypatch.setattr(handoff, "encode", encode_after_the_edit)
    stored = []
    hub = _hub(stored)
    try:
        context = pyblish.util.collect()
        job_id = pyblish_qml_queue.submit(context)
        assert encoded == []  # submit() did not wait for the encoding
        for instance in context:  # the artist edits the scene meanwhile
            instance.data["frames"].append(9999)
            instance.data["cache"]["format"] = "usd"
        edited.set()
        wait_until(lambda: [job.id for job in stored] == [job_id], what="the job stored")
        _join_hand_offs()
    finally:
        edited.set()
        hub.close()
    assert encoded == [job_id]
    (job,) = stored
    assert [(s.plugin, s.instance) for s in job.steps] == [
        ("ExtractShot", "sh010"),
        ("ExtractShot", "sh020"),
    ]
    datas = [i["data"] for i in job.payload["instances"]]
    assert [d["frames"] for d in datas] == [[1001, 1002], [1001, 1002]]
    assert [d["cache"] for d in datas] == [{"format": "abc"}, {"format": "abc"}]
    wait_until(lambda: _spool_files(home) == [], what="the spool emptied")


def test_submit_of_a_big_job_logs_how_it_is_written(shots, home, by_reference, caplog):
    caplog.set_level(logging.INFO, logger="pyblish_qml_queue.host.submit")
    stored = []
    hub = _hub(stored)
    try:
        job_id = pyblish_qml_queue.submit()
        _join_hand_offs()
        wait_until(lambda: len(stored) == 1, what="the job stored")
    finally:
        hub.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any(job_id in m and "written to the spool for the app" in m for m in messages)
    assert any(job_id in m and "100% of" in m for m in messages)
    assert f"the app took job {job_id}" in messages


def test_a_big_job_goes_into_the_spool_when_no_app_runs(shots, home, by_reference):
    job_id = pyblish_qml_queue.submit()
    _join_hand_offs()
    [(path, payload)] = spool.read_spooled(str(home / "spool"))
    assert path == str(home / "spool" / (job_id + spool.SUFFIX))
    assert len(Job.from_payload(payload).steps) == 2


def test_a_big_job_the_app_refuses_is_logged_and_nothing_is_queued(
    shots, home, by_reference, caplog
):
    hub = Hub(on_job=None)  # an app without a queue refuses every job
    hub.start()
    try:
        job_id = pyblish_qml_queue.submit()
        _join_hand_offs()
    finally:
        hub.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"refused job {job_id}" in m and "Nothing was queued" in m for m in errors)
    assert _spool_files(home) == []


def test_a_small_job_is_still_handed_off_before_submit_returns(shots, home):
    stored = []
    hub = _hub(stored)
    try:
        job_id = pyblish_qml_queue.submit()
        assert [job.id for job in stored] == [job_id]
        assert not _hand_off_threads()
    finally:
        hub.close()


# -- the service's handoff (the app's Hand off button) ---------------------------------


def _collected_service():
    service = service_module.Service()
    for plugin in service.plugins:
        if plugin.order < pyblish.api.ValidatorOrder:
            service.process(plugin.id)
    assert len(service.context) == 2
    return service


def test_the_service_hands_a_big_job_off_by_reference_with_progress(
    shots, home, by_reference, caplog
):
    caplog.set_level(logging.INFO, logger="pyblish_qml_queue")
    service = _collected_service()
    reply = service.handoff(title="background")
    assert list(reply) == ["spooled"]
    payload = handoff.read(reply["spooled"])
    assert payload["title"] == "background" and len(payload["steps"]) == 2
    assert service.progress()["job_id"] == payload["id"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("100% of" in m for m in messages)


def test_the_service_removes_a_reference_an_older_app_never_took_at_its_next_reset(
    shots, home, by_reference
):
    service = _collected_service()
    job_id = service.handoff()["spooled"]
    assert os.path.exists(handoff.path(job_id))
    service.reset()
    assert not os.path.exists(handoff.path(job_id))


def test_the_service_still_replies_with_the_job_when_it_is_small(shots, home):
    reply = _collected_service().handoff()
    assert list(reply) == ["job"] and len(reply["job"]["steps"]) == 2
    assert _spool_files(home) == []


# -- a real host process and a real hub -------------------------------------------------


@pytest.fixture
def read_by_hub(monkeypatch):
    """The job ids the hub's sessions read from hand-off files."""
    seen = []
    read = session_module.handoff.read

    def spy(job_id, folder=None):
        seen.append(job_id)
        return read(job_id, folder)

    monkeypatch.setattr(session_module.handoff, "read", spy)
    return seen


def _collected_host(hub, tmp_path, env=None):
    process = start_host(tmp_path / "host", instances=3, env=env)
    host = wait_until(
        lambda: next(
            (
                h
                for h in hub.hosts()
                if h["pid"] == process.pid
                and h["state"] == "connected"
                and h["progress"]["done"] == 1
                and len(hub.items(h["id"])["instances"]) == 3
            ),
            None,
        ),
        what="the host collected",
    )
    return process, host


def test_the_hand_off_button_takes_a_big_job_by_reference_from_a_real_host(
    home, tmp_path, read_by_hub
):
    stored = []
    hub = _hub(stored)
    process = None
    try:
        process, host = _collected_host(hub, tmp_path, {handoff.INLINE_LIMIT_ENV: "0"})
        job_id = hub.handoff(host["id"], title="background")
        assert read_by_hub == [job_id]
        (job,) = stored
        assert job.id == job_id and job.title == "background"
        assert [(s.plugin, s.instance) for s in job.steps] == steps(3)
        assert hub.host(host["id"])["state"] == "handed off"
        assert _spool_files(home) == []  # the app removed the file it took
    finally:
        hub.close()
        if process is not None:
            stop(process)


def test_the_hand_off_button_gets_a_small_job_in_the_reply_from_a_real_host(
    home, tmp_path, read_by_hub
):
    stored = []
    hub = _hub(stored)
    process = None
    try:
        process, host = _collected_host(hub, tmp_path)
        job_id = hub.handoff(host["id"])
        assert [job.id for job in stored] == [job_id]
        assert read_by_hub == []
    finally:
        hub.close()
        if process is not None:
            stop(process)


def test_the_hand_off_button_fails_clearly_when_the_hosts_file_is_gone(home, tmp_path, monkeypatch):
    read = session_module.handoff.read

    def read_after_removal(job_id, folder=None):
        os.remove(handoff.path(job_id, folder))
        return read(job_id, folder)

    monkeypatch.setattr(session_module.handoff, "read", read_after_removal)
    stored = []
    hub = _hub(stored)
    process = None
    try:
        process, host = _collected_host(hub, tmp_path, {handoff.INLINE_LIMIT_ENV: "0"})
        with pytest.raises(session_module.HostUnavailable, match="not in the spool folder"):
            hub.handoff(host["id"])
        assert stored == []
        assert hub.host(host["id"])["state"] != "handed off"
    finally:
        hub.close()
        if process is not None:
            stop(process)
