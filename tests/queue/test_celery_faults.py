"""Farm faults (issue 15): a real redis-server killed -9 and restarted empty, farm
nodes (real ``pyblish-qml-queue worker`` processes, each with its own home)
killed -9, cancel on the solo pool. The workstation is one CeleryExecutor over a
real SQLite store that is never restarted."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
pytest.importorskip("redis", reason="the celery extra is not installed")

from celery_fixture import LAUNCH, free_port, start_redis, stop
from conftest import ROOT
from executor_plugins import MODULE
from queue_support import add, finished
from waiting import wait_until

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery.executor import CeleryExecutor
from pyblish_qml_queue.queue.executor import pid_alive

#: Extraction-like steps that take a while, and an integrator; each marks its run
#: as the executor test plugins do (<markers>/<key>__<plugin>__<instance>.runs).
FAULT_PLUGINS = r"""
import os
import time

import pyblish.api


def _mark(instance, plugin):
    name = "%s__%s__%s.runs" % (instance.context.data["marker_key"], plugin, instance.name)
    with open(os.path.join(os.environ["QUEUE_TEST_MARKERS"], name), "a") as f:
        f.write("%d\n" % os.getpid())


class Slow(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance, "Slow")
        time.sleep(0.4)


class Integrate(pyblish.api.InstancePlugin):
    order = pyblish.api.IntegratorOrder

    def process(self, instance):
        _mark(instance, "Integrate")
