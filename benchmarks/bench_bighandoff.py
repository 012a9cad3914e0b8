"""Handing off big publishes, with ``submit()`` and the app's Hand off button: 200, 2,000
and 50,000 instances.

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
The app's Hand off button, per size: a real host process (plain Python, a link to
the same app core, the app's calls run on its main thread through a dispatch
wrapper that times them) is collected by the app, then ``hub.handoff(host)`` is
timed until the job is stored. Its validators are left out (the app would first
validate 3 pairs per instance, one round trip each: not the hand-off). Printed: the
same build_job baseline (in that host process), the host's main thread blocked by
the hand-off (the longest call the wrapper ran meanwhile) and its ratio to
build_job, ``hub.handoff`` until it returned, until the job was in the store
(the app spools a job the store cannot take within 3 s and stores it after), how
the job travelled (in the reply, or by reference) and the host's progress lines.

Targets (issue 17, item 3): 2,000 instances with the host blocked < 200 ms; 50,000
instances hand off at all, with progress shown in the host.

Run: python benchmarks/bench_bighandoff.py [--sizes 200,2000,50000] [--paths submit,button]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from support import host_env, serve_hub, write_plugins

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


BUTTON_HOST = textwrap.dedent(
    """
    import json
    import logging
    import os
    import queue
    import sys
    import threading
    import time

    import pyblish.api
    import pyblish.util

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(sys.argv[1])
    from pyblish_qml_queue.host import job, link as link_module
    from pyblish_qml_queue.host.service import Service

    figures = sys.argv[2]

    def note(**values):
        with open(figures, "a") as f:
            f.write(json.dumps(values) + "\\n")

    def plugins():
        return [p for p in pyblish.api.discover() if not p.__name__.startswith("Validate")]

    context = pyblish.util.collect(plugins=plugins())
    start = time.perf_counter()
    job.build_job(context, plugins=plugins())
    note(build=time.perf_counter() - start)
    del context

    calls = queue.Queue()

    def on_main_thread(func):
        done = threading.Event()
        calls.put((func, done))
        done.wait()

    link_module.register_dispatch_wrapper(on_main_thread)
    link = link_module.Link(Service(discover=plugins))
    link_module._current[0] = link
    link.start()
    parent = os.getppid()
    while os.getppid() == parent:
        try:
            func, done = calls.get(timeout=0.2)
        except queue.Empty:
            continue
        start = time.perf_counter()
        try:
            func()
        finally:
            note(main=time.perf_counter() - start)
            done.set()
    """
)


def button_size(tmp, folder, instances):
    """The app's Hand off button at ``instances``: figures as one_size's."""
    home = os.path.join(tmp, f"button{instances}")
    store, hub = serve_hub(home)
    script = os.path.join(tmp, "buttonhost.py")
    with open(script, "w") as f:
        f.write(BUTTON_HOST)
    notes = os.path.join(tmp, f"button{instances}.jsonl")
    log_path = os.path.join(tmp, f"button{instances}.log")
    env = host_env(instances)
    env["PYBLISH_QML_QUEUE_HOME"] = home
    with open(log_path, "w") as log:
        host = subprocess.Popen([sys.executable, script, folder, notes], env=env, stderr=log)
    figures = {"error": None, "stored": None, "blocked": None, "handoff": None}
    try:
        deadline = time.time() + 900
        host_id = None
        while host_id is None:
            collected = [h for h in hub.hosts() if h["progress"]["done"] >= 1]
            if collected and collected[0]["state"] == "connected":
                host_id = collected[0]["id"]
            elif time.time() > deadline or host.poll() is not None:
                raise SystemExit("the button host did not connect and collect")
            else:
                time.sleep(0.05)
        hub.validate(host_id)  # no validators: marks the host validated
        mains = len(_notes(notes, "main"))
        start = time.perf_counter()
        figures["steps"] = None
        try:
            job_id = hub.handoff(host_id)
            figures["handoff"] = time.perf_counter() - start
            job = _stored(store, job_id)  # spooled when the store was busy: stored later
            figures["stored"] = time.perf_counter() - start
            figures["steps"] = len(job.steps)
        except Exception as exc:
            figures["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        blocked = _notes(notes, "main")[mains:]
        figures["blocked"] = max(blocked) if blocked else None
        figures["build"] = _notes(notes, "build")[0]
    finally:
        host.kill()
        host.wait()
        hub.close()
        store.close()
    with open(log_path) as f:
        lines = f.read().splitlines()
    figures["progress"] = sum(1 for x in lines if "% of" in x or "built in" in x)
    figures["via"] = "reference" if any("written to the spool" in x for x in lines) else "reply"
    return figures


def _stored(store, job_id, timeout=300):
    from pyblish_qml_queue.queue.store import JobNotFound

    deadline = time.time() + timeout
    while True:
        try:
            return store.get(job_id)
        except JobNotFound:
            if time.time() > deadline:
                raise
            time.sleep(0.01)


def _notes(path, key):
    with open(path) as f:
        values = [json.loads(line) for line in f if line.strip()]
    return [v[key] for v in values if key in v]


def one_size(tmp, folder, instances):
    from pyblish_qml_queue.queue.store import JobNotFound

    home = os.path.join(tmp, f"home{instances}")
    store, hub = serve_hub(home)
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
    parser.add_argument("--paths", default="submit,button", help="submit and/or button")
    args = parser.parse_args()
    paths = args.paths.split(",")
    rows, buttons = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_plugins(os.path.join(tmp, "plugins"))
        for instances in [int(s) for s in args.sizes.split(",")]:
            if "submit" in paths:
                rows.append((instances, one_size(tmp, folder, instances)))
            if "button" in paths:
                buttons.append((instances, button_size(tmp, folder, instances)))
    print(f"one run per size, milliseconds; load average {open('/proc/loadavg').read().strip()}")
    if rows:
        print_submit(rows)
    if buttons:
        print_buttons(buttons)


def print_submit(rows):
    print("submit()")
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
        verdict = "met" if big[0]["stored"] is not None and big[0]["progress"] else "MISSED"
        print(f"target: 50,000 instances hand off at all, progress shown: {verdict}")


def print_buttons(rows):
    print("the app's Hand off button (hub.handoff; to stored: until the job is in the store)")
    print(
        f"{'instances':>9} {'steps':>7} {'build_job':>10} {'host blocked':>12} "
        f"{'blocked/build':>13} {'handoff':>10} {'to stored':>10} {'via':>10} {'progress':>8}"
    )
    for instances, f in rows:
        steps = "-" if f["steps"] is None else f["steps"]
        blocked = "-" if f["blocked"] is None else f"{f['blocked'] * 1000:.0f}"
        ratio = "-" if f["blocked"] is None else f"{f['blocked'] / f['build']:.1f}x"
        stored = "-" if f["stored"] is None else f"{f['stored'] * 1000:.0f}"
        handoff = "-" if f["handoff"] is None else f"{f['handoff'] * 1000:.0f}"
        print(
            f"{instances:>9} {steps:>7} {f['build'] * 1000:>10.0f} {blocked:>12} {ratio:>13} "
            f"{handoff:>10} {stored:>10} {f['via']:>10} {f['progress']:>8}"
        )
        if f["error"]:
            print(f"          {instances} instances: {f['error']}")
    for instances, f in rows:
        if instances == 2000 and f["blocked"] is not None:
            ms = f["blocked"] * 1000
            verdict = "met" if ms < TARGET_MS and not f["error"] else "MISSED"
            print(
                f"target: host blocked < {TARGET_MS:.0f} ms at 2,000 instances (button): "
                f"{ms:.0f}, {verdict}"
            )
    big = [f for instances, f in rows if instances >= 50000]
    if big:
        ok = big[0]["stored"] is not None and big[0]["progress"]
        verdict = "met" if ok else "MISSED"
        print(f"target: 50,000 instances hand off at all (button), progress shown: {verdict}")


if __name__ == "__main__":
    main()
