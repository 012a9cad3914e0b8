"""Real farm plugins written into a tmp dir, and jobs that use them (farm-signal tests).

``SubmitFarm`` calls ``pyblish_qml_queue.expect_signal`` (timeout from the job's env
``FARM_TEST_TIMEOUT``) and writes what it returned to ``<markers>/signal.<instance>.json``;
every plugin appends a line per run to ``<markers>/<Plugin>.<instance or context>.runs``.
"""

import json
import os

from factories import make_payload

MODULE = "farm_test_plugins"

SOURCE = r"""
import json
import os

import pyblish.api

import pyblish_qml_queue


def _mark(plugin, where):
    path = os.path.join(os.environ["FARM_TEST_MARKERS"], "%s.%s.runs" % (plugin, where))
    with open(path, "a") as f:
        f.write("%d\n" % os.getpid())


class SubmitFarm(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark("SubmitFarm", instance.name)
        timeout = float(os.environ.get("FARM_TEST_TIMEOUT") or 0) or None
        signal = pyblish_qml_queue.expect_signal(instance, timeout=timeout)
        signal.farm_job = "dl-" + instance.name
        path = os.path.join(os.environ["FARM_TEST_MARKERS"], "signal.%s.json" % instance.name)
        with open(path, "w") as f:
            json.dump(dict(signal), f)
        instance.data["farmSubmitted"] = True


class Mark(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _mark("Mark", instance.name)


class Integrate(pyblish.api.InstancePlugin):
    order = pyblish.api.IntegratorOrder

    def process(self, instance):
        _mark("Integrate", instance.name)
        assert instance.data.get("farmSubmitted") or instance.name != "ben01", "lost the data"


class IntegrateContext(pyblish.api.ContextPlugin):
    order = pyblish.api.IntegratorOrder + 0.1

    def process(self, context):
        _mark("IntegrateContext", "context")


class NotAWorker(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        pyblish_qml_queue.expect_signal(instance.context)
"""


class Farm:
    """A plugin folder, a markers folder and job payloads that use them."""

    def __init__(self, root):
        self.plugin_dir = os.path.join(str(root), "farm_plugins")
        self.markers = os.path.join(str(root), "farm_markers")
        os.makedirs(self.plugin_dir, exist_ok=True)
        os.makedirs(self.markers, exist_ok=True)
        with open(os.path.join(self.plugin_dir, MODULE + ".py"), "w") as f:
            f.write(SOURCE)

    def payload(self, steps, timeout=None, n_instances=2):
        """A job of ``steps``: ``("SubmitFarm", 0)`` runs on ben01; ``("IntegrateContext",
        None)`` is a context step."""
        step_dicts = []
        for plugin, index in steps:
            order = 3.0 if plugin.startswith("Integrate") else 2.0
            step_dicts.append(
                {
                    "plugin": plugin,
                    "module": MODULE,
                    "order": order,
                    "instance": None if index is None else f"ben{index + 1:02d}",
                    "instance_id": None if index is None else f"inst-{index:02d}",
                }
            )
        env = {"FARM_TEST_MARKERS": self.markers}
        if timeout:
            env["FARM_TEST_TIMEOUT"] = str(timeout)
        return make_payload(
            n_instances=n_instances,
            steps=step_dicts,
            plugins={"paths": [self.plugin_dir], "modules": []},
            env=env,
        )

    def runs(self, plugin, where="ben01"):
        path = os.path.join(self.markers, f"{plugin}.{where}.runs")
        if not os.path.exists(path):
            return 0
        with open(path) as f:
            return len(f.read().splitlines())

    def signal_info(self, instance="ben01"):
        """What expect_signal returned to SubmitFarm on ``instance``."""
        with open(os.path.join(self.markers, f"signal.{instance}.json")) as f:
            return json.load(f)


#: The default farm job: a farm step on ben01, an extraction on ben02, both
#: integrated, then a context integration.
FARM_JOB = [
    ("SubmitFarm", 0),
    ("Mark", 1),
    ("Integrate", 0),
    ("Integrate", 1),
    ("IntegrateContext", None),
]
