"""Background extraction from a real Blender scene: a bpy host hands off, a real ``serve``
runs the job in worker processes that reopen the scene snapshot.

Every comparison is with the in-process publish of the same demo scene (module fixture
``reference``), object for object, read back into an empty scene; never file bytes.
"""

import json
import os
import shutil
import signal

import pytest
from blender_support import blender_env, published, require_bpy, run_host, summary
from serve_support import finished_job
from waiting import wait_until

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

WORK = "shot_v001.blend"
STEPS = [
    ("ExtractBlenderAlembic", "CHAR"),
    ("ExtractBlenderAlembic", "PROP"),
    ("ExtractBlenderUsd", "CHAR"),
    ("ExtractBlenderUsd", "PROP"),
    ("IntegrateBlenderVersion", "CHAR"),
    ("IntegrateBlenderVersion", "PROP"),
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The demo work file and what ``pyblish.util.publish()`` in the host publishes from it."""
    require_bpy()
    folder = tmp_path_factory.mktemp("reference")
    work = folder / WORK
    root = folder / "publish"
    env = blender_env(folder / "home", root)
    run_host("build", work, env=env)
    outcome = run_host("publish", work, env=env)
    assert outcome["errors"] == []
    caches = published(root)
    assert set(caches) == {"CHAR", "PROP"}
    return work, caches


@pytest.fixture
def shot(reference, tmp_path, home):
    """This test's copy of the work file, its publish root and the host environment."""
    work = tmp_path / "work" / WORK
    work.parent.mkdir()
    shutil.copy(reference[0], work)
    root = tmp_path / "publish"
    return work, root, blender_env(home, root)


def describe(job):
    steps = [(s.name, s.state, s.runs, s.error) for s in job.steps]
    return f"{job.state}: {job.error}\nsteps: {steps}"


def assert_snapshot_recorded(job, home):
    snapshot = job.payload["snapshot"]
    adapter = snapshot.get("adapter", job.payload.get("adapter"))
    assert (adapter.get("name") if isinstance(adapter, dict) else adapter) == "blender"
    host = job.payload["host"]
    assert host["application"] == "blender" and host["version"].startswith("4.5."), host
    assert os.path.dirname(snapshot["path"]) == str(home / "snapshots" / job.id)
    assert snapshot["path"].endswith(".blend") and snapshot["size"] > 0
    members = {i["name"]: i["members"] for i in job.payload["instances"]}
    assert members == {"CHAR": ["hat", "suzanne"], "PROP": ["crate01", "crate02", "crate03"]}
    assert [(s.plugin, s.instance) for s in job.steps] == STEPS


def test_submit_from_blender_publishes_in_the_background_what_the_host_would(
    reference, shot, serve, home
):
    work, root, env = shot
    serve(env)

    handed = run_host("submit", work, env=env)
    job = finished_job(home, handed["job"])

    assert job.state == model.SUCCEEDED, describe(job)
    # The artist's session keeps its file name, and the hand-off did not write the file.
    assert handed["file"] == str(work) and handed["untouched"]
    assert_snapshot_recorded(job, home)
    caches = published(root)
    assert summary(caches) == summary(reference[1])
    assert caches == reference[1]  # object for object, with locations over the frames
    with open(root / "CHAR" / "v001" / "publish.json") as f:
        record = json.load(f)
    assert record["source"] == str(work)  # currentFile stays the artist's file
    assert record["snapshot"] == job.payload["snapshot"]["path"]
    assert [s.runs for s in job.steps] == [1] * len(STEPS)
    assert not os.path.exists(job.payload["snapshot"]["path"])  # removed once succeeded


def test_edits_saved_to_the_live_file_after_the_hand_off_are_not_published(
    reference, shot, serve, home
):
    work, root, env = shot
    # No serve yet: the job waits in the spool while the artist goes on working.
    handed = run_host("submit", work, "--edit", env=env)
    assert handed["objects"] == ["crate01", "crate03", "hat_renamed", "suzanne"]
    assert handed["file"] == str(work)

    serve(env)
    job = finished_job(home, handed["job"])

    assert job.state == model.SUCCEEDED, describe(job)
    caches = published(root)
    assert summary(caches) == summary(reference[1])  # hat and crate02 as validated
    assert caches == reference[1]


def test_a_worker_killed_mid_extraction_resumes_and_the_output_is_complete(
    reference, shot, serve, home
):
    work, root, env = shot
    env["PYBLISH_QML_QUEUE_BLENDER_EXTRACT_DELAY"] = "0.7"
    process = serve(env)
    handed = run_host("submit", work, env=env)
    store = SQLiteJobStore(str(home / "jobs.db"))
    try:
        # The second extraction (Alembic of PROP) runs; the first one is checkpointed.
        wait_until(
            lambda: _step_state(store, handed["job"], 1) == model.STEP_RUNNING,
            timeout=60,
            what="the Alembic extraction of PROP to start",
        )
        worker = wait_until(lambda: _worker_of(process.pid), timeout=10, what="the worker")
        os.kill(worker, signal.SIGKILL)
    finally:
        store.close()
    job = finished_job(home, handed["job"], timeout=90)

    assert job.state == model.SUCCEEDED, describe(job)
    assert job.attempts == 2
    # Only the interrupted step ran again; the done one was not repeated.
    assert [s.runs for s in job.steps] == [1, 2, 1, 1, 1, 1]
    caches = published(root)
    assert summary(caches) == summary(reference[1])
    assert caches == reference[1]


@pytest.mark.parametrize("damage", ["corrupt", "delete"])
def test_a_snapshot_that_cannot_be_opened_fails_the_job_with_the_reason(
    reference, shot, serve, home, damage
):
    work, root, env = shot
    handed = run_host("submit", work, env=env)  # no serve: spooled, snapshot saved
    (snapshot,) = os.listdir(home / "snapshots" / handed["job"])
    path = home / "snapshots" / handed["job"] / snapshot
    if damage == "corrupt":
        path.write_bytes(b"this is no longer a blend file\n" * 64)
    else:
        path.unlink()

    serve(env)
    job = finished_job(home, handed["job"])

    assert job.state == model.FAILED, describe(job)
    assert str(path) in job.error or snapshot in job.error, job.error
    assert "snapshot" in job.error or "open" in job.error, job.error
    assert all(s.state == model.PENDING for s in job.steps), describe(job)
    assert published(root) == {}


def test_a_snapshot_without_the_members_fails_the_job_instead_of_exporting_nothing(
    reference, shot, serve, home, tmp_path
):
    work, root, env = shot
    handed = run_host("submit", work, env=env)  # no serve: spooled, snapshot saved
    (snapshot,) = os.listdir(home / "snapshots" / handed["job"])
    # A valid .blend, but of another scene: none of the instances' members are in it.
    assert run_host("empty", home / "snapshots" / handed["job"] / snapshot, env=env) == []

    serve(env)
    job = finished_job(home, handed["job"])

    assert job.state == model.FAILED, describe(job)
    assert "CHAR" in job.error and "hat" in job.error, job.error
    assert all(s.state == model.PENDING for s in job.steps), describe(job)
    assert published(root) == {}


def _step_state(store, job_id, index):
    try:
        return store.get(job_id).steps[index].state
    except Exception:
        return None


def _worker_of(pid):
    """The pid of the worker process ``serve`` (``pid``) runs, or None."""
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            children += [int(c) for c in f.read().split()]
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"pyblish_qml_queue.worker" in f.read():
                    return child
        except OSError:
            continue
    return None
