"""The scene snapshot at hand-off and in the worker, in a real Blender (bpy), against
Blender's own save and open of the same scene.

Two scenes: the Blender demo scene (pyblish_qml_queue.demo.blender: 5 meshes over 10
frames) and the same with a subdivided grid of ~1M vertices added (a heavier file).

1. Host blocked time at hand-off. In one bpy process (the "host"), the demo publish is
   collected and validated once; then ``submit(context)`` is timed: it builds the job,
   saves the snapshot through the Blender adapter and hands the job off (to a hub run
   in this benchmark's process, which stores it in a SQLite store: the link path; no
   executor runs). Baseline in the same process, on the same scene:
   ``bpy.ops.wm.save_as_mainfile(filepath=..., copy=True)``.
   Target (issue 12): hand-off within 1.2x the save plus 50 ms.
2. Worker start to its first step. One of those jobs is fed to
   ``python -m pyblish_qml_queue.worker`` exactly as the executor does; timed from the
   process start to its first ``step_started`` event (start-up, imports, snapshot
   opened, members checked, context rebuilt, plugins discovered). Baseline: a fresh
   Python that imports bpy and calls ``bpy.ops.wm.open_mainfile`` on the snapshot
   (also from process start); the open alone is printed too.

Printed per scene: best and median of ``--repeat`` runs, milliseconds, and the ratios.

Run: python benchmarks/bench_snapshot.py [--repeat 5]     (needs bpy 4.5 in this Python)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from support import ROOT, serve_hub

HOST = textwrap.dedent(
    """
    import json
    import os
    import sys
    import time

    import bpy
    import pyblish.api
    import pyblish.util

    import pyblish_qml_queue
    from pyblish_qml_queue.demo.blender import PLUGIN_PATH
    from pyblish_qml_queue.demo.blender.scene import build_scene

    work, heavy, repeat = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
    build_scene()
    if heavy:  # ~1M vertices in a PROP object
        bpy.ops.mesh.primitive_grid_add(x_subdivisions=1000, y_subdivisions=1000, size=10)
        grid = bpy.context.active_object
        grid.name = "ground"
        for collection in grid.users_collection:
            collection.objects.unlink(grid)
        bpy.data.collections["PROP"].objects.link(grid)
    bpy.ops.wm.save_as_mainfile(filepath=work)

    pyblish.api.register_host("blender")
    pyblish.api.register_plugin_path(PLUGIN_PATH)
    plugins = pyblish.api.discover()
    context = pyblish.util.collect(plugins=plugins)
    pyblish.util.validate(context, plugins=plugins)
    assert not [r for r in context.data["results"] if r["error"]], "validation failed"

    copies, handoffs, jobs = [], [], []
    folder = os.path.join(os.path.dirname(work), "copies")
    os.makedirs(folder)
    for n in range(repeat):
        path = os.path.join(folder, "copy%d.blend" % n)
        start = time.perf_counter()
        bpy.ops.wm.save_as_mainfile(filepath=path, copy=True)
        copies.append(time.perf_counter() - start)
        start = time.perf_counter()
        jobs.append(pyblish_qml_queue.submit(context))
        handoffs.append(time.perf_counter() - start)
    print("RESULT " + json.dumps({
        "copy": copies, "handoff": handoffs, "jobs": jobs,
        "bytes": os.path.getsize(path), "vertices": sum(
            len(o.data.vertices) for o in bpy.data.objects if o.type == "MESH"),
    }))
    """
)

OPEN = textwrap.dedent(
    """
    import sys
    import time

    import bpy

    start = time.perf_counter()
    bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False)
    sys.stdout.write("opened %r\\n" % (time.perf_counter() - start))
    sys.stdout.flush()
    """
)


def result_of(output):
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise SystemExit("the host printed no result:\n" + output[-3000:])
    return json.loads(lines[-1][len("RESULT ") :])


def env_for(home):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["PYBLISH_QML_QUEUE_HOME"] = home
    return env


def hand_offs(tmp, name, heavy, repeat):
    """Run the host against a hub in this process; return its figures and the store."""
    home = os.path.join(tmp, name, "home")
    store, hub = serve_hub(home)
    script = os.path.join(tmp, "host.py")
    with open(script, "w") as f:
        f.write(HOST)
    try:
        done = subprocess.run(
            [
                sys.executable,
                script,
                os.path.join(tmp, name, "shot_v001.blend"),
                "1" if heavy else "0",
                str(repeat),
            ],
            env=env_for(home),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise SystemExit("the host failed:\n" + done.stderr[-3000:])
        figures = result_of(done.stdout)
        jobs = [store.get(job_id) for job_id in figures["jobs"]]
    finally:
        hub.close()
        store.close()
    spooled = (
        os.listdir(os.path.join(home, "spool"))
        if os.path.isdir(os.path.join(home, "spool"))
        else []
    )
    figures["via"] = "spool" if spooled else "link"
    return figures, jobs, home


def worker_starts(job, home, repeat):
    """Seconds from the worker's start to its first step_started, per run."""
    from pyblish_qml_queue.common.farmwait import JOB_ID_VAR, SECRET_VAR
    from pyblish_qml_queue.queue import launch
    from pyblish_qml_queue.queue.loop import steps_to_send

    message = json.dumps({"payload": job.payload, "steps": steps_to_send(job)}) + "\n"
    argv = launch.command(job.payload)
    env = launch.environment(job.payload, argv)
    env.update({JOB_ID_VAR: job.id, SECRET_VAR: job.secret or "", "PYBLISH_QML_QUEUE_HOME": home})
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        worker = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=launch.working_folder(job.payload),
        )
        worker.stdin.write(message.encode("utf-8"))
        worker.stdin.flush()
        first = None
        for raw in worker.stdout:
            event = json.loads(raw)
            if event.get("event") == "step_started":
                first = time.perf_counter() - start
                break
            if event.get("event") == "fatal":
                raise SystemExit(f"the worker failed: {event.get('error')}")
        worker.kill()  # the first step is all we time; nothing is published
        worker.wait()
        worker.stdout.close()
        worker.stdin.close()
        if first is None:
            raise SystemExit("the worker started no step")
        times.append(first)
    return times


