"""``pyblish-qml-queue deadline-plugin`` and ``--version``, as real processes."""

import filecmp
import os

from cli_support import run_cli
from conftest import ROOT

import pyblish_qml_queue

SHIPPED = os.path.join(ROOT, "pyblish_qml_queue", "assets", "deadline", "PyblishQmlQueue")
FILES = ["PyblishQmlQueue.param", "PyblishQmlQueue.py"]


def test_version_prints_the_package_version(home):
    done = run_cli("--version", home=home)
    assert (done.returncode, done.stdout) == (
        0,
        f"pyblish-qml-queue {pyblish_qml_queue.__version__}\n",
    )


def test_without_copy_to_it_prints_the_shipped_folder(home):
    done = run_cli("deadline-plugin", home=home)
    assert done.returncode == 0, done.stderr
    assert os.path.samefile(done.stdout.strip(), SHIPPED)


def test_copy_to_an_events_folder_makes_the_plugin_folder_and_replaces_old_files(tmp_path, home):
    events = tmp_path / "custom" / "events"
    (events / "PyblishQmlQueue").mkdir(parents=True)
    (events / "PyblishQmlQueue" / "PyblishQmlQueue.py").write_text("# an old version")
    (events / "PyblishQmlQueue" / "PyblishQmlQueue.dlinit").write_text("Enabled=True")

    done = run_cli("deadline-plugin", "--copy-to", str(events), home=home)

    assert done.returncode == 0, done.stderr
    target = events / "PyblishQmlQueue"
    assert done.stdout.splitlines() == [str(target / name) for name in FILES]
    for name in FILES:
        assert filecmp.cmp(target / name, os.path.join(SHIPPED, name), shallow=False)
    assert (target / "PyblishQmlQueue.dlinit").read_text() == "Enabled=True"  # left alone


def test_copy_to_the_plugin_folder_itself_copies_into_it(tmp_path, home):
    target = tmp_path / "PyblishQmlQueue"
    target.mkdir()
    done = run_cli("deadline-plugin", "--copy-to", str(target), home=home)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(target)) == FILES


def test_a_missing_folder_is_a_usage_error_in_one_line(tmp_path, home):
    done = run_cli("deadline-plugin", "--copy-to", str(tmp_path / "nope"), home=home)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("pyblish-qml-queue: error: --copy-to ") and "no such folder" in line
    assert not (tmp_path / "nope").exists()


def test_a_folder_it_cannot_write_fails_with_the_reason(tmp_path, home):
    events = tmp_path / "events"
    events.mkdir()
    (events / "PyblishQmlQueue").write_text("a file where the folder should be")
    done = run_cli("deadline-plugin", "--copy-to", str(events), home=home)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "could not copy the Deadline event plugin to" in line
