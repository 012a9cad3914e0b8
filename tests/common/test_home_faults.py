"""Small faults of the home (issue 14, item 11), through real CLI processes: an
unwritable log is one line, not a traceback per record; a zero-byte jobs.db is
moved aside and said, like a corrupt one; doctor warns of a moved-aside store
until ``doctor --ack``."""

import os
import time

from cli_support import run_cli

from pyblish_qml_queue.queue.sqlite import file as sqlite_file


def test_an_unwritable_log_file_is_one_line_per_command(home):
    os.makedirs(os.path.join(str(home), "logs", "cli.log"))  # root ignores modes: a folder
    done = run_cli("--verbose", "jobs", home=home)
    assert done.returncode == 0
    lines = done.stderr.strip().splitlines()
    warnings = [line for line in lines if "not logging to" in line]
    assert len(warnings) == 1, done.stderr
    assert "Traceback" not in done.stderr and "Logging error" not in done.stderr


def test_a_zero_byte_store_is_moved_aside_and_said(home):
    db = os.path.join(str(home), "jobs.db")
    open(db, "wb").close()
    old = time.time() - sqlite_file.EMPTY_AGE - 60
    os.utime(db, (old, old))
    done = run_cli("jobs", home=home)
    assert done.returncode == 0, done.stderr
    assert "moved to" in done.stderr and "jobs.db.corrupt-" in done.stderr, done.stderr
    moved = [n for n in os.listdir(str(home)) if n.startswith("jobs.db.corrupt-")]
    assert len(moved) == 1 and os.path.getsize(os.path.join(str(home), moved[0])) == 0
    with open(os.path.join(str(home), "logs", "cli.log")) as f:
        assert "was empty (0 bytes)" in f.read()


def test_a_fresh_zero_byte_store_is_one_being_created(home):
    open(os.path.join(str(home), "jobs.db"), "wb").close()
    done = run_cli("jobs", home=home)
    assert done.returncode == 0 and "moved" not in done.stderr, done.stderr


def test_doctor_warns_of_a_moved_aside_store_until_acknowledged(home):
    with open(os.path.join(str(home), "jobs.db"), "wb") as f:
        f.write(b"this is not a database, " * 100)
    assert "corrupt" in run_cli("jobs", home=home).stderr
    for _ in range(2):  # not only right after the move
        doctor = run_cli("doctor", home=home, timeout=120)
        assert "moved aside" in doctor.stdout and "--ack" in doctor.stdout, doctor.stdout
        assert "all good" not in doctor.stdout
    acked = run_cli("doctor", "--ack", home=home, timeout=120)
    assert "acknowledged 1 moved-aside store" in acked.stdout, acked.stdout
    after = run_cli("doctor", home=home, timeout=120)
    assert "moved aside" not in after.stdout, after.stdout
    assert any(n.startswith("jobs.db.corrupt-") for n in os.listdir(str(home)))  # kept
