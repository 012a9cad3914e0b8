"""Big hand-offs travel by reference (common/wire/handoff.py): the job is a file in the
spool folder and only its id goes over the link; no frame grows with the publish."""

import json
import os
import sys
import types

import pytest
from factories import make_payload
from waiting import wait_until

import pyblish_qml_queue.host.submit as submit_module
from pyblish_qml_queue.common import spool, wire
from pyblish_qml_queue.common.wire import client, handoff
from pyblish_qml_queue.host import link
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.queue.model import Job


def _files(home):
    folder = home / "spool"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def _written(payload):
    data = json.dumps(payload).encode()
    handoff.write(data, payload["id"])
    return payload["id"]


def test_the_app_takes_a_job_by_reference_and_the_request_carries_only_its_id(home):
    got, frames = [], []
    hub = Hub(on_job=lambda payload: got.append(Job.from_payload(payload).id) or payload["id"])
    hub.start()
    payload = make_payload(n_steps=3)
    try:
        original = hub._submit

        def spy(peer, params):
            frames.append(params)
            return original(peer, params)

        hub._dispatch_table["submit"] = spy
        assert link.try_handoff(payload, spooled=_written(payload)) is True
        wait_until(lambda: got == [payload["id"]] and _files(home) == [], what="stored")
    finally:
        hub.close()
    assert frames == [{"spooled": payload["id"]}]


def test_a_job_refused_by_reference_leaves_nothing_in_the_spool(home):
    hub = Hub(on_job=lambda payload: payload["id"])
    hub.start()
    payload = make_payload(n_steps=1)
    del payload["steps"][0]["plugin"]
    try:
        with pytest.raises(wire.RemoteError, match="refused"):
            link.try_handoff(payload, spooled=_written(payload))
    finally:
        hub.close()
    assert _files(home) == []


def test_submit_needs_one_of_job_or_spooled(home):
    hub = Hub(on_job=lambda payload: payload["id"])
    hub.start()
    try:
        with pytest.raises(wire.RemoteError) as error:
            client.request("submit", {}, 5)
        assert error.value.code == wire.INVALID_PARAMS
    finally:
        hub.close()


def _fake_link(monkeypatch, try_handoff):
    module = types.ModuleType("pyblish_qml_queue.host.link")
    module.try_handoff = try_handoff
    monkeypatch.setitem(sys.modules, "pyblish_qml_queue.host.link", module)


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(handoff, "INLINE_STEPS", 0)
    monkeypatch.setattr(handoff, "INLINE_LIMIT", 0)


def test_an_app_of_an_older_release_gets_the_job_through_the_spool(home, monkeypatch, small_limits):
    def old_app(payload, spooled=None):
        assert spooled == payload["id"] and os.path.exists(handoff.path(spooled))
        raise wire.RemoteError(wire.INVALID_PARAMS, "submit got an unknown param 'spooled'")

    _fake_link(monkeypatch, old_app)
    payload = make_payload(n_steps=2)
    where = submit_module.hand_off(payload)
    assert where == str(home / "spool" / (payload["id"] + spool.SUFFIX))
    assert [p["id"] for _path, p in spool.read_spooled(str(home / "spool"))] == [payload["id"]]


def test_a_big_job_hand_off_logs_its_progress(home, monkeypatch, small_limits, caplog):
    _fake_link(monkeypatch, lambda payload, spooled=None: True)
    caplog.set_level("INFO", logger=submit_module.__name__)
    assert submit_module.hand_off(make_payload(n_steps=2)) == "link"
    assert any("100% of" in r.getMessage() for r in caplog.records)


def test_a_retried_hand_off_of_a_job_taken_already_answers_its_id(home):
    stored = []
    hub = Hub(on_job=lambda payload: stored.append(payload["id"]) or payload["id"])
    hub.start()
    payload = make_payload(n_steps=2)
    try:
        assert link.try_handoff(payload, spooled=_written(payload)) is True
        wait_until(lambda: stored == [payload["id"]] and _files(home) == [], what="stored")
        assert link.try_handoff(payload, spooled=payload["id"]) is True  # the answer was lost
    finally:
        hub.close()
    assert stored == [payload["id"]]
