"""The tray: notifications on job state changes, the icon and menu, closing, quit choices,
and one app per user session."""

import json
import os
import threading

import gui_support
import pytest
from cli_support import run_cli
from factories import make_job
from gui_support import items, settle
from PySide6.QtGui import QColor
from waiting import wait_until

from pyblish_qml_queue.common import settings
from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.gui.app import session_of  # noqa: F401 - keeps the app module loaded
from pyblish_qml_queue.gui.desktop import icon as trayicon
from pyblish_qml_queue.gui.desktop import tray as tray_module
from pyblish_qml_queue.gui.desktop.notify import FARM_FAILED, notice_for
from pyblish_qml_queue.gui.desktop.parts import desktop_of
from pyblish_qml_queue.gui.desktop.quitting import CANCEL, RESUME_LATER, STAY, WAIT, QuitFlow
from pyblish_qml_queue.gui.singletons import DESKTOPS
from pyblish_qml_queue.hub.hub import Hub
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture

OWNER = "test:1:0"


class FakeExecutor(sample.SampleExecutor):
    """What the tray and the quit flow use of an executor, with jobs that run until told."""

    def __init__(self, running=()):
        super().__init__(store=None, concurrency=2)
        self.jobs = list(running)
        self.cancelled = []
        self.lock = threading.Lock()

    def running(self):
        with self.lock:
            return list(self.jobs)

    def cancel(self, job_id):
        self.cancelled.append(job_id)
        with self.lock:
            self.jobs.remove(job_id)
        return model.CANCELLED


def start_job(store, title="sh0140 anim caches", n_steps=2):
    job = make_job(n_steps=n_steps, title=title)
    store.add(job)
    claimed = store.claim(OWNER, 60.0)
    assert claimed.id == job.id
    return job.id


def changed(session, *ids):
    """Tell the app jobs changed, the way the executor and the store sync do."""
    for job_id in ids:
        session.bridge.job_changed(job_id)
    session.bridge.drain()


def end_job(session, job_id, state, error=None):
    session.store.finish_job(job_id, OWNER, state, error=error)
    changed(session, job_id)


@pytest.fixture
def gui(make_gui, home):
    """An app without a tray (as offscreen), with the notices it showed."""
    store = MemoryJobStore()
    session, root = make_gui(store, tray_options={"available": False})
    tray = desktop_of(root_engine(session)).tray
    shown = []
    tray.noticeShown.connect(shown.append)
    return session, tray, shown


def root_engine(session):
    for engine, desktop in DESKTOPS.items():
        if desktop.session is session:
            return engine
    raise LookupError("no desktop for this session")


# -- notifications ----------------------------------------------------------------------


def test_a_job_that_succeeds_shows_a_notice_and_clicking_it_opens_the_job(qapp, gui):
    session, tray, shown = gui
    job_id = start_job(session.store)
    changed(session, job_id)
    assert shown == []
    end_job(session, job_id, model.SUCCEEDED)
    (notice,) = shown
    assert (notice["jobId"], notice["title"]) == (job_id, "Publish succeeded")
    assert notice["subject"] == "sh0140 anim caches (python 3.11)"
    assert notice["detail"].startswith("1 instance")
    assert "Publish succeeded: sh0140 anim caches" in session.app.message  # no tray: status line
    session.queue.setStateFilter("failed")  # the job is hidden by a filter...
    tray.notice_clicked()
    assert session.app.page == "queue"
    assert session.queue.selectedId == job_id
    assert session.queue.stateFilter == ""  # ...which opening it cleared


def test_a_failed_job_notifies_and_marks_the_icon_failed_until_the_queue_is_seen(qapp, gui):
    session, tray, shown = gui
    job_id = start_job(session.store)
    changed(session, job_id)
    assert tray.state == tray_module.RUNNING
    end_job(session, job_id, model.FAILED, "ExtractVDB: disk full on /cache\nTraceback...")
    assert [(n["kind"], n["detail"]) for n in shown] == [
        ("failed", "ExtractVDB: disk full on /cache")
    ]
    assert tray.state == tray_module.FAILED
    session.app.showQueue()
    assert tray.state == tray_module.IDLE


def test_a_farm_signal_that_fails_a_waiting_job_notifies_as_a_farm_failure(qapp, gui):
    session, tray, shown = gui
    store = session.store
    job_id = start_job(store, n_steps=1)
    step = store.get(job_id).steps[0]
    store.start_step(job_id, OWNER, step.index)
    store.finish_step(job_id, OWNER, step.index, model.STEP_WAITING, farm={"farm_job": "64a1"})
    end_job(session, job_id, model.WAITING)
    assert shown == []
    store.signal_step(job_id, step.plugin, step.instance, "failure", "frame 12 crashed")
    session.sync()  # as the session does for a change made by another process
    (notice,) = shown
    assert notice["kind"] == FARM_FAILED and notice["title"] == "Farm job failed"
    assert "frame 12 crashed" in notice["detail"]


