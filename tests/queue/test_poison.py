"""Text a plugin produces (errors, log records, titles, names) is stored safely, whatever it
holds: a lone surrogate (a file name that is not UTF-8) never stops the queue."""

from factories import make_payload
from queue_support import add, wait_finished
from waiting import wait_until

#: A file name that is not UTF-8, as Python decodes it on Linux.
BAD = b"/p/\xff.abc".decode("utf-8", "surrogateescape")

PLUGINS = r"""
import os
import pyblish.api

BAD = b"/p/\xff.abc".decode("utf-8", "surrogateescape")


def _count(name):
    with open(os.path.join(os.environ["POISON_MARKERS"], name), "a") as f:
        f.write("x")


class LogsBadName(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        _count("logs")
        self.log.warning("writing %s", BAD)
        instance.data["written"] = BAD


class FailsOnBadName(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder + 0.1

    def process(self, instance):
        _count("fails")
        raise IOError(BAD)
"""


def _payload(tmp_path, steps, title="caches"):
    folder = tmp_path / "poison_plugins"
    folder.mkdir(exist_ok=True)
    (folder / "poison.py").write_text(PLUGINS)
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    step_dicts = [
        {"plugin": p, "module": "poison", "order": 2.0 + n * 0.1, "instance": "ben01",
         "instance_id": "inst-00"}
        for n, p in enumerate(steps)
    ]  # fmt: skip
    return make_payload(
        title=title,
        steps=step_dicts,
        plugins={"paths": [str(folder)], "modules": []},
        env={"POISON_MARKERS": str(markers)},
    ), markers


def _runs(markers, name):
    path = markers / name
    return len(path.read_text()) if path.exists() else 0


def test_a_step_failing_with_a_non_utf8_file_name_fails_the_job_once(tmp_path, store, executor):
    payload, markers = _payload(tmp_path, ["LogsBadName", "FailsOnBadName"])
    job_id = add(store, payload)
    job = wait_finished(store, job_id, timeout=60)
    assert job.state == "failed"
    assert "\\udcff" in job.error or "\ufffd" in job.error  # escaped, readable
    assert [s.state for s in job.steps] == ["succeeded", "failed"]
    assert _runs(markers, "logs") == 1 and _runs(markers, "fails") == 1  # no loop
    assert "p/" in job.steps[1].error
    # The job's end goes into its log just after its state (RunRecords.end).
    wait_until(
        lambda: "failed" in " ".join(line["message"] for line in store.log(job_id)),
        timeout=10,
        what="the job's log to say it failed",
    )


def test_a_title_that_is_not_utf8_is_stored_escaped(tmp_path, store, executor):
    payload, markers = _payload(tmp_path, ["LogsBadName"], title=f"caches of {BAD}")
    job_id = add(store, payload)
    job = wait_finished(store, job_id, timeout=60)
    assert job.state == "succeeded"
    assert job.title == "caches of /p/\\udcff.abc"
    assert _runs(markers, "logs") == 1
