"""common/spool.write_atomic, the project's one atomic write: every call has a temporary
name of its own, so two processes writing the same file at once never tear it, never
leave it missing and never leave a temporary file behind (issue 14 leftover: it had one
fixed temporary name, and settings.save and interpreter.record kept their own copies)."""

import json
import os
import stat
import subprocess
import sys

import pytest

from pyblish_qml_queue.common import interpreter, settings, spool

#: Each writer's content: big enough that a write takes several syscalls.
WRITER = r"""
import json, sys
from pyblish_qml_queue.common import spool
path, who, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # both writers start together
for n in range(times):
    body = {"who": who, "n": n, "fill": who * (64 * 1024 + n)}
    spool.write_atomic(path, json.dumps(body).encode("utf-8"))
"""

SAVER = r"""
import sys
from pyblish_qml_queue.common import interpreter, settings
who, times = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
for n in range(times):
    settings.save({"who": who, "n": n, "fill": who * (16 * 1024 + n)})
    interpreter.record("/opt/%s/python%d" % (who, n))
"""


def start_writers(script, args_of, tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script] + args_of(who),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(tmp_path / "home")),
            text=True,
        )
        for who in ("a", "b")
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return procs


def read_whole(path):
    """The file's JSON, which must be one writer's whole body."""
    with open(path, "rb") as f:
        data = json.loads(f.read().decode("utf-8"))
    return data


def watch(procs, path, check):
    """Read ``path`` over and over while the writers run; every read must be whole."""
    reads = 0
    while any(proc.poll() is None for proc in procs):
        if os.path.exists(path) or reads:
            check(read_whole(path))  # once there, never missing, never torn
            reads += 1
    for proc in procs:
        assert proc.wait() == 0
    return reads


def whole_body(data):
    assert data["fill"] == data["who"] * (64 * 1024 + data["n"]), "torn"


def test_two_processes_writing_one_file_never_tear_or_lose_it(tmp_path):
    path = str(tmp_path / "shared.json")
    procs = start_writers(WRITER, lambda who: [path, who, "150"], tmp_path)
    reads = watch(procs, path, whole_body)
    assert reads > 0
    final = read_whole(path)
    whole_body(final)
    assert final["n"] == 149  # the last rename of one of them
    assert os.listdir(str(tmp_path)) == ["shared.json"]  # no temporary file left


def test_settings_and_the_interpreter_record_written_by_two_processes_stay_whole(tmp_path):
    procs = start_writers(SAVER, lambda who: [who, "100"], tmp_path)
    for proc in procs:
        assert proc.wait() == 0
    home = tmp_path / "home"
    values = json.loads((home / "settings.json").read_text())
    assert values["fill"] == values["who"] * (16 * 1024 + values["n"])
    assert values["n"] == 99
    python = json.loads((home / interpreter.FILE_NAME).read_text())["python"]
    assert python in ("/opt/a/python99", "/opt/b/python99")
    assert not [n for n in os.listdir(str(home)) if n.endswith(".tmp")]


def test_the_written_file_is_private(tmp_path):
    path = str(tmp_path / "private.json")
    assert spool.write_atomic(path, b"{}") == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    path = str(tmp_path / "kept.json")
    spool.write_atomic(path, b'{"old": true}')

    def fail(done, total):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        spool.write_atomic(path, b'{"new": true}', progress=fail)
    assert read_whole(path) == {"old": True}
    assert os.listdir(str(tmp_path)) == ["kept.json"]


def test_settings_save_then_load_round_trips(home):
    settings.save({"notifications": False, "kept": 1})
    assert settings.load()["notifications"] is False
    assert settings.load()["kept"] == 1
