"""Running the command line as a real subprocess, from the repository, Qt offscreen."""

import os
import subprocess
import sys

from conftest import ROOT


def run_cli(*args, home=None, timeout=60, env=None):
    """Run ``python -m pyblish_qml_queue *args`` and return the completed process.

    Args:
        args: the command line after the program name.
        home: a PYBLISH_QML_QUEUE_HOME for the run (None: the one in ``env``).
        timeout: seconds before the run fails.
        env: the environment to start from (default: this process's).
    """
    env = dict(os.environ if env is None else env, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if home is not None:
        env["PYBLISH_QML_QUEUE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
