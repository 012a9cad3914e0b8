"""The demo's own plugins when two runs of a host meet on disk (no race, no shared version)."""

import importlib.util
import os

import pyblish.api
import pytest
from conftest import ROOT

PLUGINS = os.path.join(ROOT, "pyblish_qml_queue", "demo", "plugins")


def load(name):
    spec = importlib.util.spec_from_file_location(
        f"demo_{name}", os.path.join(PLUGINS, f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("PYBLISH_QML_QUEUE_DEMO_SECONDS", "0")
    monkeypatch.setenv("PYBLISH_QML_QUEUE_DEMO_HOST", "maya")
    context = pyblish.api.Context()
    context.data.update(demoRoot=str(tmp_path), shot="sh0140")
    made = context.create_instance("ben01")
    made.data.update(frameStart=1001, frameEnd=1003, families=["pointcache"])
    return made


def test_the_extractor_writes_into_a_folder_another_run_made_meanwhile(instance, monkeypatch):
    folder = os.path.join(instance.context.data["demoRoot"], "work", "maya", "extract", "ben01")
    isdir = os.path.isdir

    def look(path):  # the other run makes the folder just after this one looked
        if path == folder and not isdir(folder):
            os.makedirs(folder)
            return False
        return isdir(path)

    monkeypatch.setattr(os.path, "isdir", look)

    load("extract_demo").ExtractDemoPointcache().process(instance)

    assert sorted(os.listdir(folder)) == [f"ben01.{f}.abc" for f in (1001, 1002, 1003)]


def test_two_integrations_at_once_take_two_versions(instance, monkeypatch):
    plugin = load("integrate_demo").IntegrateDemoVersion()
    base = os.path.join(instance.context.data["demoRoot"], "publish", "sh0140", "ben01")
    source = os.path.join(instance.context.data["demoRoot"], "ben01.abc")
    with open(source, "w") as f:
        f.write("frames\n")
    instance.data["files"] = [source]
    os.makedirs(os.path.join(base, "v001"))  # the other publish took v001 a moment ago
    monkeypatch.setattr(os.path, "exists", lambda path: False)  # after this one looked

    plugin.process(instance)

    assert instance.data["publishDir"] == os.path.join(base, "v002")
    assert os.listdir(os.path.join(base, "v002")) == ["ben01.abc"]
