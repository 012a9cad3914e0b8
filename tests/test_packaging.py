"""The wheel carries what the app needs at run time: the QML module and the demo plugins."""

import glob
import os
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_the_wheel_ships_the_qml_module_and_the_demo_plugins(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            ROOT,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = glob.glob(str(tmp_path / "pyblish_qml_queue-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())

    module = os.path.join(ROOT, "pyblish_qml_queue", "qml", "PyblishQueue")
    for name in os.listdir(module):
        assert f"pyblish_qml_queue/qml/PyblishQueue/{name}" in names
    plugins = os.path.join(ROOT, "pyblish_qml_queue", "demo", "plugins")
    for name in os.listdir(plugins):
        if name.endswith(".py"):
            assert f"pyblish_qml_queue/demo/plugins/{name}" in names
