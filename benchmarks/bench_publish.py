"""The Publish page: a whole publish of N instances x 10 no-op plugins driven through it.

Usage: python benchmarks/bench_publish.py [--instances 50 200]

For each N, in child processes (so each peak RSS is its own), prints beside a
baseline measured in the same run:
- per step: ``pyblish.util.publish`` in one process (the baseline), and the same
  plugins published from a real host process through the app (hub, link and this
  page, offscreen); the difference is our overhead per step;
- the GUI thread's own time per step (the page draining hub events into its models);
- time to ready: from the host calling ``show()`` to the page showing its N
  collected instances (first frame), and the app's own start to its first frame;
- peak RSS of the app process, beside the baseline process's.

The plugins: a collector making N instances, 3 validators, 4 extractors and
3 integrators, all no-ops: 1 + 10 N steps.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from support import INSTANCES_ENV, host_env, write_host, write_plugins


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- children ----------------------------------------------------------------------------


def child_baseline(n, plugins):
    """pyblish.util.publish in this process; per-step seconds."""
    import pyblish.api
    import pyblish.util

    os.environ[INSTANCES_ENV] = str(n)
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(plugins)
    started = time.perf_counter()
    context = pyblish.util.publish()
    elapsed = time.perf_counter() - started
    steps = len(context.data["results"])
    return {"steps": steps, "per_step": elapsed / steps, "peak": peak_mib()}


def child_gui(n, plugins):
    """The app with a real hub; a real host publishes through the Publish page."""
    started_app = time.perf_counter()
    from PySide6.QtCore import QElapsedTimer  # noqa: F401 - Qt loads before the clock runs

    from pyblish_qml_queue.gui.app import build_app, session_of, shut_down
    from pyblish_qml_queue.queue.memory import MemoryJobStore

    home = tempfile.mkdtemp(prefix="pqq-bench-")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = home
    app, engine, root = build_app([sys.argv[0]], store=MemoryJobStore(), executor=False)
    session = session_of(engine)
    page = session.publish
    root.show()
    frames = []
    root.frameSwapped.connect(lambda: frames.append(time.perf_counter()))
    pump(app, lambda: frames)
    app_ready = frames[0] - started_app

    script = write_host(home)
    host = subprocess.Popen(
        [sys.executable, script, plugins], stdout=subprocess.PIPE, env=host_env(n), text=True
    )
    try:
        shown_at = float(host.stdout.readline().split()[1])

        def page_ready():
            hosts = session.hub.hosts()
            if not hosts or hosts[0]["progress"]["done"] != 1:
                return False
            session.bridge.drain()
            session.app.openHost(hosts[0]["id"])
            page.drain()
            return len(page.state.instances) == n

        pump(app, page_ready)
        root.grabWindow()  # the page drawn with its instances
        show_ready = time.time() - shown_at

        take = page.take
        spent = [0.0]

        def timed_take(events):
            t = time.perf_counter()
            count = take(events)
            spent[0] += time.perf_counter() - t
            return count

        session.bridge.pageEvents.disconnect(page.take)
        session.bridge.pageEvents.connect(timed_take)
        total = 1 + 10 * n
        started = time.perf_counter()
        page.publish()
        pump(
            app,
            lambda: (
                sum(page.state.processed.values()) == total and page.host.get("state") == "finished"
            ),
            timeout=600,
        )
        elapsed = time.perf_counter() - started
        root.grabWindow()
        rows = page.plugin_model.rowCount() + page.instance_model.rowCount()
    finally:
        host.kill()
        host.wait()
        host.stdout.close()
    steps = total - 1  # the collector ran before: the publish runs the rest
    out = {
        "steps": steps,
        "per_step": elapsed / steps,
        "gui_per_step": spent[0] / steps,
        "show_ready": show_ready,
        "app_ready": app_ready,
        "rows": rows,
        "peak": peak_mib(),
    }
    shut_down(engine)
    return out


def pump(app, until, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit("bench_publish: timed out")
        app.processEvents()
        time.sleep(0.002)


# -- main --------------------------------------------------------------------------------


def run_child(kind, n, plugins):
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", kind, str(n), plugins],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, n, plugins = args.child
        func = child_baseline if kind == "baseline" else child_gui
        print(json.dumps(func(int(n), plugins)))
        return 0

    plugins = write_plugins(os.path.join(tempfile.mkdtemp(prefix="pqq-plugins-"), "plugins"))
    print("Publish page: N instances x 10 no-op plugins (3 validate, 4 extract, 3 integrate)")
    overheads = {}
    for n in args.instances:
        base = run_child("baseline", n, plugins)
        ours = run_child("gui", n, plugins)
        overhead = ours["per_step"] - base["per_step"]
        overheads[n] = overhead
        ms = 1000.0
        print(f"\n{n} instances ({base['steps']} steps in-process, {ours['steps']} published)")
        print(
            f"  per step     baseline pyblish.util.publish {base['per_step'] * ms:7.3f} ms"
            f" | through the page {ours['per_step'] * ms:7.3f} ms"
            f" | overhead {overhead * ms:6.3f} ms"
            f" (x{ours['per_step'] / base['per_step']:.1f})"
        )
        print(f"  GUI thread   {ours['gui_per_step'] * ms:7.3f} ms per step draining into the page")
        print(
            f"  ready        host show() -> page with {n} instances {ours['show_ready']:.2f} s"
            f" | app start -> first frame {ours['app_ready']:.2f} s"
        )
        print(
            f"  peak RSS     app {ours['peak']:.0f} MiB | baseline process {base['peak']:.0f} MiB"
            f" (x{ours['peak'] / base['peak']:.1f})"
        )
    if len(overheads) > 1:
        small, large = min(overheads), max(overheads)
        ratio = overheads[large] / overheads[small] if overheads[small] > 0 else float("inf")
        print(f"\noverhead per step at {large} vs {small} instances: x{ratio:.2f} (1.0 is flat)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
