"""What only the SQLite store promises: durability, recovery from a corrupt file,
migrations, a full disk, and many processes sharing one file."""

import logging
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest
from factories import make_job

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite import store as sqlite_store
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
from pyblish_qml_queue.queue.store import JobNotFound, StoreBusy, StoreError, StoreFull

OWNER = "ws01:1234:aaaa"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "jobs.db")


def test_a_store_without_a_path_lives_in_the_queue_home(home):
    store = SQLiteJobStore()
    try:
        assert store.path == str(home / "jobs.db")
        assert os.path.exists(store.path)
    finally:
        store.close()


def test_the_file_uses_wal_and_the_schema_version(db):
    SQLiteJobStore(db).close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (len(sqlite_store.MIGRATIONS),)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"jobs", "steps", "job_log", "meta"} <= tables
    finally:
        conn.close()


def test_every_connection_syncs_fully_and_enforces_foreign_keys(db):
    store = SQLiteJobStore(db, busy_timeout=2.5)
    try:
        for conn in (store._connection(), _in_thread(store._connection)):
            assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
            assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert conn.execute("PRAGMA busy_timeout").fetchone() == (2500,)
        assert _in_thread(store._connection) is not store._connection()
    finally:
        store.close()


def _in_thread(function):
    out = []
    thread = threading.Thread(target=lambda: out.append(function()))
    thread.start()
    thread.join()
    return out[0]


def test_jobs_steps_and_log_survive_reopening(db):
    store = SQLiteJobStore(db)
    job = make_job(n_steps=2)
    store.add(job)
    store.claim(OWNER, 30)
    store.finish_step(
        job.id, OWNER, 0, model.STEP_SUCCEEDED, records=[{"msg": "kept"}], changes={"x": 1}
    )
    store.add_log(job.id, "INFO", "hello")
    store.close()

    again = SQLiteJobStore(db)
    try:
        got = again.get(job.id)
        assert (got.state, got.owner, got.attempts) == (model.RUNNING, OWNER, 1)
        assert got.steps[0].records == [{"msg": "kept"}]
        assert got.steps[0].changes == {"x": 1}
        assert again.log(job.id)[-1]["message"] == "hello"
        assert again.recovered_from is None
    finally:
        again.close()


def test_a_checkpoint_moves_steps_done_by_one_without_counting_the_jobs_steps(db):
    store = SQLiteJobStore(db)
    try:
        job = make_job(n_steps=4)
        store.add(job)
        store.claim(OWNER, 30)
        statements = []
        store._connection().set_trace_callback(statements.append)
        progress = []
        for index, state in enumerate(
            (model.STEP_SUCCEEDED, model.STEP_SKIPPED, model.STEP_FAILED, model.STEP_SUCCEEDED)
        ):
            store.start_step(job.id, OWNER, index)
            store.finish_step(job.id, OWNER, index, state)
            progress.append(store.jobs()[0].progress)
        store.start_step(job.id, OWNER, 0)  # run again: leaves a done state
        progress.append(store.get(job.id).progress)
        store._connection().set_trace_callback(None)
        assert progress == [(1, 4), (2, 4), (2, 4), (3, 4), (2, 4)]
        checkpoints = [s for s in statements if "steps" in s and "COUNT(" in s.upper()]
        assert checkpoints == []
    finally:
        store.close()


