"""The worker: a real ``python -m pyblish_qml_queue.worker`` subprocess on real plugins."""

import glob
import json
import os
import shutil
import subprocess

import plugins_fixture as pf
import pyblish.api
import pyblish.util
import pytest

from pyblish_qml_queue.host import job
from pyblish_qml_queue.queue.model import Job

pyblish_clean = pf.pyblish_clean
marks = pf.marks


def _payload():
    """A job built the real way: collected and validated here, then build_job."""
    context = pyblish.util.collect()
    pyblish.util.validate(context)
    return job.build_job(context)


def _steps(payload):
    return [s.to_dict() for s in Job.from_payload(payload).steps]


def _finished(events):
    return {e["index"]: e for e in events if e["event"] == "step_finished"}


def _run_here(done):
    """Markers of the worker's plugins (collection ran in the test process)."""
    return sorted(m for m in done if not m.startswith("Collect"))


def _ids(payload):
    return {i["name"]: i["id"] for i in payload["instances"]}


def test_full_run_processes_every_step_once_in_order(marks):
    payload = _payload()
    events, code, _err = pf.run_worker(payload)
    assert code == 0
    assert events[-1] == {"event": "job_finished", "state": "succeeded"}
    started = [e["index"] for e in events if e["event"] == "step_started"]
    assert started == list(range(len(payload["steps"])))
    assert all(e["state"] == "succeeded" for e in _finished(events).values())
    done = pf.markers(marks)
    assert done["ExtractModel.ben01"] == [str(marks / "ben01.abc")]
    assert len(done["IntegrateAll.ben02"]) == 1
    assert "ExtractModel.cam01" not in done and "ExtractOptional.ben01" not in done


def test_step_changes_record_set_and_removed_keys(marks):
    payload = _payload()
    finished = _finished(pf.run_worker(payload)[0])
    ben01 = _ids(payload)["ben01"]
    model = next(
        i
        for i, s in enumerate(payload["steps"])
        if s["plugin"] == "ExtractModel" and s["instance"] == "ben01"
    )
    assert finished[model]["changes"]["instances"][ben01]["set"] == {
        "outputPath": str(marks / "ben01.abc")
    }
    assert finished[model]["changes"]["context"]["set"] == {"extracted": ["ben01"]}
    integrate = next(
        i
        for i, s in enumerate(payload["steps"])
        if s["plugin"] == "IntegrateAll" and s["instance"] == "ben01"
    )
    assert finished[integrate]["changes"]["instances"][ben01] == {
        "set": {"published": True},
        "removed": ["frames"],
    }


def test_resume_skips_done_steps_and_replays_their_changes(marks):
    payload = _payload()
    first = _finished(pf.run_worker(payload)[0])
    for path in marks.iterdir():
        path.unlink()
    steps = _steps(payload)
    for step in steps:
        if step["order"] < pyblish.api.IntegratorOrder:  # extraction was done before
            step["state"] = first[step["index"]]["state"]
            step["changes"] = first[step["index"]]["changes"]

    events, code, _err = pf.run_worker(payload, steps)
    assert code == 0 and events[-1]["state"] == "succeeded"
    done = pf.markers(marks)
    assert sorted(done) == ["IntegrateAll.ben01", "IntegrateAll.ben02"]
    assert json.loads(done["IntegrateAll.ben01"][0])["outputPath"] == str(marks / "ben01.abc")


def test_instance_unpublished_by_an_earlier_step_is_skipped(marks):
    payload = _payload()
    steps = _steps(payload)
    steps[0]["state"] = "succeeded"  # ExtractGate, which "turned off" ben01
    steps[0]["changes"] = {"instances": {_ids(payload)["ben01"]: {"set": {"publish": False}}}}
    events, code, _err = pf.run_worker(payload, steps)
    skipped = [
        payload["steps"][i]["instance"]
        for i, e in _finished(events).items()
        if e["state"] == "skipped"
    ]
    assert code == 0 and events[-1]["state"] == "succeeded"
    assert skipped == ["ben01", "ben01"]  # ExtractModel and IntegrateAll
    assert "ExtractModel.ben01" not in pf.markers(marks)


