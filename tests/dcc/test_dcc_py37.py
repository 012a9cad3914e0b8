"""The host side runs under Python 3.7 (Maya 2022's mayapy): ``pyblish_qml_queue.dcc``
imports and a job payload with members and a snapshot is built there, in a real 3.7.

Skipped, saying why, where pyenv has no 3.7. pyblish-base is pure Python: a copy of
the venv's ``pyblish`` package goes on the 3.7 PYTHONPATH (never the venv's
site-packages, whose compiled modules would not load there).
"""

import glob
import json
import os
import shutil
import subprocess
import textwrap

import pyblish
import pytest
from conftest import ROOT

_PYENV = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
PY37 = sorted(glob.glob(os.path.join(_PYENV, "versions", "3.7*", "bin", "python3.7")))
FAKES = os.path.join(ROOT, "tests", "fakes")

PLUGIN = textwrap.dedent(
    """
    import pyblish.api


    class ExtractCache(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder
        families = ["pointcache"]

        def process(self, instance):
            pass
    """
)

PROBE = textwrap.dedent(
    """
    import json
    import sys

    import pyblish.api

    import pyblish_qml_queue
    from pyblish_qml_queue import dcc
    from pyblish_qml_queue.host import job, snapshot

    from maya import cmds  # the fake (tests/fakes), as a Maya 2022 session would have it


    class PyNode(object):
        def __init__(self, path):
            self.path = path

        def longName(self):
            return self.path


    cmds.createNode("transform", name="CHAR")
    cmds.createNode("transform", name="hat", parent="|CHAR")
    pyblish.api.register_plugin_path(sys.argv[1])
    context = pyblish.api.Context()
    instance = context.create_instance("CHAR")
    instance.data["family"] = "pointcache"
    instance[:] = ["|CHAR", PyNode("|CHAR|hat")]

    adapter = dcc.current()
    payload = job.build_job(context, plugins=pyblish.api.discover(), adapter=adapter)
    info = snapshot.attach(payload, adapter)

    from pyblish_qml_queue.worker import scene

    opened = scene.open_snapshot(payload)[1]
    scene.check_members(payload, adapter)
    print(json.dumps({
        "python": list(sys.version_info[:2]),
        "register_host": pyblish_qml_queue.register_host is dcc.register_host,
        "adapter": payload["adapter"],
        "members": payload["instances"][0]["members"],
        "steps": [(s["plugin"], s["instance"]) for s in payload["steps"]],
        "snapshot": info["path"],
        "opened": opened,
        "command": payload["command"],
    }))
    """
)


@pytest.mark.skipif(not PY37, reason=f"no Python 3.7 under {_PYENV}/versions on this machine")
def test_dcc_imports_and_builds_a_job_with_members_under_python_37(tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(
        os.path.dirname(os.path.abspath(pyblish.__file__)),
        lib / "pyblish",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "extract_cache.py").write_text(PLUGIN)
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([ROOT, str(lib), FAKES]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYBLISH_QML_QUEUE_HOME": str(home),
    }
    done = subprocess.run(
        [PY37[-1], "-c", PROBE, str(plugins)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])

    assert out["python"] == [3, 7]
    assert out["register_host"] is True
    assert out["adapter"] == {"name": "maya", "class": "pyblish_qml_queue.dcc.maya:MayaAdapter"}
    assert out["members"] == ["|CHAR", "|CHAR|hat"]
    assert out["steps"] == [["ExtractCache", "CHAR"]]
    assert out["snapshot"].startswith(str(home / "snapshots"))
    assert out["snapshot"].endswith("untitled.ma") and out["opened"] == out["snapshot"]
    assert out["command"][1:] == ["-m", "pyblish_qml_queue.worker"]
