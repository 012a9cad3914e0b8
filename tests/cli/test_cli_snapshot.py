"""`show` names a job's scene snapshot and its size; `remove` deletes it."""

import json

from cli_support import run_cli
from factories import make_payload

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


def _job_with_snapshot(home, state=None):
    payload = make_payload()
    folder = home / "snapshots" / payload["id"]
    folder.mkdir(parents=True)
    scene = folder / "shot.blend"
    scene.write_bytes(b"x" * 2048)
    payload["snapshot"] = {"path": str(scene), "size": 2048, "shared": False}
    store = SQLiteJobStore(paths.store_path())
    try:
        store.add(model.Job.from_payload(payload))
        if state is not None:
            assert store.cancel(payload["id"])
    finally:
        store.close()
    return payload["id"], scene


def test_show_lists_the_snapshot_and_its_size(home):
    job_id, scene = _job_with_snapshot(home)
    result = run_cli("show", job_id, home=home)
    assert result.returncode == 0, result.stderr
    assert f"Snapshot  {scene}, 2.0 KB" in result.stdout
    shown = json.loads(run_cli("show", job_id, "--json", home=home).stdout)
    assert shown["snapshot"] == {"path": str(scene), "size": 2048, "exists": True, "shared": False}


def test_removing_a_finished_job_deletes_its_snapshot_folder(home):
    job_id, scene = _job_with_snapshot(home, state="cancelled")
    result = run_cli("remove", job_id, home=home)
    assert result.returncode == 0, result.stderr
    assert not scene.parent.exists()