def test_failed_step_stops_the_job(marks, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_BROKEN", "1")
    payload = _payload()
    events, code, _err = pf.run_worker(payload)
    assert code == 0
    failed = [e for e in _finished(events).values() if e["state"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["error"] == "disk full on purpose"
    assert "RuntimeError: disk full on purpose" in failed[0]["traceback"]
    assert "about to fail" in [r["message"] for r in failed[0]["records"]]
    assert events[-1]["event"] == "job_finished" and events[-1]["state"] == "failed"
    assert "disk full on purpose" in events[-1]["error"]
    done = pf.markers(marks)
    assert "ExtractBroken.broken01" in done
    assert "ExtractSummary.context" not in done
    assert not [m for m in done if m.startswith("IntegrateAll")]


def test_stop_control_is_honoured_between_steps(marks, tmp_path, monkeypatch):
    gate = tmp_path / "gate"
    monkeypatch.setenv("PQQ_TEST_GATE", str(gate))
    payload = _payload()
    worker = pf.Worker()
    worker.send(pf.worker_input(payload))
    worker.until(lambda e: e == {"event": "step_started", "index": 0})  # ExtractGate waits
    worker.send(json.dumps({"control": "stop"}) + "\n")
    gate.write_text("open")
    events, code, _err = worker.finish()
    assert code == 0
    assert [e["event"] for e in events] == ["step_finished", "job_finished"]
    assert events[0]["state"] == "succeeded"
    assert events[1] == {"event": "job_finished", "state": "stopped"}
    assert _run_here(pf.markers(marks)) == ["ExtractGate.context"]


def test_eof_on_stdin_stops_before_the_next_step(marks, tmp_path, monkeypatch):
    gate = tmp_path / "gate"
    monkeypatch.setenv("PQQ_TEST_GATE", str(gate))
    worker = pf.Worker()
    worker.send(pf.worker_input(_payload()))
    worker.until(lambda e: e.get("event") == "step_started")
    worker.proc.stdin.close()
    gate.write_text("open")
    events = []
    while True:
        event = worker.event()
        if event is None:
            break
        events.append(event)
    assert events[-1] == {"event": "job_finished", "state": "stopped"}
    assert worker.proc.wait(timeout=60) == 0
    assert _run_here(pf.markers(marks)) == ["ExtractGate.context"]


def test_plugin_output_goes_to_stderr_not_the_event_stream(marks):
    events, code, err = pf.run_worker(_payload())  # every stdout line parsed as JSON
    assert code == 0 and events[-1]["state"] == "succeeded"
    assert "a plugin print that is {not JSON" in err
    assert "a raw write to fd 1" in err


def test_missing_plugin_fails_its_step_naming_where_it_was_looked_for(marks):
    payload = _payload()
    payload["steps"][1]["plugin"] = "ExtractGone"
    events, code, _err = pf.run_worker(payload)
    failed = _finished(events)[1]
    assert code == 0 and failed["state"] == "failed"
    assert failed["error"].startswith("plugin extract_model.ExtractGone not found in paths [")
    assert str(marks.parent / "plugins") in failed["error"]
    assert events[-1]["state"] == "failed"


def test_job_env_is_applied_in_the_worker(marks, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_PROJECT", "alpha")
    monkeypatch.setenv("STUDIO_API_TOKEN", "t0k3n")
    events, code, _err = pf.run_worker(_payload(), env=pf.launch_env())
    assert code == 0 and events[-1]["state"] == "succeeded"
    integrated = json.loads(pf.markers(marks)["IntegrateAll.ben01"][0])
    assert integrated["project"] == "alpha"  # the launch env had no PQQ_TEST_* at all


def test_plugins_registered_by_module_are_imported_by_name(marks, tmp_path, monkeypatch):
    lib = pf.write_plugin(
        tmp_path / "lib",
        "studio_integrate.py",
        """
        import os
        import pyblish.api


        class IntegrateStudio(pyblish.api.ContextPlugin):
            order = pyblish.api.IntegratorOrder + 0.1

            def process(self, context):
                path = os.path.join(os.environ['PQQ_TEST_MARKERS'], 'IntegrateStudio.context')
                open(path, 'w').write(','.join(context.data['summary']))
        """,
    )
    monkeypatch.syspath_prepend(str(lib))
    monkeypatch.setenv("PYTHONPATH", str(lib))  # the host's path travels in the job's env
    import studio_integrate

    pyblish.api.register_plugin(studio_integrate.IntegrateStudio)
    payload = _payload()
    assert payload["plugins"]["modules"] == ["studio_integrate"]
    assert payload["steps"][-1]["module"] == "studio_integrate"
    events, code, _err = pf.run_worker(payload)
    assert code == 0 and events[-1]["state"] == "succeeded"
    assert pf.markers(marks)["IntegrateStudio.context"] == ["ben01,ben02"]


def test_progress_and_live_records_stream_during_the_step(marks):
    payload = _payload()
    events, _code, _err = pf.run_worker(payload)
    index = next(i for i, s in enumerate(payload["steps"]) if s["plugin"] == "ExtractModel")
    of_step = [e for e in events if e.get("index") == index]
    assert [e["event"] for e in of_step] == ["step_started", "progress", "record", "step_finished"]
    assert of_step[1]["fraction"] == 0.5 and of_step[1]["message"] == "half of ben01"
    record = of_step[2]["record"]
    assert record["name"] == "pyblish.ExtractModel" and record["level"] == "INFO"
    assert record["message"] == "extracted ben01 to %s" % (marks / "ben01.abc")
    assert record in of_step[3]["records"]


def test_non_json_data_set_by_a_plugin_is_left_out_with_a_warning(marks):
    payload = _payload()
    events, _code, _err = pf.run_worker(payload)
    index = next(i for i, s in enumerate(payload["steps"]) if s["plugin"] == "ExtractSummary")
    finished = _finished(events)[index]
    assert "summaryHandle" not in finished["changes"]["context"]["set"]
    warnings = [r["message"] for r in finished["records"] if r["level"] == "WARNING"]
    assert any("'summaryHandle' now holds a object" in w for w in warnings)
    later = [e for i, e in _finished(events).items() if i > index]
    assert later and not [r for e in later for r in e["records"] if r["level"] == "WARNING"]


def test_step_records_are_capped_with_a_note(marks, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_SPAM", "1200")
    payload = _payload()
    events, _code, _err = pf.run_worker(payload)
    index = next(i for i, s in enumerate(payload["steps"]) if s["plugin"] == "ExtractSummary")
    records = _finished(events)[index]["records"]
    assert len(records) == 1001
    assert records[0]["message"] == "201 earlier log records of this step were left out"
    assert len([e for e in events if e["event"] == "record" and e["index"] == index]) == 1200


def test_input_that_is_not_json_is_fatal(tmp_path):
    worker = pf.Worker()
    worker.send("this is not json\n")
    events, code, _err = worker.finish()
    assert code == 1
    assert [e["event"] for e in events] == ["fatal"]
    assert "not JSON" in events[0]["error"]


def test_a_plugin_module_that_cannot_be_imported_is_fatal(marks):
    payload = _payload()
    payload["plugins"]["modules"] = ["no_such_studio_module"]
    events, code, _err = pf.run_worker(payload)
    assert code == 1
    assert events == [
        {"event": "fatal", "error": events[0]["error"], "traceback": events[0]["traceback"]}
    ]
    assert "could not import plugin module 'no_such_studio_module'" in events[0]["error"]


def test_plugins_made_for_the_host_application_are_found(marks, tmp_path):
    folder = pf.write_plugin(
        tmp_path / "maya_plugins",
        "extract_maya.py",
        """
        import os
        import pyblish.api


        class ExtractMayaScene(pyblish.api.ContextPlugin):
            order = pyblish.api.ExtractorOrder
            hosts = ['maya']

            def process(self, context):
                path = os.path.join(os.environ['PQQ_TEST_MARKERS'], 'ExtractMayaScene.context')
                open(path, 'w').close()
        """,
    )
    pyblish.api.register_host("maya")
    pyblish.api.register_plugin_path(str(folder))
    payload = _payload()
    assert payload["host"]["application"] == "maya"
    events, code, _err = pf.run_worker(payload)
    assert code == 0 and events[-1]["state"] == "succeeded"
    assert "ExtractMayaScene.context" in pf.markers(marks)


def _other_pythons():
    """Interpreters standing in for mayapy / hython: PYBLISH_QML_QUEUE_TEST_PYTHONS
    (os.pathsep-separated), else any Python 3.7 found under pyenv or on PATH that runs."""
    named = os.environ.get("PYBLISH_QML_QUEUE_TEST_PYTHONS", "")
    if named.strip():
        return [p for p in named.split(os.pathsep) if p]
    candidates = sorted(glob.glob("/root/.pyenv/versions/3.7*/bin/python"))
    candidates.append(shutil.which("python3.7"))
    found = {}
    for python in filter(None, candidates):
        try:  # a pyenv shim is on PATH even when it cannot run 3.7; ask the interpreter
            out = subprocess.run(
                [python, "-c", "import sys; print(sys.executable)"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.strip():
            found.setdefault(os.path.realpath(out.stdout.strip()), python)
    return list(found.values())


_OTHER_PYTHONS = _other_pythons() or [
    pytest.param(
        None,
        marks=pytest.mark.skip(
            reason="no Python 3.7 found (pyenv or PATH); set PYBLISH_QML_QUEUE_TEST_PYTHONS"
        ),
    )
]


@pytest.mark.parametrize("python", _OTHER_PYTHONS)
def test_worker_runs_under_another_interpreter(marks, python):
    """The worker and the host code it imports run under Python 3.7, as in mayapy."""
    site = os.path.dirname(os.path.dirname(pyblish.__file__))  # pyblish, as the executor adds it
    worker = pf.Worker(pf.launch_env(PYTHONPATH=pf.ROOT + os.pathsep + site), python=python)
    worker.send(pf.worker_input(_payload()))
    events, code, err = worker.finish()
    assert code == 0, err
    assert events[-1] == {"event": "job_finished", "state": "succeeded"}
    assert "IntegrateAll.ben02" in pf.markers(marks)


def test_a_plugin_calling_sys_exit_fails_its_step_not_the_worker(marks, tmp_path):
    folder = pf.write_plugin(
        tmp_path / "exit_plugins",
        "extract_exit.py",
        """
        import sys
        import pyblish.api


        class ExtractExit(pyblish.api.ContextPlugin):
            order = pyblish.api.ExtractorOrder - 0.45

            def process(self, context):
                sys.exit(4)
        """,
    )
    pyblish.api.register_plugin_path(str(folder))
    events, code, _err = pf.run_worker(_payload())
    assert code == 0
    assert _finished(events)[0]["error"] == "the plugin called sys.exit(4)"
    assert events[-1]["state"] == "failed"
