"""``doctor --node`` on a farm node: a real redis-server, a real CLI process with no display,
no Qt platform and a home without a job store."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("redis", reason="the celery extra is not installed")

from celery_fixture import free_port, start_redis, stop
from conftest import ROOT

#: What a farm node has not: a display, a Qt platform, a DCC's own locations.
UNSET = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "MAYA_LOCATION", "HFS")


@pytest.fixture
def broker(tmp_path):
    port = free_port()
    proc = start_redis(tmp_path / "redis", port)
    yield f"redis://127.0.0.1:{port}/0"
    stop(proc)


@pytest.fixture
def node(tmp_path):
    """A node's environment: its home, a studio snapshot folder and plugin folder, and a
    ``mayapy`` on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mayapy = bin_dir / "mayapy"
    mayapy.write_text("#!/bin/sh\nexit 0\n")
    mayapy.chmod(0o755)
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "plugins").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(
        PYBLISH_QML_QUEUE_HOME=str(tmp_path / "node-home"),
        PYBLISH_QML_QUEUE_SNAPSHOTS=str(tmp_path / "snapshots"),
        PYBLISHPLUGINPATH=str(tmp_path / "plugins"),
        PYBLISH_QML_QUEUE_FARM_PATHS="",
        PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""),
    )
    return env


def doctor(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue", "doctor", "--node", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_healthy_node_passes_without_a_display_and_creates_no_store(tmp_path, broker, node):
    result = doctor(node, "--broker", broker)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for name in ("broker", "celery", "pyblish", "plugins", "snapshots", "dcc"):
        assert f"[ok  ] {name}" in out, out
    assert "maya (" in out and str(tmp_path / "bin" / "mayapy") in out
    assert "[FAIL]" not in out and "display" not in out.lower()
    assert not os.path.exists(tmp_path / "node-home" / "jobs.db")


def test_each_failing_check_is_one_line_and_the_exit_code_is_1(tmp_path, node):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    node["PYBLISH_QML_QUEUE_SNAPSHOTS"] = str(tmp_path / "no-such-snapshots")
    node["PYBLISHPLUGINPATH"] = str(tmp_path / "no-such-plugins")

    result = doctor(node, "--broker", dead)

    assert result.returncode == 1, result.stdout + result.stderr
    failing = [line for line in result.stdout.splitlines() if line.startswith("[FAIL]")]
    assert [line.split()[1] for line in failing] == ["broker", "plugins", "snapshots"]
    assert "cannot reach the broker at " + dead in failing[0] and "; fix: " in failing[0]
    assert "no-such-plugins (PYBLISHPLUGINPATH) cannot be read: does not exist" in failing[1]
    assert "no-such-snapshots cannot be read: does not exist" in failing[2]
    # every line is a check or the verdict: no continuation lines
    assert all(line.startswith("[") for line in result.stdout.splitlines()[:-1])
    assert not os.path.exists(tmp_path / "node-home" / "jobs.db")
