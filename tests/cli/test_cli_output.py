"""What the command line prints, run as a real subprocess: closed pipes, JSON on every
verb that shows state, errors as JSON, step numbers, help texts, the words it uses."""

import json
import os
import subprocess
import sys

import pytest
from cli_support import add_job as add
from cli_support import end_job as end
from cli_support import run_cli
from conftest import ROOT

from pyblish_qml_queue.queue import model

PROG = "pyblish-qml-queue"


def read_first_line_and_close(*args):
    """Run the CLI with stdout into a pipe whose reader stops after one line (``| head -1``)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return first.decode(), proc.wait(timeout=60), err


@pytest.mark.parametrize("args", [["show", "JOB"], ["show", "JOB", "--json"], ["jobs", "--json"]])
def test_a_reader_that_stops_early_ends_the_command_quietly(home_store, args):
    job_id = add(home_store, n_steps=300)
    for n in range(3000):  # far more than a pipe holds
        home_store.add_log(job_id, "info", f"line {n} " + "x" * 60)
    for n in range(200):
        add(home_store, title=f"another job {n}")

    first, code, err = read_first_line_and_close(*[job_id if a == "JOB" else a for a in args])

    assert first.strip()
    assert err == ""  # no "Broken pipe: <home>", no "Exception ignored" at exit
    assert code == 0


def test_show_numbers_steps_from_1_as_the_queue_page_does(home_store):
    job_id = add(home_store, n_steps=2)

    out = run_cli("show", job_id).stdout

    steps = out.split("Steps\n", 1)[1].splitlines()[:2]
    assert [line.split()[:2] for line in steps] == [["1", "pending"], ["2", "pending"]]
    assert "ExtractStep0" in steps[0] and "ExtractStep1" in steps[1]


def test_wait_cancel_retry_and_remove_print_json(home_store):
    job_id = add(home_store)
    end(home_store, job_id, model.SUCCEEDED)

    waited = run_cli("wait", job_id, "--json")
    assert waited.returncode == 0, waited.stderr
    shown = json.loads(waited.stdout)
    assert (shown["id"], shown["state"], len(shown["steps"])) == (job_id, "succeeded", 2)

    other = add(home_store)
    cancelled = run_cli("cancel", other[:8], "--json")
    assert cancelled.returncode == 0, cancelled.stderr
    assert {k: json.loads(cancelled.stdout)[k] for k in ("id", "state")} == {
        "id": other,
        "state": "cancelled",
    }

    retried = run_cli("retry", other, "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["state"] == "queued"

    removed = run_cli("remove", job_id, "--json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {"id": job_id, "removed": True}


@pytest.mark.parametrize(
    "args, code",
    [
        (["show", "12345678", "--json"], 2),
        (["jobs", "--json", "--bogus"], 2),
        (["retry", "JOB", "--json"], 1),
        (["wait", "QUEUED", "--json", "--timeout", "0.2"], 3),
    ],
)
def test_errors_under_json_are_json_on_stdout_and_one_line_on_stderr(home_store, args, code):
    done = add(home_store)
    end(home_store, done, model.SUCCEEDED)
    queued = add(home_store)
    args = [{"JOB": done, "QUEUED": queued}.get(a, a) for a in args]

    result = run_cli(*args)

    assert result.returncode == code
    answer = json.loads(result.stdout)
    assert set(answer) == {"error", "code"} and answer["code"] == code
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(PROG) and line.endswith(answer["error"])


def test_a_finished_job_is_named_in_plain_words(home_store):
    job_id = add(home_store)
    end(home_store, job_id, model.SUCCEEDED)

    retried = run_cli("retry", job_id)
    cancelled = run_cli("cancel", job_id)

    assert retried.returncode == cancelled.returncode == 1
    assert f"job {job_id} succeeded; only failed" in retried.stderr
    assert f"job {job_id} has already finished (succeeded)" in cancelled.stderr
    assert "is succeeded" not in retried.stderr + cancelled.stderr


@pytest.mark.parametrize("verb", ["cancel", "retry", "remove", "wait"])
def test_job_verbs_have_a_description_and_json(home, verb):
    out = run_cli(verb, "--help").stdout

    usage, description = out.split("\n\n")[:2]
    assert usage.startswith(f"usage: {PROG} {verb}")
    assert description.strip() and not description.startswith("positional"), out
    assert "--json" in out
