"""Handing a validated publish off to the queue, end to end, against its unavoidable part.

50 and 200 instances x 10 no-op plugins (3 validators, 4 extractors, 3
integrators), collected by one collector. A real host process (plain Python that
called ``show()``) is validated by a real hub, then ``hub.handoff(host_id)`` is
timed: the host builds the job (context, instances, the 7 steps per instance
from extraction on), sends it over the authenticated socket, the app validates
it (``Job.from_payload``) and stores it in a real SQLiteJobStore in a tmp home;
the call returns when the job is stored and the host is free again.

Baselines, measured in the same run on the same context:

- ``host.job.build_job(context)`` in this process (the part no hand-off can
  avoid), with the plugins discovered once, as the host passes them;
- a bare ``ping`` round trip from the hub to the same host.

Printed per size: best and median of ``--repeat`` runs for each, the payload's
size, the app's share (validate + store), and the hand-off's ratio to
build_job. Target (issue 3): under 200 ms at 200 instances.

Run: python benchmarks/bench_handoff.py [--repeat 10]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from support import INSTANCES_ENV, host_env, write_host, write_plugins

TARGET_MS = 200.0  # at 200 instances
STEPS_PER_INSTANCE = 7  # 4 extractors + 3 integrators


def build_job_in_process(folder, instances, repeat):
    """(seconds per build_job for each run, steps) on a collected and validated context."""
    import pyblish.api
    import pyblish.util

    from pyblish_qml_queue.host import job

    os.environ[INSTANCES_ENV] = str(instances)
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(folder)
    plugins = pyblish.api.discover()
    context = pyblish.util.collect(plugins=plugins)
    pyblish.util.validate(context, plugins=plugins)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        payload = job.build_job(context, plugins=plugins)
        times.append(time.perf_counter() - start)
    return times, len(payload["steps"])


def wait_collected(hub, deadline):
    while not hub.hosts() or hub.hosts()[0]["progress"]["done"] < 1:
        if time.time() > deadline:
            raise SystemExit("the host did not connect and collect")
        time.sleep(0.02)
    return hub.hosts()[0]["id"]


def over_the_link(folder, script, instances, repeat):
    """Hand-off and ping timings (seconds per run) against a real host and a real store.

    Returns:
        dict: handoff, store (the app's on_job share), ping: lists of seconds;
        bytes: the payload's JSON size; steps: steps per job.
    """
    from pyblish_qml_queue.hub.hub import run_hub_for_serve
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore()
    hub = run_hub_for_serve(store)
    hub.subscribe(lambda event: None)  # a subscriber, as the GUI would be
    on_job, stored, sizes = hub._on_job, [], []

    def timed(payload):  # the app's share: Job.from_payload + store.add
        sizes.append(len(json.dumps(payload)))
        start = time.perf_counter()
        job_id = on_job(payload)
        stored.append(time.perf_counter() - start)
        return job_id

    hub._on_job = timed  # before the host registers: its session takes it then
    host = subprocess.Popen(
        [sys.executable, script, folder], env=host_env(instances), stdout=subprocess.DEVNULL
    )
    try:
        host_id = wait_collected(hub, time.time() + 60)
        if not hub._drive_session(host_id, "do_validate").result():
            raise SystemExit("validation failed on the host")
        peer = hub._session(host_id).record.peer
        pings = []
        for _ in range(repeat):
            start = time.perf_counter()
            peer.request("ping")
            pings.append(time.perf_counter() - start)
        handoffs, steps = [], None
        for _ in range(repeat):
            start = time.perf_counter()
            job_id = hub.handoff(host_id)
            handoffs.append(time.perf_counter() - start)
            steps = len(store.get(job_id).steps)
        assert steps == instances * STEPS_PER_INSTANCE, steps
        return {
            "handoff": handoffs,
            "store": stored,
            "ping": pings,
            "bytes": max(sizes),
            "steps": steps,
        }
    finally:
        host.kill()
        host.wait()
        hub.close()
        store.close()


def ms(times):
    """'best / median' in milliseconds."""
    return f"{min(times) * 1000:.1f} / {statistics.median(times) * 1000:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per figure")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_plugins(os.path.join(tmp, "plugins"))
        script = write_host(tmp)
        for instances in (50, 200):
            # a fresh home per size: the store starts empty each time
            os.environ["PYBLISH_QML_QUEUE_HOME"] = os.path.join(tmp, f"home{instances}")
            build, steps = build_job_in_process(folder, instances, args.repeat)
            link = over_the_link(folder, script, instances, args.repeat)
            assert steps == link["steps"], (steps, link["steps"])
            rows.append((instances, steps, build, link))
    print(f"best / median of {args.repeat} runs, milliseconds")
    print(
        f"{'instances':>9} {'steps':>6} {'payload KB':>10} {'build_job':>13} {'ping':>11} "
        f"{'app: validate+store':>19} {'handoff':>13} {'handoff/build_job':>17}"
    )
    for instances, steps, build, link in rows:
        ratio = statistics.median(link["handoff"]) / statistics.median(build)
        print(
            f"{instances:>9} {steps:>6} {link['bytes'] / 1024:>10.0f} {ms(build):>13} "
            f"{ms(link['ping']):>11} {ms(link['store']):>19} {ms(link['handoff']):>13} "
            f"{ratio:>16.1f}x"
        )
    at_200 = statistics.median(rows[-1][3]["handoff"]) * 1000
    verdict = "met" if at_200 < TARGET_MS else "MISSED"
    print(
        f"target: handoff < {TARGET_MS:.0f} ms at 200 instances: median {at_200:.1f} ms, {verdict}"
    )


if __name__ == "__main__":
    main()
