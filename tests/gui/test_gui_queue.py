"""The Queue page drives the real store and executor; a restart brings the page back."""

import json
import os
import threading
import time

import gui_support
from gui_support import items, settle
from waiting import wait_until

from pyblish_qml_queue.common.states import HostState
from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.memory import MemoryJobStore
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture


def add(store, payload):
    job = Job.from_payload(payload)
    store.add(job)
    return job.id


def row_state(session, job_id):
    settle_once(session)
    return session.jobs.summary(job_id)["state"]


def settle_once(session):
    session.bridge.drain()


def test_cancel_on_the_queue_page_stops_the_running_worker(
    qapp, store, plugins, executor, make_gui
):
    job_id = add(store, plugins.payload(["Hold", "Mark"], key="held"))
    session, root = make_gui(store, executor=executor)
    wait_until(lambda: plugins.pid("held"), what="the Hold step to start", tick=qapp.processEvents)
    wait_until(
        lambda: row_state(session, job_id) == model.RUNNING,
        tick=qapp.processEvents,
        what="the row to show the job running",
    )
    session.queue.select(job_id)

    session.queue.cancel()

    wait_until(
        lambda: store.get(job_id).state == model.CANCELLED,
        timeout=5.0,
        tick=qapp.processEvents,
        what="the job to be cancelled",
    )
    wait_until(
        lambda: row_state(session, job_id) == model.CANCELLED,
        timeout=5.0,
        tick=qapp.processEvents,
        what="the row to show the job cancelled",
    )
    assert session.queue.selected["state"] == model.CANCELLED


def test_retry_failed_steps_on_the_queue_page_runs_only_what_failed(
    qapp, store, plugins, executor, make_gui
):
    job_id = add(store, plugins.payload(["Mark", "FailUnlessFixed"], key="r"))
    session, root = make_gui(store, executor=executor)
    wait_until(
        lambda: row_state(session, job_id) == model.FAILED,
        tick=qapp.processEvents,
        what="the job to fail",
    )
    session.queue.select(job_id)
    assert session.queue.selected["failedSteps"] == 1

    plugins.fix()
    session.queue.retryFailed()

    wait_until(
        lambda: row_state(session, job_id) == model.SUCCEEDED,
        tick=qapp.processEvents,
        what="the retried job to succeed",
    )
    assert plugins.runs("r", "Mark") == 1
    assert plugins.runs("r", "FailUnlessFixed") == 2


def test_move_up_and_down_reorder_the_queue_in_the_store_and_on_the_page(qapp, store, make_gui):
    ids = [add(store, sample.sample_payload(n)) for n in range(3)]
    session, root = make_gui(store)
    session.app.showQueue()
    session.queue.select(ids[0])

    session.queue.moveDown()
    session.queue.moveDown()

    expected = [ids[1], ids[2], ids[0]]
    assert [j.id for j in store.jobs()] == expected
    assert [r["jobId"] for r in session.jobs.rows()] == expected
    session.queue.moveUp()
    assert [r["jobId"] for r in session.jobs.rows()] == [ids[1], ids[0], ids[2]]
    settle(qapp, session)
    rows = sorted(items(root, "jobRow:"), key=lambda item: item.y())
    assert [item.property("jobId") for item in rows] == [ids[1], ids[0], ids[2]]


def test_an_action_the_store_refuses_shows_one_line_and_changes_nothing(qapp, store, make_gui):
    job_id = add(store, sample.sample_payload(0))
    session, root = make_gui(store)
    session.queue.select(job_id)

    session.queue.retryAll()  # a queued job cannot be retried

    assert "Could not retry job" in session.app.message
    assert "\n" not in session.app.message
    assert store.get(job_id).state == model.QUEUED


def test_remove_deletes_the_selected_job_from_store_and_page(qapp, store, make_gui):
    ids = [add(store, sample.sample_payload(n)) for n in range(2)]
    store.cancel(ids[0])
    session, root = make_gui(store)
    session.queue.select(ids[0])

    session.queue.remove(ids[0])

    assert [j.id for j in store.jobs()] == [ids[1]]
    assert [r["jobId"] for r in session.jobs.rows()] == [ids[1]]
    assert session.queue.selected == {}


