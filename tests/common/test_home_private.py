"""The home is private (issue 14, item 6): 0700 folders and 0600 files as they are
made, by real CLI processes and the host's spool, whatever the umask; an existing
home with open modes is repaired at start, said once in the log."""

import os
import stat
import subprocess
import sys

import pytest
from cli_support import run_cli
from conftest import ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="modes are POSIX only")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def modes(home):
    """{relative path: mode} of everything in the home."""
    found = {".": mode(home)}
    for folder, dirs, files in os.walk(home):
        for name in dirs + files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, home)] = mode(path)
    return found


def open_to_others(home):
    return {name: oct(m) for name, m in modes(home).items() if m & 0o077}


def run_python(code, home):
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home), PYTHONPATH=ROOT)
    done = subprocess.run(
        [sys.executable, "-c", "import os; os.umask(0o022)\n" + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_fresh_home_is_private_from_the_first_command(tmp_path):
    home = tmp_path / "new" / "home"  # nothing exists yet
    done = run_cli("jobs", home=home)
    assert done.returncode == 0, done.stderr
    run_python("from pyblish_qml_queue.common import settings; settings.update(signals='')", home)
    found = modes(home)
    for name in ("jobs.db", "logs/cli.log", "settings.json"):
        assert name in found, sorted(found)
    assert open_to_others(home) == {}
    assert found["."] == found["logs"] == 0o700


def test_the_host_spools_into_a_private_home(tmp_path):
    home = tmp_path / "spoolhome"
    run_python(
        "from pyblish_qml_queue.common import spool\n"
        "spool.write_job({'id': 'abc123', 'steps': []})",
        home,
    )
    assert os.path.exists(os.path.join(str(home), "spool", "abc123.json"))
    assert open_to_others(home) == {}
    assert mode(str(home)) == 0o700


def test_an_open_home_is_repaired_at_start_and_said_once(tmp_path):
    home = tmp_path / "home"
    assert run_cli("jobs", home=home).returncode == 0
    for name in ("jobs.db", "logs/cli.log"):
        os.chmod(os.path.join(str(home), name), 0o644)
    with open(os.path.join(str(home), "jobs.db-wal"), "ab"):
        pass
    os.chmod(os.path.join(str(home), "jobs.db-wal"), 0o666)
    os.chmod(os.path.join(str(home), "logs"), 0o755)
    os.chmod(str(home), 0o755)
    first = run_cli("jobs", home=home)
    second = run_cli("jobs", home=home)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert open_to_others(home) == {}
    with open(os.path.join(str(home), "logs", "cli.log")) as f:
        said = [line for line in f if "private" in line]
    assert len(said) == 1, said
    assert "5 of its folders and files" in said[0]
