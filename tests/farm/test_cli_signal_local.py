"""``signal`` without ``--url`` needs no secret: writing one's own store is the
permission (issue 14, item 7). With ``--url`` the secret stays required. Real CLI
processes on a real home."""

import os

import pytest
from cli_support import run_cli
from factories import make_job

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

OWNER = "ws01:1:aaaa"


@pytest.fixture
def parked(home):
    store = SQLiteJobStore(os.path.join(str(home), "jobs.db"))
    job = make_job(n_steps=2)
    store.add(job)
    store.claim(OWNER, 30)
    store.finish_step(job.id, OWNER, 0, model.STEP_WAITING, farm={"farm_job": "dl-1"})
    store.finish_job(job.id, OWNER, model.WAITING)
    yield store, job.id
    store.close()


def argv(job_id, *more):
    return ["signal", "--job", job_id, "--plugin", "ExtractStep0", "--instance", "ben01", *more]


def clean_env():
    return {k: v for k, v in os.environ.items() if k != "PYBLISH_QML_QUEUE_JOB_SECRET"}


def test_a_local_signal_needs_no_secret_and_resumes_the_job(home, parked):
    store, job_id = parked
    done = run_cli(*argv(job_id, "--status", "success", "--message", "re-rendered by hand"),
                   home=home, env=clean_env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "applied" in done.stdout
    job = store.get(job_id)
    assert (job.state, job.steps[0].state) == ("queued", "succeeded")
    again = run_cli(*argv(job_id, "--status", "success"), home=home, env=clean_env())
    assert again.returncode == 0 and "already applied" in again.stdout, again.stderr


def test_a_local_signal_takes_a_unique_prefix_and_a_wrong_given_secret_is_refused(home, parked):
    store, job_id = parked
    wrong = run_cli(*argv(job_id, "--status", "failure", "--secret", "1" * 64), home=home,
                    env=clean_env())  # fmt: skip
    assert wrong.returncode == 1 and "bad_signature" in wrong.stderr
    done = run_cli(*argv(job_id[:8], "--status", "failure", "--message", "gave up"), home=home,
                   env=clean_env())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert store.get(job_id).state == "failed"


def test_a_local_signal_for_an_unknown_job_is_a_usage_error(home, parked):
    done = run_cli(*argv("f" * 32, "--status", "success"), home=home, env=clean_env())
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_with_url_the_secret_stays_required(home, parked):
    _store, job_id = parked
    done = run_cli(*argv(job_id, "--status", "success", "--url", "http://127.0.0.1:9"),
                   home=home, env=clean_env())  # fmt: skip
    assert done.returncode == 2 and "--secret" in done.stderr, done.stderr
