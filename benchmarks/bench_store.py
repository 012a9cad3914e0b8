"""Throughput of SQLiteJobStore against a minimal raw sqlite3 loop.

Each of N small one-step jobs is enqueued, claimed, checkpointed (finish_step) and
finished (finish_job): four committed transactions per job. The baseline does the
equivalent inserts and updates with plain sqlite3 and the same durability settings
(WAL, synchronous=FULL, BEGIN IMMEDIATE, one commit per operation), measured in
the same run on the same disk. Prints jobs/s for both and their ratio (target >= 0.5).

    python benchmarks/bench_store.py [--jobs 10000]
"""

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time

from support import one_step_payload

from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

TARGET = 0.5
OWNER = "bench:1:x"


def payload():
    return one_step_payload(
        {"plugin": "ExtractAbc", "module": "extract_abc", "order": 2.0, "instance": "ben01"},
        title="Publish shot010",
    )


def run_store(folder, payloads):
    store = SQLiteJobStore(os.path.join(folder, "jobs.db"))
    jobs = [Job.from_payload(p) for p in payloads]
    records = [{"levelname": "INFO", "msg": "wrote ben01.abc"}]
    start = time.perf_counter()
    for job in jobs:
        store.add(job)
    for _ in jobs:
        job = store.claim(OWNER, 60)
        store.finish_step(job.id, OWNER, 0, "succeeded", duration=0.01, records=records)
        store.finish_job(job.id, OWNER, "succeeded")
    elapsed = time.perf_counter() - start
    assert store.counts() == {"succeeded": len(jobs)}
    start = time.perf_counter()
    listed = store.jobs()
    listing = time.perf_counter() - start
    assert len(listed) == len(jobs)
    store.close()
    return elapsed, listing


RAW_SCHEMA = (
    "CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT, payload TEXT, position INTEGER,"
    " owner TEXT, lease_until REAL, attempts INTEGER DEFAULT 0, updated REAL)",
    "CREATE INDEX jobs_state ON jobs (state, position)",
    "CREATE TABLE steps (job_id TEXT, idx INTEGER, state TEXT, records TEXT,"
    " PRIMARY KEY (job_id, idx)) WITHOUT ROWID",
)


def run_raw(folder, payloads):
    conn = sqlite3.connect(os.path.join(folder, "raw.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    for statement in RAW_SCHEMA:
        conn.execute(statement)
    records = json.dumps([{"levelname": "INFO", "msg": "wrote ben01.abc"}])
    start = time.perf_counter()
    for n, p in enumerate(payloads):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO jobs (id, state, payload, position) VALUES (?, 'queued', ?, ?)",
            (p["id"], json.dumps(p), n),
        )
        conn.execute("INSERT INTO steps VALUES (?, 0, 'pending', '[]')", (p["id"],))
        conn.execute("COMMIT")
    for _ in payloads:
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        (job_id,) = conn.execute(
            "UPDATE jobs SET state = 'running', owner = ?, lease_until = ?,"
            " attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"
            " ORDER BY position LIMIT 1) RETURNING id",
            (OWNER, now + 60),
        ).fetchone()
        conn.execute("SELECT * FROM steps WHERE job_id = ?", (job_id,)).fetchall()
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE steps SET state = 'succeeded', records = ? WHERE job_id = ? AND idx = 0",
            (records, job_id),
        )
        conn.execute("UPDATE jobs SET updated = ? WHERE id = ? AND owner = ?", (now, job_id, OWNER))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE jobs SET state = 'succeeded', owner = NULL WHERE id = ? AND owner = ?",
            (job_id, OWNER),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    rows = conn.execute("SELECT id, state, payload FROM jobs ORDER BY position").fetchall()
    listed = [(job_id, state, json.loads(body)) for job_id, state, body in rows]
    listing = time.perf_counter() - start
    assert len(listed) == len(payloads)
    conn.close()
    return elapsed, listing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10000, help="jobs per run (default 10000)")
    parser.add_argument("--dir", help="folder for the databases (default: a temporary folder)")
    args = parser.parse_args(argv)
    payloads = [payload() for _ in range(args.jobs)]
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        raw, raw_listing = run_raw(folder, payloads)
        ours, our_listing = run_store(folder, payloads)
    raw_rate, our_rate = args.jobs / raw, args.jobs / ours
    ratio = our_rate / raw_rate
    print(f"jobs: {args.jobs} (enqueue + claim + finish_step + finish_job, 4 commits each)")
    print(f"raw sqlite3 loop : {raw_rate:8.0f} jobs/s  ({raw:.2f} s)")
    print(f"SQLiteJobStore   : {our_rate:8.0f} jobs/s  ({ours:.2f} s)")
    verdict = "ok" if ratio >= TARGET else "MISSED"
    print(f"ratio            : {ratio:.2f}x  (target >= {TARGET}x: {verdict})")
    print(
        f"listing all {args.jobs} jobs: SQLiteJobStore.jobs() {our_listing * 1000:.0f} ms, "
        f"raw SELECT + json.loads of payloads {raw_listing * 1000:.0f} ms "
        f"({raw_listing / our_listing:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
