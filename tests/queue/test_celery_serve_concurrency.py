"""``serve --backend celery --concurrency N`` hands at most N jobs to the farm at once
(a real redis-server and a real serve process, no node: what is sent stays sent)."""

import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("celery", reason="the celery extra is not installed")
pytest.importorskip("redis", reason="the celery extra is not installed")

from celery_fixture import LAUNCH, free_port, start_redis, stop
from conftest import ROOT
from factories import make_job
from waiting import wait_until

from pyblish_qml_queue.node import Node
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore


@pytest.fixture
def broker(tmp_path):
    port = free_port()
    proc = start_redis(tmp_path / "redis", port)
    yield f"redis://127.0.0.1:{port}/0"
    stop(proc)


def states(store, ids):
    return sorted(store.get(i).state for i in ids)


def test_serve_sends_no_more_jobs_to_the_farm_than_its_concurrency(tmp_path, broker):
    home = tmp_path / "home"
    home.mkdir()
    store = SQLiteJobStore(str(home / "jobs.db"))
    ids = []
    for _ in range(5):
        job = make_job(n_steps=1)
        store.add(job)
        ids.append(job.id)
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home), PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "serve", "--backend", "celery", "--broker", broker]
        + ["--concurrency", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        wait_until(lambda: states(store, ids).count(model.RUNNING) == 3, 30, "3 jobs sent")
        time.sleep(1.0)  # room for a 4th, were the limit still 16
        assert states(store, ids) == [model.QUEUED] * 2 + [model.RUNNING] * 3
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        store.close()
    assert "jobs run on farm nodes through Celery, 3 at a time" in out, out


def test_without_concurrency_the_celery_executor_keeps_its_default(store):
    assert Node(store, backend="celery")._make_executor().concurrency == 16
    assert Node(store, backend="celery", farm_concurrency=3)._make_executor().concurrency == 3
    # the local executor's concurrency is its own
    assert Node(store, backend="local", concurrency=2)._make_executor().concurrency == 2
