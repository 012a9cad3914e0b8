"""GUI responsiveness: 20 hosts, 10,000 jobs, 2,000 progress events per second.

Usage: python benchmarks/bench_gui.py [--seconds 4] [--jobs 10000] [--hosts 20] [--rate 2000]

Prints, each beside a baseline measured in the same run:
- longest GUI event-loop stall (a 5 ms QTimer's lateness) under load, vs an idle window;
- cost of one event in the bridge and models (ms of GUI-thread time per raw event);
- time from process start to the first frame (frameSwapped), vs an empty QML window;
- peak RSS, vs the empty QML window's process.

The hosts and events are fake: a thread feeds made-up host snapshots and progress events
straight into the bridge, with no host process, socket, hub or worker behind them (only
the step checkpoints are real SQLite writes). It measures the GUI's own cost per event, not
what live hosts cost the app; for that (real host processes publishing through a real hub)
see bench_hosts.py.
"""

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from support import StallMeter  # noqa: E402 - after the Qt environment

EMPTY_QML = b"""
import QtQuick
import QtQuick.Controls.Basic
ApplicationWindow { width: 1100; height: 720; visible: true; color: "#363636" }
"""


# -- child processes: time to first frame --------------------------------------------


def child_first_frame(kind, db, started):
    """Run in a child: build the window, print seconds since ``started`` at the first frame."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    if kind == "empty":
        from PySide6.QtQml import QQmlApplicationEngine

        engine = QQmlApplicationEngine()
        engine.loadData(EMPTY_QML)
        root = engine.rootObjects()[0]
    else:
        from pyblish_qml_queue.gui import sample
        from pyblish_qml_queue.gui.app import build_app
        from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

        store = SQLiteJobStore(db)
        hub = sample.SampleHub(_hosts(20))
        app, engine, root = build_app(
            [sys.argv[0]], store=store, hub=hub, executor=sample.SampleExecutor(store)
        )

    def first_frame():
        elapsed = time.time() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(f"{elapsed:.4f} {rss:.1f}", flush=True)
        QTimer.singleShot(0, app.quit)

    root.frameSwapped.connect(first_frame)
    QTimer.singleShot(20_000, app.quit)
    app.exec()
    return 0


def first_frame(kind, db):
    """(seconds from process start to first frame, peak RSS MB) of a child process.

    The child keeps its bytecode beside the store (``PYTHONPYCACHEPREFIX``), as an installed
    package has it; call once first to fill that cache. bench_startup.py times the start of
    ``pyblish-qml-queue app`` itself, beside pyblish-qml's."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(os.path.dirname(db), "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", db, "--started", repr(started)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"the {kind} child failed: {out.stderr.strip()[-500:]}")
    elapsed, rss = out.stdout.split()[-2:]
    return float(elapsed), float(rss)


# -- in-process: stalls and cost per event under load ---------------------------------


def _hosts(n):
    from pyblish_qml_queue.gui import sample

    base = sample.sample_hosts()
    out = []
    for k in range(n):
        host = dict(base[k % len(base)], id=f"host-{k:02d}", pid=10_000 + k)
        host["connected"] = True
        host["state"] = "extracting"
        host["stage"] = "extract"
        out.append(host)
    return out