def test_notice_for_names_a_waiting_job_failed_by_its_farm():
    job = make_job(title="sh0090 comp render")
    job.state, job.error = model.FAILED, "Deadline job 65c2 failed: out of memory"
    assert notice_for(job, model.WAITING)["kind"] == FARM_FAILED
    assert notice_for(job, model.RUNNING)["kind"] == "failed"
    job.state = model.CANCELLED
    assert notice_for(job, model.RUNNING) == {}


def test_jobs_finished_before_the_app_started_stay_quiet(qapp, make_gui, home):
    store = MemoryJobStore()
    sample.fill_store(store, 12)
    session, root = make_gui(store, tray_options={"available": False})
    tray = desktop_of(root_engine(session)).tray
    shown = []
    tray.noticeShown.connect(shown.append)
    session.sync()
    session.jobs.refresh([r["jobId"] for r in session.jobs.rows()])
    assert shown == []


def test_several_jobs_finishing_at_once_give_one_summary_notice(qapp, gui):
    session, tray, shown = gui
    ids = [start_job(session.store, title=f"sh01{n}0") for n in range(4)]
    changed(session, *ids)
    for n, job_id in enumerate(ids):
        session.store.finish_job(job_id, OWNER, model.FAILED if n == 2 else model.SUCCEEDED)
    changed(session, *ids)
    (notice,) = shown
    assert notice["title"] == "4 publishes finished"
    assert notice["subject"] == "3 succeeded, 1 failed"
    assert notice["jobId"] == ids[2]  # clicking opens the failed one


def test_the_notifications_setting_turns_them_off_and_is_kept_in_the_home(qapp, gui, home):
    session, tray, shown = gui
    tray.setNotifications(False)
    with open(os.path.join(str(home), "settings.json")) as f:
        assert json.load(f)["notifications"] is False
    assert settings.load()["notifications"] is False
    job_id = start_job(session.store)
    changed(session, job_id)
    end_job(session, job_id, model.FAILED, "boom")
    assert shown == []
    assert tray.state == tray_module.FAILED  # the icon still tells


def test_a_broken_settings_file_means_the_defaults(home):
    path = os.path.join(str(home), "settings.json")
    with open(path, "w") as f:
        f.write("{not json")
    assert settings.load() == settings.DEFAULTS
    with open(path, "w") as f:
        json.dump({"notifications": "no", "future": 1}, f)
    assert settings.load() == dict(settings.DEFAULTS, notifications=True, future=1)


# -- icon, menu, window ------------------------------------------------------------------


def test_the_icon_is_drawn_in_the_colour_of_its_state(qapp):
    def flag_colour(state):
        image = trayicon.draw_icon(state, 2).toImage()
        return image.pixelColor(14, 40).name()

    assert flag_colour(tray_module.IDLE) == QColor(trayicon.COLORS["idle"]).name()
    assert flag_colour(tray_module.RUNNING) == QColor(trayicon.COLORS["running"]).name()
    assert flag_colour(tray_module.FAILED) == QColor(trayicon.COLORS["failed"]).name()


def test_the_tray_menu_says_hosts_and_running_jobs_and_pauses_the_queue(
    qapp, qt_messages, make_gui, home
):
    store = MemoryJobStore()
    sample.fill_store(store, 12)
    executor = FakeExecutor()
    session, root = make_gui(
        store,
        hub=sample.SampleHub(sample.sample_hosts()),
        executor=executor,
        tray_options={"available": True},
    )
    tray = desktop_of(root_engine(session)).tray
    settle(qapp, session)
    actions = tray._actions
    assert actions["overview"].text() == "Overview\t4 hosts"
    assert actions["queue"].text() == "Queue\t2 running"
    assert actions["notifications"].isChecked()
    assert not qapp.quitOnLastWindowClosed()  # the tray keeps the app
    actions["pause"].trigger()
    assert executor.paused and actions["pause"].text() == "Resume queue"
    actions["pause"].trigger()
    assert not executor.paused and actions["pause"].text() == "Pause queue"
    actions["console"].trigger()
    assert session.app.page == "console"
    assert tray.closeWindow() is True  # hides into the tray, asks nothing
    tray.close()
    qapp.setQuitOnLastWindowClosed(True)


def test_without_a_tray_closing_the_window_asks_only_when_jobs_run(qapp, make_gui, home):
    asked = []
    executor = FakeExecutor()
    session, root = make_gui(
        MemoryJobStore(),
        executor=executor,
        tray_options={"available": False, "ask": lambda titles: asked.append(titles) or STAY},
    )
    tray = desktop_of(root_engine(session)).tray
    assert qapp.quitOnLastWindowClosed()
    assert tray.closeWindow() is True and asked == []
    executor.jobs.append("job-1")
    assert tray.closeWindow() is False
    assert asked == [["job-1"]]


