"""Process start to first frame: ``pyblish-qml-queue app`` beside an empty QML window and
pyblish-qml's own window, all measured in the same run.

Usage: python benchmarks/bench_startup.py [--runs 7] [--pyblish-qml-python PATH] [--home-files N]

Each run is a fresh process; the runs of the kinds are interleaved so that the machine's
load falls on all of them alike, and one warm-up run of each (QML disk cache, file cache) is
not counted. The children keep their bytecode (in the run's own folder,
``PYTHONPYCACHEPREFIX``) as an installed package has it: under ``PYTHONDONTWRITEBYTECODE`` a
source checkout would compile every module again at every start. Every child is timed the
same way: from just before the parent starts it (``time.time()``) to its window's first
``frameSwapped``, on the same Qt platform and scene graph backend (offscreen and software
unless QT_QPA_PLATFORM / QT_QUICK_BACKEND say otherwise). The kinds:

- ``app``: ``pyblish-qml-queue app`` as a user starts it (the command line, the real SQLite
  store, hub, executor and tray) in a home folder made for this run (its first run, the
  warm-up, creates the store); ``--home-files N`` first puts N small files in it, in
  folders of 100 (a home used for months holds thousands: reports, snapshots, worker
  libraries), which the app's start makes private;
- ``empty``: an empty ``ApplicationWindow`` (PySide6, this interpreter): the floor;
- ``python``: this interpreter starting and exiting (``-c pass``);
- ``pyblish-qml``: pyblish-qml's window as its ``--aschild`` process builds it and shows it
  when its parent's ``show`` arrives, run with the interpreter given by
  ``--pyblish-qml-python`` or ``BENCH_PYBLISH_QML_PYTHON`` (one with PyQt5, pyblish-qml and
  pyblish-base installed, e.g. ``python -m venv /tmp/pqml && /tmp/pqml/bin/pip install
  PyQt5 pyblish-qml pyblish-base``); "not measured" without one.

Prints, for each kind, the median and the minimum wall time, the median CPU time the
process used to its first frame (all its threads; less sensitive to the machine's load) and
its peak RSS, with ours beside each baseline.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

PYBLISH_QML_ENV = "BENCH_PYBLISH_QML_PYTHON"
MARK = "FIRST_FRAME"

EMPTY_QML = b"""
import QtQuick
import QtQuick.Controls.Basic
ApplicationWindow { width: 1100; height: 720; visible: true; color: "#363636" }
"""


def _peak_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds():
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def _report(started):
    """The child's one result line: seconds since ``started``, peak RSS (MiB), CPU seconds
    used since the process began (less sensitive to the machine's load than the wall time)."""
    elapsed = time.time() - started
    sys.stdout.write(f"{MARK} {elapsed:.4f} {_peak_mib():.1f} {_cpu_seconds():.4f}\n")
    sys.stdout.flush()


# -- children --------------------------------------------------------------------------


def child_empty(started):
    from PySide6.QtCore import QTimer
    from PySide6.QtQml import QQmlApplicationEngine
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    engine = QQmlApplicationEngine()
    engine.loadData(EMPTY_QML)
    root = engine.rootObjects()[0]

    def first_frame():
        root.frameSwapped.disconnect(first_frame)
        _report(started)
        QTimer.singleShot(0, app.quit)

    root.frameSwapped.connect(first_frame)
    QTimer.singleShot(30_000, app.quit)
    return app.exec()


def child_app(started):
    """``pyblish-qml-queue app`` through the command line; quits after the first frame.

    The one hook: ``gui.app.build_app`` is wrapped to connect its window's frameSwapped,
    which Qt emits on the first frame, in ``app.exec()`` after build_app has returned.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    import pyblish_qml_queue.gui.app as gui_app
    from pyblish_qml_queue.cli.command import main

    real_build_app = gui_app.build_app

    def build_app(*args, **kwargs):
        from PySide6.QtCore import QTimer

        app, engine, window = real_build_app(*args, **kwargs)

        def first_frame():
            window.frameSwapped.disconnect(first_frame)
            _report(started)
            QTimer.singleShot(0, app.quit)

        window.frameSwapped.connect(first_frame)
        QTimer.singleShot(30_000, app.quit)  # no frame: the parent says so
        return app, engine, window

    gui_app.build_app = build_app
    return main(["app"])


def child_pyblish_qml(started):
    """pyblish-qml's window, built as ``python -m pyblish_qml --aschild`` builds it.

    Its parent (here the benchmark, as pyblish-qml's server does) writes ``show`` to this
    process's stdin and answers its requests on stdout; the window shows when ``show``
    arrives. The process leaves at the first frame.
    """
    from pyblish import api
    from pyblish_qml import app as qml_app
    from pyblish_qml import compat
    from pyblish_qml.vendor.Qt5 import QtCore

    compat.main()  # what pyblish_qml.app.main(aschild=True) does, with the hook between
    app = qml_app.Application(qml_app.APP_PATH, ["default"] + api.registered_targets())

    def first_frame():
        _report(started)
        os._exit(0)

    app.window.frameSwapped.connect(first_frame)
    app.listen()
    QtCore.QTimer.singleShot(30_000, lambda: os._exit(1))
    return app.exec_()


CHILDREN = {"empty": child_empty, "app": child_app, "pyblish-qml": child_pyblish_qml}


# -- the parent --------------------------------------------------------------------------


def run_child(kind, python, home):
    """(seconds from process start to first frame, peak RSS MiB, CPU seconds) of one
    fresh child."""
    env = dict(
        os.environ,
        PYBLISH_QML_QUEUE_HOME=os.path.join(home, "home"),
        PYTHONPYCACHEPREFIX=os.path.join(home, "pycache"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if kind == "python":
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        subprocess.run([python, "-c", "pass"], check=True, env=env)
        elapsed = time.time() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return elapsed, 0.0, cpu
    # stderr goes to a file, read when the child failed.
    with tempfile.TemporaryFile(mode="w+") as errors:
        started = time.time()
        child = subprocess.Popen(
            [python, os.path.abspath(__file__), "--child", kind, "--started", repr(started)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        )
        try:
            lines = serve_child(child, kind)
        finally:
            child.stdin.close()
            code = child.wait(timeout=120)
        errors.seek(0)
        stderr = errors.read()
    if not lines:
        raise RuntimeError(f"the {kind} child showed no frame (exit {code}): {stderr[-800:]}")
    _, elapsed, rss, cpu = lines[-1].split()
    return float(elapsed), float(rss), float(cpu)


def serve_child(child, kind):
    """Read the child's stdout to its end; its result lines.

    To pyblish-qml's child this is its parent, as pyblish-qml's server is: ``show`` goes to
    its stdin at once, and each request it writes gets a response (``None``: its ``show``
    only sends ``emit("pyblishQmlShown")`` before the first frame, whose result it drops).
    """
    if kind == "pyblish-qml":
        _send(child, "pyblish-qml:popen.parent", {"name": "show", "args": [{}], "kwargs": {}})
    results = []
    for line in child.stdout:
        if line.startswith(MARK):
            results.append(line)
        elif '"pyblish-qml:popen.request"' in line:
            _send(child, "pyblish-qml:popen.response", None)
    return results


def _send(child, header, payload):
    try:
        child.stdin.write(json.dumps({"header": header, "payload": payload}) + "\n")
        child.stdin.flush()
    except OSError:  # it has gone: its stdout ends, and the caller says so
        pass


def pyblish_qml_python(given):
    """The interpreter with pyblish-qml, or ``(None, why)``."""
    python = given or os.environ.get(PYBLISH_QML_ENV, "").strip()
    if not python:
        return None, f"no interpreter given (--pyblish-qml-python or {PYBLISH_QML_ENV})"
    if not shutil.which(python) and not os.path.isfile(python):
        return None, f"{python} does not exist"
    check = subprocess.run(
        [python, "-c", "import PyQt5.QtQuick, pyblish_qml.app"], capture_output=True, text=True
    )
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"{python} cannot import pyblish_qml.app with PyQt5: {last}"
    return python, ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted runs of each kind")
    parser.add_argument(
        "--pyblish-qml-python",
        metavar="PATH",
        default=None,
        help=f"an interpreter with PyQt5 + pyblish-qml (default ${PYBLISH_QML_ENV})",
    )
    parser.add_argument(
        "--home-files",
        type=int,
        default=0,
        metavar="N",
        help="small files put in the app's home first (a home used for months; default 0)",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return CHILDREN[args.child](args.started)

    other, why = pyblish_qml_python(args.pyblish_qml_python)
    kinds = [("app", sys.executable), ("empty", sys.executable), ("python", sys.executable)]
    if other:
        kinds.append(("pyblish-qml", other))
    home = tempfile.mkdtemp(prefix="bench-startup-")
    fill_home(os.path.join(home, "home"), args.home_files)
    results = {kind: [] for kind, _ in kinds}  # (wall s, peak RSS MiB, CPU s) per run
    try:
        for run in range(args.runs + 1):  # run 0 warms the caches up
            for kind, python in kinds:
                result = run_child(kind, python, home)
                if run:
                    results[kind].append(result)
    except RuntimeError as exc:
        sys.stderr.write(f"bench_startup: {exc}\n")
        return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)

    def median(kind, column):
        return statistics.median(r[column] for r in results[kind])

    platform = os.environ["QT_QPA_PLATFORM"], os.environ["QT_QUICK_BACKEND"]
    print(
        f"process start -> first frame, {args.runs} runs each (platform {platform[0]}, "
        f"scene graph {platform[1]}, app's home with {args.home_files} files, "
        f"load {_loadavg()})"
    )
    print(
        f"  {'':32} {'median s':>9} {'min s':>7} {'CPU s':>7} {'ours/this':>10} "
        f"{'CPU ours/this':>14} {'RSS MiB':>8}"
    )
    ours, ours_cpu = median("app", 0), median("app", 2)
    for kind, label in (
        ("app", "pyblish-qml-queue app"),
        ("empty", "empty QML window (PySide6)"),
        ("python", "bare interpreter (-c pass)"),
        ("pyblish-qml", "pyblish-qml's window (PyQt5)"),
    ):
        if kind not in results:
            print(f"  {label:32} not measured ({why})")
            continue
        wall, cpu = median(kind, 0), median(kind, 2)
        fastest = min(r[0] for r in results[kind])
        ratio = f"{ours / wall:.2f}x" if kind != "app" and wall else ""
        cpu_ratio = f"{ours_cpu / cpu:.2f}x" if kind != "app" and cpu else ""
        peak = f"{median(kind, 1):.0f}" if kind != "python" else ""
        print(
            f"  {label:32} {wall:9.3f} {fastest:7.3f} {cpu:7.3f} {ratio:>10} {cpu_ratio:>14} "
            f"{peak:>8}"
        )
    print("target: ours at or below pyblish-qml's (issue 17, item 6)")
    return 0


def fill_home(home, count):
    """``count`` small files under ``home``/reports, 100 to a folder, readable by others
    (as files made before the home was private are)."""
    for n in range(count):
        folder = os.path.join(home, "reports", f"job{n // 100:04d}")
        if n % 100 == 0:
            os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"step{n % 100:02d}.html")
        with open(path, "w") as f:
            f.write("<html></html>")
        os.chmod(path, 0o644)


def _loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


if __name__ == "__main__":
    sys.exit(main())
