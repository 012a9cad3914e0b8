"""``pyblish-qml-queue doctor``: what it finds (Qt, tray, link) and its exit code."""

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from pyblish_qml_queue.cli import doctor
from pyblish_qml_queue.common import wire
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.hub.transport import write_runtime


def by_name(checks, name):
    return [c for c in checks if c.name == name]


def test_no_tray_is_a_warning_that_says_the_window_keeps_the_menu():
    probe = {"pyside": "6.12.0", "qt": "6.12.0", "platform": "offscreen", "tray": False}
    qt, tray = doctor.check_qt(probe)
    assert qt.status == doctor.OK and "'offscreen'" in qt.message
    assert tray.status == doctor.WARN
    assert "normal window with the same menu" in tray.message
    assert "QT_QPA_PLATFORM" in tray.fix
    probe.update(platform="xcb", tray=True)
    assert doctor.check_qt(probe)[1].status == doctor.OK


def test_no_display_fails_the_qt_check_and_says_how_to_run_headless(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    stderr = "qt.qpa.xcb: could not connect to display \nAvailable platform plugins are: xcb."
    (qt,) = doctor.check_qt({"error": "Available platform plugins are: xcb.", "stderr": stderr})
    assert qt.status == doctor.FAIL
    assert "no display to connect to (DISPLAY is not set)" in qt.message
    assert "QT_QPA_PLATFORM=offscreen" in qt.fix


def test_the_link_check_is_fine_when_no_app_runs(home):
    (link,) = by_name(doctor.check_link(), "link")
    assert link.status == doctor.OK and "no app or serve runs" in link.message


def test_a_runtime_file_of_a_dead_app_is_a_stale_warning(home):
    os.makedirs(wire.runtime_dir(), exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_runtime({"address": "/nowhere.sock", "pid": dead.pid, "protocol": 1})
    (link,) = by_name(doctor.check_link(), "link")
    assert link.status == doctor.WARN and f"pid {dead.pid}" in link.message


def test_a_live_pid_with_nothing_listening_fails_and_says_what_to_do(home):
    os.makedirs(wire.runtime_dir(), exist_ok=True)
    write_runtime(
        {"address": os.path.join(str(home), "gone.sock"), "pid": os.getpid(), "protocol": 1}
    )
    with open(wire.authkey_file(), "wb") as f:
        f.write(b"k" * 64)
    os.chmod(wire.authkey_file(), 0o600)
    (link,) = by_name(doctor.check_link(timeout=0.5), "link")
    assert link.status == doctor.FAIL and "does not answer" in link.message
    assert f"kill {os.getpid()}" in link.fix


@pytest.fixture
def hub(home):
    running = Hub()
    running.start()
    yield running
    running.close()


def test_the_link_check_connects_to_the_running_app_with_the_authkey(hub):
    (link,) = by_name(doctor.check_link(), "link")
    assert link.status == doctor.OK, link
    assert f"app pid {os.getpid()}" in link.message
    assert "authkey accepted, protocol 1" in link.message


def test_a_wrong_authkey_fails_the_link_check(hub):
    with open(wire.authkey_file(), "wb") as f:
        f.write(b"0" * 64)
    (link,) = by_name(doctor.check_link(), "link")
    assert link.status == doctor.FAIL and "refused our authkey" in link.message
    deadline = time.monotonic() + 10
    while hub.refused != 1 and time.monotonic() < deadline:  # counted on the hub's thread
        time.sleep(0.01)
    assert hub.refused == 1


def test_a_readable_authkey_is_a_warning(hub):
    os.chmod(wire.authkey_file(), 0o644)
    warnings = [c for c in doctor.check_link() if c.status == doctor.WARN]
    assert warnings and "readable by other users" in warnings[0].message


def run_doctor(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue", "doctor", *args],
        cwd=ROOT,
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_doctor_json_lists_every_check_and_exits_0_when_nothing_failed(home):
    result = run_doctor("--json", QT_QPA_PLATFORM="offscreen")
    report = json.loads(result.stdout)
    names = [c["name"] for c in report["checks"]]
    assert names == ["qt", "tray", "store", "spool", "link"]
    assert report["ok"] is True and result.returncode == 0, result.stdout + result.stderr


def test_doctor_exits_1_and_prints_the_fix_when_qt_cannot_start(home):
    result = run_doctor(QT_QPA_PLATFORM="no-such-platform")
    assert result.returncode == 1
    assert "[FAIL] qt" in result.stdout and "fix:" in result.stdout
    assert "see the FAIL lines" in result.stdout
