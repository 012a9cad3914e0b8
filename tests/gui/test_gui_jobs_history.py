"""The Queue's job list over a long history (issue 17, item 4): read from the SQLite
store's listing, the same rows as from ``jobs()``; inserts in a batch; the search."""

import gui_support
from PySide6.QtTest import QAbstractItemModelTester

from pyblish_qml_queue.gui import sample
from pyblish_qml_queue.gui.queue.filter import JobFilterProxy
from pyblish_qml_queue.gui.queue.jobs import JobListModel
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

qt_messages = gui_support.qt_messages  # a shared fixture


class ListedByJobs:
    """The same store without ``listing()``: the model reads ``jobs()``, as for any store."""

    def __init__(self, store):
        self._store = store

    def jobs(self, *args, **kwargs):
        return self._store.jobs(*args, **kwargs)

    def get(self, job_id):
        return self._store.get(job_id)


def test_rows_from_the_listing_are_the_rows_from_jobs(qapp, tmp_path):
    store = SQLiteJobStore(str(tmp_path / "jobs.db"))
    try:
        sample.fill_store(store, 30)  # every state, two running
        via_listing, via_jobs = JobListModel(store), JobListModel(ListedByJobs(store))
        via_listing.load()
        via_jobs.load()
        assert via_listing.rows() == via_jobs.rows()
        assert via_listing.state_counts == via_jobs.state_counts
        assert via_listing.app_counts == via_jobs.app_counts
    finally:
        store.close()


def test_jobs_added_in_a_batch_find_their_rows(qapp, tmp_path, qt_messages):
    store = SQLiteJobStore(str(tmp_path / "jobs.db"))
    try:
        sample.fill_store(store, 30)
        jobs = JobListModel(store)
        jobs.load()
        QAbstractItemModelTester(jobs, QAbstractItemModelTester.FailureReportingMode.Warning)
        proxy = JobFilterProxy(jobs)
        added = []
        for k in range(10):
            job = Job.from_payload(sample.sample_payload(100 + k))
            store.add(job)
            added.append(job.id)
        store.cancel(added[3])
        jobs.refresh_many([store.get(job_id) for job_id in added])  # as a resync does
        rows = jobs.rows()
        for n, row in enumerate(rows):
            assert jobs.row_of(row["jobId"]) == n
        assert [r["_key"] for r in rows] == sorted(r["_key"] for r in rows)
        jobs.refresh([added[5]])
        store.remove(added[3])
        jobs.refresh([added[3]])
        assert jobs.row_of(added[3]) == -1
        assert all(jobs.row_of(r["jobId"]) == n for n, r in enumerate(jobs.rows()))
        assert proxy.rowCount() == jobs.rowCount()
        assert not [m for m in qt_messages if "FAIL" in m.upper()]
    finally:
        store.close()


def test_the_search_and_filters_agree_row_by_row(qapp, tmp_path):
    store = SQLiteJobStore(str(tmp_path / "jobs.db"))
    try:
        sample.fill_store(store, 40)
        jobs = JobListModel(store)
        jobs.load()
        proxy = JobFilterProxy(jobs)
        for state, host, search in [
            ("", "", "sh10"),
            ("active", "", ""),
            ("finished", "Maya", ""),
            ("failed", "", "a"),
            ("", "", ""),
        ]:
            proxy.set_state(state)
            proxy.set_host(host)
            proxy.set_search(search)
            shown = [proxy.index(n, 0).data(jobs.role("jobId")) for n in range(proxy.rowCount())]
            one_by_one = [
                row["jobId"]
                for n, row in enumerate(jobs.rows())
                if proxy.filterAcceptsRow(n, proxy.index(0, 0).parent())
            ]
            assert shown == one_by_one
        proxy.set_search("zzz-none")
        assert proxy.rowCount() == 0
        job = Job.from_payload(sample.sample_payload(7))
        job.payload["title"] = job.title = "zzz-none of the others"
        store.add(job)
        jobs.refresh([job.id])  # a new row is asked on its own
        assert proxy.rowCount() == 1
    finally:
        store.close()
