"""``doctor --salvage`` through real CLI processes: a damaged jobs.db is moved aside by
the next command, then salvaged into the live store with the counts said; doctor stops
warning of it, the damaged file stays as it was, and bad arguments exit 2."""

import json
import os

from cli_support import run_cli
from salvage_support import JOBS, damage_middle, filled_store


def damaged_home(home):
    db = os.path.join(str(home), "jobs.db")
    filled_store(db)
    damage_middle(db)
    moved = run_cli("jobs", home=home)  # any command opens the store and moves it aside
    assert moved.returncode == 0 and "was corrupt" in moved.stderr, moved.stderr
    (name,) = [
        n
        for n in os.listdir(str(home))
        if n.startswith("jobs.db.corrupt-") and not n.endswith(("-wal", "-shm"))
    ]
    return os.path.join(str(home), name)


def test_doctor_salvage_puts_the_readable_jobs_back_and_says_how_many(home):
    damaged = damaged_home(home)
    with open(damaged, "rb") as f:
        before = f.read()
    done = run_cli("doctor", "--salvage", "--json", home=home)
    assert done.returncode == 0, done.stderr
    (found,) = json.loads(done.stdout)["salvaged"]
    assert found["path"] == damaged
    assert found["recovered"] > 0 and found["lost"] > 0
    assert found["recovered"] + found["lost"] == JOBS
    listed = json.loads(run_cli("jobs", "--json", home=home).stdout)
    assert len(listed) == found["recovered"]
    with open(damaged, "rb") as f:
        assert f.read() == before  # never written, never deleted
    again = run_cli("doctor", "--salvage", home=home)  # it was acknowledged
    assert again.returncode == 0 and "no damaged store to salvage" in again.stdout


def test_doctor_salvage_of_a_file_says_the_counts_in_one_line(home):
    damaged = damaged_home(home)
    done = run_cli("doctor", "--salvage", damaged, home=home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"salvaged {damaged} (")
    assert "job(s) back in the queue" in done.stdout and "lost" in done.stdout


def test_doctor_salvage_refuses_a_missing_file_and_the_live_store(home):
    missing = run_cli("doctor", "--salvage", os.path.join(str(home), "nope.db"), home=home)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    live = os.path.join(str(home), "jobs.db")
    run_cli("jobs", home=home)
    refused = run_cli("doctor", "--salvage", live, home=home)
    assert refused.returncode == 2 and "is the live store" in refused.stderr
    assert "Traceback" not in missing.stderr + refused.stderr


def test_doctor_salvage_of_a_file_nothing_can_be_read_from_exits_1(home, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00junk" * 2000)
    done = run_cli("doctor", "--salvage", str(garbage), home=home)
    assert done.returncode == 1
    assert "could not salvage" in done.stderr and "Traceback" not in done.stderr
    assert garbage.exists()
