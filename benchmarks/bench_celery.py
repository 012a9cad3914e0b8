"""Round trip of N one-step jobs through Celery + Redis, on 1 and 2 farm nodes, against the
local executor, all in the same run.

Every run takes the same jobs (one no-op plugin step each) from a fresh SQLite store to
"succeeded" in the store: the local :class:`Executor` with ``--concurrency`` workers and
with twice that (the baseline of 2 nodes), and the :class:`CeleryExecutor` with one farm
node on this machine (``pyblish-qml-queue worker``, same concurrency), then with a second
node beside it; a redis-server is started for the run. All of them spawn one worker
process per job, so the ratios show what the broker, the event stream and the mirroring
add. The nodes run on this machine: a second node adds worker slots, not CPU cores.

    python benchmarks/bench_celery.py [--jobs 40] [--concurrency 2]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from support import ROOT, one_step_payload

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.celery.app import redis_client
from pyblish_qml_queue.queue.celery.executor import CeleryExecutor
from pyblish_qml_queue.queue.executor import Executor
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

PLUGIN = """
import pyblish.api


class Noop(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder

    def process(self, instance):
        pass
"""

#: Runs the CLI (python -c LAUNCH verb ...).
LAUNCH = "import sys; from pyblish_qml_queue.cli.command import main; sys.exit(main(sys.argv[1:]))"


def payload(plugin_dir):
    return one_step_payload(
        {"plugin": "Noop", "module": "noop", "order": 2.0}, plugin_paths=[plugin_dir]
    )


def run(store_path, plugin_dir, jobs, make_executor):
    """Seconds from start to every job succeeded."""
    store = SQLiteJobStore(store_path)
    ids = []
    for _ in range(jobs):
        job = Job.from_payload(payload(plugin_dir))
        store.add(job)
        ids.append(job.id)
    executor = make_executor(store)
    started = time.perf_counter()
    executor.start()
    pending = set(ids)
    deadline = time.monotonic() + 600
    while pending and time.monotonic() < deadline:
        done = {i for i in pending if store.get(i).state in model.FINISHED}
        for job_id in done:
            if store.get(job_id).state != model.SUCCEEDED:
                raise SystemExit(f"job {job_id} did not succeed: {store.get(job_id).error}")
        pending -= done
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    executor.stop(timeout=5)
    store.close()
    if pending:
        raise SystemExit(f"{len(pending)} jobs did not finish in time")
    return elapsed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if not redis_server:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    tmp = tempfile.mkdtemp(prefix="bench-celery-")
    plugin_dir = os.path.join(tmp, "plugins")
    os.makedirs(plugin_dir)
    with open(os.path.join(plugin_dir, "noop.py"), "w") as f:
        f.write(PLUGIN)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL,
    )
    nodes = []
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis_client(url).ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        nodes.append(start_node(url, tmp, "one", args.concurrency))
        local = timed(tmp, "local", plugin_dir, args, Executor, concurrency=args.concurrency)
        one = timed(tmp, "one-node", plugin_dir, args, CeleryExecutor, url, concurrency=16)
        nodes.append(start_node(url, tmp, "two", args.concurrency))
        local2 = timed(tmp, "local2", plugin_dir, args, Executor, concurrency=2 * args.concurrency)
        two = timed(tmp, "two-nodes", plugin_dir, args, CeleryExecutor, url, concurrency=16)
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            node.wait(30)
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    c = args.concurrency
    print(f"jobs: {args.jobs}, node concurrency {c}, one worker process per job")
    print(f"{'':<32} {'jobs/s':>7}  {'seconds':>7}  baseline (same run)")
    rows = [
        (f"local executor, concurrency {c}", local, None),
        (f"celery, 1 node x {c}", one, (f"local x {c}", local)),
        (f"local executor, concurrency {2 * c}", local2, None),
        (f"celery, 2 nodes x {c}", two, (f"local x {2 * c}", local2)),
    ]
    for label, seconds, baseline in rows:
        rate = args.jobs / seconds
        beside = ""
        if baseline:
            name, base = baseline
            beside = f"{name}: {args.jobs / base:.2f} jobs/s, celery/local {base / seconds:.2f}"
        print(f"{label:<32} {rate:7.2f}  {seconds:7.2f}  {beside}")
    print(f"2 nodes / 1 node: {one / two:.2f}x")


def timed(tmp, name, plugin_dir, args, kind, *kind_args, concurrency):
    def make(store):
        return kind(store, *kind_args, concurrency=concurrency, poll=0.02)

    return run(os.path.join(tmp, name + ".db"), plugin_dir, args.jobs, make)


def start_node(url, tmp, name, concurrency):
    """Start the farm node ``name`` (its own home) and wait until it is ready."""
    node_log = os.path.join(tmp, f"node-{name}.log")
    home = os.path.join(tmp, f"node-{name}-home")
    with open(node_log, "wb") as log_file:
        node = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "worker", "--broker", url, "--name", f"{name}@%h"]
            + ["--concurrency", str(concurrency)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=ROOT, PYBLISH_QML_QUEUE_HOME=home),
        )
    while b" ready." not in open(node_log, "rb").read():
        if node.poll() is not None:
            raise SystemExit("the farm node exited:\n" + open(node_log).read())
        time.sleep(0.05)
    return node


if __name__ == "__main__":
    main()
