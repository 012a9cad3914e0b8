"""The Qt models: correct by QAbstractItemModelTester, incremental, fed through the bridge."""

import sys
import threading

import gui_support
import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtTest import QAbstractItemModelTester

from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.gui.bridge import EventBridge
from pyblish_qml_queue.gui.overview.filter import HostFilterProxy
from pyblish_qml_queue.gui.overview.hosts import ROLE_IDS as HOST_ROLES
from pyblish_qml_queue.gui.overview.hosts import HostListModel
from pyblish_qml_queue.gui.queue.detail import JobLogModel, JobStepModel, LogLevelProxy, log_lines
from pyblish_qml_queue.gui.queue.filter import JobFilterProxy
from pyblish_qml_queue.gui.queue.jobs import JobListModel
from pyblish_qml_queue.gui.roles import DISPLAY_ROLE, USER_ROLE
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.memory import MemoryJobStore
from pyblish_qml_queue.queue.model import Job

qt_messages = gui_support.qt_messages  # a shared fixture

WARNING = QAbstractItemModelTester.FailureReportingMode.Warning


def with_tester(model_):
    """Attach a model tester that reports through Qt warnings (captured by qt_messages)."""
    model_._tester = QAbstractItemModelTester(model_, WARNING)
    return model_


def test_the_models_role_numbers_are_qts():
    """The models use plain ints for Qt's roles (no ``Qt`` namespace before the first
    frame): they are Qt's own numbers."""
    assert DISPLAY_ROLE == Qt.ItemDataRole.DisplayRole.value
    assert USER_ROLE == Qt.ItemDataRole.UserRole.value
    assert min(HOST_ROLES.values()) == USER_ROLE + 1


def add_jobs(store, n, start=0):
    ids = []
    for k in range(start, start + n):
        job = Job.from_payload(sample.sample_payload(k))
        store.add(job)
        ids.append(job.id)
    return ids


# -- hosts ------------------------------------------------------------------------------


def test_host_model_and_its_filter_pass_the_model_tester(qapp, qt_messages):
    hosts = with_tester(HostListModel())
    proxy = with_tester(HostFilterProxy(hosts))
    hosts.set_hosts(sample.sample_hosts()[:2])
    hosts.upsert(sample.sample_hosts())  # three added, two changed
    changed = dict(sample.sample_hosts()[0], state="integrating", stage="integrate")
    hosts.upsert([changed])
    proxy.set_group("active")
    proxy.set_search("maya")
    proxy.set_sort_key("application")
    hosts.remove(["h-maya", "h-python"])
    proxy.set_group("all")
    assert hosts.rowCount() == 3
    assert qt_messages.problems() == []


def test_a_changed_host_notifies_only_its_row_and_the_roles_that_changed(qapp):
    hosts = HostListModel()
    hosts.set_hosts(sample.sample_hosts())
    seen = []
    hosts.dataChanged.connect(lambda first, last, roles: seen.append((first.row(), list(roles))))
    snap = dict(hosts.snapshot("h-houdini"), errors=3)

    hosts.upsert([snap, hosts.snapshot("h-nuke")])  # Nuke did not change

    assert seen == [(1, [HOST_ROLES["errors"]])]


def test_host_filter_groups_hosts_as_active_finished_and_disconnected(qapp):
    hosts = HostListModel()
    hosts.set_hosts(sample.sample_hosts())
    proxy = HostFilterProxy(hosts)

    def shown():
        return sorted(proxy.index(r, 0).data(HOST_ROLES["hostId"]) for r in range(proxy.rowCount()))

    proxy.set_group("active")
    assert shown() == ["h-houdini", "h-maya"]
    proxy.set_group("finished")
    assert shown() == ["h-nuke", "h-python"]
    proxy.set_group("disconnected")
    assert shown() == ["h-maya-2"]
    proxy.set_group("all")
    proxy.set_search("ws-fx")
    assert shown() == ["h-houdini"]


# -- jobs ---------------------------------------------------------------------------------


