"""Many live hosts: N real host processes publishing at once into the app, beside 1 host.

Usage: python benchmarks/bench_hosts.py [--hosts 50] [--instances 10] [--step-ms 20]
                                        [--page overview|queue]

The app (offscreen, software renderer, a real hub, an in-memory store, no executor) runs
in this process with its window on the Overview (or the Queue) page. Each host is a real
Python process that called ``show()``; its plugins are a collector, then
``--instances`` instances x 10 plugins (3 validators, 4 extractors, 3 integrators), each
step sleeping ``--step-ms`` ms as a real extractor waits on its disk. The hub publishes
every host at once. Inside the app an event-loop lag probe (a 5 ms precise QTimer on the
GUI thread, support.StallMeter) records how late it fires. Printed, for 1 host and then
N hosts in the same run:

- the GUI's longest and p99 stall while they publish;
- per-step overhead of a host: (its publish time - steps x step-ms) / steps, median and
  worst over the hosts, and the ratio N hosts / 1 host;
- threads in the app process while they publish (the hub's share per host).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from support import ROOT, StallMeter, host_env, plugins_source, write_host

SLEEP_ENV = "BENCH_STEP_MS"

PLUGINS = plugins_source(
    step=textwrap.dedent(
        """
        def _plugin(name, order):
            def process(self, instance):
                time.sleep(SLEEP)
                self.log.info("%s done", instance)
            return type(name, (pyblish.api.InstancePlugin,), {
                "order": order, "families": ["thing"], "process": process})
        """
    ),
    preamble='\nSLEEP = float(os.environ.get("BENCH_STEP_MS", "20")) / 1000.0\n',
)


def pump(app, until, timeout=300.0):
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit("bench_hosts: timed out")
        app.processEvents()
        time.sleep(0.001)


def cpu_of(procs):
    """CPU seconds the processes have used so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for proc in procs:
        try:
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def threads_of_process():
    try:
        return len(os.listdir(f"/proc/{os.getpid()}/task"))
    except OSError:
        return threading.active_count()


def run_hosts(app, session, n, script, plugins, args):
    """Start ``n`` hosts, wait until each has collected, publish all at once."""
    hub = session.hub
    before = {h["id"] for h in hub.hosts()}
    env = host_env(args.instances)
    env[SLEEP_ENV] = str(args.step_ms)
    procs = [
        subprocess.Popen(
            [sys.executable, script, plugins],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for _ in range(n)
    ]
    try:

        def collected():
            fresh = [h for h in hub.hosts() if h["id"] not in before and h["connected"]]
            return len(fresh) == n and all(
                h["progress"]["done"] >= 1 and h["state"] == "connected" for h in fresh
            )

        pump(app, collected)
        ids = [h["id"] for h in hub.hosts() if h["id"] not in before]
        done_at = {}
        threads_seen = [0]
        probe = StallMeter()
        # show() brought each host's Publish page to the front: back to the page measured
        (session.app.showOverview if args.page == "overview" else session.app.showQueue)()
        for _ in range(20):  # let the cards settle
            app.processEvents()
            time.sleep(0.01)
        probe.start()
        cpu0, hosts0 = os.times(), cpu_of(procs)
        started = time.perf_counter()
        for host_id in ids:
            future = hub._drive_session(host_id, "do_publish")
            future.add_done_callback(
                lambda f, host_id=host_id: done_at.setdefault(host_id, time.perf_counter())
            )

        def finished():
            threads_seen[0] = max(threads_seen[0], threads_of_process())
            return len(done_at) == n

        pump(app, finished)
        probe.stop()
        wall = time.perf_counter() - started
        cpu1, hosts1 = os.times(), cpu_of(procs)
        app_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
        steps = {host_id: len(hub.results(host_id)) - 1 for host_id in ids}
        sleep = args.step_ms / 1000.0
        overhead = [
            (done_at[h] - started - steps[h] * sleep) / steps[h] for h in ids if steps[h] > 0
        ]
        states = {hub.host(h)["state"] for h in ids}
        hosts_cpu = (hosts1 - hosts0) / wall
        return {
            "worst": probe.worst_ms(),
            "p99": probe.p99_ms(),
            "median_overhead": statistics.median(overhead) * 1000.0,
            "worst_overhead": max(overhead) * 1000.0,
            "steps": statistics.median(steps.values()),
            "threads": threads_seen[0],
            "states": states,
            "app_cpu": app_cpu,
            "hosts_cpu": hosts_cpu,
        }
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--step-ms", type=float, default=20.0)
    parser.add_argument("--page", choices=("overview", "queue"), default="overview")
    args = parser.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.WARNING)
    home = tempfile.mkdtemp(prefix="pqq-bench-hosts-")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = home
    plugins = os.path.join(home, "plugins")
    os.makedirs(plugins)
    with open(os.path.join(plugins, "bench_plugins.py"), "w") as f:
        f.write(PLUGINS)
    script = write_host(home)

    from pyblish_qml_queue.gui.app import build_app, freeze_startup_objects, session_of, shut_down
    from pyblish_qml_queue.queue.memory import MemoryJobStore

    app, engine, root = build_app([sys.argv[0]], store=MemoryJobStore(), executor=False)
    session = session_of(engine)
    root.show()
    freeze_startup_objects()
    idle_threads = threads_of_process()
    try:
        one = run_hosts(app, session, 1, script, plugins, args)
        many = run_hosts(app, session, args.hosts, script, plugins, args)
    finally:
        shut_down(engine)

    def ratio(a, b):
        return f"{a / b:.2f}x" if b > 0 else "n/a"

    print(
        f"{args.hosts} real hosts publishing at once vs 1 host, {args.instances} instances x 10"
        f" plugins ({one['steps']:.0f} steps each, {args.step_ms:g} ms of plugin work per step),"
        f" {args.page} page open; app threads idle: {idle_threads}"
    )
    print(f"{'measure':44} {'1 host':>9} {str(args.hosts) + ' hosts':>9} {'ratio':>7}")
    for key, label in (
        ("worst", "GUI longest stall (ms)"),
        ("p99", "GUI p99 stall (ms)"),
        ("median_overhead", "overhead per step, median host (ms)"),
        ("worst_overhead", "overhead per step, slowest host (ms)"),
        ("threads", "threads in the app while publishing"),
        ("app_cpu", "app CPU while publishing (cores)"),
        ("hosts_cpu", "hosts' CPU while publishing (cores)"),
    ):
        digits = 2 if key.endswith("cpu") else 1
        print(
            f"{label:44} {one[key]:9.{digits}f} {many[key]:9.{digits}f}"
            f" {ratio(many[key], one[key]):>7}"
        )
    extra = max(0, many["threads"] - idle_threads) / args.hosts
    print(f"threads per host at {args.hosts} hosts: {extra:.1f}; final states: {many['states']}")
    print("targets: longest stall < 50 ms; overhead per step at N hosts within 1.2x of 1 host")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
