"""Real pyblish plugins written into a tmp folder, and a real worker subprocess.

The plugins talk to the test through environment variables, so a test also
proves the job's env reaches the worker:

- ``PQQ_TEST_MARKERS``: folder where plugins append one line per run to a
  marker file named ``<Plugin>.<instance or context>``.
- ``PQQ_TEST_BROKEN``: set, the collector adds an instance ``broken01`` that
  ExtractBroken fails on.
- ``PQQ_TEST_INVALID``: set, ValidateNames fails on ``ben01``.
- ``PQQ_TEST_GATE``: a file path; ExtractGate waits until it exists.
- ``PQQ_TEST_PROJECT``: IntegrateAll writes it into its marker.
- ``PQQ_TEST_SPAM``: ExtractSummary logs this many debug lines.

Instances: ben01 (model), ben02 (model + review), cam01 (camera, publish
False) and, with PQQ_TEST_BROKEN, broken01 (broken).
"""

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pyblish.api
import pyblish.plugin
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_HEADER = """\
import os
import sys
import time

import pyblish.api


def mark(name, text=""):
    folder = os.environ["PQQ_TEST_MARKERS"]
    with open(os.path.join(folder, name), "a") as f:
        f.write(text + "\\n")
"""

PLUGINS = {
    "collect_instances.py": """
class CollectInstances(pyblish.api.ContextPlugin):
    order = pyblish.api.CollectorOrder

    def process(self, context):
        mark("CollectInstances.context")
        context.data["collectRuns"] = context.data.get("collectRuns", 0) + 1
        context.data["currentFile"] = "/shots/sh010/anim_v003.ma"
        context.create_instance("ben01", family="model", frames=[1, 2])
        context.create_instance("ben02", family="model", families=["review"])
        context.create_instance("cam01", family="camera", publish=False)
        if os.environ.get("PQQ_TEST_BROKEN"):
            context.create_instance("broken01", family="broken")
""",
    "validate_names.py": """
class ValidateNames(pyblish.api.InstancePlugin):
    order = pyblish.api.ValidatorOrder

    def process(self, instance):
        if os.environ.get("PQQ_TEST_INVALID") and instance.name == "ben01":
            raise ValueError("name %s is not valid" % instance.name)
""",
    "extract_gate.py": """
class ExtractGate(pyblish.api.ContextPlugin):
    order = pyblish.api.ExtractorOrder - 0.4

    def process(self, context):
        gate = os.environ.get("PQQ_TEST_GATE")
        deadline = time.time() + 60
        while gate and not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.01)
        mark("ExtractGate.context")
""",
    "extract_model.py": """
from pyblish_qml_queue.common import progress


class ExtractModel(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    families = ["model"]
    label = "Extract model"

    def process(self, instance):
        path = os.path.join(os.environ["PQQ_TEST_MARKERS"], instance.name + ".abc")
        mark("ExtractModel." + instance.name, path)
        progress.report(0.5, "half of " + instance.name)
        self.log.info("extracted %s to %s", instance.name, path)
        instance.data["outputPath"] = path
        context = instance.context
        context.data["extracted"] = context.data.get("extracted", []) + [instance.name]
""",
    "extract_optional.py": """
class ExtractOptional(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    families = ["model"]
    optional = True
    active = False

    def process(self, instance):
        mark("ExtractOptional." + instance.name)
""",
    "extract_farm_only.py": """
class ExtractFarmOnly(pyblish.api.ContextPlugin):
    order = pyblish.api.ExtractorOrder
    targets = ["farm"]

    def process(self, context):
        mark("ExtractFarmOnly.context")
""",
    "extract_subset.py": """
class ExtractSubset(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder + 0.05
    families = ["model", "review"]
    match = pyblish.api.Subset

    def process(self, instance):
        mark("ExtractSubset." + instance.name)
""",
    "extract_review.py": """
class ExtractReview(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder + 0.1
    families = ["review"]

    def process(self, instance):
        print("a plugin print that is {not JSON")
        sys.stdout.flush()
        os.write(1, b"a raw write to fd 1\\n")
        mark("ExtractReview." + instance.name)
""",
    "extract_broken.py": """
class ExtractBroken(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder + 0.2
    families = ["broken"]

    def process(self, instance):
        mark("ExtractBroken." + instance.name)
        self.log.warning("about to fail")
        raise RuntimeError("disk full on purpose")
""",
    "extract_summary.py": """
class ExtractSummary(pyblish.api.ContextPlugin):
    order = pyblish.api.ExtractorOrder + 0.3

    def process(self, context):
        mark("ExtractSummary.context", ",".join(context.data.get("extracted", [])))
        context.data["summary"] = sorted(context.data.get("extracted", []))
        context.data["summaryHandle"] = object()  # cannot travel: left out of changes
        for n in range(int(os.environ.get("PQQ_TEST_SPAM", "0"))):
            self.log.debug("line %d", n)
""",
    "integrate_all.py": """
class IntegrateAll(pyblish.api.InstancePlugin):
    order = pyblish.api.IntegratorOrder
    families = ["model", "review", "broken"]

    def process(self, instance):
        if instance.data["family"] == "model" and "outputPath" not in instance.data:
            raise KeyError("outputPath missing on %s: extraction did not run" % instance.name)
        mark("IntegrateAll." + instance.name, json.dumps({
            "outputPath": instance.data.get("outputPath"),
            "project": os.environ.get("PQQ_TEST_PROJECT"),
        }))
        instance.data.pop("frames", None)
        instance.data["published"] = True
""",
}


