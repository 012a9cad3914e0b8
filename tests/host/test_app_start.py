"""Which interpreter a host starts the app with, and the one line it logs when the app
cannot start (a DCC's Python 3.7 without PySide6, for real with pyenv's 3.7)."""

import os
import sys
import threading

import pytest
from dropin_hosts import TARGET_PLUGINS, start, stop_all
from waiting import wait_until

from pyblish_qml_queue.common import interpreter, wire
from pyblish_qml_queue.host import show as show_module


@pytest.fixture
def procs():
    started = []
    yield started
    stop_all(started)


def test_the_host_says_in_one_line_why_the_app_could_not_start(home, procs, tmp_path):
    python37 = os.path.join(
        os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")), "versions"
    )
    found = sorted(
        os.path.join(python37, v, "bin", "python3.7")
        for v in (os.listdir(python37) if os.path.isdir(python37) else [])
        if v.startswith("3.7")
    )
    # A DCC's Python that cannot run the app: pyenv's 3.7, else one that fails alike.
    python = found[-1] if found else sys.executable
    env = {"PYBLISH_QML_QUEUE_PYTHON": python}
    if not found:
        env["PYTHONPATH"] = os.path.join(str(tmp_path), "nothing")
        env["PYTHONNOUSERSITE"] = "1"
    process, out = start(tmp_path / "h", TARGET_PLUGINS, env=env)
    procs.append(process)
    assert process.stdout.readline().decode().startswith("shown ")
    start_log = os.path.join(wire.runtime_dir(), "app-start.log")
    last = wait_until(
        lambda: (
            os.path.exists(start_log)
            and [line for line in open(start_log).read().splitlines() if line.strip()]
        ),
        what="the app's start log",
    )[-1].strip()
    stderr = []
    reader = threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True)
    reader.start()
    (line,) = wait_until(
        lambda: [x.decode().strip() for x in stderr if b"could not start" in x],
        what="the host's line",
    )
    assert python in line and "PYBLISH_QML_QUEUE_PYTHON" in line
    assert last in line  # why, e.g. "No module named 'PySide6'"


# -- the app's interpreter, without processes --------------------------------------------


def test_the_app_python_falls_back_to_pyblish_qmls_setting(home, monkeypatch, tmp_path):
    python = tmp_path / "python"
    python.write_text("")
    monkeypatch.delenv(show_module.PYTHON_ENV, raising=False)
    monkeypatch.delenv(show_module.COMMAND_ENV, raising=False)
    monkeypatch.setenv(
        show_module.QML_PYTHON_ENV, os.pathsep.join([str(tmp_path / "gone"), str(python)])
    )
    assert show_module.python_executable() == str(python)
    monkeypatch.setenv(show_module.PYTHON_ENV, "/opt/python/bin/python3")
    assert show_module.python_executable() == "/opt/python/bin/python3"


def test_a_host_with_nothing_set_starts_the_app_with_the_one_it_last_ran_with(
    home, monkeypatch, tmp_path
):
    monkeypatch.delenv(show_module.PYTHON_ENV, raising=False)
    monkeypatch.delenv(show_module.QML_PYTHON_ENV, raising=False)
    assert show_module.python_executable() == sys.executable
    python = tmp_path / "app-python"
    python.write_text("")
    interpreter.record(str(python))
    assert show_module.app_command()[0] == str(python)
    python.unlink()  # gone since: not used
    assert show_module.python_executable() == sys.executable


# -- main-thread dispatch ---------------------------------------------------------------