def feed(session, store, hosts, running_ids, rate, seconds, stop):
    """Push ``rate`` events/s from a worker thread: host progress, job progress, and a
    real step checkpoint (SQLite write + job event) 20 times a second."""
    bridge = session.bridge
    owner = "bench:1:0"
    tick = 0.01
    per_tick = max(1, int(rate * tick))
    steps = {job_id: 0 for job_id in running_ids}
    totals = {job_id: len(store.get(job_id).steps) for job_id in running_ids}
    sent = 0
    n = 0
    start = time.perf_counter()
    while not stop.is_set() and time.perf_counter() - start < seconds:
        for _ in range(per_tick):
            n += 1
            if n % 2:
                host = hosts[n % len(hosts)]
                host["progress"] = {"done": n % 120, "total": 120}
                host["last_activity"] = time.time()
                host["current"] = {"plugin": "ExtractAlembic", "instance": f"CHAR_{n % 9}"}
                bridge.push_hub({"type": "host_changed", "host": dict(host)})
            else:
                job_id = running_ids[n % len(running_ids)]
                bridge.push_job(
                    {
                        "job_id": job_id,
                        "event": "progress",
                        "index": steps[job_id],
                        "fraction": (n % 100) / 100.0,
                        "message": f"frame {1001 + n % 120}",
                    }
                )
            sent += 1
        if n % (per_tick * 5) < per_tick:  # every 50 ms: a real checkpoint
            job_id = running_ids[(n // per_tick) % len(running_ids)]
            index = steps[job_id]
            if index + 1 < totals[job_id]:
                store.finish_step(job_id, owner, index, "succeeded", duration=1.0)
                store.start_step(job_id, owner, index + 1)
                steps[job_id] = index + 1
                bridge.push_job({"job_id": job_id, "event": "step_finished", "index": index})
                sent += 1
        time.sleep(tick)
    return sent


def build_store(path, jobs):
    """A SQLite store with ``jobs`` jobs in every state (bulk: queued, then 2 running)."""
    from pyblish_qml_queue.gui import sample
    from pyblish_qml_queue.queue.model import Job
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore(path)
    sample.fill_store(store, 30, running=0)
    for k in range(jobs - 32):
        store.add(Job.from_payload(sample.sample_payload(30 + k, n_steps=40)))
    owner = "bench:1:0"
    running = []
    for k in range(2):
        job = Job.from_payload(sample.sample_payload(9000 + k, n_steps=400))
        store.add(job)
        store.move(job.id, -jobs)
        claimed = store.claim(owner, 10_000.0)
        store.start_step(claimed.id, owner, 0)
        running.append(claimed.id)
    return store, running


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="skip gc.freeze() after start-up (the app does it) to compare",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_first_frame(args.child, args.db, args.started)

    import logging

    logging.basicConfig(level=logging.WARNING)
    folder = tempfile.mkdtemp(prefix="bench-gui-")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = folder
    db = os.path.join(folder, "jobs.db")
    t = time.perf_counter()
    store, running_ids = build_store(db, args.jobs)
    print(f"store: {args.jobs} jobs built in {time.perf_counter() - t:.1f} s ({db})")

    for kind in ("empty", "app"):  # warm-up: bytecode and QML caches, not counted
        first_frame(kind, db)
    empty_frame, empty_rss = first_frame("empty", db)
    app_frame, app_rss_child = first_frame("app", db)

    from PySide6.QtQml import QQmlApplicationEngine
    from PySide6.QtWidgets import QApplication

    from pyblish_qml_queue.gui import sample
    from pyblish_qml_queue.gui.app import build_app, freeze_startup_objects, session_of, shut_down

    app = QApplication.instance() or QApplication([sys.argv[0]])
    empty_engine = QQmlApplicationEngine()
    empty_engine.loadData(EMPTY_QML)
    idle = StallMeter().run(app, args.seconds)
    empty_engine.rootObjects()[0].close()

    hosts = _hosts(args.hosts)
    hub = sample.SampleHub(hosts)
    t = time.perf_counter()
    app, engine, root = build_app(
        [sys.argv[0]], store=store, hub=hub, executor=sample.SampleExecutor(store)
    )
    session = session_of(engine)
    build_s = time.perf_counter() - t
    if not args.no_freeze:
        freeze_startup_objects()  # as `pyblish-qml-queue app` does after start-up

    # Measure GUI-thread time spent turning events into model changes.
    drain_time = [0.0]
    drained = [0]
    real_drain = session.bridge.drain

    def timed_drain():
        t0 = time.perf_counter()
        count = real_drain()
        if count:
            drain_time[0] += time.perf_counter() - t0
            drained[0] += count
        return count

    session.bridge._timer.timeout.disconnect()
    session.bridge._timer.timeout.connect(timed_drain)

    gc_pauses = []

    def gc_timer(phase, info, started=[0.0]):  # noqa: B006 - a cell for the start time
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            gc_pauses.append((info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(gc_timer)
    results = {}
    for page in ("overview", "queue"):
        (session.app.showOverview if page == "overview" else session.app.showQueue)()
        if page == "queue":
            session.queue.select(running_ids[0])
        drain_time[0], drained[0] = 0.0, 0
        stop = threading.Event()
        sent = [0]

        def run_feed(sent=sent, stop=stop):
            sent[0] = feed(session, store, hosts, running_ids, args.rate, args.seconds, stop)

        feeder = threading.Thread(target=run_feed)
        feeder.start()
        meter = StallMeter().run(app, args.seconds)
        stop.set()
        feeder.join()
        real_drain()
        results[page] = (meter, sent[0], drain_time[0], drained[0])

    gc.callbacks.remove(gc_timer)
    worst_gc = max((p for _, p in gc_pauses), default=0.0) * 1000.0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    shut_down(engine)
    store.close()

    def ratio(a, b):
        return f"{a / b:.1f}x" if b else "n/a"

    print()
    print(f"{'measure':48} {'ours':>10} {'baseline':>10} {'ratio':>7}")
    print(
        f"{'first frame, process start (s)':48} {app_frame:10.3f} {empty_frame:10.3f} "
        f"{ratio(app_frame, empty_frame):>7}   (baseline: empty QML window; target < 1.5)"
    )
    print(f"{'build_app in-process, 10k jobs (s)':48} {build_s:10.3f}")
    for page, (meter, sent, spent, count) in results.items():
        rate = sent / args.seconds
        print(
            f"{'longest stall, ' + page + ' under load (ms)':48} {meter.worst_ms():10.1f} "
            f"{idle.worst_ms():10.1f} {ratio(meter.worst_ms(), idle.worst_ms()):>7}"
            f"   (baseline: idle window; target < 50; {rate:.0f} events/s)"
        )
        print(f"{'p99 stall, ' + page + ' (ms)':48} {meter.p99_ms():10.1f} {idle.p99_ms():10.1f}")
        per_event = spent / count * 1000.0 if count else 0.0
        print(
            f"{'GUI time per event, ' + page + ' (ms)':48} {per_event:10.4f} "
            f"{'':>10} {'':>7}   ({count} events, {spent * 1000:.0f} ms in drains)"
        )
    print(
        f"{'peak RSS, app child at first frame (MB)':48} {app_rss_child:10.1f} "
        f"{empty_rss:10.1f} {ratio(app_rss_child, empty_rss):>7}   (baseline: empty window)"
    )
    print(f"{'peak RSS, this process after load (MB)':48} {rss:10.1f}")
    print(
        f"{'longest Python GC pause under load (ms)':48} {worst_gc:10.1f}"
        f"{'':>19}   ({len(gc_pauses)} collections)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
