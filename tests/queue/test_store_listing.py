"""The SQLite store's listing (issue 17, item 4): what a list of every job needs, as
columns, without a Job built or JSON parsed per job; and the migration that adds them."""

import json

import pytest
from factories import make_job

from pyblish_qml_queue.queue.sqlite import rows
from pyblish_qml_queue.queue.sqlite.schema import MIGRATIONS
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
from pyblish_qml_queue.queue.store import StoreError

NAMES = [name.strip() for name in rows.LISTING_COLUMNS.split(",")]


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "jobs.db")


def listed(store):
    return {values[0]: dict(zip(NAMES, values)) for values in store.listing()}


def expected(job):
    host = job.host
    return {
        "host_application": host.get("application"),
        "host_version": str(host["version"]) if host.get("version") else None,
        "host_machine": host.get("machine"),
        "host_user": str(host["user"]) if host.get("user") else None,
    }


def test_the_listing_holds_what_jobs_lists(db):
    store = SQLiteJobStore(db)
    try:
        for k in range(3):
            store.add(make_job(n_steps=k + 1))
        store.cancel(store.jobs()[0].id)
        by_id = listed(store)
        assert set(by_id) == {job.id for job in store.jobs()}
        for job in store.jobs():
            row = by_id[job.id]
            assert row == {
                "id": job.id,
                "title": job.title,
                "state": job.state,
                **expected(job),
                "created": job.created,
                "updated": job.updated,
                "started": job.started,
                "finished": job.finished,
                "position": job.position,
                "attempts": job.attempts,
                "max_attempts": job.max_attempts,
                "error": job.error,
                "cancel_requested": int(job.cancel_requested),
                "steps_done": job.progress[0],
                "steps_total": job.progress[1],
            }
    finally:
        store.close()


def test_a_v2_file_gets_the_host_columns_filled_from_its_jobs(db):
    class StoreV2(SQLiteJobStore):
        MIGRATIONS = MIGRATIONS[:2]

    old = StoreV2(db)
    jobs = [make_job(), make_job()]
    conn = old._connection()
    for job in jobs:
        # as the version before this one stored a job: no host_version / host_user
        columns = rows.JOB_INSERT_COLUMNS.replace(", host_version, host_user", "")
        values = rows.job_values(job, 1.0)[:-2]
        conn.execute(
            f"INSERT INTO jobs ({columns}, position) VALUES ({rows.placeholders(columns)}, 1)",
            values,
        )
    conn.commit()
    old.close()

    store = SQLiteJobStore(db)
    try:
        by_id = listed(store)
        for job in jobs:
            assert {k: by_id[job.id][k] for k in expected(job)} == expected(job)
        stored = dict(store._connection().execute("SELECT id, host FROM jobs").fetchall())
        assert json.loads(stored[jobs[0].id]) == jobs[0].host  # the JSON stays as it was
    finally:
        store.close()


def test_host_fields_that_are_not_text_are_listed_as_text(db):
    store = SQLiteJobStore(db)
    try:
        job = make_job()
        job.payload["host"].update(version=2025, user="")
        store.add(job)
        (row,) = listed(store).values()
        assert (row["host_version"], row["host_user"]) == ("2025", None)
    finally:
        store.close()


def test_a_listing_error_is_a_store_error(db):
    store = SQLiteJobStore(db)
    try:
        store.add(make_job())
        store._connection().execute("ALTER TABLE jobs DROP COLUMN host_user")  # any failure
        with pytest.raises(StoreError):
            list(store.listing())
    finally:
        store.close()
