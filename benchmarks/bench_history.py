"""A long job history: 100,000 jobs in a real SQLite store, beside an empty store.

Usage: python benchmarks/bench_history.py [--jobs 100000]

Each store is opened by the real app (``build_app``: offscreen, software renderer, a sample
hub of 20 hosts, the Queue page shown) in its own child process, so each figure is that
process's own. Prints, for the full store beside the empty one, in the same run:
- process start to the first frame (``frameSwapped``), for the full store closed cleanly
  (its open checks the header and schema; the whole file is checked on a thread after
  start) and again after a run that did not close it (its open checks the whole file,
  ``PRAGMA quick_check``, as every open did before);
- peak RSS at the first frame;
- process start until every job is in the Queue page's rows (a long history is listed
  after the first page, on the reader's thread), the peak RSS then, and the longest GUI
  stall while it came in;
- a keystroke in the Queue search (``Queue.setSearch`` as the search field calls it, then
  the events it posted processed): typing ``sh1234`` one character at a time, then clearing;
- a resync (another connection added 100 jobs behind the app's back, as the CLI would; its 2 s sync
  timer notices): the longest GUI stall (a 5 ms precise QTimer's lateness) until the
  rows are in and 0.5 s more.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench_gui import StallMeter, _hosts  # noqa: E402 - after sys.path

SEARCH = "sh1234"
BEHIND = 100  # jobs another process adds before the resync


def build_store(path, count):
    """``count`` jobs in one transaction: a few queued, the rest finished history."""
    from pyblish_qml_queue.gui import sample
    from pyblish_qml_queue.queue import model
    from pyblish_qml_queue.queue.model import Job
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore(path)
    ends = (model.SUCCEEDED, model.SUCCEEDED, model.SUCCEEDED, model.FAILED, model.CANCELLED)
    now = time.time()
    with store._file.transaction():  # add() joins it: one commit for all
        for k in range(count):
            job = Job.from_payload(sample.sample_payload(k, n_steps=3, now=now - count * 60))
            if k < count - 20:
                job.state = ends[k % len(ends)]
                job.started = job.created + 1
                job.finished = job.created + 30
                job.error = "ValidateA failed" if job.state == model.FAILED else None
                for step in job.steps:
                    step.state = model.STEP_DONE[0] if job.state == model.SUCCEEDED else step.state
            store.add(job)
    store.close()


def add_behind(path, count):
    """Another process's store adds ``count`` jobs (as the CLI's ``submit`` would)."""
    from pyblish_qml_queue.gui import sample
    from pyblish_qml_queue.queue.model import Job
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    other = SQLiteJobStore(path)
    with other._file.transaction():
        for k in range(count):
            other.add(Job.from_payload(sample.sample_payload(500_000 + k, n_steps=3)))
    other.close()


def child(db, started):
    """In a child: first frame, RSS, search keystrokes, resync; prints one JSON line."""
    from PySide6.QtCore import QEventLoop, QTimer

    from pyblish_qml_queue.gui import sample
    from pyblish_qml_queue.gui.app import build_app, freeze_startup_objects, session_of
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    out = {}
    store = SQLiteJobStore(db)
    out["read_whole"] = store._file.checked.is_set()  # quick_check at open
    app, engine, root = build_app(
        [sys.argv[0]],
        store=store,
        hub=sample.SampleHub(_hosts(20)),
        executor=sample.SampleExecutor(store),
    )

    def first_frame():
        out["frame"] = time.time() - started
        out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        loop.quit()

    loop = QEventLoop()  # not app.exec(): its end would shut the app's parts down
    root.frameSwapped.connect(first_frame)
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()
    root.frameSwapped.disconnect(first_frame)
    freeze_startup_objects()  # as the app does after its first frame
    session = session_of(engine)
    session.app.showQueue()
    # A long history comes in when the Queue page shows, listed on the reader's thread:
    # wait for all of it (the longest GUI stall meanwhile), then its RSS.
    out["load_ms"], _ = watch(app, lambda: history_in(session), settle=0.0)
    out["loaded"] = time.time() - started
    out["rss_loaded"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["listed"] = session.jobs.rowCount()
    StallMeter().run(app, 0.5)  # the Queue page built and drawn

    keys = []
    for text in [SEARCH[: n + 1] for n in range(len(SEARCH))] + [""]:
        t0 = time.perf_counter()
        session.queue.setSearch(text)
        app.processEvents()
        keys.append((time.perf_counter() - t0) * 1000.0)
        if text:
            out["shown"] = session.job_proxy.rowCount()
        StallMeter().run(app, 0.05)
    out["keys"] = keys

    idle = StallMeter().run(app, 1.0)
    out["idle_ms"] = idle.worst_ms()
    expected = session.jobs.rowCount() + BEHIND
    add_behind(db, BEHIND)
    # The 2 s timer sees the counts differ twice, then syncs: watch until the rows are in.
    out["resync_ms"], out["resync_s"] = watch(app, lambda: session.jobs.rowCount() >= expected)
    out["rows"] = session.jobs.rowCount()
    print(json.dumps(out), flush=True)
    os._exit(0)  # the figures are out; skip tearing down 100,000 rows


def history_in(session):
    """Whether every job of the store is in the Queue page's rows."""
    return session.jobs.complete and not session._backlog