ADD_AND_REPORT = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from factories import make_job
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
    store = SQLiteJobStore({db!r})
    while True:
        job = make_job(n_steps=1)
        store.add(job)
        print(job.id, flush=True)
    """
)


def test_every_add_that_returned_survives_kill_9(db):
    SQLiteJobStore(db).close()
    code = ADD_AND_REPORT.format(root=ROOT, tests=os.path.join(ROOT, "tests"), db=db)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acknowledged = [child.stdout.readline().strip() for _ in range(50)]
    child.send_signal(signal.SIGKILL)
    child.wait()
    store = SQLiteJobStore(db)
    try:
        assert store.recovered_from is None
        stored = {job.id for job in store.jobs()}
        assert set(acknowledged) <= stored
    finally:
        store.close()


# -- a corrupt file ----------------------------------------------------------------


def assert_fresh_store_works(store):
    assert store.jobs() == []
    job = make_job()
    assert store.add(job)
    assert store.claim(OWNER, 30).id == job.id


def test_a_file_of_garbage_is_moved_aside_and_a_fresh_store_starts(db, caplog):
    with open(db, "wb") as f:
        f.write(b"this is not a database, " * 400)
    with open(db + "-wal", "wb") as f:
        f.write(b"junk")
    with caplog.at_level(logging.WARNING, logger="pyblish_qml_queue.queue.sqlite.file"):
        store = SQLiteJobStore(db)
    try:
        moved = store.recovered_from
        assert moved is not None and os.path.basename(moved).startswith("jobs.db.corrupt-")
        with open(moved, "rb") as f:
            assert f.read(24) == b"this is not a database, "
        with open(moved + "-wal", "rb") as f:
            assert f.read() == b"junk"
        (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.getMessage() == (
            f"The job store at {db} was corrupt; moved it to {moved} and started a fresh "
            "store. Jobs in it are not in the queue."
        )
        assert_fresh_store_works(store)
    finally:
        store.close()


def test_a_truncated_store_is_moved_aside_and_a_fresh_store_starts(db):
    store = SQLiteJobStore(db)
    for _ in range(100):
        store.add(make_job(n_steps=3, n_instances=3))
    store.close()  # checkpoints the WAL into the file
    assert not os.path.exists(db + "-wal")
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        f.truncate(size // 2)

    store = SQLiteJobStore(db)
    try:
        assert store.recovered_from is not None
        assert os.path.getsize(store.recovered_from) == size // 2
        assert_fresh_store_works(store)
    finally:
        store.close()


def test_a_healthy_store_is_not_moved(db):
    SQLiteJobStore(db).close()
    store = SQLiteJobStore(db)
    try:
        assert store.recovered_from is None
        assert not [n for n in os.listdir(os.path.dirname(db)) if ".corrupt-" in n]
    finally:
        store.close()


# -- migrations --------------------------------------------------------------------


def add_notes_table(conn):
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('migrated')")


class StoreV2(SQLiteJobStore):
    MIGRATIONS = (*SQLiteJobStore.MIGRATIONS, add_notes_table)


def test_a_v1_file_is_migrated_once_by_a_newer_store(db):
    store = SQLiteJobStore(db)
    job = make_job()
    store.add(job)
    store.close()

    for _ in range(2):
        store = StoreV2(db)
        conn = store._connection()
        assert conn.execute("SELECT text FROM notes").fetchall() == [("migrated",)]
        newest = len(StoreV2.MIGRATIONS)
        assert conn.execute("PRAGMA user_version").fetchone() == (newest,)
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(newest),
        )
        assert store.get(job.id).title == job.title
        store.close()


def test_a_file_from_a_newer_version_is_refused_and_left_alone(db):
    StoreV2(db).close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteJobStore(db)
    assert os.path.exists(db)


def test_an_sqlite_older_than_3_35_is_refused(db, monkeypatch):
    monkeypatch.setattr(sqlite_store.sqlite3, "sqlite_version_info", (3, 31, 1))
    with pytest.raises(StoreError, match="3.35"):
        SQLiteJobStore(db)


# -- full disk and locks -------------------------------------------------------------


def fill_up(store):
    """Let this thread's connection grow the file by no page (SQLite then raises
    SQLITE_FULL, as on a full disk)."""
    conn = store._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return conn


def test_add_on_a_full_disk_raises_store_full_and_writes_nothing(db):
    store = SQLiteJobStore(db)
    try:
        kept = make_job()
        store.add(kept)
        conn = fill_up(store)
        big = make_job(n_steps=50, n_instances=20, env={"NOTES": "x" * 200_000})
        with pytest.raises(StoreFull, match="full"):
            store.add(big)
        with pytest.raises(JobNotFound):
            store.get(big.id)
        assert conn.execute(
            "SELECT COUNT(*) FROM steps WHERE job_id = ?", (big.id,)
        ).fetchone() == (0,)
        assert store.counts() == {"queued": 1}
        conn.execute("PRAGMA max_page_count = 1073741823")
        assert store.add(big)
        assert store.get(big.id).payload["env"]["NOTES"] == "x" * 200_000
    finally:
        store.close()


def test_a_checkpoint_on_a_full_disk_leaves_the_step_as_it_was(db):
    store = SQLiteJobStore(db)
    try:
        job = make_job(n_steps=2)
        store.add(job)
        store.claim(OWNER, 30)
        store.start_step(job.id, OWNER, 0)
        fill_up(store)
        with pytest.raises(StoreFull):
            store.finish_step(
                job.id, OWNER, 0, model.STEP_SUCCEEDED, records=[{"msg": "x" * 500_000}]
            )
        step = store.get(job.id).steps[0]
        assert (step.state, step.records) == (model.STEP_RUNNING, [])
    finally:
        store.close()


def test_a_lock_held_past_the_busy_timeout_raises_store_busy(db):
    store = SQLiteJobStore(db, busy_timeout=0.1)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy, match="locked"):
            store.add(make_job())
        other.execute("ROLLBACK")
        assert store.add(make_job())
    finally:
        other.close()
        store.close()


# -- many processes on one file ------------------------------------------------------


def claim_all(db, start, results):
    """In a child process: claim until the queue is empty, report the ids."""
    store = SQLiteJobStore(db)
    owner = f"ws01:{os.getpid()}:x"
    start.wait()
    ids = []
    while True:
        job = store.claim(owner, 30)
        if job is None:
            break
        ids.append(job.id)
        store.finish_job(job.id, owner, model.SUCCEEDED)
    store.close()
    results.put(ids)


def add_many(db, start, n):
    """In a child process: add ``n`` jobs."""
    store = SQLiteJobStore(db)
    start.wait()
    for _ in range(n):
        store.add(make_job(n_steps=1))
    store.close()


def test_processes_claiming_from_one_file_never_get_the_same_job(db):
    store = SQLiteJobStore(db)
    ids = [make_job(n_steps=1) for _ in range(200)]
    for job in ids:
        store.add(job)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4)
    results = ctx.Queue()
    children = [ctx.Process(target=claim_all, args=(db, start, results)) for _ in range(4)]
    for child in children:
        child.start()
    claimed = []
    for _ in children:
        claimed += results.get(timeout=120)
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    assert sorted(claimed) == sorted(job.id for job in ids)
    assert store.counts() == {"succeeded": 200}
    store.close()


def test_four_producer_processes_adding_100_jobs_each_give_400_jobs(db):
    SQLiteJobStore(db).close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4)
    children = [ctx.Process(target=add_many, args=(db, start, 100)) for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
        assert child.exitcode == 0
    store = SQLiteJobStore(db)
    try:
        listed = store.jobs()
        assert len(listed) == 400
        assert len({job.position for job in listed}) == 400
    finally:
        store.close()
