"""A store another process locks for longer than the lease: the worker waits for its step's
checkpoint, the executor keeps the job, and no step (integrators included) runs twice."""

import subprocess
import sys
import time

from executor_plugins import MODULE
from queue_support import add, wait_finished
from waiting import wait_until

from pyblish_qml_queue.queue.executor import Executor
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_a_store_locked_longer_than_the_lease_runs_no_step_twice(tmp_path, plugins):
    db = str(tmp_path / "jobs.db")
    store = SQLiteJobStore(db, busy_timeout=0.5)
    executor = Executor(store, lease=1.5, poll=0.05)
    executor.start()
    try:
        payload = plugins.payload(["Hold", ("Mark", 1), ("Mark", 2)], key="busy")
        payload["steps"][-1]["order"] = 3.0  # an integrator
        job_id = add(store, payload)
        wait_until(lambda: plugins.pid("busy"), what="the first step to run")
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCK, db, "4"], stdout=subprocess.PIPE, text=True
        )
        assert locker.stdout.readline().strip() == "locked"
        plugins.release()  # the step ends while the store is locked
        started = time.monotonic()
        locker.wait(timeout=30)
        job = wait_finished(store, job_id, timeout=60)
        assert job.state == "succeeded", job.error
        assert time.monotonic() - started >= 3.0  # it really waited out the lock
        runs = {
            (p, i): plugins.runs("busy", p, i)
            for p, i in (("Hold", "ben01"), ("Mark", "ben02"), ("Mark", "ben03"))
        }
        assert runs == {k: 1 for k in runs}, runs
        assert job.attempts == 1
    finally:
        executor.stop(timeout=5)
        store.close()


assert MODULE  # the executor's test plugins
