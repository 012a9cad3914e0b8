"""A studio's own DCC end to end, through real processes: a host registers its adapter
with ``pyblish_qml_queue.register_host`` and calls ``submit()``, a real ``serve`` runs the
job in a worker process that imports the adapter again by its locator and reopens the
scene snapshot. The DCC is tests/fakes/filedcc.py (a scene of node names in a JSON file).
"""

import json
import os
import sys

import pytest
from cli_support import run_cli, run_for_result
from conftest import ROOT
from serve_support import finished_job
from waiting import wait_until

from pyblish_qml_queue.queue import model

FAKES = os.path.join(ROOT, "tests", "fakes")
HOST = os.path.join(FAKES, "filedcc_host.py")
NODES = ["CHAR_hat", "CHAR_suzanne", "PROP_crate01", "PROP_crate02"]
VALIDATED = {"CHAR": ["CHAR_hat", "CHAR_suzanne"], "PROP": ["PROP_crate01", "PROP_crate02"]}


@pytest.fixture
def shot(tmp_path, home):
    """The artist's work file, the extractor's output folder and the processes' env."""
    work = tmp_path / "work" / "shot_v001.json"
    work.parent.mkdir()
    work.write_text(json.dumps({"nodes": NODES}))
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([ROOT, FAKES])
    env["PYBLISH_QML_QUEUE_HOME"] = str(home)
    env["FILEDCC_OUT"] = str(out)
    env.pop("PYBLISH_QML_QUEUE_WORKER_PYTHON", None)
    env.pop("PYBLISH_QML_QUEUE_SNAPSHOTS", None)
    return work, out, env


def run_host(work, *args, env):
    return run_for_result([sys.executable, HOST, str(work), *args], str(work.parent), env)


def describe(job):
    return f"{job.state}: {job.error}\nsteps: {[(s.name, s.state, s.error) for s in job.steps]}"


def extracted(out):
    return {
        name[: -len(".json")]: json.loads((out / name).read_text())
        for name in sorted(os.listdir(out))
    }


def show_json(home, job_id):
    done = run_cli("show", job_id, "--json", home=home)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_studio_dcc_hands_off_over_the_link_and_the_worker_reopens_its_snapshot(
    shot, serve, home
):
    work, out, env = shot
    serve(env)

    handed = run_host(work, env=env)
    job = finished_job(home, handed["job"])

    assert job.state == model.SUCCEEDED, describe(job)
    assert handed["untouched"] and handed["file"] == str(work)
    assert job.payload["adapter"] == {"name": "filedcc", "class": "filedcc:FileDccAdapter"}
    assert job.payload["host"]["application"] == "filedcc"
    members = {i["name"]: i["members"] for i in job.payload["instances"]}
    assert members == VALIDATED
    snapshot = job.payload["snapshot"]["path"]
    assert snapshot == str(home / "snapshots" / job.id / "shot_v001.json")
    records = extracted(out)
    assert {name: r["extracted"] for name, r in records.items()} == VALIDATED
    assert {r["scene"] for r in records.values()} == {snapshot}  # the snapshot, opened
    assert {r["snapshot"] for r in records.values()} == {snapshot}
    assert {r["currentFile"] for r in records.values()} == {str(work)}
    wait_until(
        lambda: not os.path.exists(home / "snapshots" / job.id),
        timeout=10,
        what="the snapshot folder of a succeeded job to be deleted",
    )


def test_edits_saved_to_the_live_scene_after_the_hand_off_are_not_extracted(shot, serve, home):
    work, out, env = shot
    # No serve yet: the job waits in the spool while the artist edits and saves.
    handed = run_host(work, "--edit", env=env)
    assert handed["nodes"] == ["CHAR_hat_renamed", "CHAR_suzanne", "PROP_crate01"]
    assert json.loads(work.read_text())["nodes"] == handed["nodes"]  # saved live file

    serve(env)
    job = finished_job(home, handed["job"])

    assert job.state == model.SUCCEEDED, describe(job)
    records = extracted(out)
    assert {name: r["extracted"] for name, r in records.items()} == VALIDATED
    assert {r["currentFile"] for r in records.values()} == {str(work)}
    wait_until(
        lambda: not os.path.exists(home / "snapshots" / job.id),
        timeout=10,
        what="the snapshot folder of a succeeded job to be deleted",
    )
    shown = show_json(home, job.id)
    assert shown["state"] == model.SUCCEEDED
    assert shown["snapshot"]["path"] == job.payload["snapshot"]["path"]
    assert shown["snapshot"]["size"] == job.payload["snapshot"]["size"] > 0
    assert shown["snapshot"]["exists"] is False


def test_a_snapshot_removed_before_the_worker_starts_fails_the_job_with_the_reason(
    shot, serve, home
):
    work, out, env = shot
    handed = run_host(work, env=env)  # no serve: spooled, snapshot saved
    folder = home / "snapshots" / handed["job"]
    assert os.listdir(folder) == ["shot_v001.json"]
    size = os.path.getsize(folder / "shot_v001.json")
    (folder / "shot_v001.json").unlink()
    shown = show_json(home, handed["job"])  # spooled: show reads the spool
    assert shown["snapshot"]["size"] == size and shown["snapshot"]["exists"] is False

    serve(env)
    job = finished_job(home, handed["job"])

    assert job.state == model.FAILED, describe(job)
    assert "could not open the scene snapshot" in job.error, job.error
    assert str(folder / "shot_v001.json") in job.error, job.error
    assert all(s.state == model.PENDING for s in job.steps), describe(job)
    assert os.listdir(out) == []  # no step ran on an empty scene
    shown = show_json(home, job.id)
    assert shown["state"] == model.FAILED and shown["snapshot"]["exists"] is False
    text = run_cli("show", job.id, home=home).stdout
    assert f"Snapshot  {folder / 'shot_v001.json'}, {size} bytes" in text, text