def test_open_report_writes_json_and_html_next_to_the_store(qapp, home, store, make_gui):
    (job_id,) = sample.fill_store(store, 1, running=0)
    session, root = make_gui(store)
    opened = []
    session.queue.open_url = lambda url: opened.append(url.toString()) or True
    session.queue.select(job_id)

    session.queue.openReport()

    with open(home / "reports" / f"{job_id}.json") as f:
        report = json.load(f)
    assert report["id"] == job_id and report["steps"]
    assert opened == [f"file://{home}/reports/{job_id}.html"]
    assert session.queue.unopened == ""


def test_a_job_that_ends_gets_its_report_at_once(qapp, home, store, make_gui):
    job_id = add(store, sample.sample_payload(0))
    session, root = make_gui(store)
    session.queue.select(job_id)
    assert session.queue.selected["report"] == ""  # not written while the job is active
    path = home / "reports" / f"{job_id}.html"

    store.cancel(job_id)
    session.jobs.refresh([job_id])  # as the bridge does when the job's event comes

    assert path.exists() and (home / "reports" / f"{job_id}.json").exists()
    session.queue.reload_selected()
    assert session.queue.selected["report"] == str(path)


def test_a_retried_job_gets_its_report_again_when_it_ends_again(qapp, home, store, make_gui):
    job_id = add(store, sample.sample_payload(0))
    session, root = make_gui(store)
    path = home / "reports" / f"{job_id}.html"
    store.cancel(job_id)
    session.jobs.refresh([job_id])
    assert path.exists()
    path.unlink()
    (home / "reports" / f"{job_id}.json").unlink()

    store.retry(job_id)
    session.jobs.refresh([job_id])
    assert not path.exists()  # not written while the job is active again
    store.cancel(job_id)
    session.jobs.refresh([job_id])

    assert path.exists() and (home / "reports" / f"{job_id}.json").exists()


def test_when_nothing_opens_the_report_the_app_says_so_and_offers_the_path(
    qapp, home, store, make_gui
):
    (job_id,) = sample.fill_store(store, 1, running=0)
    session, root = make_gui(store)
    root.show()
    session.app.showQueue()
    session.queue.open_url = lambda url: False  # no file launcher on this machine
    session.queue.select(job_id)

    session.queue.openReport()
    settle(qapp, session)

    path = str(home / "reports" / f"{job_id}.html")
    assert session.queue.unopened == path
    assert "Nothing on this machine opens the report" in session.app.message
    assert items(root, "unopened")[0].isVisible()
    _click(qapp, root, items(root, "copyPath")[0])
    assert qapp.clipboard().text() == path
    assert session.queue.unopened == ""


def test_pause_and_resume_reach_the_executor_and_the_footer(qapp, store, executor, make_gui):
    session, root = make_gui(store, executor=executor)
    session.queue.pause()
    assert executor.paused and session.queue.paused
    session.queue.resume()
    assert not executor.paused and not session.queue.paused


def test_a_restart_on_the_same_store_restores_the_queue_page(qapp, tmp_path, make_gui):
    path = str(tmp_path / "restart.db")
    first = SQLiteJobStore(path)
    sample.fill_store(first, 30)
    session, root = make_gui(first)
    before = [
        (r["jobId"], r["state"], r["done"], r["total"], r["queueNumber"])
        for r in session.jobs.rows()
    ]
    first.close()

    again = SQLiteJobStore(path)
    try:
        session2, root2 = make_gui(again)
        after = [
            (r["jobId"], r["state"], r["done"], r["total"], r["queueNumber"])
            for r in session2.jobs.rows()
        ]
    finally:
        again.close()
    assert after == before
    assert {state for _, state, *_ in after} == set(model.JOB_STATES)


def test_jobs_changed_by_another_process_show_up_without_an_event(qapp, store, make_gui):
    """As `pyblish-qml-queue cancel` from a terminal: the page catches up by itself."""
    ids = [add(store, sample.sample_payload(n)) for n in range(3)]
    session, root = make_gui(store)
    other = SQLiteJobStore(store.path)
    try:
        other.cancel(ids[1])
        add(other, sample.sample_payload(9))
    finally:
        other.close()

    session.sync_if_stale()  # first look: maybe events are on their way
    session.sync_if_stale()  # second look: read the store

    assert session.jobs.summary(ids[1])["state"] == model.CANCELLED
    assert session.jobs.rowCount() == 4
    assert os.path.exists(store.path)


