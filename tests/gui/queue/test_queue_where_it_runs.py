"""Where a job runs on the Queue page: its farm queue and node in the detail pane (as
``show --json`` has them, from the job's log), the node on its row while it runs there,
and who ran each step in the Steps list. A real SQLite store written as the Celery
executor writes it (its log lines, its steps' workers)."""

import gui_support
from gui_support import items, settle

from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.gui.queue import detail
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery import where
from pyblish_qml_queue.queue.model import Job

make_gui = gui_support.make_gui  # a shared fixture

OWNER = "celery:1:0"
QUEUE = "pyblish.maya.2025.linux"
NODE = "pyblish@render-07"


def add(store, n):
    job = Job.from_payload(sample.sample_payload(n, n_steps=3))
    store.add(job)
    return job.id


def on_the_farm(store, job_id):
    """The job claimed and sent to a farm node, its first step done there, its second
    running: the lines and steps :class:`~.celery.executor.CeleryExecutor` writes."""
    assert store.claim(OWNER, 600.0).id == job_id
    store.add_log(job_id, "info", f"attempt 1 of 3 sent to the farm queue {QUEUE}")
    store.add_log(job_id, "info", f"{where.RUNNING} {NODE}")
    store.start_step(job_id, OWNER, 0, worker={"node": NODE})
    store.finish_step(job_id, OWNER, 0, model.STEP_SUCCEEDED, duration=1.0)
    store.start_step(job_id, OWNER, 1, worker={"node": NODE})


def texts(item):
    """The texts of ``item`` and the items under it."""
    found, stack = [], [item]
    while stack:
        item = stack.pop()
        text = item.property("text")
        if isinstance(text, str) and text:
            found.append(text)
        stack.extend(item.childItems())
    return found


def test_a_farm_job_shows_its_queue_and_node_in_the_detail_and_its_node_on_its_row(
    qapp, store, make_gui
):
    job_id = add(store, 0)
    on_the_farm(store, job_id)
    session, root = make_gui(store)
    session.app.showQueue()
    session.queue.select(job_id)
    settle(qapp, session)

    assert session.jobs.summary(job_id)["node"] == NODE
    selected = session.queue.selected
    assert (selected["farmQueue"], selected["node"], selected["nodeState"]) == (
        QUEUE,
        NODE,
        "running",
    )
    (row,) = items(root, "jobRow:" + job_id)
    assert any(t.startswith("on render-07 · ") for t in texts(row))  # the node's host
    (title,) = items(root, "jobWhere")
    assert title.property("text") == f"on {NODE} · queue {QUEUE}"
    rows = {item.property("index"): item for item in items(root, "stepRow:")}
    shown = {
        n: next(w.property("text") for w in items(root, "stepWorker") if rows[n].isAncestorOf(w))
        for n in rows
    }
    assert shown == {0: "render-07", 1: "render-07", 2: "—"}  # the Steps list's worker column

    # The node stops answering: the executor says so in the log, and sends the job again.
    store.add_log(job_id, "warning", f"{where.LOST} farm node {NODE} sent no heartbeat for 6 s")
    session.queue.reload_selected()
    settle(qapp, session)
    assert session.queue.selected["nodeState"] == "lost"
    assert title.property("text") == f"on {NODE}, lost · queue {QUEUE}"


def test_a_local_job_shows_no_farm_and_its_steps_name_the_worker_process(qapp, store, make_gui):
    here = detail.MACHINE
    job_id = add(store, 1)
    store.claim("ws-01:4242:0", 600.0)
    store.start_step(job_id, "ws-01:4242:0", 0, worker={"machine": "ws-01", "pid": 4242})
    store.finish_step(job_id, "ws-01:4242:0", 0, model.STEP_SUCCEEDED)
    store.start_step(job_id, "ws-01:4242:0", 1, worker={"machine": here, "pid": 4243})
    session, root = make_gui(store)
    session.app.showQueue()
    session.queue.select(job_id)
    settle(qapp, session)

    assert session.jobs.summary(job_id)["node"] == ""
    selected = session.queue.selected
    assert (selected["farmQueue"], selected["node"], selected["nodeState"]) == ("", "", "")
    (title,) = items(root, "jobWhere")
    assert title.property("text") == ""
    # the machine is named when it is not this one
    assert [r["worker"] for r in session.steps.rows()] == ["pid 4242 · ws-01", "pid 4243", ""]


def test_a_finished_farm_job_names_the_node_it_ran_on_but_its_row_does_not(qapp, store, make_gui):
    job_id = add(store, 2)
    on_the_farm(store, job_id)
    for index in (1, 2):
        store.start_step(job_id, OWNER, index, worker={"node": NODE})
        store.finish_step(job_id, OWNER, index, model.STEP_SUCCEEDED, duration=1.0)
    store.finish_job(job_id, OWNER, model.SUCCEEDED)
    session, root = make_gui(store)
    session.app.showQueue()
    session.queue.select(job_id)
    settle(qapp, session)

    assert session.jobs.summary(job_id)["node"] == ""  # the history's rows are listed
    assert session.queue.selected["nodeState"] == ""
    (title,) = items(root, "jobWhere")
    assert title.property("text") == f"ran on {NODE} · queue {QUEUE}"
    assert [r["worker"] for r in session.steps.rows()] == [NODE] * 3
