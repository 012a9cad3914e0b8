"""The command line, run as a real subprocess: exit codes, JSON shapes, one-line errors."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from cli_support import OWNER, run_cli
from cli_support import add_job as add
from cli_support import end_job as end
from conftest import ROOT
from executor_plugins import Plugins
from factories import make_payload

from pyblish_qml_queue.common.spool import write_job
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

PROG = "pyblish-qml-queue"


def cli(*args, timeout=60, env=None):
    return run_cli(*args, timeout=timeout, env=env)


def one_line_error(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{PROG}: "), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_jobs_json_lists_stored_and_spooled_jobs(home, home_store):
    stored = add(home_store, title="stored one", n_steps=3)
    spooled = make_payload(title="spooled one")
    write_job(spooled, str(home / "spool"))

    result = cli("jobs", "--json")

    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    assert [(j["id"], j["state"], j["spooled"]) for j in jobs] == [
        (stored, "queued", False),
        (spooled["id"], "queued", True),
    ]
    assert jobs[0]["progress"] == {"done": 0, "total": 3}
    assert {"title", "host", "user", "created", "attempts", "max_attempts", "error"} <= set(jobs[0])


def test_jobs_prints_a_table_with_short_ids_and_filters_by_state(home_store):
    queued = add(home_store, title="still queued")
    failed = add(home_store, title="broke")
    home_store.move(failed, -1)
    end(home_store, failed, model.FAILED, "boom")

    result = cli("jobs")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["ID", "STATE", "PROGRESS", "ATTEMPTS"]
    assert {row.split()[0] for row in rows} == {queued[:8], failed[:8]}

    only_failed = cli("jobs", "--state", "failed").stdout.splitlines()[1:]
    assert [row.split()[:2] for row in only_failed] == [[failed[:8], "failed"]]


def test_show_json_has_steps_and_log(home_store):
    job_id = add(home_store, n_steps=2)
    home_store.add_log(job_id, "info", "hello from the log")

    result = cli("show", job_id[:6], "--json")

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id"] == job_id
    assert [s["plugin"] for s in shown["steps"]] == ["ExtractStep0", "ExtractStep1"]
    assert {"state", "duration", "error", "records"} <= set(shown["steps"][0])
    assert [e["message"] for e in shown["log"]] == ["hello from the log"]


def test_show_prints_steps_with_their_errors(home_store):
    job_id = add(home_store, n_steps=2)
    job = home_store.claim(OWNER, 60.0)
    home_store.finish_step(job_id, OWNER, 0, "failed", duration=0.5, error="no disk")
    home_store.finish_job(job.id, OWNER, model.FAILED, "a step failed")

    out = cli("show", job_id).stdout

    assert "State     failed: a step failed" in out
    assert "ExtractStep0 on ben01" in out
    assert "error: no disk" in out


@pytest.mark.parametrize("verb", ["show", "wait", "cancel", "retry", "remove"])
def test_an_unknown_job_is_a_one_line_error_and_exit_2(home, verb):
    result = cli(verb, "12345678")

    assert result.returncode == 2
    assert one_line_error(result) == (
        f"{PROG}: error: job 12345678 not found; list jobs with '{PROG} jobs'"
    )


@pytest.mark.parametrize(
    "args, prog",
    [
        (["nonsense"], PROG),
        (["jobs", "--state", "lost"], f"{PROG} jobs"),
        (["jobs", "--bogus"], f"{PROG} jobs"),
        (["signal"], f"{PROG} signal"),
        ([], PROG),
    ],
)
def test_usage_errors_are_one_line_naming_the_verb_and_exit_2(home, args, prog):
    result = cli(*args)

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{prog}: error: "), line
    assert line.endswith(f"; see '{prog} --help'"), line
    assert "usage:" not in result.stderr


@pytest.mark.parametrize(
    "state, code", [(model.SUCCEEDED, 0), (model.FAILED, 1), (model.CANCELLED, 1)]
)
def test_wait_exit_code_follows_the_job_state(home_store, state, code):
    job_id = add(home_store)
    end(home_store, job_id, state)

    result = cli("wait", job_id)

    assert result.returncode == code, result.stderr
    assert f"job {job_id[:8]} {state}" in result.stdout


def test_wait_times_out_with_exit_3(home_store):
    job_id = add(home_store)

    result = cli("wait", job_id, "--timeout", "0.3")

    assert result.returncode == 3
    *progress, line = result.stderr.strip().splitlines()
    assert "timed out after 0.3 s" in line and line.startswith(f"{PROG}: error: ")
    assert progress == ["queued 0/2"]  # plain lines on stderr when it is not a terminal
    assert result.stdout == ""


def test_cancel_a_queued_job_then_cancel_again_is_a_one_line_error(home_store):
    job_id = add(home_store)

    first = cli("cancel", job_id)
    again = cli("cancel", job_id)

    assert first.returncode == 0
    assert f"job {job_id[:8]} cancelled" in first.stdout
    assert home_store.get(job_id).state == model.CANCELLED
    assert again.returncode == 1
    one_line_error(again)


def test_cancel_a_spooled_job_ingests_it_first(home):
    payload = make_payload()
    write_job(payload, str(home / "spool"))

    result = cli("cancel", payload["id"])

    assert result.returncode == 0, result.stderr
    store = SQLiteJobStore(str(home / "jobs.db"))
    try:
        assert store.get(payload["id"]).state == model.CANCELLED
    finally:
        store.close()
    assert os.listdir(home / "spool") == []


def test_retry_queues_a_failed_job_and_remove_deletes_it(home_store):
    job_id = add(home_store)
    end(home_store, job_id, model.FAILED, "boom")

    retried = cli("retry", job_id, "--failed-only")
    assert retried.returncode == 0, retried.stderr
    assert home_store.get(job_id).state == model.QUEUED

    end(home_store, job_id, model.SUCCEEDED)
    removed = cli("remove", job_id)
    assert removed.returncode == 0, removed.stderr
    assert [j.id for j in home_store.jobs()] == []


def test_retry_of_a_queued_job_is_a_one_line_error_and_exit_1(home_store):
    job_id = add(home_store)

    result = cli("retry", job_id)

    assert result.returncode == 1
    one_line_error(result)


def test_a_corrupt_store_is_reported_in_one_line(home):
    (home / "jobs.db").write_bytes(b"this is not a database" * 100)

    result = cli("jobs")

    assert result.returncode == 0
    line = one_line_error(result)
    assert "corrupt" in line and "jobs.db.corrupt-" in line


def test_serve_runs_a_spooled_job_and_stops_cleanly_on_sigterm(home, tmp_path):
    plugins = Plugins(tmp_path)
    payload = plugins.payload(["Mark", ("Mark", 1)], key="served")
    write_job(payload, str(home / "spool"))
    env = dict(os.environ, PYTHONPATH=ROOT)
    serve = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = serve.stdout.readline()
        assert ready.startswith("serving ") and "concurrency 1" in ready, ready

        waited = cli("wait", payload["id"], "--timeout", "30")
        assert waited.returncode == 0, waited.stdout + waited.stderr
        assert plugins.runs("served", "Mark") == 1

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=15) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        serve.stdout.close()
        serve.stderr.close()


def test_wait_draws_a_progress_bar_on_a_terminal(home_store):
    """A pseudo-terminal stands in for the user's terminal (stderr); stdout is a pipe."""
    import pty

    job_id = add(home_store)
    home_store.claim(OWNER, 60.0)
    for index in (0, 1):
        home_store.finish_step(job_id, OWNER, index, "succeeded")
    home_store.finish_job(job_id, OWNER, model.SUCCEEDED)
    env = dict(os.environ, PYTHONPATH=ROOT)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "wait", job_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert proc.wait(timeout=30) == 0
    assert b"\r[####################] 2/2 succeeded" in output  # the bar on stderr
    assert proc.stdout.read() == f"job {job_id[:8]} succeeded\n".encode()  # stdout: outcome
    proc.stdout.close()


def test_an_unusable_home_is_a_one_line_error_and_debug_shows_the_traceback(tmp_path):
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file where the home folder should be")
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(not_a_folder))

    plain = cli("jobs", env=env)
    debug = cli("jobs", "--debug", env=env)

    assert plain.returncode == debug.returncode == 1
    one_line_error(plain)
    assert "Traceback" in debug.stderr
