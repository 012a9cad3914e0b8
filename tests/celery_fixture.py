"""A real redis-server and real Celery farm nodes (``pyblish-qml-queue worker``) for tests.

Import only after ``pytest.importorskip("celery")`` and ``("redis")``.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys

import pytest
from conftest import ROOT
from waiting import wait_until

from pyblish_qml_queue.queue.celery.app import redis_client

REDIS = shutil.which("redis-server")

#: Runs the CLI (python -c LAUNCH verb ...).
LAUNCH = "import sys; from pyblish_qml_queue.cli.command import main; sys.exit(main(sys.argv[1:]))"

#: A plugin telling which farm node ran it (the node's FARM_NODE variable).
WHERE = r"""
import os
import pyblish.api


class Where(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        key = instance.context.data.get("marker_key", "job")
        path = os.path.join(os.environ["QUEUE_TEST_MARKERS"], key + ".node")
        with open(path, "a") as f:
            f.write(os.environ.get("FARM_NODE", "?") + "\n")
"""

#: The one step of a job running WHERE (on the test plugins' first instance).
WHERE_STEP = {
    "plugin": "Where",
    "module": "where_plugin",
    "order": 2.0,
    "instance": "ben01",
    "instance_id": "inst-00",
}


def where_plugin_dir(tmp_path):
    """Write WHERE as ``where_plugin`` into ``tmp_path/where`` and return that folder."""
    where_dir = tmp_path / "where"
    where_dir.mkdir(exist_ok=True)
    (where_dir / "where_plugin.py").write_text(WHERE)
    return where_dir


def ran_on(plugins, key):
    """The farm nodes WHERE ran on for the job marked ``key``, in order."""
    with open(os.path.join(plugins.markers, key + ".node")) as f:
        return f.read().split()


def free_port():
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder, port):
    """Start redis-server on ``port`` and wait until it answers; skip without one."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    os.makedirs(folder, exist_ok=True)
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def answers():
        try:
            return redis_client(url).ping()
        except Exception:
            return False

    wait_until(answers, 10, "redis-server to answer")
    return proc


def stop(proc):
    """Kill a process (if it still runs) and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


class Farm:
    """Celery worker processes (``pyblish-qml-queue worker``) on this machine."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.nodes = {}

    def start(self, broker, queues, name, *args):
        """Start the node ``name`` serving ``queues``; ``args``: more ``worker`` options."""
        log_path = self.tmp_path / f"node-{name}.log"
        env = dict(os.environ, FARM_NODE=name, PYTHONPATH=ROOT)
        env["PYBLISH_QML_QUEUE_HOME"] = str(self.tmp_path / f"node-{name}-home")
        # the job variables the test plugins read (a node takes only allowed ones)
        env.setdefault("PYBLISH_QML_QUEUE_FARM_ENV", "QUEUE_TEST_MARKERS,FARM_TEST_*")
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, "worker", "--queues", queues, "--broker", broker]
                + ["--concurrency", "1", "--name", f"{name}@%h", "--node-lease", "2"]
                + ["--redeliver-after", "3", *args],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.nodes[name] = proc
        wait_until(lambda: self._ready(proc, log_path), 30, f"farm node {name} to be ready")
        return proc

    def _ready(self, proc, log_path):
        if proc.poll() is not None:
            raise AssertionError(f"the farm node exited: {log_path.read_text()}")
        return b" ready." in log_path.read_bytes()

    def wait(self, predicate, timeout, what):
        """wait_until, with the tail of every node's log in the failure message."""
        try:
            return wait_until(predicate, timeout, what)
        except AssertionError as exc:
            tails = [
                f"--- node {name}:\n" + (self.tmp_path / f"node-{name}.log").read_text()[-3000:]
                for name in self.nodes
            ]
            raise AssertionError("\n".join([str(exc), *tails])) from None

    def stop_all(self):
        for proc in self.nodes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
