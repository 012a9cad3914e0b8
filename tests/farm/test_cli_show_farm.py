"""``show`` of a job waiting for a render farm: the waiting step's farm job and deadline."""

import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from factories import make_payload

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

OWNER = "test-machine:1:feed"


@pytest.fixture
def store(home):
    store = SQLiteJobStore(str(home / "jobs.db"))
    yield store
    store.close()


def park(store, farm, deadline):
    """A job whose first step went to the farm and which parked waiting."""
    job = Job.from_payload(make_payload(n_steps=2))
    store.add(job)
    assert store.claim(OWNER, 60.0).id == job.id
    store.finish_step(job.id, OWNER, 0, model.STEP_WAITING, farm=farm, deadline=deadline)
    assert store.finish_job(job.id, OWNER, model.WAITING) == model.WAITING
    return job.id


def show(job_id):
    result = subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue", "show", job_id],
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_show_prints_the_farm_job_and_deadline_under_a_waiting_step(store):
    deadline = time.time() + 3600
    job_id = park(store, {"farm_job": "dl-4711", "timeout": 3600}, deadline)

    lines = show(job_id)

    step = next(i for i, line in enumerate(lines) if "ExtractStep0" in line)
    assert "waiting" in lines[step]
    until = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(deadline))
    assert lines[step + 1].strip() == (f"farm job dl-4711; waiting for its signal until {until}")
    assert not any("farm job" in line for line in lines[step + 2 :])  # the pending step has none


def test_show_says_when_a_waiting_step_has_no_time_limit_nor_a_named_farm_job(store):
    job_id = park(store, {"farm_job": None, "timeout": None}, None)

    lines = show(job_id)

    assert "farm job not named; waiting for its signal, no time limit" in (
        line.strip() for line in lines
    )
