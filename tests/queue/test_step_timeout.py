"""A hung step does not hold its slot for ever: a plugin's ``queue_timeout`` (or the job's
``step_timeout``) stops it; the step's run counts as an attempt, and the job ends with the
reason."""

from factories import make_payload
from queue_support import add, wait_finished

PLUGINS = r"""
import os
import time
import pyblish.api


class Hangs(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    queue_timeout = 1

    def process(self, instance):
        with open(os.path.join(os.environ["HANG_MARKERS"], "hangs"), "a") as f:
            f.write("x")
        time.sleep(60)


class HangsWithoutItsOwnTimeout(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        time.sleep(60)
"""


def _payload(tmp_path, plugin, **extra):
    folder = tmp_path / "hang_plugins"
    folder.mkdir(exist_ok=True)
    (folder / "hang.py").write_text(PLUGINS)
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    step = {"plugin": plugin, "module": "hang", "order": 2.0, "instance": "ben01",
            "instance_id": "inst-00"}  # fmt: skip
    payload = make_payload(
        steps=[step],
        plugins={"paths": [str(folder)], "modules": []},
        env={"HANG_MARKERS": str(markers)},
        max_attempts=2,
        **extra,
    )
    return payload, markers


def test_a_plugins_queue_timeout_stops_the_step_and_counts_as_an_attempt(
    tmp_path, store, start_executor
):
    start_executor(grace=0.5)
    payload, markers = _payload(tmp_path, "Hangs")
    job = wait_finished(store, add(store, payload), timeout=60)
    assert job.state == "failed"
    assert job.error == "gave up after 2 attempts: step 0 (Hangs on ben01) timed out after 1 s"
    assert (markers / "hangs").read_text() == "xx"  # ran once per attempt
    assert job.attempts == 2


def test_the_jobs_step_timeout_applies_to_plugins_without_their_own(
    tmp_path, store, start_executor
):
    start_executor(grace=0.5)
    payload, _ = _payload(tmp_path, "HangsWithoutItsOwnTimeout", step_timeout=0.5)
    payload["max_attempts"] = 1
    job = wait_finished(store, add(store, payload), timeout=60)
    assert job.state == "failed" and "timed out after 0.5 s" in job.error
