"""A store another process locks does not hold the artist's host or the read-only commands:
a hand-off over the link that cannot be stored within a few seconds goes to the spool, and
`jobs` answers at once (opening a store at the current schema takes no write lock)."""

import os
import signal
import subprocess
import sys
import time

from cli_support import run_cli
from conftest import ROOT
from factories import make_payload
from waiting import wait_until

from pyblish_qml_queue.common import paths, wire
from pyblish_qml_queue.host.link import try_handoff
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_a_hand_off_during_a_long_lock_is_spooled_and_the_host_is_not_held(home):
    serve = subprocess.Popen(
        [sys.executable, "-m", "pyblish_qml_queue", "serve"],
        env=dict(os.environ, PYTHONPATH=ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    locker = None
    try:
        wait_until(lambda: wire.connect() is not None, what="serve to listen")
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCK, paths.store_path(), "12"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert locker.stdout.readline().strip() == "locked"
        payload = make_payload(title="handed off during a lock")
        started = time.monotonic()
        assert try_handoff(payload) is True
        held = time.monotonic() - started
        assert held < 6.0, f"the host was held {held:.1f} s"
        assert os.path.exists(os.path.join(paths.spool_dir(), payload["id"] + ".json"))
        started = time.monotonic()
        listed = run_cli("jobs", "--json", home=home)
        assert listed.returncode == 0, listed.stderr
        assert time.monotonic() - started < 8.0  # reads take no write lock
        assert payload["id"] in listed.stdout
        locker.wait(timeout=30)
        store = SQLiteJobStore(paths.store_path())
        try:  # once the lock is gone the job is stored exactly once
            wait_until(lambda: [j.id for j in store.jobs()] == [payload["id"]], timeout=30)
        finally:
            store.close()
    finally:
        if locker is not None and locker.poll() is None:
            locker.kill()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        serve.stdout.close()
