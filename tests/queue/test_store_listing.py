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


def test_the_newest_page_is_every_unfinished_job_and_the_newest_finished_ones(db):
    store = SQLiteJobStore(db)
    try:
        ids = []
        for k in range(12):
            job = make_job()
            job.created = 1000.0 + k
            store.add(job)
            ids.append(job.id)
        for k, job_id in enumerate(ids[:9]):  # end them in an order of their own
            store.cancel(job_id)
            store._connection().execute(
                "UPDATE jobs SET finished = ? WHERE id = ?", (5000.0 - 10 * (k % 3) - k, job_id)
            )
        store._connection().commit()
        finished = sorted(
            (job for job in store.jobs() if job.state == "cancelled"),
            key=lambda job: (-job.finished, job.position),
        )

        page = list(store.listing(newest=4))

        assert {values[0] for values in page[:3]} == set(ids[9:])  # unfinished first
        assert [values[0] for values in page[3:]] == [job.id for job in finished[:4]]
        assert {values[0] for values in store.listing(newest=100)} == set(ids)
    finally:
        store.close()


def test_a_v3_file_gets_the_history_index(db):
    class StoreV3(SQLiteJobStore):
        MIGRATIONS = MIGRATIONS[:3]

    old = StoreV3(db)
    old.close()

    store = SQLiteJobStore(db)
    try:
        store.add(make_job())
        conn = store._connection()
        assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM jobs INDEXED BY jobs_ended "
            "WHERE state IN ('succeeded', 'failed', 'cancelled') "
            "ORDER BY COALESCE(finished, updated, created) DESC, position LIMIT 5"
        ).fetchall()
        assert "USE TEMP B-TREE" not in str(plan)  # the index gives the order: no sort
        assert len(list(store.listing(newest=5))) == 1
    finally:
        store.close()
