"""Routing by application, DCC version and OS: two real farm nodes (``pyblish-qml-queue
worker``) over a real redis-server, one serving ``pyblish.maya.2025.<os>`` (and, with it,
the wider queues), one only ``pyblish.maya``."""

import os
import signal

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
pytest.importorskip("redis", reason="the celery extra is not installed")

from celery_fixture import WHERE_STEP, ran_on, where_plugin_dir
from queue_support import add, wait_finished

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery import routing
from pyblish_qml_queue.queue.celery.app import queue_for, redis_client
from pyblish_qml_queue.queue.celery.executor import CeleryExecutor


def maya_2025(version="2025.1"):
    return {"host": {"application": "Maya", "version": version}}


def test_candidates_go_from_the_narrowest_queue_to_the_application_s():
    assert routing.candidates(maya_2025(), "Linux") == [
        "pyblish.maya.2025.linux",
        "pyblish.maya.2025",
        "pyblish.maya",
    ]
    assert routing.candidates(
        {"host": {"application": "houdini", "version": "20.5.332"}}, "Windows"
    )[0] == ("pyblish.houdini.20.windows")
    assert routing.candidates({"host": {"application": "python"}}) == ["pyblish.python"]
    assert routing.expand(["pyblish.maya.2025.linux", "pyblish.python", "pyblish.maya"]) == [
        "pyblish.maya.2025.linux",
        "pyblish.maya.2025",
        "pyblish.maya",
        "pyblish.python",
    ]
    # the narrowest some node serves, else the application's queue
    assert queue_for(maya_2025(), {"pyblish.maya.2025", "pyblish.maya"}, "linux") == (
        "pyblish.maya.2025"
    )
    assert queue_for(maya_2025(), {"pyblish.maya.2024.linux"}, "linux") == "pyblish.maya"
    assert queue_for(maya_2025()) == "pyblish.maya"


def where_payload(plugins, tmp_path, key):
    payload = plugins.payload([], key=key, host=dict(maya_2025()["host"], user="ben"))
    payload["steps"] = [dict(WHERE_STEP)]
    payload["plugins"]["paths"].append(str(where_plugin_dir(tmp_path)))
    return payload


def sent_to(store, job_id):
    lines = [r["message"] for r in store.log(job_id) if " to the farm queue " in r["message"]]
    return lines[-1].rsplit(" ", 1)[-1]


def test_jobs_go_to_the_narrowest_queue_a_live_node_serves_else_the_wide_one(
    broker, farm, plugins, store, start_executor, tmp_path
):
    narrow = "pyblish.maya.2025." + routing.os_name()
    farm.start(broker, narrow, "narrow")
    farm.start(broker, "pyblish.maya", "wide")
    client = redis_client(broker)
    nodes = farm.wait(lambda: routing.live_nodes(client), 10, "the nodes' queues")
    by_node = {name.split("@")[0]: queues for name, queues in nodes.items()}
    assert by_node == {
        "narrow": [narrow, "pyblish.maya.2025", "pyblish.maya"],
        "wide": ["pyblish.maya"],
    }
    first = [add(store, where_payload(plugins, tmp_path, key)) for key in ("a", "b", "c")]
    start_executor(None, broker, kind=CeleryExecutor)

    for job_id, key in zip(first, ("a", "b", "c")):
        assert wait_finished(store, job_id).state == model.SUCCEEDED
        assert sent_to(store, job_id) == narrow
        assert ran_on(plugins, key) == ["narrow"]

    # the narrow node busy with one job, another waiting untaken in its queue: killed
    held = add(store, plugins.payload(["Hold"], key="h", host=dict(maya_2025()["host"])))
    queued = add(store, where_payload(plugins, tmp_path, "q"))
    farm.wait(lambda: plugins.pid("h"), 30, "Hold to start on the narrow node")
    assert sent_to(store, queued) == narrow and store.get(queued).state == model.RUNNING
    os.killpg(farm.nodes["narrow"].pid, signal.SIGKILL)  # its queues expire after its lease
    plugins.release()

    for job_id in (held, queued):
        assert wait_finished(store, job_id).state == model.SUCCEEDED
        assert sent_to(store, job_id) == "pyblish.maya"
    assert ran_on(plugins, "q") == ["wide"]
    log = " ".join(r["message"] for r in store.log(queued))
    assert f"no live farm node serves the queue {narrow} any more" in log
    assert "node lost" in " ".join(r["message"] for r in store.log(held))
