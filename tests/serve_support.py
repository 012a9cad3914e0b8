"""A real ``pyblish-qml-queue serve`` for tests: started and waited for until it serves,
stopped (SIGTERM, then killed), and its jobs waited for through the SQLite store."""

import signal
import subprocess
import sys

from conftest import ROOT
from waiting import wait_until


def start_serve(env, log_path):
    """Start ``serve --lease 5`` on this Python with ``env``, its stderr into ``log_path``;
    return ``(process, log)`` once it printed ``serving ...``."""
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "serve", "--lease", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    line = process.stdout.readline().decode()
    assert line.startswith("serving "), (line, log_path.read_text())
    return process, log


def stop_serve(process, log):
    """SIGTERM ``process`` if it still runs (killed after 20 s), then close its pipe and log."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.stdout.close()
    log.close()


def finished_job(home, job_id, timeout=60):
    """The job once it is finished (the store in ``home`` read from this process)."""
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore(str(home / "jobs.db"))
    try:
        return wait_until(
            lambda: _finished(store, job_id), timeout=timeout, what=f"job {job_id} to finish"
        )
    finally:
        store.close()


def _finished(store, job_id):
    from pyblish_qml_queue.queue import model

    try:
        job = store.get(job_id)
    except Exception:
        return None  # not ingested yet
    return job if job.state in model.FINISHED else None