def bare_opens(path, tmp, repeat):
    """(seconds from process start to opened, seconds of the open alone), per run."""
    script = os.path.join(tmp, "open.py")
    with open(script, "w") as f:
        f.write(OPEN)
    total, opens = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, script, path], capture_output=True, text=True, timeout=300
        )
        total.append(time.perf_counter() - start)
        line = [x for x in done.stdout.splitlines() if x.startswith("opened ")]
        if done.returncode != 0 or not line:
            raise SystemExit("the bare open failed:\n" + done.stderr[-2000:])
        opens.append(float(line[-1].split()[1]))
    return total, opens


def ms(times):
    """'best / median' in milliseconds."""
    return f"{min(times) * 1000:.1f} / {statistics.median(times) * 1000:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure")
    args = parser.parse_args()
    try:
        import bpy  # noqa: F401 - only to fail early and clearly
    except ImportError as exc:
        raise SystemExit(f"bpy cannot be imported here ({exc}); pip install bpy==4.5.*")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, heavy in (("demo", False), ("heavy", True)):
            figures, jobs, home = hand_offs(tmp, name, heavy, args.repeat)
            job = jobs[0]
            snapshot = job.payload["snapshot"]["path"]
            starts = worker_starts(job, home, args.repeat)
            bare, opens = bare_opens(snapshot, tmp, args.repeat)
            rows.append((name, figures, starts, bare, opens))
    print(f"best / median of {args.repeat} runs, milliseconds")
    print("1. host blocked at hand-off (submit of a validated context) beside save-as-copy")
    print(
        f"{'scene':>6} {'vertices':>9} {'file MB':>8} {'via':>5} {'save copy':>13} "
        f"{'hand-off':>13} {'hand-off/save':>13} {'limit 1.2x+50':>13} {'verdict':>8}"
    )
    for name, f, *_ in rows:
        save = statistics.median(f["copy"])
        handoff = statistics.median(f["handoff"])
        limit = 1.2 * save + 0.050
        print(
            f"{name:>6} {f['vertices']:>9} {f['bytes'] / 1e6:>8.1f} {f['via']:>5} "
            f"{ms(f['copy']):>13} {ms(f['handoff']):>13} {handoff / save:>12.1f}x "
            f"{limit * 1000:>13.1f} {'met' if handoff <= limit else 'MISSED':>8}"
        )
    print("2. worker start to its first step beside a bare open_mainfile of the snapshot")
    print(
        f"{'scene':>6} {'python+bpy+open':>16} {'open alone':>13} {'worker->step':>13} "
        f"{'worker/bare':>11}"
    )
    for name, _, starts, bare, opens in rows:
        ratio = statistics.median(starts) / statistics.median(bare)
        print(f"{name:>6} {ms(bare):>16} {ms(opens):>13} {ms(starts):>13} {ratio:>10.2f}x")


if __name__ == "__main__":
    main()
