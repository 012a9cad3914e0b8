"""A long history in the Queue page (issue 17, item 4), by its shape, not its time: the
first page is read at start and the rest on the reader's thread; a keystroke asks no
Python of each row; the periodic resync reads the store on the reader's thread only and
hands the GUI only the jobs that changed."""

import threading

import gui_support
import pytest
from PySide6.QtTest import QAbstractItemModelTester
from waiting import wait_until

from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.gui.queue import jobs as jobs_module
from pyblish_qml_queue.gui.queue.filter import JobFilterProxy
from pyblish_qml_queue.gui.queue.jobs import JobListModel
from pyblish_qml_queue.gui.session import Session
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

qt_messages = gui_support.qt_messages  # a shared fixture

JOBS = 60
PAGE = 5


class Watched(SQLiteJobStore):
    """The real store, noting which thread each read ran on."""

    def __init__(self, path):
        super().__init__(path)
        self.calls = []  # (method, thread name)

    def _note(self, name):
        self.calls.append((name, threading.current_thread().name))

    def get(self, job_id):
        self._note("get")
        return super().get(job_id)

    def jobs(self, *args, **kwargs):
        self._note("jobs")
        return super().jobs(*args, **kwargs)

    def listing(self, newest=None):
        self._note("listing" if newest is None else "page")
        return super().listing(newest)

    def counts(self):
        self._note("counts")
        return super().counts()

    def on_gui_thread(self):
        main = threading.main_thread().name
        return [name for name, thread in self.calls if thread == main]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(jobs_module, "PAGE", PAGE)
    store = Watched(str(tmp_path / "jobs.db"))
    sample.fill_store(store, JOBS)
    yield store
    store.close()


@pytest.fixture
def session(qapp, store):
    session = Session(store, sync_interval=0)
    yield session
    session.close()
    session.deleteLater()


def all_in(qapp, session):
    def done():
        session.bridge.drain()
        return session.jobs.complete and not session._backlog

    wait_until(done, what="the whole history listed", tick=qapp.processEvents)


def full_rows(store):
    every = JobListModel(store, page=0)
    every.load()
    return every.rows()


def test_the_first_page_is_read_at_start_and_the_rest_on_the_readers_thread(qapp, store, session):
    finished = sum(1 for job in store.jobs() if job.state in model.FINISHED)
    assert finished > PAGE
    assert session.jobs.rowCount() == JOBS - finished + PAGE
    assert not session.jobs.complete
    assert store.on_gui_thread().count("page") == 1
    assert "listing" not in store.on_gui_thread()

    session.app.showQueue()  # the rest comes when the Queue page first shows
    all_in(qapp, session)

    assert ("listing", "job-reader") in store.calls
    assert "listing" not in store.on_gui_thread()
    assert session.jobs.rows() == full_rows(store)
    assert session.jobs.state_counts == {k: v for k, v in store.counts().items()}
    shown = session.job_proxy
    assert [
        shown.index(n, 0).data(session.jobs.role("jobId")) for n in range(shown.rowCount())
    ] == [row.jobId for row in session.jobs.rows()]


def test_a_filter_set_while_the_history_comes_in_holds_for_the_rows_that_come(
    qapp, store, session, qt_messages
):
    QAbstractItemModelTester(
        session.job_proxy, QAbstractItemModelTester.FailureReportingMode.Warning
    )
    session.queue.setStateFilter(model.FAILED)
    session.queue.setSearch("sh")
    session.app.showQueue()
    all_in(qapp, session)

    proxy = session.job_proxy
    shown = [proxy.index(n, 0).data(session.jobs.role("jobId")) for n in range(proxy.rowCount())]
    expected = [
        row.jobId
        for row in full_rows(store)
        if row.state == model.FAILED and "sh" in f"{row.title} {row.jobId}".lower()
    ]
    assert shown == expected and shown
    assert session.queue.counts["shown"] == len(expected)
    assert not [m for m in qt_messages if "FAIL" in m.upper()]


def test_a_keystroke_asks_no_python_of_each_row_and_reads_no_store(qapp, store, monkeypatch):
    every = JobListModel(store, page=0)
    every.load()
    proxy = JobFilterProxy(every)
    asked = []
    real_value = every.value
    monkeypatch.setattr(
        every, "value", lambda row, role: asked.append(row) or real_value(row, role)
    )
    store.calls.clear()

    for text in ("s", "sh", "sh1", "sh10", "sh1", ""):
        proxy.set_search(text)

    assert asked == []  # Qt asked no row for its data: only a view asks, for what it shows
    assert store.calls == []
    proxy.set_search("sh10")
    assert [proxy.index(n, 0).data(every.role("jobId")) for n in range(proxy.rowCount())] == [
        row.jobId for row in every.rows() if "sh10" in f"{row.title} {row.jobId}".lower()
    ]


def test_the_periodic_resync_reads_on_the_readers_thread_and_hands_over_only_changes(
    qapp, store, session
):
    session.app.showQueue()
    all_in(qapp, session)
    other = SQLiteJobStore(store.path)  # another process: the CLI
    try:
        added = Job.from_payload(sample.sample_payload(500))
        other.add(added)
        queued = next(job for job in other.jobs(state=model.QUEUED))
        other.cancel(queued.id)
        gone = next(job for job in other.jobs(state=model.SUCCEEDED))
        other.remove(gone.id)
    finally:
        other.close()
    handed = []
    session.bridge.jobsRead.connect(lambda reads: handed.append(set(reads)))
    store.calls.clear()

    session.look_for_changes()  # first look: maybe events are on their way
    wait_until(lambda: ("counts", "job-reader") in store.calls, what="the first check")
    session.look_for_changes()  # second look: list the store

    wait_until(
        lambda: session.jobs.row_of(added.id) >= 0 and session.jobs.row_of(gone.id) < 0,
        what="the changes in the rows",
        tick=lambda: (session.bridge.drain(), qapp.processEvents()),
    )
    assert session.jobs.summary(queued.id)["state"] == model.CANCELLED
    # The GUI thread read one job: the one that ended, for its report (Queue._report_ended).
    assert store.on_gui_thread() == ["get"]
    assert handed == [{added.id, queued.id, gone.id}]
    assert session.jobs.rows() == full_rows(store)


def test_the_search_finds_a_title_an_id_a_host_or_a_user(qapp, store):
    every = JobListModel(store, page=0)
    every.load()
    proxy = JobFilterProxy(every)
    row = every.rows()[7]

    def shown():
        return [proxy.index(n, 0).data(every.role("jobId")) for n in range(proxy.rowCount())]

    for text, field in [
        (row.title.upper(), "title"),
        (row.jobId[:10], "jobId"),
        (row.machine, "machine"),
        (row.user.upper(), "user"),
        (row.application.lower(), "application"),
    ]:
        proxy.set_search(text)
        expected = [r.jobId for r in every.rows() if text.lower() in r[field].lower()]
        assert row.jobId in shown() and shown() == expected, field
