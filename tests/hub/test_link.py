"""The host's link: runtime file, authkey, show(), hand-off, the service, main-thread calls."""

import json
import os
import stat
import sys
import textwrap
import threading
import types

import pyblish.api
import pytest
from waiting import wait_until

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire.peer import Peer
from pyblish_qml_queue.host import link, service
from pyblish_qml_queue.hub import transport
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.queue.model import Job

# -- runtime file and authkey -------------------------------------------------------------


def test_the_runtime_file_tells_hosts_where_the_app_listens(home):
    hub = Hub()
    hub.start()
    try:
        with open(wire.runtime_file()) as f:
            info = json.load(f)
        assert info["address"] == hub.address
        assert info["pid"] == os.getpid()
        assert info["protocol"] == wire.PROTOCOL_VERSION
        assert wire.read_runtime()["address"] == hub.address
        assert os.path.dirname(wire.runtime_file()) == str(home / "run")
    finally:
        hub.close()
    assert not os.path.exists(wire.runtime_file())


def test_the_authkey_file_is_readable_by_the_user_only(home):
    key = transport.ensure_runtime_dir() and transport.ensure_authkey()
    mode = stat.S_IMODE(os.stat(wire.authkey_file()).st_mode)
    assert mode == 0o600
    assert len(key) == 64
    assert transport.ensure_authkey() == key


def test_an_authkey_others_can_read_is_replaced(home):
    transport.ensure_runtime_dir()
    key = transport.ensure_authkey()
    os.chmod(wire.authkey_file(), 0o644)
    assert transport.ensure_authkey() != key
    assert stat.S_IMODE(os.stat(wire.authkey_file()).st_mode) == 0o600


def test_a_stale_runtime_file_of_a_dead_pid_is_replaced(home, tmp_path):
    transport.ensure_runtime_dir()
    dead = _dead_pid()
    transport.write_runtime({"address": str(tmp_path / "gone.sock"), "pid": dead, "protocol": 1})
    assert wire.read_runtime() is None
    hub = Hub()
    hub.start()
    try:
        assert wire.read_runtime()["pid"] == os.getpid()
    finally:
        hub.close()


def test_a_too_long_socket_path_falls_back_to_a_short_one(tmp_path, monkeypatch):
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv("PYBLISH_QML_QUEUE_HOME", str(deep))
    hub = Hub()
    hub.start()
    try:
        assert len(hub.address.encode()) <= transport.MAX_SOCKET_PATH
        assert wire.connect() is not None
    finally:
        hub.close()


def _dead_pid():
    import subprocess

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# -- show() ------------------------------------------------------------------------------


def test_show_connects_in_the_background_when_the_app_runs(home, hosts):
    hub = Hub()
    shown = []
    hub.subscribe(lambda event: event["type"] == "show" and shown.append(event["host_id"]))
    hub.start()
    try:
        (process,) = hosts(1, instances=1)
        line = process.stdout.readline().decode().split()
        assert line[0] == "shown"  # show() returned at once; it registers in the background
        wait_until(lambda: shown == [line[1]], what="show event")
        assert hub.host(line[1])["pid"] == process.pid
    finally:
        hub.close()


APP = textwrap.dedent(
    """
    import os, time
    from pyblish_qml_queue.hub.hub import Hub

    hub = Hub()
    hub.start()
    parent = os.getppid()
    while os.getppid() == parent:  # its host died: leave no orphan behind
        time.sleep(0.1)
    """
)


def test_show_starts_the_app_when_none_runs_and_connects_once_it_listens(home, tmp_path, hosts):
    app = tmp_path / "app.py"
    app.write_text(APP)
    command = f"{sys.executable} {app}"
    app_pid = None
    try:
        (process,) = hosts(1, instances=1, env={"PYBLISH_QML_QUEUE_APP_COMMAND": command})
        line = process.stdout.readline().decode().split()
        assert line[0] == "shown"  # show() returned while the app was starting
        info = wait_until(wire.read_runtime, what="the started app's runtime file")
        app_pid = info["pid"]
        assert app_pid != process.pid
        peer = Peer(wire.connect(), lambda m, p: None, {}, name="test").start()
        try:
            registered = wait_until(lambda: peer.request("hosts"), what="host registered")
            assert registered[0]["pid"] == process.pid
        finally:
            peer.close()
    finally:
        if app_pid:
            os.kill(app_pid, 9)


def test_the_app_command_defaults_to_the_module_with_the_registered_python(monkeypatch):
    from pyblish_qml_queue.host import show

    monkeypatch.delenv("PYBLISH_QML_QUEUE_APP_COMMAND", raising=False)
    monkeypatch.setenv("PYBLISH_QML_QUEUE_PYTHON", "/opt/python/bin/python3")
    assert show.app_command() == ["/opt/python/bin/python3", "-m", "pyblish_qml_queue", "app"]


# -- hand-off ------------------------------------------------------------------------------


