"""Running the command line as a real subprocess, from the repository, Qt offscreen."""

import json
import os
import subprocess
import sys

from conftest import ROOT
from factories import make_payload

from pyblish_qml_queue.queue.model import Job


def run_cli(*args, home=None, timeout=60, env=None):
    """Run ``python -m pyblish_qml_queue *args`` and return the completed process.

    Args:
        args: the command line after the program name.
        home: a PYBLISH_QML_QUEUE_HOME for the run (None: the one in ``env``).
        timeout: seconds before the run fails.
        env: the environment to start from (default: this process's).
    """
    env = dict(os.environ if env is None else env, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if home is not None:
        env["PYBLISH_QML_QUEUE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


OWNER = "test-machine:1:feed"


def add_job(store, **kwargs):
    """Add a job made by ``make_payload(**kwargs)`` to ``store`` and return its id."""
    job = Job.from_payload(make_payload(**kwargs))
    store.add(job)
    return job.id


def end_job(store, job_id, state, error=None):
    """Run a job to ``state`` through the store as an executor would."""
    job = store.claim(OWNER, 60.0)
    assert job.id == job_id
    store.finish_job(job_id, OWNER, state, error=error)


def run_for_result(argv, cwd, env, timeout=120):
    """Run ``argv`` to its end; return the JSON on its last ``RESULT `` line.

    Fails the test when the process exits non-zero or prints no such line.
    """
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    results = [line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and results, (done.returncode, done.stdout, done.stderr)
    return json.loads(results[-1])