def watch(app, done, timeout=60.0, settle=0.5):
    """(longest GUI stall in ms, seconds until ``done()``) with a 5 ms precise QTimer, the
    gap after its last tick included; watches ``settle`` s more after ``done()``."""
    from PySide6.QtCore import Qt, QTimer

    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    until = start + timeout
    finished = None
    while time.perf_counter() < until:
        app.processEvents()
        now = time.perf_counter()
        if finished is None and done():
            finished = now
            until = now + settle
        time.sleep(0.0005)
    timer.stop()
    ticks.append(time.perf_counter())
    worst = max(b - a for a, b in zip(ticks, ticks[1:])) - 0.005
    return max(worst, 0.0) * 1000.0, (finished or until) - start


def run_child(db):
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--child", db, "--started", repr(started)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"the child failed: {out.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.started)

    folder = tempfile.mkdtemp(prefix="bench-history-")
    try:
        return measure(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # 160 MiB at 100,000 jobs


def measure(args, folder):
    os.environ["PYBLISH_QML_QUEUE_HOME"] = folder
    empty_db = os.path.join(folder, "empty.db")
    full_db = os.path.join(folder, "full.db")
    build_store(empty_db, 0)
    t = time.perf_counter()
    build_store(full_db, args.jobs)
    size = os.path.getsize(full_db) / 2**20
    print(f"store: {args.jobs} jobs in {time.perf_counter() - t:.1f} s, {size:.0f} MiB")

    empty = run_child(empty_db)
    full = run_child(full_db)
    # The first run ended without closing the store (os._exit, its resync's jobs in the
    # WAL): this open checks the whole file.
    unclean = run_child(full_db)

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    def ratio(a, b):
        return f"{a / b:.1f}x" if b else "-"

    print(f"{'':44} {args.jobs:>10,} {'empty':>10} {'ratio':>7}")
    rows = [
        ("start to first frame (s)", full["frame"], empty["frame"], "%.2f"),
        ("  the same after a run that did not close (s)", unclean["frame"], empty["frame"], "%.2f"),
        ("peak RSS at first frame (MiB)", full["rss"], empty["rss"], "%.0f"),
        ("start until every job is listed (s)", full["loaded"], empty["loaded"], "%.2f"),
        ("peak RSS with every job listed (MiB)", full["rss_loaded"], empty["rss_loaded"], "%.0f"),
        ("listing: longest GUI stall (ms)", full["load_ms"], empty["load_ms"], "%.1f"),
        ("search keystroke, median (ms)", median(full["keys"]), median(empty["keys"]), "%.1f"),
        ("search keystroke, worst (ms)", max(full["keys"]), max(empty["keys"]), "%.1f"),
        ("resync: longest GUI stall (ms)", full["resync_ms"], empty["resync_ms"], "%.1f"),
        ("resync: seconds until the rows were in", full["resync_s"], empty["resync_s"], "%.1f"),
        ("idle: longest GUI stall (ms)", full["idle_ms"], empty["idle_ms"], "%.1f"),
    ]
    for name, a, b, fmt in rows:
        print(f"{name:44} {fmt % a:>10} {fmt % b:>10} {ratio(a, b):>7}")
    keys = " ".join(f"{k:.0f}" for k in full["keys"])
    print(
        f"keystrokes {SEARCH!r} then clear, ms: {keys}; rows shown for {SEARCH!r}: "
        f"{full['shown']}; rows listed: {full['listed']}; rows after the resync: {full['rows']} "
        f"(empty store: {empty['rows']}); whole file checked at open: "
        f"{full['read_whole']} (closed cleanly), {unclean['read_whole']} (not closed)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