def test_job_model_and_its_filter_pass_the_model_tester_through_every_change(qapp, qt_messages):
    store = MemoryJobStore()
    sample.fill_store(store, 20)
    jobs = with_tester(JobListModel(store))
    proxy = with_tester(JobFilterProxy(jobs))
    jobs.load()
    queued = [r["jobId"] for r in jobs.rows() if r["state"] == model.QUEUED]
    new = add_jobs(store, 3, start=100)
    jobs.refresh(new)  # inserts
    store.move(new[-1], -5)
    jobs.refresh([r.id for r in store.jobs() if r.state in model.CLAIMABLE])  # moves
    store.cancel(queued[0])
    jobs.refresh([queued[0]])  # queue -> history: a move and a change
    store.remove(new[0])
    jobs.refresh([new[0]])  # a removal
    running = next(r["jobId"] for r in jobs.rows() if r["state"] == model.RUNNING)
    jobs.progress({running: {"index": 3, "fraction": 0.5}})
    proxy.set_state("active")
    proxy.set_host("Maya")
    proxy.set_search("sh")
    assert jobs.rowCount() == 22
    assert qt_messages.problems() == []


def test_job_rows_change_one_by_one_and_the_model_never_resets_after_loading(qapp):
    store = MemoryJobStore()
    ids = add_jobs(store, 50)
    jobs = JobListModel(store)
    jobs.load()
    resets = []
    jobs.modelReset.connect(lambda: resets.append(1))
    changed = []
    jobs.dataChanged.connect(lambda a, b, roles: changed.append((a.row(), b.row())))

    owner = "test:1:0"
    job = store.claim(owner, 60.0)
    store.start_step(job.id, owner, 0)
    jobs.refresh([job.id])
    store.finish_step(job.id, owner, 0, model.STEP_SUCCEEDED, duration=1.0)
    jobs.refresh([job.id])
    jobs.refresh(add_jobs(store, 1, start=50))

    assert resets == []
    assert all(first == last for first, last in changed)  # one row at a time
    row = jobs.summary(ids[0])
    assert (row["state"], row["done"]) == (model.RUNNING, 1)
    assert jobs.rowCount() == 51


def test_job_rows_keep_the_queue_order_after_moves_and_state_changes(qapp):
    store = MemoryJobStore()
    a, b, c = add_jobs(store, 3)
    jobs = JobListModel(store)
    jobs.load()
    assert [r["jobId"] for r in jobs.rows()] == [a, b, c]

    store.move(c, -2)
    jobs.refresh_many(store.jobs(state=model.QUEUED))
    assert [r["jobId"] for r in jobs.rows()] == [c, a, b]
    assert [r["queueNumber"] for r in jobs.rows()] == [1, 2, 3]

    store.cancel(a)
    jobs.refresh([a])
    assert [r["jobId"] for r in jobs.rows()] == [c, b, a]  # history after the queue
    assert [r["queueNumber"] for r in jobs.rows()] == [1, 2, 0]


def test_a_progress_event_moves_the_bar_without_reading_the_store(qapp):
    store = MemoryJobStore()
    (job_id,) = add_jobs(store, 1)
    jobs = JobListModel(store)
    jobs.load()
    owner = "test:1:0"
    store.claim(owner, 60.0)
    store.start_step(job_id, owner, 0)
    jobs.refresh([job_id])
    total = jobs.summary(job_id)["total"]
    reads = []
    real_get = store.get
    store.get = lambda *a, **k: reads.append(a) or real_get(*a, **k)

    jobs.progress({job_id: {"event": "progress", "index": 0, "fraction": 0.5}})

    assert jobs.summary(job_id)["progress"] == pytest.approx(0.5 / total)
    assert reads == []


def test_job_filter_shows_jobs_by_state_host_and_search(qapp):
    store = MemoryJobStore()
    sample.fill_store(store, 30)
    jobs = JobListModel(store)
    jobs.load()
    proxy = JobFilterProxy(jobs)

    def shown():
        return [proxy.mapToSource(proxy.index(r, 0)).row() for r in range(proxy.rowCount())]

    rows = jobs.rows()
    proxy.set_state(model.FAILED)
    assert {rows[n]["state"] for n in shown()} == {model.FAILED}
    proxy.set_state("")
    proxy.set_host("Houdini")
    assert shown() and {rows[n]["application"] for n in shown()} == {"Houdini"}
    proxy.set_host("")
    proxy.set_search(rows[7]["jobId"][:10])
    assert shown() == [7]


# -- the selected job -----------------------------------------------------------------------


