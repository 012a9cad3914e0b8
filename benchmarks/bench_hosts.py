"""Many live hosts: N real host processes publishing at once into the app, beside 1 host.

Usage: python benchmarks/bench_hosts.py [--hosts 50] [--instances 10] [--step-ms 20]
                                        [--page overview|queue] [--hosts-nice 0]
                                        [--switch-interval MS]

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
- threads in the app process while they publish (the hub's share per host);
- the GUI thread's CPU within its longest stall (``time.thread_time()`` at each probe
  tick), and its time waiting for a core in it (Linux ``/proc/thread-self/schedstat``):
  the rest of the stall it waited for the GIL;
- at N hosts, on the Overview: a re-sort that reverses the cards' order, as the
  Overview does it (a move per card that changes places), beside the same cards told
  ``layoutChanged`` (what a ``QSortFilterProxyModel``'s re-sort tells the view).
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


class CpuStallMeter(StallMeter):
    """A :class:`StallMeter` that also takes the GUI thread's CPU time at each tick."""

    def __init__(self, interval_ms=5):
        super().__init__(interval_ms)
        self.cpu = []  # GUI thread CPU (s) between a tick and the one before it
        self.queued = []  # ... and time it was ready to run but waited for a core (s)
        self._cpu_last = self._queued_last = None

    def start(self):
        self.cpu, self.queued, self._cpu_last, self._queued_last = [], [], None, None
        super().start()

    @staticmethod
    def _run_queue_wait():
        """This thread's total time runnable but not running (s), Linux schedstat; 0 elsewhere."""
        try:
            with open("/proc/thread-self/schedstat") as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def _tick(self):
        cpu, queued = time.thread_time(), self._run_queue_wait()
        if self._cpu_last is not None:
            self.cpu.append(cpu - self._cpu_last)
            self.queued.append(queued - self._queued_last)
        self._cpu_last, self._queued_last = cpu, queued
        super()._tick()

    def _worst(self, samples):
        if not self.late:
            return 0.0
        worst = max(range(len(self.late)), key=self.late.__getitem__)
        return samples[worst] * 1000.0 if worst < len(samples) else 0.0

    def worst_cpu_ms(self):
        """The GUI thread's CPU (ms) in the gap of the longest stall."""
        return self._worst(self.cpu)

    def worst_queued_ms(self):
        """The GUI thread's wait for a core (ms) in the gap of the longest stall; the rest
        of the gap, less its CPU, it waited for the GIL (or slept in the event loop)."""
        return self._worst(self.queued)


def time_resort(app, session):
    """GUI thread CPU (ms) of a re-sort of the Overview that reverses its cards, beside a
    ``layoutChanged`` of the same cards; and the number of cards."""
    proxy = session.host_proxy

    def settle(seconds=0.1):
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.001)

    def timed(change):
        """GUI thread CPU (ms) of ``change()`` and the 100 ms of event loop after it
        (the frame drawn with the cards in their new places)."""
        settle()
        started = time.thread_time()
        change()
        settle()
        return (time.thread_time() - started) * 1000.0

    key = proxy._sort_key
    proxy.set_sort_key("arrival")
    settle()
    ids = list(proxy._ids)

    def reverse():  # as a re-sort by activity that finds the order reversed
        proxy._sort_key, proxy._activity = "activity", {h: -n for n, h in enumerate(ids)}
        proxy._place()

    def layout():
        proxy.layoutAboutToBeChanged.emit()
        proxy.layoutChanged.emit()

    moved = timed(reverse)
    told = timed(layout)
    proxy.set_sort_key(key)
    return moved, told, len(ids)


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


def load_average():
    """The 1-minute load average (Linux /proc; "n/a" elsewhere)."""
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except (OSError, IndexError):
        return "n/a"


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
            preexec_fn=(lambda: os.nice(args.hosts_nice)) if args.hosts_nice else None,
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
        probe = CpuStallMeter()
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
        session.app.showOverview()  # the hosts still connected: every card shown
        resort = time_resort(app, session)
        hosts_cpu = (hosts1 - hosts0) / wall
        return {
            "worst": probe.worst_ms(),
            "worst_cpu": probe.worst_cpu_ms(),
            "worst_queued": probe.worst_queued_ms(),
            "p99": probe.p99_ms(),
            "median_overhead": statistics.median(overhead) * 1000.0,
            "worst_overhead": max(overhead) * 1000.0,
            "steps": statistics.median(steps.values()),
            "threads": threads_seen[0],
            "states": states,
            "app_cpu": app_cpu,
            "gui_cpu": sum(probe.cpu),
            "hosts_cpu": hosts_cpu,
            "resort": resort,
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
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="the app's sys.setswitchinterval in ms (default: Python's, 5 ms): how long a"
        " thread back from a system call (the hub's reads and writes) may wait for the GIL",
    )
    parser.add_argument(
        "--hosts-nice",
        type=int,
        default=0,
        help="run the host processes at this niceness (as hosts on other machines would"
        " not compete with the app for this one's cores)",
    )
    args = parser.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval / 1000.0)

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
        f" {args.page} page open; app threads idle: {idle_threads};"
        f" hosts at nice {args.hosts_nice}; GIL switch interval"
        f" {sys.getswitchinterval() * 1000:g} ms; load average {load_average()}"
    )
    print(f"{'measure':44} {'1 host':>9} {str(args.hosts) + ' hosts':>9} {'ratio':>7}")
    for key, label in (
        ("worst", "GUI longest stall (ms)"),
        ("worst_cpu", "GUI thread CPU in that stall (ms)"),
        ("worst_queued", "GUI thread waiting for a core in it (ms)"),
        ("p99", "GUI p99 stall (ms)"),
        ("median_overhead", "overhead per step, median host (ms)"),
        ("worst_overhead", "overhead per step, slowest host (ms)"),
        ("threads", "threads in the app while publishing"),
        ("app_cpu", "app CPU while publishing (cores)"),
        ("gui_cpu", "GUI thread CPU for the whole publish (s)"),
        ("hosts_cpu", "hosts' CPU while publishing (cores)"),
    ):
        digits = 2 if key.endswith("cpu") else 1
        print(
            f"{label:44} {one[key]:9.{digits}f} {many[key]:9.{digits}f}"
            f" {ratio(many[key], one[key]):>7}"
        )
    moved, told, cards = many["resort"]
    print(
        f"Overview re-sort reversing {cards} cards, GUI thread CPU with the next 100 ms:"
        f" {moved:.1f} ms as moves, {told:.1f} ms as one layoutChanged of the same cards"
    )
    extra = max(0, many["threads"] - idle_threads) / args.hosts
    print(f"threads per host at {args.hosts} hosts: {extra:.1f}; final states: {many['states']}")
    print("targets: longest stall < 50 ms; overhead per step at N hosts within 1.2x of 1 host")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
