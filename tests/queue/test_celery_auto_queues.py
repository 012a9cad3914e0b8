"""``worker --queues auto`` (issue 15 leftover): a farm node serves the queues of the DCCs
found on it (with their versions, read from their install folders) and of its Python, and
announces them in Redis; a node started with plain ``celery worker`` announces the queues
it consumes too. Real redis-server, real node processes, fake DCC interpreters (scripts in
vendor-named folders)."""

import os
import platform
import signal
import subprocess
import sys

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
pytest.importorskip("redis", reason="the celery extra is not installed")

from celery_fixture import WHERE_STEP, ran_on, where_plugin_dir
from conftest import ROOT
from queue_support import add, wait_finished
from waiting import wait_until

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery import dccs, routing
from pyblish_qml_queue.queue.celery.app import redis_client
from pyblish_qml_queue.queue.celery.executor import CeleryExecutor

OS = routing.os_name()


def fake_interpreter(folder, name, prints=""):
    """An executable script ``folder/name`` (printing ``prints``), as a DCC installs one."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\necho '{prints}'\n")
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def dcc_node(tmp_path, monkeypatch):
    """This process's environment as a node with Maya 2025 ($MAYA_LOCATION), Houdini
    20.5 ($HFS), Nuke 15.1v1 and a blender that says its version, on PATH."""
    maya = tmp_path / "autodesk" / "maya2025"
    hfs = tmp_path / "hfs20.5.332"
    fake_interpreter(str(maya / "bin"), "mayapy")
    fake_interpreter(str(hfs / "bin"), "hython")
    nuke_dir = tmp_path / "Nuke15.1v1"
    fake_interpreter(str(nuke_dir), "nuke")
    bin_dir = tmp_path / "bin"
    fake_interpreter(str(bin_dir), "blender", "Blender 4.2.1 LTS")
    monkeypatch.setenv("MAYA_LOCATION", str(maya))
    monkeypatch.setenv("HFS", str(hfs))
    path = os.pathsep.join([str(nuke_dir), str(bin_dir), os.environ.get("PATH", "")])
    monkeypatch.setenv("PATH", path)
    return tmp_path


def test_the_dccs_on_a_node_and_their_versions_make_its_queues(dcc_node):
    found = {dcc.application: dcc for dcc in dccs.on_this_node() if "bpy" not in dcc.path}
    assert {app: dcc.version for app, dcc in found.items()} == {
        "maya": "2025",
        "houdini": "20.5.332",
        "nuke": "15.1v1",
        "blender": "4.2.1",  # asked: its folder names none
        "python": platform.python_version(),
    }
    queues = dccs.auto_queues(list(found.values()), "Linux")
    assert queues == [
        "pyblish.maya.2025.linux",
        "pyblish.houdini.20.linux",
        "pyblish.nuke.15.linux",
        "pyblish.blender.4.linux",
        f"pyblish.python.{sys.version_info[0]}.linux",
    ]


def test_a_dcc_whose_version_is_not_known_serves_only_its_wide_queue(tmp_path):
    unknown = dccs.Found(
        "maya",
        str(tmp_path / "bin" / "mayapy"),
        dccs.folder_version("maya", str(tmp_path / "bin" / "mayapy")),
    )
    assert unknown.version == "" and unknown.queue() == "pyblish.maya"


def test_a_node_with_queues_auto_announces_its_dccs_queues_and_runs_their_jobs(
    broker, farm, plugins, store, start_executor, tmp_path, dcc_node
):
    farm.start(broker, "auto", "auto")
    client = redis_client(broker)
    nodes = farm.wait(lambda: routing.live_nodes(client), 10, "the node's queues")
    (queues,) = nodes.values()
    narrow = f"pyblish.maya.2025.{OS}"
    py = f"pyblish.python.{sys.version_info[0]}"
    for queue in (narrow, "pyblish.maya.2025", "pyblish.maya", "pyblish.houdini.20", py):
        assert queue in queues, queues
    assert "pyblish.python" in queues  # the default queue's jobs still come here
    log = (tmp_path / "node-auto.log").read_text()
    assert f"found maya 2025 ({dcc_node / 'autodesk' / 'maya2025' / 'bin' / 'mayapy'})" in log

    payload = plugins.payload([], key="m", host={"application": "Maya", "version": "2025.1"})
    payload["steps"] = [dict(WHERE_STEP)]
    payload["plugins"]["paths"].append(str(where_plugin_dir(tmp_path)))
    job_id = add(store, payload)
    start_executor(None, broker, kind=CeleryExecutor)
    assert wait_finished(store, job_id).state == model.SUCCEEDED
    sent = [r["message"] for r in store.log(job_id) if " to the farm queue " in r["message"]]
    assert sent[-1].endswith(narrow)
    assert ran_on(plugins, "m") == ["auto"]


def test_a_plain_celery_worker_announces_the_queues_it_consumes(broker, tmp_path):
    env = dict(os.environ, PYBLISH_QML_QUEUE_BROKER=broker, PYTHONPATH=ROOT)
    env["PYBLISH_QML_QUEUE_HOME"] = str(tmp_path / "plain-home")
    queue = f"pyblish.nuke.15.{OS}"
    log_path = tmp_path / "plain.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "pyblish_qml_queue.queue.celery.app"]
            + ["worker", "-Q", queue, "--hostname", "plain@%h", "--pool", "solo"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    client = redis_client(broker)
    try:
        wait_until(lambda: routing.live_nodes(client), 30, "the plain node's queues")
        ((name, queues),) = routing.live_nodes(client).items()
        assert name.startswith("plain@") and queues == [queue]
        assert routing.route({"host": {"application": "nuke", "version": "15.1v1"}}, queues) == (
            queue
        )
        os.killpg(proc.pid, signal.SIGTERM)  # a warm stop withdraws them at once
        proc.wait(30)
        assert routing.live_nodes(client) == {}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        print(log_path.read_text()[-2000:])
