"""Salvage of a damaged store (issue 14, item 11): a real store file with pages in its
middle overwritten is moved aside at open; salvage puts back every job it can still read
whole, counts the others as lost, and never writes the damaged file."""

import hashlib
import shutil
import sys

import pytest
from salvage_support import JOBS, damage_middle, filled_store

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.salvage import CLI, ROWS, SalvageError, salvage
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def expected(state, steps):
    """A job as salvage puts it back: a running one interrupted, its step pending."""
    if state == model.RUNNING:
        return model.INTERRUPTED, [s if s != "running" else "pending" for s in steps]
    return state, steps


@pytest.fixture
def damaged(tmp_path):
    """``(moved-aside file, the jobs it held, the live store)``."""
    path = str(tmp_path / "jobs.db")
    held = filled_store(path)
    hit = damage_middle(path)
    assert {"jobs", "steps"} <= hit, hit  # the damage reaches job rows and step rows
    live = SQLiteJobStore(path)
    assert live.recovered_from, "the damaged store was not moved aside"
    assert live.jobs() == []
    yield live.recovered_from, held, live
    live.close()


@pytest.mark.parametrize("cli", [None, "sqlite3"], ids=["row-by-row", "sqlite3-cli"])
def test_salvage_puts_back_every_whole_job_and_counts_the_lost(damaged, cli):
    if cli and not shutil.which(cli):
        pytest.skip("no sqlite3 command line")
    path, held, live = damaged
    before = digest(path)
    found = salvage(path, live, cli=cli)
    assert found.method in ((ROWS,) if cli is None else (CLI, ROWS))
    assert found.recovered and found.lost
    assert len(found.recovered) + len(found.lost) == JOBS  # every job accounted for
    assert set(found.recovered) | set(found.lost) == set(held)
    for job_id in found.recovered:
        job = live.get(job_id)
        assert (job.state, [s.state for s in job.steps]) == expected(*held[job_id])
        assert "salvaged from the damaged store" in live.log(job_id)[-1]["message"]
    assert len(live.jobs()) == len(found.recovered)
    assert digest(path) == before  # the damaged file is never written


def test_a_salvaged_running_job_resumes_at_its_first_unfinished_step(tmp_path):
    source = str(tmp_path / "old.db")
    held = filled_store(source, n=20)
    live = SQLiteJobStore(str(tmp_path / "live.db"))
    try:
        found = salvage(source, live, cli=None)  # an undamaged file: everything back
        assert (len(found.recovered), found.lost, found.lost_exact) == (20, [], True)
        running = [i for i, (state, _) in held.items() if state == model.RUNNING]
        assert running
        for job_id in running:
            job = live.get(job_id)
            assert job.state == model.INTERRUPTED and job.owner is None
            assert [s.state for s in job.steps] == ["succeeded", "pending", "pending"]
        claimed = live.claim("ws02:1:bbbb", 30.0)  # the first unfinished job in the queue
        assert claimed.id in running and claimed.next_step.index == 1
    finally:
        live.close()


def test_jobs_already_in_the_live_store_are_left_alone(damaged):
    path, _, live = damaged
    first = salvage(path, live, cli=None)
    again = salvage(path, live, cli=None)
    assert again.recovered == [] and sorted(again.present) == sorted(first.recovered)
    assert len(live.jobs()) == len(first.recovered)


def test_a_file_that_is_no_database_is_a_salvage_error(tmp_path, store):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all" * 500)
    with pytest.raises(SalvageError, match="not a database"):
        salvage(str(garbage), store, cli=None)


FAKE_CLI = """#!{python}
import sqlite3, sys
if sys.argv[2:] == [".recover"]:  # a file it reads whole: its dump
    for line in sqlite3.connect(sys.argv[1]).iterdump():
        print(line)
else:  # sqlite3 TARGET < dump
    sqlite3.connect(sys.argv[1]).executescript(sys.stdin.read())
"""


def test_a_sqlite3_whose_recover_works_is_used_and_its_database_read(tmp_path):
    """Debian's sqlite3 has no working .recover (no sqlite_dbpage), so the command line's
    path is shown with a stand-in that dumps what it reads, as .recover does."""
    fake = tmp_path / "sqlite3"
    fake.write_text(FAKE_CLI.format(python=sys.executable))
    fake.chmod(0o755)
    source = str(tmp_path / "old.db")
    held = filled_store(source, n=20)
    live = SQLiteJobStore(str(tmp_path / "live.db"))
    try:
        found = salvage(source, live, cli=str(fake))
        assert found.method == CLI
        assert sorted(found.recovered) == sorted(held) and found.lost == []
    finally:
        live.close()


def test_a_sqlite3_whose_recover_fails_falls_back_to_row_by_row(tmp_path):
    fake = tmp_path / "sqlite3"
    fake.write_text("#!/bin/sh\necho 'sql error: SQL logic error (1)' >&2\nexit 1\n")
    fake.chmod(0o755)
    source = str(tmp_path / "old.db")
    held = filled_store(source, n=10)
    live = SQLiteJobStore(str(tmp_path / "live.db"))
    try:
        found = salvage(source, live, cli=str(fake))
        assert found.method == ROWS and sorted(found.recovered) == sorted(held)
    finally:
        live.close()
