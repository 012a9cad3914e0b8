"""How a job's worker starts: its command, PYTHONPATH and working folder (queue/launch.py)."""

import glob
import os
import subprocess
import sys

import pytest

from pyblish_qml_queue.queue import launch

_PYENV = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
PY37 = sorted(glob.glob(os.path.join(_PYENV, "versions", "3.7*", "bin", "python3.7")))


def test_the_hosts_python_override_wins_over_the_adapters_command():
    payload = {"python": "/opt/py/bin/python3", "command": ["/opt/maya/bin/mayapy", "-m", "w"]}
    assert launch.command(payload) == ["/opt/py/bin/python3", "-m", "pyblish_qml_queue.worker"]


def test_the_adapters_command_runs_the_job_when_no_override_is_set():
    payload = {"python": None, "command": ["/opt/hfs/bin/hython", "/x/worker/__main__.py"]}
    assert launch.command(payload) == ["/opt/hfs/bin/hython", "/x/worker/__main__.py"]


def test_a_job_naming_no_command_runs_under_the_executors_python():
    assert launch.command({}) == [sys.executable, "-m", "pyblish_qml_queue.worker"]
    assert launch.command({}, "/usr/bin/python3")[0] == "/usr/bin/python3"


def test_another_interpreter_gets_a_copy_of_the_package_and_pyblish_not_site_packages(home):
    site = os.path.dirname(os.path.dirname(os.path.abspath(pytest.__file__)))
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": site}
    env = launch.environment({"env": {"PYTHONPATH": "/studio/plugins"}}, ["/opt/mayapy"], base)
    entries = env["PYTHONPATH"].split(os.pathsep)
    assert site not in entries  # the executor's own PYTHONPATH stays behind
    assert entries[1:] == ["/studio/plugins"]
    lib = entries[0]
    assert lib.startswith(str(home))
    assert os.path.isfile(os.path.join(lib, "pyblish_qml_queue", "worker", "__main__.py"))
    assert os.path.isfile(os.path.join(lib, "pyblish", "api.py"))
    assert not os.path.exists(os.path.join(lib, "pyblish_qml_queue", "gui"))
    assert launch.worker_lib() == lib  # made once per version of the code


def test_the_executors_own_python_keeps_its_path_and_the_package_folder(home):
    env = launch.environment({"env": {}}, [sys.executable], {"PYTHONPATH": "/extra"})
    entries = env["PYTHONPATH"].split(os.pathsep)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(launch.__file__)))
    assert os.path.dirname(package_parent) == entries[0] and "/extra" in entries


def test_the_worker_runs_in_the_hosts_working_folder_when_it_exists(tmp_path):
    assert launch.working_folder({"cwd": str(tmp_path)}) == str(tmp_path)
    assert launch.working_folder({"cwd": str(tmp_path / "gone")}) is None


@pytest.mark.skipif(not PY37, reason="no Python 3.7 under pyenv on this machine")
def test_python_37_imports_the_worker_from_the_copied_library(home):
    """A Maya 2022-like interpreter (3.7) starts the worker from the library alone."""
    env = launch.environment({"env": {}}, [PY37[-1]], {"PATH": os.environ["PATH"]})
    code = "import pyblish_qml_queue.worker, pyblish.api, pyblish_qml_queue.dcc; print('ok')"
    result = subprocess.run(
        [PY37[-1], "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
