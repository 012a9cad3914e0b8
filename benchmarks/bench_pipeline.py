"""Cost of publishing through the queue versus plain ``pyblish.util.publish``.

The same plugins (a collector making N instances, 2 extractors and 2 integrators
that do almost nothing) run twice per round:

- baseline: ``pyblish.util.publish()`` in this process;
- queue: ``pyblish_qml_queue.submit()`` (collect, validate, spool), the spooled
  job ingested at once (as the app's hub stores a hand-off) and run by a real
  executor with real worker processes, until the job succeeded.

The queue's overhead is measured with 1 step and with 80 steps (20 instances x
4 plugins), so a line through the two separates the fixed cost per job from
the cost per step. Targets: <= 0.5 s per job, <= 5 ms per step.

    python benchmarks/bench_pipeline.py [--rounds 5]
"""

import argparse
import os
import statistics
import tempfile
import textwrap
import time

from support import JobEnds  # and the repository on sys.path

TARGET_JOB = 0.5  # s
TARGET_STEP = 5.0  # ms

PLUGINS = textwrap.dedent("""
    import os

    import pyblish.api


    class CollectBench(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            for n in range(int(os.environ["BENCH_INSTANCES"])):
                context.create_instance("ben%02d" % n, family="model", frames=[1001, 1010])


    class ExtractAlpha(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder

        def process(self, instance):
            instance.data["alpha"] = sum(range(100))
""")

MORE_PLUGINS = textwrap.dedent("""
    class ExtractBeta(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder + 0.1

        def process(self, instance):
            instance.data["beta"] = len(instance.name)


    class IntegrateAlpha(pyblish.api.InstancePlugin):
        order = pyblish.api.IntegratorOrder

        def process(self, instance):
            self.log.info("integrated %s", instance.data.get("alpha"))


    class IntegrateBeta(pyblish.api.InstancePlugin):
        order = pyblish.api.IntegratorOrder + 0.1

        def process(self, instance):
            instance.data["published"] = True
""")


def write_plugins(folder, four):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "bench_plugins.py"), "w") as f:
        f.write(PLUGINS + (MORE_PLUGINS if four else ""))


def run_baseline():
    import pyblish.util

    start = time.perf_counter()
    context = pyblish.util.publish()
    elapsed = time.perf_counter() - start
    errors = [r["error"] for r in context.data["results"] if r["error"]]
    assert not errors, errors
    return elapsed


def run_queue(store, ends, ingester):
    import pyblish_qml_queue
    from pyblish_qml_queue.queue import model

    start = time.perf_counter()
    job_id = pyblish_qml_queue.submit(title="bench")
    ingester.ingest_once()  # as the app's hub does on a hand-off; serve polls instead
    done = ends.ended(job_id)
    if not done.wait(60):
        raise SystemExit(f"job {job_id} did not finish within 60 s")
    elapsed = time.perf_counter() - start
    job = store.get(job_id)
    assert job.state == model.SUCCEEDED, (job.state, job.error)
    assert job.steps_done == len(job.steps)
    return elapsed, len(job.steps)


def measure(rounds, instances, four, store, ends, ingester, folder):
    import pyblish.api

    os.environ["BENCH_INSTANCES"] = str(instances)
    write_plugins(folder, four)
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(folder)
    baseline, queued, steps = [], [], 0
    for _ in range(rounds):
        baseline.append(run_baseline())
        elapsed, steps = run_queue(store, ends, ingester)
        queued.append(elapsed)
    pyblish.api.deregister_plugin_path(folder)
    return statistics.median(baseline), statistics.median(queued), steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="bench-pipeline-")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = os.path.join(root, "home")
    from pyblish_qml_queue.cli.serve import SPOOL_INTERVAL
    from pyblish_qml_queue.queue.executor import Executor
    from pyblish_qml_queue.queue.spool import SpoolIngester
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    ends = JobEnds()
    store = SQLiteJobStore()
    executor = Executor(store, on_event=ends)
    ingester = SpoolIngester(store, on_added=lambda ids: executor.wake())
    executor.start()
    try:
        figures = {}
        for name, instances, four in (("1 step", 1, False), ("80 steps", 20, True)):
            figures[name] = measure(
                args.rounds,
                instances,
                four,
                store,
                ends,
                ingester,
                os.path.join(root, name.replace(" ", "_")),
            )
    finally:
        executor.stop(timeout=5)
        store.close()

    print(
        f"median of {args.rounds} rounds; job ingested at once, as the app does on a hand-off "
        f"(serve polls the spool every {SPOOL_INTERVAL} s: add {SPOOL_INTERVAL / 2} s on "
        f"average there)"
    )
    print(
        f"{'job':<9} {'steps':>5} {'publish (s)':>12} {'queue (s)':>10} {'overhead (s)':>13} "
        f"{'ratio':>6}"
    )
    for name, (base, queued, steps) in figures.items():
        print(
            f"{name:<9} {steps:>5} {base:>12.4f} {queued:>10.4f} {queued - base:>13.4f} "
            f"{queued / base:>6.1f}x"
        )
    (b1, q1, s1), (b80, q80, s80) = figures["1 step"], figures["80 steps"]
    per_step = ((q80 - b80) - (q1 - b1)) / (s80 - s1)
    fixed = (q1 - b1) - per_step * s1
    print(
        f"fixed overhead per job: {fixed:.3f} s (target <= {TARGET_JOB} s, "
        f"{fixed / TARGET_JOB:.2f}x of it)"
    )
    print(
        f"overhead per step:      {per_step * 1000:.2f} ms (target <= {TARGET_STEP} ms, "
        f"{per_step * 1000 / TARGET_STEP:.2f}x of it)"
    )


if __name__ == "__main__":
    main()
