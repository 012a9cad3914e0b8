"""Crash tests: ``kill -9`` of a real ``serve`` while jobs run and arrive, and many
producers submitting at once. Nothing is lost, nothing completed runs twice."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from conftest import ROOT
from executor_plugins import Plugins

from pyblish_qml_queue.common.spool import write_job
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.spool import SpoolIngester
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

pytestmark = pytest.mark.slow

KILLS = 30
STEPS = [("Tick", 0), ("Tick", 1), ("Tick", 2), ("Tick", 3)]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def start_serve(log):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "serve", "--lease", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )


def test_kill_9_of_serve_loses_no_job_and_reruns_only_interrupted_steps(home, tmp_path):
    plugins = Plugins(tmp_path)
    spool = str(home / "spool")
    store = SQLiteJobStore(str(home / "jobs.db"))
    keys = {}  # job id -> marker key
    for n in range(6):
        payload = plugins.payload(STEPS, key=f"stored{n}", n_instances=4, max_attempts=1000)
        store.add(Job.from_payload(payload))
        keys[payload["id"]] = payload["context"]["data"]["marker_key"]

    rng = random.Random(20240601)
    killed_starting = killed_serving = 0
    with open(tmp_path / "serve.log", "ab") as log:
        for cycle in range(KILLS):
            early = cycle % 3 == 0  # lands in start-up, which ingests the spool first
            for n in range(2 if early else cycle % 2):  # jobs keep arriving by the spool
                payload = plugins.payload(
                    STEPS, key=f"spooled{cycle}-{n}", n_instances=4, max_attempts=1000
                )
                write_job(payload, spool)
                keys[payload["id"]] = payload["context"]["data"]["marker_key"]
            serve = start_serve(log)
            # serve is ready after ~0.06 s here: early kills hit imports, recovery and
            # ingestion; the others hit running workers, checkpoints and ingestion passes.
            time.sleep(rng.uniform(0.01, 0.08) if early else rng.uniform(0.4, 1.2))
            os.kill(serve.pid, signal.SIGKILL)
            serve.wait()
            if serve.stdout.read().startswith(b"serving "):
                killed_serving += 1
            else:
                killed_starting += 1
            serve.stdout.close()

        serve = start_serve(log)
        try:
            wait_until(
                lambda: (
                    all(store.get(i).state in model.FINISHED for i in keys if _stored(store, i))
                    and all(_stored(store, i) for i in keys)
                ),
                timeout=90,
                what="every job to finish",
            )
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
            serve.stdout.close()

    jobs = {i: store.get(i) for i in keys}
    logs = {i: [line["message"] for line in store.log(i)] for i in keys}
    store.close()
    assert {i: j.state for i, j in jobs.items()} == {i: model.SUCCEEDED for i in keys}
    assert len(store_ids(home)) == len(keys)  # nothing lost, nothing doubled
    assert os.listdir(spool) == []
    runs = plugins.all_runs()
    expected = {f"{key}__Tick__ben0{n + 1}.runs" for key in keys.values() for n in range(4)}
    assert set(runs) == expected
    extra = sum(count - 1 for count in runs.values())
    assert extra <= KILLS, f"{extra} extra step runs for {KILLS} kills"
    assert killed_starting and killed_serving, (killed_starting, killed_serving)
    interrupted = sum(
        1 for lines in logs.values() for line in lines if line.startswith("interrupted: ")
    )
    assert interrupted >= 1  # the kills did hit running jobs
    # ...and used up no attempt: an executor's death is not the job's failure.
    assert {job.attempts for job in jobs.values()} == {1}
    print(
        f"{KILLS} kills ({killed_starting} during start-up), {len(keys)} jobs, "
        f"{interrupted} runs interrupted, {extra} interrupted steps ran again"
    )


def _stored(store, job_id):
    try:
        store.get(job_id)
    except Exception:
        return False
    return True


def store_ids(home):
    store = SQLiteJobStore(str(home / "jobs.db"))
    try:
        return [job.id for job in store.jobs()]
    finally:
        store.close()


PRODUCER = textwrap.dedent("""
    import sys

    import pyblish_qml_queue

    for n in range(int(sys.argv[1])):
        print(pyblish_qml_queue.submit(title="producer %s job %d" % (sys.argv[2], n)))
""")

PRODUCER_PLUGINS = textwrap.dedent("""
    import pyblish.api


    class CollectOne(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            context.create_instance("ben01", family="model")


    class ExtractNothing(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder

        def process(self, instance):
            pass
""")


def test_four_producers_submitting_at_once_give_exactly_400_jobs(home, tmp_path):
    plugin_dir = tmp_path / "producer_plugins"
    plugin_dir.mkdir()
    (plugin_dir / "producer_plugins.py").write_text(PRODUCER_PLUGINS)
    env = dict(os.environ, PYTHONPATH=ROOT, PYBLISHPLUGINPATH=str(plugin_dir))
    store = SQLiteJobStore(str(home / "jobs.db"))
    ingester = SpoolIngester(store, str(home / "spool"))
    producing = threading.Event()
    producing.set()

    def ingest_while_producing():  # ingestion runs while the files arrive
        while producing.is_set():
            ingester.ingest_once()

    thread = threading.Thread(target=ingest_while_producing)
    thread.start()
    try:
        producers = [
            subprocess.Popen(
                [sys.executable, "-c", PRODUCER, "100", str(n)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(4)
        ]
        outputs = [p.communicate(timeout=120) for p in producers]
    finally:
        producing.clear()
        thread.join()
    assert [p.returncode for p in producers] == [0] * 4, [err for _, err in outputs]
    ingester.ingest_once()

    submitted = [line for out, _ in outputs for line in out.split()]
    stored = [job.id for job in store.jobs()]
    store.close()
    assert len(submitted) == len(set(submitted)) == 400
    assert sorted(stored) == sorted(submitted)
    assert os.listdir(home / "spool") == []
