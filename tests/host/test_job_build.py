"""Building a job payload from a collected pyblish Context: host/job.py and the modules it
uses (plan, locate, jsonsafe, env)."""

import math
import sys

import plugins_fixture as pf
import pyblish.api
import pyblish.util
import pytest

from pyblish_qml_queue.common import jsonsafe, locate
from pyblish_qml_queue.host import env, job, plan
from pyblish_qml_queue.queue.model import Job

pyblish_clean = pf.pyblish_clean
marks = pf.marks


def _collected():
    context = pyblish.util.collect()
    pyblish.util.validate(context)
    return context


def _pairs(steps):
    return [(s["plugin"], s["instance"]) for s in steps]


# -- plan.plan_steps -------------------------------------------------------------------


def test_plan_steps_matches_what_pyblish_publish_processes_from_extraction_on(marks, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_BROKEN", "1")  # a failing extractor must not change the plan
    planned = plan.plan_steps(_collected(), pyblish.api.discover())

    published = pyblish.util.publish()
    processed = [
        (r["plugin"].__name__, None if r["instance"] is None else r["instance"].name)
        for r in published.data["results"]
        if r["plugin"].order >= pyblish.api.ExtractorOrder - 0.5
    ]
    assert _pairs(planned) == processed
    assert ("ExtractBroken", "broken01") in processed


def test_plan_steps_leaves_out_unpublished_instances_inactive_plugins_and_other_targets(marks):
    pairs = _pairs(plan.plan_steps(_collected(), pyblish.api.discover()))
    assert not [p for p in pairs if p[1] == "cam01"]
    assert not [p for p in pairs if p[0] in ("ExtractOptional", "ExtractFarmOnly")]
    assert ("ExtractSubset", "ben02") in pairs and ("ExtractSubset", "ben01") not in pairs


def test_plan_steps_uses_the_given_targets(marks):
    pairs = _pairs(plan.plan_steps(_collected(), pyblish.api.discover(), targets=["farm"]))
    assert pairs == [("ExtractFarmOnly", None)]


def test_plan_steps_ignores_validation_errors(marks, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_INVALID", "1")
    context = _collected()
    assert any(r["error"] for r in context.data["results"])
    assert ("IntegrateAll", "ben01") in _pairs(plan.plan_steps(context, pyblish.api.discover()))


def test_plan_steps_names_path_plugins_by_file_stem(marks):
    steps = plan.plan_steps(_collected(), pyblish.api.discover())
    model = next(s for s in steps if s["plugin"] == "ExtractModel")
    assert model["module"] == "extract_model"
    assert model["label"] == "Extract model"
    assert model["order"] == pyblish.api.ExtractorOrder


# -- build_job ----------------------------------------------------------------------


def test_build_job_payload_is_accepted_by_the_job_model(marks):
    context = _collected()
    payload = job.build_job(context)
    model = Job.from_payload(payload)
    assert model.id == payload["id"] and len(payload["id"]) == 32
    assert len(model.steps) == len(payload["steps"]) == 8
    ids = {i.name: i.id for i in context}
    assert {i["name"]: i["id"] for i in payload["instances"]} == ids
    ben02 = next(i for i in payload["instances"] if i["name"] == "ben02")
    assert ben02["families"] == ["model", "review"]
    assert payload["host"]["scene"] == "/shots/sh010/anim_v003.ma"
    assert payload["host"]["application"] == "python"
    assert payload["title"] == "anim_v003.ma: ben01, ben02, cam01"
    assert payload["targets"] == ["default"]


def test_build_job_refuses_non_json_data_naming_instance_and_key(marks):
    context = _collected()

    class MFnMesh:
        pass

    next(i for i in context if i.name == "ben01").data["mesh"] = MFnMesh()
    with pytest.raises(job.NotJsonSafe) as caught:
        job.build_job(context)
    message = str(caught.value)
    assert "instance 'ben01' data key 'mesh' holds a MFnMesh" in message
    assert "Remove it in a collector or store a path instead." in message


def test_build_job_refuses_non_json_context_data(marks):
    context = _collected()
    context.data["camera"] = {"node": object()}
    with pytest.raises(job.NotJsonSafe, match=r"context data key 'camera' at \['node'\] holds"):
        job.build_job(context)


def test_build_job_leaves_out_only_pyblish_results(marks):
    context = _collected()
    assert context.data["results"]
    data = job.build_job(context)["context"]["data"]
    assert "results" not in data
    assert set(data) == set(context.data) - {"results"}


def test_build_job_env_has_no_secrets(marks, monkeypatch):
    monkeypatch.setenv("STUDIO_API_TOKEN", "t0k3n")
    monkeypatch.setenv("PQQ_TEST_PROJECT", "alpha")
    handed_off = job.build_job(_collected())["env"]
    assert "STUDIO_API_TOKEN" not in handed_off
    assert handed_off["PQQ_TEST_PROJECT"] == "alpha"


def test_build_job_python_comes_from_env_var_unless_given(marks, monkeypatch):
    context = _collected()
    monkeypatch.setenv("PYBLISH_QML_QUEUE_WORKER_PYTHON", "/opt/maya/bin/mayapy")
    assert job.build_job(context)["python"] == "/opt/maya/bin/mayapy"
    assert job.build_job(context, python="/usr/bin/hython")["python"] == "/usr/bin/hython"
    monkeypatch.delenv("PYBLISH_QML_QUEUE_WORKER_PYTHON")
    assert job.build_job(context)["python"] is None


def test_build_job_refuses_a_plugin_defined_in_main():
    class ExtractInMain(pyblish.api.ContextPlugin):
        order = pyblish.api.ExtractorOrder

    ExtractInMain.__module__ = "__main__"
    with pytest.raises(job.PluginNotLocatable, match="ExtractInMain is defined in __main__"):
        job.build_job(pyblish.api.Context(), plugins=[ExtractInMain])


# -- locate.plugin_sources -------------------------------------------------------------------


def test_plugin_sources_lists_paths_and_only_importable_modules(marks, tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "studio_extract.py").write_text(
        "import pyblish.api\n\n\nclass ExtractStudio(pyblish.api.ContextPlugin):\n"
        "    order = pyblish.api.ExtractorOrder\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.delitem(sys.modules, "studio_extract", raising=False)
    import studio_extract

    pyblish.api.register_plugin(studio_extract.ExtractStudio)
    monkeypatch.setenv("PYBLISHPLUGINPATH", str(tmp_path / "env_plugins"))
    sources = locate.plugin_sources(pyblish.api.discover())
    assert sources["modules"] == ["studio_extract"]
    assert str(tmp_path / "plugins") in sources["paths"]
    assert sources["paths"][-1] == str(tmp_path / "env_plugins")


# -- jsonsafe.check_json_safe ---------------------------------------------------------------------


def test_check_json_safe_accepts_nested_json_and_tuples():
    jsonsafe.check_json_safe({"a": [1, 2.5, None, True, ("x", {"b": "c"})]}, "here")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_check_json_safe_rejects_nan_and_infinities(value):
    with pytest.raises(jsonsafe.NotJsonSafe, match=r"here at \['f'\] holds"):
        jsonsafe.check_json_safe({"f": value}, "here")


def test_check_json_safe_rejects_non_str_keys():
    with pytest.raises(jsonsafe.NotJsonSafe, match="has the key 1 \\(a int\\)"):
        jsonsafe.check_json_safe({1: "one"}, "here")


def test_check_json_safe_rejects_cycles():
    loop = {"items": []}
    loop["items"].append(loop)
    with pytest.raises(jsonsafe.NotJsonSafe, match="cycle"):
        jsonsafe.check_json_safe(loop, "here")


def test_check_json_safe_accepts_the_same_list_twice_without_a_cycle():
    shared = [1, 2]
    jsonsafe.check_json_safe({"a": shared, "b": shared}, "here")


def test_not_json_safe_is_a_value_error():
    assert issubclass(jsonsafe.NotJsonSafe, ValueError)


# -- env.filter_env ---------------------------------------------------------------------------


def test_filter_env_drops_default_secret_names_case_insensitively(monkeypatch):
    monkeypatch.delenv("PYBLISH_QML_QUEUE_ENV_DENY", raising=False)
    environ = {
        "PROJECT": "alpha",
        "github_token": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "DB_Password": "z",
        "SSH_AUTH_SOCK": "s",
        "MY_PASSWD": "p",
        "CREDENTIALS": "c",
    }
    assert env.filter_env(environ) == {"PROJECT": "alpha"}


def test_filter_env_deny_list_from_env_var_replaces_the_default(monkeypatch):
    monkeypatch.setenv("PYBLISH_QML_QUEUE_ENV_DENY", "STUDIO_*, *_PRIVATE")
    environ = {"STUDIO_DB": "a", "X_PRIVATE": "b", "GITHUB_TOKEN": "c", "SHOT": "d"}
    assert env.filter_env(environ) == {"GITHUB_TOKEN": "c", "SHOT": "d"}


def test_filter_env_deny_argument_wins_over_the_env_var(monkeypatch):
    monkeypatch.setenv("PYBLISH_QML_QUEUE_ENV_DENY", "SHOT")
    assert env.filter_env({"SHOT": "d", "TASK": "e"}, deny=["task"]) == {"SHOT": "d"}