class ReadsByThread:
    """Counts the store reads (get, log) made on each thread."""

    def __init__(self, store):
        self.threads = []
        for name in ("get", "log"):
            real = getattr(store, name)
            setattr(store, name, self._counted(real))

    def _counted(self, real):
        def read(*args, **kwargs):
            self.threads.append(threading.current_thread())
            return real(*args, **kwargs)

        return read

    def on_gui_thread(self):
        return sum(1 for t in self.threads if t is threading.main_thread())


def test_a_step_checkpoint_reaches_the_row_and_detail_pane_without_a_gui_thread_read(
    qapp, store, make_gui
):
    job_id = add(store, sample.sample_payload(0, n_steps=4))
    owner = "test:1:0"
    store.claim(owner, 60.0)
    store.start_step(job_id, owner, 0)
    session, root = make_gui(store)
    session.queue.select(job_id)
    reads = ReadsByThread(store)

    store.finish_step(job_id, owner, 0, model.STEP_SUCCEEDED, duration=1.0)
    store.start_step(job_id, owner, 1)
    session.bridge.push_job({"job_id": job_id, "event": "step_finished", "index": 0})
    wait_until(
        lambda: settle_once(session) is None and session.jobs.summary(job_id)["done"] == 1,
        timeout=5.0,
        tick=qapp.processEvents,
        what="the row to show the finished step",
    )

    assert [r["stepState"] for r in session.steps.rows()][:2] == [
        model.STEP_SUCCEEDED,
        model.STEP_RUNNING,
    ]
    assert session.queue.selected["done"] == 1
    assert reads.threads and reads.on_gui_thread() == 0


def test_a_background_read_older_than_the_row_does_not_bring_a_removed_job_back(
    qapp, store, make_gui
):
    ids = [add(store, sample.sample_payload(n)) for n in range(2)]
    session, root = make_gui(store)
    before = time.monotonic()
    stale = store.get(ids[0])
    session.queue.select(ids[0])

    session.queue.remove(ids[0])
    session.on_reads({ids[0]: (before, stale, [])})

    assert session.jobs.row_of(ids[0]) == -1
    assert [r["jobId"] for r in session.jobs.rows()] == [ids[1]]


def test_the_action_bar_enables_what_python_allows_for_the_selected_job(qapp, store, make_gui):
    ids = [add(store, sample.sample_payload(n)) for n in range(2)]
    store.cancel(ids[1])
    session, root = make_gui(store)
    session.app.showQueue()

    def buttons():
        settle(qapp, session)
        found = items(root, "queueAction:")
        return {b.objectName().split(":")[1]: b.property("enabled") for b in found}

    assert session.queue.can == dict.fromkeys(session.queue.can, False)
    assert not any(buttons().values())

    session.queue.select(ids[0])  # queued
    assert session.queue.can["moveUp"] and session.queue.can["cancel"]
    assert not session.queue.can["retry"]
    assert buttons() == session.queue.can

    session.queue.select(ids[1])  # cancelled, no failed step
    assert session.queue.can["retry"] and not session.queue.can["retryFailed"]
    assert not session.queue.can["cancel"] and not session.queue.can["moveUp"]
    assert buttons() == session.queue.can


def _click(qapp, root, target):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    centre = target.mapToScene(target.boundingRect().center()).toPoint()
    QTest.mouseClick(
        root, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(centre)
    )
    qapp.processEvents()


def test_show_in_queue_on_a_card_opens_the_queue_with_that_job_selected(qapp, store, make_gui):
    ids = [add(store, sample.sample_payload(n)) for n in range(3)]
    handed = ids[1]
    hub = sample.SampleHub(
        [
            sample.snapshot("h1", state=HostState.HANDED_OFF, done=4, total=9, job_id=handed),
            sample.snapshot("h2", application="Nuke", state=HostState.HANDED_OFF, job_id=ids[2]),
        ]
    )
    session, root = make_gui(store, hub)
    root.show()
    session.queue.setStateFilter("failed")  # hides every job: the link must show it anyway
    settle(qapp, session)
    card = items(root, "hostCard:h1")[0]
    link = next(i for i in items(root, "showInQueue") if card.isAncestorOf(i))
    assert card.property("job")["title"] == store.get(handed).title

    _click(qapp, root, link)
    settle(qapp, session)

    assert session.app.page == "queue"
    assert session.queue.selectedId == handed
    assert session.queue.stateFilter == ""
    row = items(root, "jobRow:" + handed)
    assert row and row[0].property("selected") is True and row[0].isVisible()


