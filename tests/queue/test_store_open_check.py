"""The store's check at open: the whole file (``PRAGMA quick_check``) only when its last
close was not clean, else its header and schema at open and the whole file on a thread
after it, which finds damage and has the next open move the file aside."""

import logging
import os
import subprocess
import sys

import pytest
from factories import make_job
from salvage_support import damage_middle, filled_store
from waiting import wait_until

from pyblish_qml_queue.queue.sqlite import file as sqlite_file
from pyblish_qml_queue.queue.sqlite import schema
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "jobs.db")


@pytest.fixture
def later(monkeypatch):
    """The check after open starts at once (it waits CHECK_DELAY s in the app)."""
    monkeypatch.setattr(sqlite_file, "CHECK_DELAY", 0.0)


@pytest.fixture
def never(monkeypatch):
    """The check after open does not come during the test."""
    monkeypatch.setattr(sqlite_file, "CHECK_DELAY", 3600.0)


def test_a_cleanly_closed_store_is_not_read_whole_at_open(db, never):
    store = SQLiteJobStore(db)
    store.add(make_job())
    store.close()
    assert schema.closed_cleanly(db)

    store = SQLiteJobStore(db)
    try:
        assert not store._file.checked.is_set()  # the whole file is for later
        assert store.recovered_from is None and store.damaged is None
        assert len(store.jobs()) == 1
    finally:
        store.close()
    assert schema.closed_cleanly(db)  # closed cleanly again


def test_a_store_its_last_process_did_not_close_is_read_whole_at_open(db, never):
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[2]);"
        "from factories import make_job;"
        "from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore;"
        "s = SQLiteJobStore(sys.argv[1]); s.add(make_job()); os._exit(0)"
    )
    SQLiteJobStore(db).close()
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", code, db, tests], check=True, timeout=60)
    assert not schema.closed_cleanly(db)  # its WAL holds the job

    store = SQLiteJobStore(db)
    try:
        assert store._file.checked.is_set()
        assert len(store.jobs()) == 1
    finally:
        store.close()


def test_full_check_reads_a_cleanly_closed_store_whole_at_open(db, never):
    SQLiteJobStore(db).close()
    store = SQLiteJobStore(db, full_check=True)
    try:
        assert store._file.checked.is_set()
    finally:
        store.close()


def test_the_check_after_open_of_a_healthy_store_finds_nothing(db, later):
    filled_store(db, n=50)
    store = SQLiteJobStore(db)
    try:
        assert store._file.checked.wait(30.0)
        assert store.damaged is None
    finally:
        store.close()
    assert schema.closed_cleanly(db)


def unnoticed(path, damage):
    """Damage the file as ``damage(path)`` does, its size and times kept: as if the disk
    went bad under a store closed cleanly (no open can tell from the marker)."""
    st = os.stat(path)
    damage(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert schema.closed_cleanly(path)


def test_damage_found_after_open_is_logged_and_the_next_open_moves_the_store_aside(
    db, later, caplog
):
    filled_store(db)
    unnoticed(db, damage_middle)

    with caplog.at_level(logging.ERROR, logger="pyblish_qml_queue.queue.sqlite.file"):
        store = SQLiteJobStore(db)
        try:
            assert store.recovered_from is None  # its header and schema are whole
            wait_until(lambda: store.damaged is not None, 30.0, "the check after open")
        finally:
            store.close()
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage().startswith(f"The job store at {db} is damaged (")
    assert "doctor --salvage" in error.getMessage()
    assert not schema.closed_cleanly(db)  # no marker: the next open reads it whole

    store = SQLiteJobStore(db)
    try:
        assert store.recovered_from is not None  # moved aside, as a damaged file at open
        assert store.jobs() == []
    finally:
        store.close()


def test_a_truncated_store_is_moved_aside_at_open_even_when_its_marker_says_clean(db, never):
    filled_store(db, n=100)

    def truncate(path):
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)

    st = os.stat(db)
    truncate(db)
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))
    schema.mark_closed(db)  # a marker that matches: only the header tells
    store = SQLiteJobStore(db)
    try:
        assert store.recovered_from is not None
        assert store.jobs() == []
    finally:
        store.close()


def test_the_header_check_tells_garbage_and_truncation_and_passes_a_new_file(db):
    assert schema.header_problem(db) is None  # not there
    open(db, "wb").close()
    assert schema.header_problem(db) is None  # empty: a new store
    with open(db, "wb") as f:
        f.write(b"this is not a database, " * 400)
    assert schema.header_problem(db) == "file is not a database"
    os.remove(db)
    filled_store(db, n=20)
    assert schema.header_problem(db) is None
    with open(db, "r+b") as f:
        f.truncate(os.path.getsize(db) - 4096)
    assert "truncated" in schema.header_problem(db)