def write_plugins(folder):
    """Write the plugin files into ``folder`` (created); returns its path as str."""
    folder = str(folder)
    os.makedirs(folder, exist_ok=True)
    for name, body in PLUGINS.items():
        header = _HEADER + ("import json\n" if "json." in body else "")
        with open(os.path.join(folder, name), "w") as f:
            f.write(header + "\n" + textwrap.dedent(body))
    return folder


def write_plugin(folder, filename, source):
    """Write one plugin file ``filename`` of ``source`` (dedented) into ``folder``
    (created); returns the folder's path as str."""
    folder = str(folder)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, filename), "w") as f:
        f.write(textwrap.dedent(source))
    return folder


def markers(folder):
    """``{marker name: [lines]}`` of what the plugins wrote."""
    out = {}
    for name in sorted(os.listdir(str(folder))):
        if "." in name and not name.endswith(".abc"):
            with open(os.path.join(str(folder), name)) as f:
                out[name] = f.read().splitlines()
    return out


@contextlib.contextmanager
def pyblish_state():
    """Restore pyblish's registries (paths, plugins, targets, hosts) afterwards."""
    paths = pyblish.api.registered_paths()
    plugins = list(pyblish.plugin._registered_plugins.values())
    targets = pyblish.api.registered_targets()
    hosts = pyblish.api.registered_hosts()
    try:
        yield
    finally:
        pyblish.api.deregister_all_paths()
        for path in paths:
            pyblish.api.register_plugin_path(path)
        pyblish.api.deregister_all_plugins()
        for plugin in plugins:
            pyblish.plugin._registered_plugins[plugin.__name__] = plugin
        pyblish.api.deregister_all_targets()
        for target in targets:
            pyblish.api.register_target(target)
        pyblish.api.deregister_all_hosts()
        for host in hosts:
            pyblish.api.register_host(host)


@pytest.fixture(autouse=True)
def pyblish_clean():
    """pyblish's registries restored after each test (autouse where imported)."""
    with pyblish_state():
        yield


@pytest.fixture
def marks(tmp_path, monkeypatch):
    """The fixture plugins registered; returns their marker folder."""
    folder = tmp_path / "markers"
    folder.mkdir()
    monkeypatch.setenv("PQQ_TEST_MARKERS", str(folder))
    pyblish.api.register_plugin_path(write_plugins(tmp_path / "plugins"))
    return folder


def launch_env(**extra):
    """A bare environment for the worker: no PQQ_TEST_* (those come from the job)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": ROOT,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env


def worker_input(payload, steps=None):
    """The worker's first stdin line for ``payload`` (steps from the job model)."""
    from pyblish_qml_queue.queue.model import Job

    if steps is None:
        steps = [s.to_dict() for s in Job.from_payload(payload).steps]
    body = dict((k, v) for k, v in payload.items() if k != "steps")
    return json.dumps({"payload": body, "steps": steps}) + "\n"


class Worker:
    """A real ``python -m pyblish_qml_queue.worker`` child; stdin stays open until closed.

    stdout is read by a thread into a queue, so waits have a deadline; stderr
    goes to a file so a chatty plugin cannot block the child.
    """

    def __init__(self, env=None, python=None):
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [python or sys.executable, "-m", "pyblish_qml_queue.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env or launch_env(),
            cwd=ROOT,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, text):
        self.proc.stdin.write(text.encode("utf-8"))
        self.proc.stdin.flush()

    def event(self, timeout=60):
        """The next event (every stdout line must be JSON), None at EOF."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the worker sent no event within {timeout} s")
        return None if line is None else json.loads(line.decode("utf-8"))

    def until(self, predicate, timeout=60):
        """Events up to and including the first one ``predicate`` accepts."""
        deadline = time.time() + timeout
        seen = []
        while True:
            event = self.event(max(0.01, deadline - time.time()))
            if event is None:
                raise AssertionError(f"the worker ended before the awaited event: {seen!r}")
            seen.append(event)
            if predicate(event):
                return seen

    def finish(self, timeout=60):
        """All remaining events, then close stdin; returns (events, exit code, stderr)."""
        events = []
        deadline = time.time() + timeout
        while True:
            event = self.event(max(0.01, deadline - time.time()))
            if event is None:
                break
            events.append(event)
        self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()
        return events, code, err


def run_worker(payload, steps=None, env=None, timeout=60):
    """Run a worker to the end on ``payload``; returns (events, exit code, stderr)."""
    worker = Worker(env)
    worker.send(worker_input(payload, steps))
    return worker.finish(timeout)
