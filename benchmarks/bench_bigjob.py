"""Large background jobs: cost per step at 200, 2,000 and 20,000 steps, against 200.

A job of N instances x 10 steps (4 extractors that each set one data key, 3 more
that read it, 3 integrators; every instance carries a dozen data keys) is built
the way a host builds it (``host.job.build_job`` on a collected context), stored in
a real SQLiteJobStore (WAL, fsynced) in a tmp home, and run by a real executor
with a real worker process, until the job ends. Timed: from ``store.add`` to the
executor's ``job_ended``.

Baseline in the same run: a 1-step job through the same store and executor (the
fixed cost of a job: the worker's start, the context rebuilt, the plugins loaded).
Per step = (job time - 1-step job time) / (steps - 1); the ratio column divides it
by the per-step figure of the smallest size. On a shared machine one busy second
moves that figure, so the steady rate is printed too: the job's steps cut into 10
windows (by the executor's step_finished events), the median window's ms per step.
Also printed: the same plugins run by ``pyblish.plugin.process`` in this process
(the plugins' own cost per step). Target (issue 17, item 2): per step at 20,000
steps within 1.2x of that at 200 (verdict on the steady rate; both ratios shown).

Run: python benchmarks/bench_bigjob.py [--sizes 200,2000,20000] [--repeat 1]
"""

import argparse
import os
import statistics
import tempfile
import textwrap
import time

import support  # the repository on sys.path, INSTANCES_ENV

TARGET_RATIO = 1.2
PLUGINS_PER_INSTANCE = 10

PLUGINS = textwrap.dedent(
    """
    import os
    import pyblish.api


    class CollectMany(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            for n in range(int(os.environ["BENCH_INSTANCES"])):
                instance = context.create_instance("item%05d" % n)
                instance.data.update({
                    "family": "thing", "frameStart": 1001, "frameEnd": 1100,
                    "handles": 5, "asset": "shot%03d" % (n % 100), "task": "anim",
                    "subset": "pointcache%s" % n, "version": 3,
                    "outputs": ["/jobs/x/shot/%s.%d.abc" % (n, f) for f in range(4)],
                    "attributes": {"step": 1.0, "uv": True, "normals": True},
                    "comment": "", "user": "ben",
                })


    def _plugin(name, order, sets=None, reads=None):
        def process(self, instance):
            if sets:
                instance.data[sets] = "/out/%s/%s.abc" % (sets, instance.name)
            if reads:
                assert instance.data[reads]
        return type(name, (pyblish.api.InstancePlugin,), {
            "order": order, "families": ["thing"], "process": process})


    ExtractA = _plugin("ExtractA", pyblish.api.ExtractorOrder, sets="a")
    ExtractB = _plugin("ExtractB", pyblish.api.ExtractorOrder + 0.01, sets="b")
    ExtractC = _plugin("ExtractC", pyblish.api.ExtractorOrder + 0.02, sets="c")
    ExtractD = _plugin("ExtractD", pyblish.api.ExtractorOrder + 0.03, sets="d")
    CheckA = _plugin("CheckA", pyblish.api.ExtractorOrder + 0.1, reads="a")
    CheckB = _plugin("CheckB", pyblish.api.ExtractorOrder + 0.11, reads="b")
    CheckC = _plugin("CheckC", pyblish.api.ExtractorOrder + 0.12, reads="c")
    IntegrateA = _plugin("IntegrateA", pyblish.api.IntegratorOrder, reads="d")
    IntegrateB = _plugin("IntegrateB", pyblish.api.IntegratorOrder + 0.1)
    IntegrateC = _plugin("IntegrateC", pyblish.api.IntegratorOrder + 0.2)
    """
)


def write_plugins(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "bench_bigjob_plugins.py"), "w") as f:
        f.write(PLUGINS)
    return folder


def build_payload(folder, instances, one_step=False):
    """A job payload of ``instances`` x 10 steps (or only its first step)."""
    import pyblish.api
    import pyblish.util

    from pyblish_qml_queue.host import job

    os.environ[support.INSTANCES_ENV] = str(instances)
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(folder)
    plugins = pyblish.api.discover()
    context = pyblish.util.collect(plugins=plugins)
    payload = job.build_job(context, plugins=plugins, title=f"bigjob {instances}")
    if one_step:
        payload["steps"] = payload["steps"][:1]
    return payload, context, plugins


