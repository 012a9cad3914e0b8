"""`pyblish-qml-queue demo` runs end to end: real demo hosts, the real app offscreen, the queue."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from cli_support import run_cli


def _cli(home, *args, timeout=180):
    return run_cli(*args, home=home, timeout=timeout)


def test_demo_hands_work_to_the_queue_and_publishes_versions(home, tmp_path):
    shots = tmp_path / "shots"
    result = _cli(
        home,
        "demo",
        "--hosts",
        "maya,houdini",
        "--seconds",
        "0.5",
        "--exit-when-done",
        "--quit-after",
        "150",
        "--screenshots",
        str(shots),
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]

    jobs = json.loads(_cli(home, "jobs", "--json").stdout)
    # maya hands its extraction to the queue; houdini publishes in its own session
    assert [j["state"] for j in jobs] == ["succeeded"]
    assert jobs[0]["host"]["application"] == "maya"

    publish = home / "demo" / "publish"
    assert sorted(os.listdir(publish / "sh0140")) == [
        "CHAR_ben01",
        "CHAR_ben01_cache",
        "CHAR_tom01_cache",
        "beauty",
    ]
    assert os.listdir(publish / "sh0170" / "splash") == ["v001"]
    assert {"demo-overview.png", "demo-queue.png", "demo-console.png"} <= set(os.listdir(shots))


def test_demo_refuses_an_unknown_host_in_one_line(home):
    result = _cli(home, "demo", "--hosts", "blender")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown demo host blender" in result.stderr


def test_ctrl_c_quits_the_demo_cleanly_and_its_hosts_with_it(home):
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    process = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "demo", "--hosts", "python", "--seconds", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "publishing into" in process.stdout.readline() + process.stdout.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-2000:]
    assert "demo: finished" in out
    assert "does not support raise()" not in err  # no Qt noise from the offscreen window
    assert os.path.exists(home / "demo" / "logs" / "python.log")  # the host's own output


def _demo_hosts_of(home):
    """Pids of demo host processes started for ``home`` (Linux: read from /proc)."""
    mark = f"PYBLISH_QML_QUEUE_HOME={home}".encode()
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"pyblish_qml_queue.demo.host" not in f.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_demo_hosts_end_when_the_demo_is_killed(home):
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    process = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "demo", "--hosts", "python,nuke"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        process.stdout.readline()
        process.stdout.readline()  # the hosts run from here
        deadline = time.monotonic() + 30
        while len(_demo_hosts_of(home)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_demo_hosts_of(home)) == 2
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while _demo_hosts_of(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _demo_hosts_of(home) == []
