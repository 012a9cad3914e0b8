"""Handing off big publishes with ``submit()``: 200, 2,000 and 50,000 instances.

The benchmark's plugins (support.py: a collector, 3 validators, 4 extractors, 3
integrators, all no-ops; 7 steps per instance from extraction on). A real host
process (plain Python) collects and validates N instances, then calls
``pyblish_qml_queue.submit(context)`` against a real app core in this process
(``run_hub_for_serve`` over a SQLiteJobStore in a tmp home, fsynced), and prints
how long ``submit`` held it. This process then waits until the job is in the store.

Baseline in the same host process, on the same context: ``host.job.build_job``
(the part no hand-off can avoid). Printed per size: the payload's JSON size, the
baseline, the host blocked in ``submit`` and its ratio to build_job, the time
until the job was stored, how the job travelled (in the request, or by reference
through the spool folder) and the host's progress lines.
Targets (issue 17, item 3): 2,000 instances with the host blocked < 200 ms; 50,000
instances hand off at all, with progress shown in the host.

Run: python benchmarks/bench_bighandoff.py [--sizes 200,2000,50000]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from support import host_env, write_plugins

TARGET_MS = 200.0  # host blocked at 2,000 instances

HOST = textwrap.dedent(
    """
    import json
    import logging
    import sys
    import time

    import pyblish.api
    import pyblish.util

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(sys.argv[1])
    import pyblish_qml_queue
    from pyblish_qml_queue.host import job

    plugins = pyblish.api.discover()
    context = pyblish.util.collect(plugins=plugins)
    pyblish.util.validate(context, plugins=plugins)
    start = time.perf_counter()
    payload = job.build_job(context, plugins=plugins)
    build = time.perf_counter() - start
    size = len(json.dumps(payload))
    wall = time.time()
    start = time.perf_counter()
    try:
        job_id, error = pyblish_qml_queue.submit(context, plugins=plugins), None
    except Exception as exc:
        job_id, error = None, "%s: %s" % (type(exc).__name__, str(exc)[:200])
    blocked = time.perf_counter() - start
    print("RESULT " + json.dumps({
        "build": build, "blocked": blocked, "wall": wall, "job_id": job_id, "error": error,
        "bytes": size, "steps": len(payload["steps"]),
    }))
    """
)


def one_size(tmp, folder, instances):
    from pyblish_qml_queue.hub.hub import run_hub_for_serve
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
    from pyblish_qml_queue.queue.store import JobNotFound

    home = os.path.join(tmp, f"home{instances}")
    os.makedirs(home)
    os.environ["PYBLISH_QML_QUEUE_HOME"] = home
    store = SQLiteJobStore()
    hub = run_hub_for_serve(store)
    script = os.path.join(tmp, "bighost.py")
    with open(script, "w") as f:
        f.write(HOST)
    env = host_env(instances)
    env["PYBLISH_QML_QUEUE_HOME"] = home
    try:
        done = subprocess.run(
            [sys.executable, script, folder],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            raise SystemExit("the host failed:\n" + done.stderr[-3000:])
        figures = json.loads(lines[-1][len("RESULT ") :])
        figures["progress"] = sum(1 for x in done.stderr.splitlines() if "% of" in x)
        figures["via"] = "reference" if "written to the spool" in done.stderr else "request"
        figures["stored"] = None
        if figures["job_id"]:
            deadline = time.time() + 300
            while time.time() < deadline:
                try:
                    store.get(figures["job_id"])
                    figures["stored"] = time.time() - figures["wall"]
                    break
                except JobNotFound:
                    time.sleep(0.005)
        return figures
    finally:
        hub.close()
        store.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000,50000", help="instances, comma-separated")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_plugins(os.path.join(tmp, "plugins"))
        for instances in [int(s) for s in args.sizes.split(",")]:
            rows.append((instances, one_size(tmp, folder, instances)))
    print("one run per size, milliseconds")
    print(
        f"{'instances':>9} {'steps':>7} {'payload MB':>10} {'build_job':>10} {'host blocked':>12} "
        f"{'blocked/build':>13} {'to stored':>10} {'via':>10} {'progress':>8}"
    )
    for instances, f in rows:
        stored = "-" if f["stored"] is None else f"{f['stored'] * 1000:.0f}"
        print(
            f"{instances:>9} {f['steps']:>7} {f['bytes'] / 1e6:>10.1f} {f['build'] * 1000:>10.0f} "
            f"{f['blocked'] * 1000:>12.0f} {f['blocked'] / f['build']:>12.1f}x {stored:>10} "
            f"{f['via']:>10} {f['progress']:>8}"
        )
        if f["error"]:
            print(f"          {instances} instances: {f['error']}")
    for instances, f in rows:
        if instances == 2000:
            ms = f["blocked"] * 1000
            verdict = "met" if ms < TARGET_MS and not f["error"] else "MISSED"
            print(
                f"target: host blocked < {TARGET_MS:.0f} ms at 2,000 instances: {ms:.0f}, {verdict}"
            )
    big = [f for instances, f in rows if instances >= 50000]
    if big:
        verdict = "met" if big[0]["stored"] is not None else "MISSED"
        print(f"target: 50,000 instances hand off at all, progress shown: {verdict}")


if __name__ == "__main__":
    main()