def in_process(context, plugins):
    """Seconds per step of the job's plugins run by pyblish in this process."""
    import pyblish.api
    import pyblish.plugin

    pairs = [
        (plugin, instance)
        for plugin in plugins
        if plugin.order >= pyblish.api.ExtractorOrder - 0.5
        for instance in context
    ]
    start = time.perf_counter()
    for plugin, instance in pairs:
        pyblish.plugin.process(plugin, context, instance)
    return (time.perf_counter() - start) / len(pairs)


def steady(marks, steps):
    """The median of 10 windows' seconds per step, from step_finished times."""
    size = max(1, steps // 10)
    rates = []
    for start in range(size, steps - size + 1, size):
        first, last = marks.get(start - 1), marks.get(start + size - 1)
        if first is not None and last is not None:
            rates.append((last - first) / size)
    return statistics.median(rates) if rates else float("nan")


def run_job(store, ends, wake, payload):
    """Seconds from store.add to job_ended; the job's step count; the steady rate."""
    from pyblish_qml_queue.queue import model
    from pyblish_qml_queue.queue.model import Job

    job = Job.from_payload(payload)
    done = ends.ended(job.id)
    marks = ends.marks.setdefault(job.id, {})
    start = time.perf_counter()
    store.add(job)
    wake()
    if not done.wait(1800):
        raise SystemExit(f"job {job.id} did not finish within 30 minutes")
    elapsed = time.perf_counter() - start
    got = store.get(job.id)
    assert got.state == model.SUCCEEDED, (got.state, got.error)
    assert got.steps_done == len(got.steps), (got.steps_done, len(got.steps))
    return elapsed, len(got.steps), steady(marks, len(got.steps))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="200,2000,20000", help="steps per job, comma-separated (smallest first)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (median)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    root = tempfile.mkdtemp(prefix="bench-bigjob-")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = os.path.join(root, "home")
    from pyblish_qml_queue.queue.executor import Executor
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    ends = support.JobEnds(marks=True)
    folder = write_plugins(os.path.join(root, "plugins"))
    store = SQLiteJobStore()
    executor = Executor(store, on_event=ends)
    executor.start()
    rows = []
    try:
        fixed = statistics.median(
            run_job(store, ends, executor.wake, build_payload(folder, 1, one_step=True)[0])[0]
            for _ in range(3)
        )
        for size in sizes:
            instances = max(1, size // PLUGINS_PER_INSTANCE)
            times, rates, steps = [], [], 0
            for _ in range(args.repeat):
                payload, context, plugins = build_payload(folder, instances)
                elapsed, steps, rate = run_job(store, ends, executor.wake, payload)
                times.append(elapsed)
                rates.append(rate)
            local = in_process(context, plugins)
            rows.append(
                (instances, steps, statistics.median(times), statistics.median(rates), local)
            )
    finally:
        executor.stop(timeout=5)
        store.close()

    print(f"median of {args.repeat} run(s) per size; baseline: a 1-step job, {fixed:.3f} s")
    print(
        f"{'instances':>9} {'steps':>6} {'job (s)':>9} {'ms/step':>8} {'ratio':>6} "
        f"{'steady ms/step':>14} {'ratio':>6} {'in-process ms/step':>18}"
    )
    first = first_rate = None
    for instances, steps, elapsed, rate, local in rows:
        per_step = (elapsed - fixed) / max(1, steps - 1)
        first = per_step if first is None else first
        first_rate = rate if first_rate is None else first_rate
        print(
            f"{instances:>9} {steps:>6} {elapsed:>9.2f} {per_step * 1000:>8.3f} "
            f"{per_step / first:>5.2f}x {rate * 1000:>14.3f} {rate / first_rate:>5.2f}x "
            f"{local * 1000:>18.3f}"
        )
    ratio = rows[-1][3] / first_rate
    whole = ((rows[-1][2] - fixed) / (rows[-1][1] - 1)) / first
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"target: per step at {rows[-1][1]} steps within {TARGET_RATIO}x of {rows[0][1]}: "
        f"steady {ratio:.2f}x ({verdict}), whole job {whole:.2f}x"
    )


if __name__ == "__main__":
    main()
