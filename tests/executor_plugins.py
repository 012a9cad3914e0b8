"""Real pyblish plugins for executor, crash and CLI tests, written into a tmp dir.

Every plugin appends one line (its pid) per run to
``<markers>/<marker_key>__<plugin>__<instance>.runs``, so a test counts how
often each step ran. ``marker_key`` comes from the job's context data (the
job title by default) and the markers folder from the job's env
``QUEUE_TEST_MARKERS``, so the worker must apply both.
"""

import os
import uuid

from factories import make_payload

MODULE = "queue_test_plugins"

SOURCE = r'''
import os
import signal
import time

import pyblish.api


def _folder():
    return os.environ["QUEUE_TEST_MARKERS"]


def _key(context):
    return context.data.get("marker_key", "job")


def _mark(context, plugin, instance):
    name = "%s__%s__%s.runs" % (_key(context), plugin, instance.name)
    with open(os.path.join(_folder(), name), "a") as f:
        f.write("%d\n" % os.getpid())


def _wait_for(path, timeout):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            return False
        time.sleep(0.01)
    return True


class Mark(pyblish.api.InstancePlugin):
    """Marks its run; nothing else."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Mark", instance)
        instance.data["marked"] = True


class Tick(pyblish.api.InstancePlugin):
    """Marks its run, then takes 80 ms, like a tiny extraction."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Tick", instance)
        time.sleep(0.08)


class Fail(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Fail", instance)
        raise RuntimeError("Fail failed on purpose")


class FailUnlessFixed(pyblish.api.InstancePlugin):
    """Fails until a file named ``fixed`` exists in the markers folder."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "FailUnlessFixed", instance)
        if not os.path.exists(os.path.join(_folder(), "fixed")):
            raise RuntimeError("not fixed yet")


class Hold(pyblish.api.InstancePlugin):
    """Writes its pid to ``<key>.pid``, then waits for a ``release`` file (30 s at most)."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Hold", instance)
        pid_file = os.path.join(_folder(), _key(instance.context) + ".pid")
        with open(pid_file + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.replace(pid_file + ".tmp", pid_file)
        if not _wait_for(os.path.join(_folder(), "release"), 30):
            raise RuntimeError("never released")


class Die(pyblish.api.InstancePlugin):
    """Kills its own worker with SIGKILL."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Die", instance)
        os.kill(os.getpid(), signal.SIGKILL)


class Span(pyblish.api.InstancePlugin):
    """Appends 'start <key>' and 'end <key>' around a short wait to ``spans``."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Span", instance)
        path = os.path.join(_folder(), "spans")
        with open(path, "a") as f:
            f.write("start %s\n" % _key(instance.context))
        time.sleep(0.3)
        with open(path, "a") as f:
            f.write("end %s\n" % _key(instance.context))


class Meet(pyblish.api.InstancePlugin):
    """Succeeds only if another job's Meet runs at the same time (waits 20 s at most)."""
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark(instance.context, "Meet", instance)
        key = _key(instance.context)
        open(os.path.join(_folder(), key + ".arrived"), "w").close()
        deadline = time.time() + 20
        while time.time() < deadline:
            others = [n for n in os.listdir(_folder())
                      if n.endswith(".arrived") and n != key + ".arrived"]
            if others:
                return
            time.sleep(0.01)
        raise RuntimeError("met nobody")
'''


def write_plugins(folder):
    """Write the plugin module into ``folder`` (created); returns its path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, MODULE + ".py")
    with open(path, "w") as f:
        f.write(SOURCE)
    return path


class Plugins:
    """A plugin folder and a markers folder, plus job payloads that use them."""

    def __init__(self, root):
        self.plugin_dir = os.path.join(str(root), "plugins")
        self.markers = os.path.join(str(root), "markers")
        os.makedirs(self.markers, exist_ok=True)
        write_plugins(self.plugin_dir)

    def payload(self, steps, key=None, n_instances=3, **extra):
        """A job running ``steps``: names like ``"Mark"`` (on ben01) or
        ``("Mark", 2)`` (on the instance of that index)."""
        key = key or uuid.uuid4().hex[:10]
        step_dicts = []
        for step in steps:
            plugin, index = (step, 0) if isinstance(step, str) else step
            step_dicts.append(
                {
                    "plugin": plugin,
                    "module": MODULE,
                    "order": 2.0,
                    "instance": f"ben{index + 1:02d}",
                    "instance_id": f"inst-{index:02d}",
                }
            )
        extra.setdefault("env", {})
        extra["env"] = dict(extra["env"], QUEUE_TEST_MARKERS=self.markers)
        return make_payload(
            title=extra.pop("title", key),
            n_instances=n_instances,
            steps=step_dicts,
            plugins={"paths": [self.plugin_dir], "modules": []},
            context={"data": {"marker_key": key}},
            **extra,
        )

    def runs(self, key, plugin, instance="ben01"):
        """How many times ``plugin`` ran on ``instance`` for the job with ``key``."""
        path = os.path.join(self.markers, f"{key}__{plugin}__{instance}.runs")
        if not os.path.exists(path):
            return 0
        with open(path) as f:
            return len(f.read().splitlines())

    def all_runs(self):
        """``{marker file name: runs}`` for every step that ran."""
        out = {}
        for name in os.listdir(self.markers):
            if name.endswith(".runs"):
                with open(os.path.join(self.markers, name)) as f:
                    out[name] = len(f.read().splitlines())
        return out

    def pid(self, key):
        """The pid a Hold step wrote, or None."""
        try:
            with open(os.path.join(self.markers, key + ".pid")) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def release(self):
        """Let every Hold step finish."""
        open(os.path.join(self.markers, "release"), "w").close()

    def fix(self):
        """Let FailUnlessFixed succeed."""
        open(os.path.join(self.markers, "fixed"), "w").close()