def test_step_log_and_level_models_pass_the_model_tester(qapp, qt_messages):
    store = MemoryJobStore()
    ids = sample.fill_store(store, 10)
    steps = with_tester(JobStepModel())
    logs = with_tester(JobLogModel())
    levels = with_tester(LogLevelProxy(logs))
    for job_id in ids[:4]:
        job = store.get(job_id)
        steps.set_job(job)
        logs.set_lines(job.id, log_lines(job, store.log(job.id)))
        steps.progress({"index": 0, "fraction": 0.3, "message": "frame 3"})
        logs.add_live(1.0, "frame 3")
    levels.set_level("WARNING")
    levels.set_level("")
    steps.set_job(None)
    assert qt_messages.problems() == []


def test_the_log_appends_new_lines_and_drops_live_ones_when_the_store_catches_up(qapp):
    logs = JobLogModel()
    first = [{"time": 1.0, "level": "INFO", "source": "queue", "message": "claimed"}]
    logs.set_lines("j", first)
    logs.add_live(2.0, "frame 1001")
    resets = []
    logs.modelReset.connect(lambda: resets.append(1))
    more = first + [{"time": 3.0, "level": "INFO", "source": "Extract", "message": "done"}]

    logs.set_lines("j", more)

    assert [r["message"] for r in logs.rows()] == ["claimed", "done"]
    assert resets == []


# -- the bridge -------------------------------------------------------------------------------


def test_the_bridge_coalesces_host_events_per_host_and_job_events_per_job(qapp):
    bridge = EventBridge(interval=10_000)
    batches = {"hosts": [], "jobs": []}
    bridge.hostsUpdated.connect(lambda snaps: batches["hosts"].append(snaps))
    bridge.jobsUpdated.connect(lambda jobs: batches["jobs"].append(jobs))
    hosts = sample.sample_hosts()
    for n in range(100):
        for host in hosts[:3]:
            bridge.push_hub({"type": "host_changed", "host": dict(host, errors=n)})
        bridge.push_job({"job_id": "a", "event": "progress", "index": 0, "fraction": n / 100})
    bridge.push_job({"job_id": "b", "event": "step_finished", "index": 0})

    assert bridge.drain() == 401
    assert len(batches["hosts"]) == 1
    assert [(s["id"], s["errors"]) for s in batches["hosts"][0]] == [
        ("h-maya", 99),
        ("h-houdini", 99),
        ("h-nuke", 99),
    ]
    (jobs,) = batches["jobs"]
    assert jobs["a"] == {
        "reload": False,
        "progress": {"job_id": "a", "event": "progress", "index": 0, "fraction": 0.99},
    }
    assert jobs["b"]["reload"] is True
    bridge.stop()


def test_events_pushed_from_worker_threads_are_handled_on_the_gui_thread(qapp, qtbot):
    bridge = EventBridge(interval=10)
    handled_on = []
    bridge.jobsUpdated.connect(lambda jobs: handled_on.append(QThread.currentThread()))
    threads = [
        threading.Thread(
            target=lambda: [bridge.push_job({"job_id": "x", "event": "e"}) for _ in range(500)]
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    qtbot.waitUntil(lambda: bool(handled_on), timeout=5000)
    assert set(handled_on) == {qapp.thread()}
    bridge.stop()


def test_a_million_qt_calls_from_python_do_not_wear_out_none_or_true(qapp):
    """PySide6 6.12.0 on Python < 3.12 takes a reference from None on every void call and
    from True on every emit, and aborts Python (none_dealloc); the dependency pin keeps it out."""
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    hosts = HostListModel()
    for _ in range(250_000):
        hosts.beginResetModel()
        hosts.endResetModel()
        hosts.countChanged.emit()
        hosts.countChanged.emit()

    assert sys.getrefcount(None) > none_before - 1000
    assert sys.getrefcount(True) > true_before - 1000


def test_a_host_card_summarises_its_instances_by_family():
    from pyblish_qml_queue.gui.overview.hosts import instance_summary

    counts = {"count": 5, "families": [["pointcache", 3], ["camera", 1], ["review", 1]]}
    assert instance_summary(counts) == "5 · pointcache 3 · camera 1 · review 1"
    assert instance_summary({"count": 0, "families": []}) == ""
    assert instance_summary(None) == ""  # hosts of older versions send no counts
