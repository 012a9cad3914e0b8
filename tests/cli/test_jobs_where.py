"""``show`` says where a job runs: the farm queue it was sent to and the node running it,
read from the job's log as the Celery executor writes it."""

import json

from cli_support import OWNER, run_cli
from cli_support import add_job as add

from pyblish_qml_queue.queue.celery import where

QUEUE = "pyblish.maya.2025.linux"


def test_show_json_has_the_farm_queue_and_node_of_a_running_job(home_store):
    job_id = add(home_store, n_steps=2)
    home_store.claim(OWNER, 600.0)
    home_store.add_log(job_id, "info", f"attempt 1 of 3 sent to the farm queue {QUEUE}")
    home_store.add_log(job_id, "info", f"{where.RUNNING} render-07")
    home_store.start_step(job_id, OWNER, 0, worker={"node": "render-07"})

    shown = json.loads(run_cli("show", job_id, "--json").stdout)

    assert shown["queue"] == QUEUE
    assert shown["node"] == {"name": "render-07", "state": "running"}
    assert shown["steps"][0]["worker"] == {"node": "render-07"}
    text = run_cli("show", job_id).stdout
    assert f"Queue     {QUEUE} (farm)" in text and "Node      render-07" in text


def test_a_job_sent_again_shows_the_queue_it_was_sent_to_last(home_store):
    job_id = add(home_store)
    home_store.add_log(job_id, "info", "attempt 1 of 3 sent to the farm queue pyblish.maya")
    home_store.add_log(
        job_id,
        "warning",
        f"{where.LOST} farm node render-07 sent no heartbeat for 6 s; sent again to the "
        f"farm queue {QUEUE}",
    )

    assert json.loads(run_cli("show", job_id, "--json").stdout)["queue"] == QUEUE


def test_a_local_job_has_no_farm_queue(home_store):
    job_id = add(home_store)
    shown = json.loads(run_cli("show", job_id, "--json").stdout)
    assert shown["queue"] is None and shown["node"] is None
    assert "Queue " not in run_cli("show", job_id).stdout