def test_remove_names_its_job_and_asks_first(qapp, store, make_gui):
    ids = [add(store, sample.sample_payload(n)) for n in range(2)]
    for job_id in ids:
        store.cancel(job_id)
    session, root = make_gui(store)
    root.show()
    session.app.showQueue()
    session.queue.select(ids[0])
    settle(qapp, session)

    _click(qapp, root, items(root, "queueAction:remove")[0])
    settle(qapp, session)
    assert len(store.jobs()) == 2, "nothing removed before the answer"
    assert items(root, "removeQuestion")[0].isVisible()
    _click(qapp, root, items(root, "removeKeep")[0])
    settle(qapp, session)
    assert len(store.jobs()) == 2 and not items(root, "removeQuestion")[0].isVisible()

    _click(qapp, root, items(root, "queueAction:remove")[0])
    session.queue.select(ids[1])  # the selection moves while the question is up
    settle(qapp, session)
    assert not items(root, "removeConfirm")[0].isVisible(), "the question went with it"
    _click(qapp, root, items(root, "queueAction:remove")[0])
    settle(qapp, session)
    _click(qapp, root, items(root, "removeConfirm")[0])
    settle(qapp, session)
    assert [j.id for j in store.jobs()] == [ids[0]]


def _right(item):
    return item.mapToScene(item.boundingRect().topRight()).x()


def _left(item):
    return item.mapToScene(item.boundingRect().topLeft()).x()


def test_at_the_smallest_sizes_the_queue_page_shows_every_column_and_button(qapp, store, make_gui):
    ids = [add(store, sample.sample_payload(n)) for n in range(4)]
    session, root = make_gui(store)
    root.show()
    session.app.showQueue()
    session.queue.select(ids[0])
    for width, height in ((760, 480), (860, 560)):
        root.resize(width, height)
        settle(qapp, session)
        assert (root.width(), root.height()) == (width, height)
        buttons = [i for i in items(root, "queueAction:") if i.isVisible()]
        assert len(buttons) == 8
        for button in buttons:
            assert 0 <= _left(button) and _right(button) <= width - 8, button.objectName()
        row = items(root, "jobRow:" + ids[0])[0]
        assert _right(row) <= width
        texts = [c for c in row.childItems()[-1].childItems()]
        assert texts and max(_right(c) for c in texts) <= width - 8
        status = next(i for i in items(root, "statusText") if i.isVisible())
        pause = next(
            b
            for b in items(root, "")
            if b.isVisible() and b.property("text") in ("Pause", "Resume")
        )
        assert _right(status) < _left(pause)


def test_the_job_counts_follow_the_search_and_filters(qapp, make_gui):
    store = MemoryJobStore()
    sample.fill_store(store, 12)
    session, root = make_gui(store)
    settle(qapp, session)
    queue = session.queue
    everything = dict(queue.counts)
    assert everything["shown"] == everything["total"] == 12
    title = session.jobs.rows()[0]["title"]
    queue.setSearch(title)
    settle(qapp, session)
    shown = session.job_proxy.rowCount()
    assert 0 < shown < 12
    assert queue.counts["shown"] == shown and queue.counts["total"] == 12
    assert queue.counts["active"] + queue.counts["finished"] == shown
    session.app.showQueue()  # the Queue page is built when first shown
    settle(qapp, session)
    (text,) = gui_support.items(root, "jobCounts")
    assert text.property("text").startswith(f"{shown} of 12 jobs · ")
    queue.setSearch("")
    settle(qapp, session)
    assert queue.counts == everything
    queue.setStateFilter("finished")
    settle(qapp, session)
    assert queue.counts["active"] == 0
    assert queue.counts["finished"] == queue.counts["shown"] == everything["finished"]