def test_try_handoff_is_false_when_no_app_runs(home):
    assert link.try_handoff({"id": "x"}) is False


def test_try_handoff_gives_the_job_to_the_running_app(home):
    got = []
    hub = Hub(on_job=lambda payload: got.append(payload) or payload["id"])
    hub.start()
    try:
        assert link.try_handoff({"id": "abc", "schema": 1}) is True
        assert got == [{"id": "abc", "schema": 1}]
    finally:
        hub.close()


def test_a_job_the_app_refuses_raises_with_its_reason(home):
    def refuse(payload):
        Job.from_payload(payload)

    hub = Hub(on_job=refuse)
    hub.start()
    try:
        with pytest.raises(wire.RemoteError, match="schema"):
            link.try_handoff({"id": "abc"})
    finally:
        hub.close()


# -- the service ------------------------------------------------------------------------


class CollectTwo(pyblish.api.ContextPlugin):
    order = pyblish.api.CollectorOrder

    def process(self, context):
        for name in ("a", "b"):
            context.create_instance(name, family="thing")


class TagOne(pyblish.api.InstancePlugin):
    order = pyblish.api.ValidatorOrder
    families = ["thing"]

    def process(self, instance):
        instance.data["label"] = "tagged " + instance.name
        self.log.warning("tagged")


def _service():
    return service.Service(discover=lambda: [CollectTwo, TagOne])


def test_a_collector_step_reports_the_instances_it_added():
    svc = _service()
    collector = svc.plugins[0].id
    reply = svc.process(collector)
    assert [i["name"] for i in reply["changes"]["added"]] == ["a", "b"]
    assert reply["result"]["success"] is True
    json.dumps(reply)


def test_an_instance_step_reports_only_what_it_changed():
    svc = _service()
    svc.process(svc.plugins[0].id)
    first = svc.context[0]
    reply = svc.process(svc.plugins[1].id, first.id)
    assert reply["changes"] == {
        "instances": {first.id: {"name": "a", "label": "tagged a", "family": "thing"}}
    }
    assert reply["result"]["records"][0]["levelname"] == "WARNING"
    again = svc.process(svc.plugins[1].id, first.id)
    assert again["changes"] == {}


def test_the_service_keeps_its_results_for_progress():
    svc = _service()
    svc.process(svc.plugins[0].id)
    svc.process(svc.plugins[1].id, svc.context[0].id)
    progress = svc.progress()
    assert [r["plugin_name"] for r in progress["results"]] == ["CollectTwo", "TagOne"]
    assert len(progress["context"]["children"]) == 2
    svc.reset()
    assert svc.progress()["results"] == []


def test_toggle_unpublishes_an_instance_and_deactivates_a_plugin():
    svc = _service()
    svc.process(svc.plugins[0].id)
    instance = svc.context[0]
    svc.toggle(instance.id, False)
    assert instance.data["publish"] is False
    svc.toggle(svc.plugins[1].id, False)
    assert svc.plugins[1].active is False


def test_unknown_ids_are_refused_by_name():
    svc = _service()
    with pytest.raises(service.ServiceError, match="no plugin"):
        svc.process("nope")


# -- the main thread ------------------------------------------------------------------------


def _from_a_thread(func):
    box = {}
    thread = threading.Thread(target=lambda: box.update(value=func()))
    thread.start()
    return thread, box


def test_calls_run_on_the_main_thread_when_the_script_serves_it():
    def call():
        wait_until(lambda: link.dispatch_wrapper() is not None, what="the main thread serving")
        return link.call_in_main_thread(lambda: threading.current_thread().name)

    thread, box = _from_a_thread(call)
    link.serve_main_thread(until=lambda: not thread.is_alive(), timeout=10)
    thread.join()
    assert box["value"] == "MainThread"


def test_a_registered_pyblish_qml_dispatch_wrapper_is_honoured(monkeypatch):
    calls = []

    def wrapper(func, *args, **kwargs):
        calls.append(func)
        return func(*args, **kwargs)

    # What pyblish_qml.api.register_dispatch_wrapper stores (below Python 3.11); its
    # code is not called: on 3.11 it raises on inspect.getargspec.
    fake = types.ModuleType("pyblish_qml")
    fake._state = {"dispatchWrapper": wrapper}
    monkeypatch.setitem(sys.modules, "pyblish_qml", fake)
    thread, box = _from_a_thread(lambda: link.call_in_main_thread(lambda x: x * 2, x=21))
    thread.join(10)
    assert box["value"] == 42
    assert len(calls) == 1


def test_an_error_in_a_main_thread_call_reaches_the_caller():
    def boom():
        raise ValueError("bad")

    thread, box = _from_a_thread(lambda: _catch(lambda: link.call_in_main_thread(boom)))
    thread.join(10)
    assert isinstance(box["value"], ValueError)


def _catch(func):
    try:
        func()
    except Exception as error:
        return error
