"""The one headless composition (pyblish_qml_queue/node.py): start in order, stop in reverse."""

import logging
import os

import pytest
from factories import make_payload

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire import client
from pyblish_qml_queue.hub.hub import Hub, HubRunning
from pyblish_qml_queue.node import Node, PartFailed
from pyblish_qml_queue.queue.memory import MemoryJobStore


def test_a_node_starts_its_parts_in_order_and_stops_them_all(home):
    node = Node(signals="127.0.0.1:0").start()
    try:
        assert node.parts == ["store", "executor", "spool ingester", "hub", "farm endpoint"]
        assert os.path.exists(wire.runtime_file())
        assert client.request("ping", timeout=5)["pong"] is True
    finally:
        node.stop()
    assert node.parts == []
    with pytest.raises(client.NotRunning):
        client.request("ping", timeout=5)


def test_parts_stop_in_reverse_order_and_one_failing_stop_stops_the_rest(home, caplog):
    node = Node(MemoryJobStore(), hub=False, spool=False)
    stopped = []

    def failing():
        stopped.append("b")
        raise RuntimeError("boom")

    node._owned = [
        ("a", lambda: stopped.append("a")),
        ("b", failing),
        ("c", lambda: stopped.append("c")),
    ]
    with caplog.at_level(logging.ERROR):
        node.stop()
    assert stopped == ["c", "b", "a"]
    assert "stopping the b failed" in caplog.text


def test_parts_passed_in_belong_to_the_caller(home):
    store = MemoryJobStore()
    node = Node(store, executor=False, hub=False).start()
    assert node.parts == [] and node.executor is None and node.hub is None
    node.stop()
    assert store.jobs() == []  # still open: the caller closes it


def test_a_required_hub_that_cannot_listen_stops_what_started_and_raises(home):
    other = Hub()
    other.start()
    try:
        node = Node(MemoryJobStore(), close_store=True)
        with pytest.raises(HubRunning):
            node.start()
        assert node.parts == []
        assert not node.executor._thread.is_alive()  # the executor started, then stopped
    finally:
        other.close()


def test_an_optional_hub_that_cannot_listen_is_a_warning(home, caplog):
    other = Hub()
    other.start()
    try:
        with caplog.at_level(logging.WARNING), Node(MemoryJobStore(), hub_required=False) as node:
            assert node.hub is None and "executor" in node.parts
        assert "does not accept hosts" in caplog.text
    finally:
        other.close()


def test_a_required_farm_endpoint_at_a_bad_address_raises_part_failed(home):
    node = Node(MemoryJobStore(), hub=False, signals="not-an-address", signals_required=True)
    with pytest.raises(PartFailed) as caught:
        node.start()
    assert caught.value.part == "signals"
    assert isinstance(caught.value.__cause__, ValueError)
    assert node.parts == []


def test_an_optional_farm_endpoint_at_a_bad_address_is_logged_and_left_off(home, caplog):
    with caplog.at_level(logging.WARNING):
        with Node(MemoryJobStore(), hub=False, signals="not-an-address") as node:
            assert node.signals is None
    assert "Farm signals are off: cannot listen at not-an-address" in caplog.text


def test_a_handed_off_job_is_stored_and_told_to_the_listeners(home):
    store = MemoryJobStore()
    with Node(store, executor=False) as node:
        added = []
        node.on_job_added.append(added.append)
        payload = make_payload()
        assert client.request("submit", {"job": payload}, timeout=5) == {"job_id": payload["id"]}
        assert added == [payload["id"]]
        assert store.get(payload["id"]) is not None


def test_the_celery_backend_builds_the_celery_executor(home):
    pytest.importorskip("celery")
    from pyblish_qml_queue.queue.celery.executor import CeleryExecutor

    node = Node(MemoryJobStore(), backend="celery", broker="redis://127.0.0.1:1/0", hub=False)
    assert isinstance(node._make_executor(), CeleryExecutor)


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError):
        Node(MemoryJobStore(), backend="ftp")


def test_a_second_executor_on_one_home_refuses_to_run_jobs_naming_the_first(home):
    first = Node(hub=False, spool=False).start()
    try:
        with pytest.raises(PartFailed, match=f"process {os.getpid()} already runs the jobs of"):
            Node(hub=False, spool=False).start()
        window = Node(hub=False, spool=False, executor_required=False).start()
        try:  # the app beside a running serve: its window, without an executor
            assert window.executor is None and window.parts == ["store"]
        finally:
            window.stop()
    finally:
        first.stop()
    again = Node(hub=False, spool=False).start()  # the lock goes with its executor
    assert again.executor is not None
    again.stop()


def test_a_two_step_start_starts_the_store_and_hub_then_the_rest(home):
    node = Node(signals="127.0.0.1:0").start(two_step=True)
    try:
        assert node.parts == ["store", "hub"]
        assert node.executor is None and node.ingester is None and node.signals is None
        assert client.request("ping", timeout=5)["pong"] is True  # hosts can connect already
        node.finish_start()
        assert node.parts == ["store", "hub", "executor", "spool ingester", "farm endpoint"]
        assert node.executor._thread.is_alive()
        node.finish_start()  # once
        assert len(node.parts) == 5
    finally:
        node.stop()
    assert node.parts == []
    with pytest.raises(client.NotRunning):
        client.request("ping", timeout=5)


def test_a_node_stopped_between_its_two_steps_starts_nothing_more(home):
    node = Node(MemoryJobStore(), hub=False).start(two_step=True)
    node.stop()
    node.finish_start()
    assert node.parts == [] and node.executor is None


def test_a_second_step_that_fails_stops_the_first_steps_parts_and_raises(home):
    node = Node(signals="not-an-address", signals_required=True).start(two_step=True)
    assert node.parts == ["store", "hub"]
    with pytest.raises(PartFailed):
        node.finish_start()
    assert node.parts == []
    assert not node.executor._thread.is_alive()  # started, then stopped
    with pytest.raises(client.NotRunning):
        client.request("ping", timeout=5)


def test_a_two_step_start_makes_the_home_private_in_its_second_step(home):
    exposed = home / "reports" / "old.html"
    exposed.parent.mkdir()
    exposed.write_text("report")
    os.chmod(exposed, 0o644)
    node = Node(hub=False, spool=False).start(two_step=True)
    try:
        assert os.stat(exposed).st_mode & 0o777 == 0o644  # not before the first frame
        node.finish_start()
        assert os.stat(exposed).st_mode & 0o777 == 0o600
    finally:
        node.stop()


def test_a_stop_while_the_second_step_runs_on_a_thread_leaves_nothing_running(home):
    import threading

    node = Node(MemoryJobStore(), hub=False).start(two_step=True)
    second = threading.Thread(target=node.finish_start)
    second.start()
    node.stop()  # before, during or after the second step: it waits for it
    second.join(10)
    assert node.parts == []
    assert node.executor is None or not node.executor._thread.is_alive()
