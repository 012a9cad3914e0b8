"""`pyblish-qml-queue demo` runs end to end: real demo hosts, the real app offscreen, the queue."""

import json
import os
import signal
import subprocess
import sys

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
