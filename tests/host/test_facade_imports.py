"""`import pyblish_qml_queue` inside a DCC loads only the host side."""

import json
import os
import subprocess
import sys

import tomllib
from conftest import ROOT

_PROBE = """
import json, sys
import pyblish_qml_queue
modules = sorted(sys.modules)
print(json.dumps({"modules": modules, "all": pyblish_qml_queue.__all__,
                  "version": pyblish_qml_queue.__version__,
                  "submit": pyblish_qml_queue.submit.__module__,
                  "loaded": sorted(sys.modules)}))
"""


def _probe():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return json.loads(out)


def test_import_loads_no_queue_no_sqlite_and_no_qt():
    modules = _probe()["modules"]
    forbidden = [
        m
        for m in modules
        if m.split(".")[0] in ("sqlite3", "_sqlite3", "PySide6", "shiboken6", "PyQt5")
        or m.startswith(
            (
                "pyblish_qml_queue.queue",
                "pyblish_qml_queue.gui",
                "pyblish_qml_queue.cli.command",
                "pyblish_qml_queue.worker",
            )
        )
    ]
    assert forbidden == []
    # Each name loads its module when first used, not at the import.
    assert "pyblish_qml_queue.host.submit" not in modules
    probe = _probe()
    assert probe["submit"] == "pyblish_qml_queue.host.submit"
    assert "pyblish_qml_queue.host.submit" in probe["loaded"]


def test_facade_exports_submit_and_the_version():
    probe = _probe()
    assert "submit" in probe["all"] and "__version__" in probe["all"]
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    # One version source: the package's __version__, read by the build.
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "pyblish_qml_queue.__version__"
    }
    assert probe["version"] and probe["version"][0].isdigit()