"""

#: Three extractions and an integrator, as (plugin, module, instance index).
PUBLISH = [("Slow", "fault_plugins", 0), ("Slow", "fault_plugins", 1)]
PUBLISH += [("Slow", "fault_plugins", 2), ("Integrate", "fault_plugins", 0)]


@pytest.fixture
def redis_port(tmp_path):
    """A free port and a started redis-server on it; ``.proc`` is replaced on restart."""

    class Server:
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
        proc = start_redis(tmp_path / "redis", port)

        def kill(self):
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

        def restart_empty(self):  # no RDB, no AOF: everything the broker held is gone
            self.proc = start_redis(tmp_path / "redis", self.port)

    server = Server()
    yield server
    stop(server.proc)


@pytest.fixture
def start_app(start_executor):
    def start(broker, **kwargs):
        return start_executor(None, broker, kind=CeleryExecutor, **kwargs)

    return start


def publish(plugins, tmp_path, key, steps=PUBLISH):
    """A job payload running ``steps`` [(plugin, module, instance index)]."""
    folder = tmp_path / "fault-plugins"
    folder.mkdir(exist_ok=True)
    (folder / "fault_plugins.py").write_text(FAULT_PLUGINS)
    payload = plugins.payload([], key=key)
    payload["steps"] = [
        {
            "plugin": plugin,
            "module": module,
            "order": 3.0 if plugin == "Integrate" else 2.0,
            "instance": f"ben{index + 1:02d}",
            "instance_id": f"inst-{index:02d}",
        }
        for plugin, module, index in steps
    ]
    payload["plugins"]["paths"].append(str(folder))
    return payload


def runs_of(plugins, key, steps=PUBLISH):
    return [plugins.runs(key, plugin, f"ben{index + 1:02d}") for plugin, _, index in steps]


def test_redis_killed_and_restarted_empty_mid_run_every_job_succeeds_without_a_step_twice(
    redis_port, farm, plugins, store, start_app, tmp_path
):
    url = redis_port.url
    farm.start(url, "pyblish.python", "a")
    farm.start(url, "pyblish.python", "b")
    keys = [f"r{i}" for i in range(6)]
    ids = {key: add(store, publish(plugins, tmp_path, key)) for key in keys}
    events = []
    app = start_app(url, node_silent=4.0, on_event=events.append)

    def mid_run():
        jobs = [store.get(i) for i in ids.values()]
        return sum(j.state == model.RUNNING and 0 < j.progress[0] for j in jobs) >= 2

    farm.wait(mid_run, 60, "two jobs to be mid-run on the farm")
    redis_port.kill()
    time.sleep(2.0)  # steps go on finishing on the nodes meanwhile
    redis_port.restart_empty()
    restarted = time.monotonic()

    done = farm.wait(
        lambda: all(finished(store, i) for i in ids.values()), 90, "every job to finish"
    )
    took = time.monotonic() - restarted
    for key, job_id in ids.items():
        job = store.get(job_id)
        assert job.state == model.SUCCEEDED, (key, job.error, store.log(job_id))
        assert runs_of(plugins, key) == [1, 1, 1, 1], key  # integrators included
        assert job.attempts == 1
    assert done and app.broker_error is None
    assert [e["event"] for e in events if e["event"].startswith("broker")][-1] == "broker_up"
    print(f"\nall 6 jobs succeeded {took:.1f} s after redis came back empty")
    assert took < 90


def test_a_node_keeps_its_checkpoints_in_a_journal_through_an_outage_and_its_own_restart(
    redis_port, farm, plugins, store, start_app, tmp_path
):
    """The broker dies mid-job: the node journals each finished step before its
    worker may start the next one; then the node itself is killed -9 and the
    broker comes back empty. The restarted node sends its journal, and the job
    finishes elsewhere without running a journalled step again."""
    url = redis_port.url
    steps = PUBLISH[:2] + [("Hold", MODULE, 2), PUBLISH[3]]
    node = farm.start(url, "pyblish.python", "n1")
    job_id = add(store, publish(plugins, tmp_path, "jr", steps))
    start_app(url, node_silent=4.0)
    farm.wait(lambda: plugins.runs("jr", "Slow", "ben01"), 30, "the first step to start")
    redis_port.kill()

    held = farm.wait(lambda: plugins.pid("jr"), 30, "Hold to start while the broker is down")
    journal = glob.glob(str(tmp_path / "node-n1-home" / "node-journal" / "*.json"))
    assert len(journal) == 1
    with open(journal[0]) as f:
        kept = [entry["event"]["index"] for entry in json.load(f)["entries"]]
    assert kept == [0, 1]  # both checkpoints were durable before Hold started
    os.killpg(node.pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(held), 10, "the node's job worker to die")

    redis_port.restart_empty()
    plugins.release()
    farm.start(url, "pyblish.python", "n1")  # the same home: it sends its journal

    job = farm.wait(lambda: finished(store, job_id), 60, "the job to finish")
    assert job.state == model.SUCCEEDED, (job.error, store.log(job_id))
    assert runs_of(plugins, "jr", steps) == [1, 1, 2, 1]  # Hold was running: it ran again
    assert glob.glob(str(tmp_path / "node-n1-home" / "node-journal" / "*.json")) == []
    assert any(line["message"].startswith("node lost:") for line in store.log(job_id))


def test_a_node_killed_shows_node_lost_and_the_job_finishes_on_another_node(
    redis_port, farm, plugins, store, start_app, tmp_path
):
    url = redis_port.url
    first = farm.start(url, "pyblish.python", "first")
    steps = [PUBLISH[0], ("Hold", MODULE, 1), PUBLISH[3]]
    job_id = add(store, publish(plugins, tmp_path, "nl", steps))
    start_app(url)
    held = farm.wait(lambda: plugins.pid("nl"), 30, "Hold to start on the first node")
    shown = show_json(store, job_id)
    assert shown["node"] == {"name": f"first@{os.uname().nodename}", "state": "running"}

    os.killpg(first.pid, signal.SIGKILL)
    killed = time.monotonic()
    lost = farm.wait(
        lambda: show_json(store, job_id, cli=False)["node"]["state"] == "lost", 30, "node lost"
    )
    took = time.monotonic() - killed
    assert lost and took < 30  # the node's lease is 2 s here (30 s by default)
    wait_until(lambda: not pid_alive(held), 10, "the first node's job worker to die")
    shown = show_json(store, job_id)
    assert shown["state"] == "running" and shown["node"]["state"] == "lost"
    plugins.release()
    farm.start(url, "pyblish.python", "second")

    job = farm.wait(lambda: finished(store, job_id), 40, "the job to finish")
    assert job.state == model.SUCCEEDED, job.error
    assert runs_of(plugins, "nl", steps) == [1, 2, 1]
    assert job.attempts == 1
    print(f"\nnode lost shown {took:.1f} s after the kill (node lease 2 s)")


def show_json(store, job_id, cli=True):
    """``show JOB --json`` (the CLI in a child process, or the same fields read here)."""
    if not cli:
        from pyblish_qml_queue.queue.celery.where import farm_node

        return {"node": farm_node(store.log(job_id)) or {"state": None}}
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, "show", job_id, "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT, PYBLISH_QML_QUEUE_HOME=os.path.dirname(store.path)),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cancel_on_a_solo_pool_node_kills_the_running_step_and_runs_no_later_one(
    redis_port, farm, plugins, store, start_app, tmp_path
):
    url = redis_port.url
    farm.start(url, "pyblish.python", "solo", "--pool", "solo")
    steps = [("Hold", MODULE, 0), PUBLISH[3]]
    job_id = add(store, publish(plugins, tmp_path, "cs", steps))
    app = start_app(url)
    held = farm.wait(lambda: plugins.pid("cs"), 30, "Hold to start on the node")

    cancelled = time.monotonic()
    assert app.cancel(job_id) == model.CANCELLED
    farm.wait(lambda: not pid_alive(held), 5, "the running step to be killed within 5 s")
    took = time.monotonic() - cancelled
    time.sleep(1.0)  # a later step would have started by now
    assert runs_of(plugins, "cs", steps) == [1, 0]
    assert store.get(job_id).state == model.CANCELLED
    print(f"\nsolo pool: the running step was killed {took:.1f} s after cancel")


ENV_PLUGIN = r"""
import json
import os

