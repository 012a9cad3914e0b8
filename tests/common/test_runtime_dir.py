"""The runtime folder without XDG_RUNTIME_DIR: no raw Python warning, the same fallback."""

import os
import subprocess
import sys
import tempfile

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG is Linux's")

CODE = "from pyblish_qml_queue.common.wire import runtime; print(runtime.runtime_dir())"


def test_no_xdg_runtime_dir_falls_back_without_printing_a_warning():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("XDG_RUNTIME_DIR", "PYBLISH_QML_QUEUE_HOME")
    }
    env["PYTHONPATH"] = ROOT

    result = subprocess.run(
        [sys.executable, "-c", CODE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # was platformdirs' RuntimeDirWarning and its source line
    base = f"/run/user/{os.getuid()}"
    if not os.path.isdir(base):
        base = os.path.join(tempfile.gettempdir(), f"runtime-{os.getuid()}")
    assert result.stdout.strip() == os.path.join(base, "pyblish-qml-queue")
