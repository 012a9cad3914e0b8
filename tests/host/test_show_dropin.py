"""show() as a drop-in for pyblish_qml.show(), with real host processes: targets,
auto_validate and auto_publish (against a real ``serve``), pyblish-qml's context keys, and
the main-thread dispatch wrapper."""

import json
import os
import signal
import subprocess
import sys
import threading
import types

from conftest import ROOT
from dropin_hosts import TARGET_PLUGINS, collected, host_of, start
from publish_hosts import PLUGINS as STUDIO_PLUGINS
from publish_hosts import manifest
from waiting import wait_until

import pyblish_qml_queue
from pyblish_qml_queue.common.wire import client
from pyblish_qml_queue.host import link, service


def test_show_none_local_honours_the_targets(hub, procs, tmp_path):
    process, out = start(tmp_path / "h", TARGET_PLUGINS, args=[None, ["local"]])
    procs.append(process)
    host = collected(hub, process)
    assert host["targets"] == ["local"]
    items = hub.items(host["id"])
    assert [p["name"] for p in items["plugins"]] == ["CollectLocal"]
    assert [i["name"] for i in items["instances"]] == ["shot"]
    assert not os.path.exists(os.path.join(out, "default-ran"))
    with open(os.path.join(out, "local-ran")) as f:
        data = json.load(f)
    # pyblish-qml's context keys: the targets as one string, and its version key.
    assert data["targets"] == "local"
    assert data["pyblishQmlVersion"]


def test_auto_validate_validates_as_soon_as_shown(hub, procs, tmp_path):
    process, out = start(tmp_path / "h", STUDIO_PLUGINS, kwargs={"auto_validate": True}, fixed=True)
    procs.append(process)
    host = wait_until(
        lambda: (h := host_of(hub, process)) and h["validated"] and h, what="validated"
    )
    assert host["stage"] == "validate"
    assert manifest(out) == []  # validated only: nothing integrated


def test_show_auto_publish_publishes_with_no_click_against_a_real_serve(home, procs, tmp_path):
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home))
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    serve = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert serve.stdout.readline().decode().startswith("serving ")
        process, out = start(
            tmp_path / "h",
            STUDIO_PLUGINS,
            kwargs={"auto_publish": True, "start": False},
            fixed=True,
        )
        procs.append(process)
        lines = wait_until(
            lambda: "notified " in manifest(out) and manifest(out), timeout=60, what="integrated"
        )
        assert lines[-1] == "notified "
        assert sorted(lines[:-1]) == sorted(
            ["CHAR_ben01", "CHAR_tom01", "PROP_sword", "sh0140_cam", "sh0140_playblast"]
        )
        (host,) = wait_until(
            lambda: [
                h
                for h in client.request("hosts", timeout=10)
                if h["pid"] == process.pid and h["state"] == "finished"
            ],
            what="the host finished in serve",
        )
        assert host["errors"] == 0
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(20)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        serve.stdout.close()


def test_our_dispatch_wrapper_wins_over_pyblish_qmls_and_the_adapters(monkeypatch):
    ours, theirs = [], []

    def wrapper(func, *args, **kwargs):
        ours.append(func)
        return func(*args, **kwargs)

    fake = types.ModuleType("pyblish_qml")
    fake._state = {"dispatchWrapper": lambda func, *a, **k: theirs.append(func) or func(*a, **k)}
    monkeypatch.setitem(sys.modules, "pyblish_qml", fake)
    pyblish_qml_queue.register_dispatch_wrapper(wrapper)
    try:
        assert link.dispatch_wrapper() is wrapper
        box = {}
        thread = threading.Thread(
            target=lambda: box.update(v=link.call_in_main_thread(lambda x: len(x), x="ab"))
        )
        thread.start()
        thread.join(10)
        assert box["v"] == 2 and len(ours) == 1 and theirs == []
    finally:
        pyblish_qml_queue.deregister_dispatch_wrapper()
    assert link.dispatch_wrapper() is fake._state["dispatchWrapper"]


def test_the_service_sets_pyblish_qmls_context_keys():
    svc = service.Service(targets=["local", "farm"], discover=list)
    data = svc.context.data
    assert data["targets"] == "local, farm"
    assert data["pyblishQmlVersion"] == pyblish_qml_queue.__version__
    assert "connectTime" in data and "host" in data