import pyblish.api


class DumpEnv(pyblish.api.ContextPlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, context):
        with open(os.path.join(os.environ["QUEUE_TEST_MARKERS"], "env.json"), "w") as f:
            json.dump(dict(os.environ), f)
"""


def test_a_node_runs_in_its_own_environment_with_only_allowed_job_variables_and_mapped_paths(
    redis_port, farm, plugins, store, start_app, tmp_path, monkeypatch
):
    """The job carries the workstation's HOME, TMPDIR, home, libraries and display,
    and its plugin path as a Windows path: the node keeps its own and takes only
    the allowed variables; the plugin path maps to the node's root."""
    node_plugins = tmp_path / "node-root" / "pipe" / "plugins"
    node_plugins.mkdir(parents=True)
    (node_plugins / "env_plugin.py").write_text(ENV_PLUGIN)
    monkeypatch.setenv("PYBLISH_QML_QUEUE_FARM_ENV", "QUEUE_TEST_MARKERS,PROJECT,STUDIO_*")
    monkeypatch.setenv("PYBLISH_QML_QUEUE_FARM_PATHS", f"P:/={tmp_path / 'node-root'}/")
    farm.start(redis_port.url, "pyblish.python", "env")
    workstation = {
        "HOME": "/home/artist",
        "TMPDIR": "/tmp/artist",
        "PYBLISH_QML_QUEUE_HOME": "/home/artist/.pqq",
        "LD_LIBRARY_PATH": "/opt/maya/lib",
        "DISPLAY": ":0",
        "PROJECT": "show1",
        "STUDIO_TASK": "P:\\pipe\\tasks\\anim",
    }
    payload = plugins.payload([], key="env", env=workstation)
    payload["steps"] = [{"plugin": "DumpEnv", "module": "env_plugin", "order": 2.0}]
    payload["plugins"]["paths"] = ["P:\\pipe\\plugins"]
    job_id = add(store, payload)
    start_app(redis_port.url)

    job = farm.wait(lambda: finished(store, job_id), 40, "the job to finish")
    assert job.state == model.SUCCEEDED, (job.error, store.log(job_id))
    with open(os.path.join(plugins.markers, "env.json")) as f:
        seen = json.load(f)
    assert seen["PROJECT"] == "show1"
    assert seen["STUDIO_TASK"] == f"{tmp_path / 'node-root'}/pipe/tasks/anim"
    assert seen["PYBLISH_QML_QUEUE_HOME"] == str(tmp_path / "node-env-home")
    for name in ("HOME", "TMPDIR", "LD_LIBRARY_PATH", "DISPLAY"):
        assert seen.get(name) == os.environ.get(name), name  # the node's own, or none


@pytest.mark.parametrize(
    "path, rules, mapped",
    [
        ("P:\\show\\a.ma", [("P:/", "/mnt/p/")], "/mnt/p/show/a.ma"),
        ("p:/show/a.ma", [("P:\\", "/mnt/p")], "/mnt/p/show/a.ma"),
        ("/mnt/p/show/a.ma", [("/mnt/p/", "P:\\")], "P:\\show\\a.ma"),
        ("//fs01/pipe/x.py", [("\\\\fs01\\pipe\\", "/pipe/")], "/pipe/x.py"),
        ("/other/x", [("/mnt/p/", "P:/")], "/other/x"),
    ],
)
def test_studio_path_rules_map_windows_and_linux_roots(path, rules, mapped):
    from pyblish_qml_queue.queue.celery.farmenv import map_path

    assert map_path(path, rules) == mapped


def test_the_app_warns_when_the_brokers_redis_neither_persists_nor_refuses_eviction(
    redis_port,
):
    from pyblish_qml_queue.queue.celery.app import redis_client
    from pyblish_qml_queue.queue.celery.executor import redis_warnings

    client = redis_client(redis_port.url)
    client.config_set("maxmemory-policy", "allkeys-lru")
    lines = redis_warnings(client)
    assert len(lines) == 2 and "appendonly yes" in lines[0] and "noeviction" in lines[1]
    client.config_set("appendonly", "yes")
    client.config_set("maxmemory-policy", "noeviction")
    assert redis_warnings(client) == []