def test_a_raise_event_from_the_hub_thread_brings_the_window_to_the_front(qapp, make_gui, home):
    hub = sample.SampleHub(sample.sample_hosts())
    session, root = make_gui(MemoryJobStore(), hub=hub, tray_options={"available": False})
    raised = []
    session.app.raiseRequested.connect(lambda: raised.append(True))
    thread = threading.Thread(target=hub.fire, args=({"type": "raise"},))
    thread.start()
    thread.join()
    wait_until(lambda: raised, 10, "the window raised", tick=qapp.processEvents)


# -- quit choices ------------------------------------------------------------------------


def quit_flow(executor, choice):
    quits, asked = [], []

    def ask(titles):
        asked.append(titles)
        return choice

    flow = QuitFlow(executor, lambda: quits.append(True), ask=ask, poll=20)
    return flow, quits, asked


def test_quit_with_nothing_running_quits_without_asking(qapp):
    flow, quits, asked = quit_flow(FakeExecutor(), WAIT)
    assert flow.request() == "quit"
    assert quits == [True] and asked == []


def test_quit_now_and_resume_later_leaves_the_jobs_to_the_shutdown(qapp):
    executor = FakeExecutor(["a", "b"])
    flow, quits, asked = quit_flow(executor, RESUME_LATER)
    assert flow.request() == RESUME_LATER
    assert asked == [["a", "b"]] and quits == [True]
    assert executor.cancelled == []  # executor.stop() at shutdown releases them


def test_quit_and_cancel_cancels_every_running_job_then_quits(qapp):
    executor = FakeExecutor(["a", "b"])
    flow, quits, _ = quit_flow(executor, CANCEL)
    flow.request()
    assert executor.cancelled == ["a", "b"] and quits == [True]


def test_quit_and_wait_pauses_the_queue_and_quits_when_the_jobs_end(qapp):
    executor = FakeExecutor(["a", "b"])
    flow, quits, _ = quit_flow(executor, WAIT)
    flow.request()
    assert executor.paused and flow.waiting and quits == []
    with executor.lock:
        executor.jobs.remove("a")
    qapp.processEvents()
    assert quits == []
    with executor.lock:
        executor.jobs.clear()
    wait_until(lambda: quits, 10, "the quit", tick=qapp.processEvents)


def test_keep_running_changes_nothing_and_a_cancelled_wait_resumes_the_queue(qapp):
    executor = FakeExecutor(["a"])
    flow, quits, _ = quit_flow(executor, STAY)
    assert flow.request() == STAY
    assert quits == [] and not executor.paused
    waiting, _, _ = quit_flow(executor, WAIT)
    waiting.request()
    waiting.cancel_waiting()
    assert not executor.paused and not waiting.waiting


# -- one app per user session --------------------------------------------------------------


def test_a_second_app_brings_the_running_one_to_the_front_and_exits(home):
    hub = Hub()
    hub.start()
    raised = threading.Event()
    hub.subscribe(lambda event: event.get("type") == "raise" and raised.set())
    try:
        result = run_cli("app")
    finally:
        hub.close()
    assert result.returncode == 0, result.stderr
    assert f"runs already (pid {os.getpid()})" in result.stdout
    assert raised.is_set()


def test_a_second_app_beside_serve_says_so_and_fails(home):
    hub = Hub()  # serve's hub: no window subscribes
    hub.start()
    try:
        result = run_cli("app")
    finally:
        hub.close()
    assert result.returncode == 1
    assert "has no window" in result.stderr and f"kill {os.getpid()}" in result.stderr


def test_a_tray_that_appears_after_the_app_gets_the_icon_without_a_restart(
    qapp, qtbot, make_gui, home
):
    there = []  # no tray yet: a panel starts later
    session, root = make_gui(
        MemoryJobStore(),
        tray_options={"probe": lambda: bool(there), "watch_ms": 20},
    )
    tray = desktop_of(root_engine(session)).tray
    (menu,) = items(root, "windowMenu")
    assert tray.available is False and tray._icon is None
    assert menu.property("visible") is True
    assert qapp.quitOnLastWindowClosed()  # without a tray closing the window quits
    qtbot.wait(80)
    assert tray._icon is None  # still looking, nothing found
    there.append(True)
    qtbot.waitUntil(lambda: tray.available, timeout=2000)
    assert tray._icon is not None
    assert not tray._watch.isActive()  # found: it stops looking
    assert not qapp.quitOnLastWindowClosed()  # the tray keeps the app now
    qtbot.waitUntil(lambda: menu.property("visible") is False, timeout=2000)  # the ☰ goes
    assert tray.closeWindow() is True
    tray.close()
    qapp.setQuitOnLastWindowClosed(True)


def test_an_app_told_there_is_no_tray_does_not_look_for_one(qapp, make_gui, home):
    session, _root = make_gui(MemoryJobStore(), tray_options={"available": False})
    tray = desktop_of(root_engine(session)).tray
    assert not tray._watch.isActive()
