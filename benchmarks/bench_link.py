"""Publishing over the host link against pyblish.util in-process.

50 and 200 instances x 10 no-op plugins (3 validators, 4 extractors, 3
integrators), collected by one collector. The baseline runs validate, extract
and integrate in this process with pyblish.util; the link run has a real host
process (plain Python, ``show()``) driven by a real hub over the authenticated
socket, one ``process`` round trip per step. Printed: steps, round trips per
step, milliseconds per step for both, the overhead per step, and the ratio of
the 200-instance overhead to the 50-instance one.

Run: python benchmarks/bench_link.py [--repeat 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from support import INSTANCES_ENV, host_env, write_host, write_plugins


def baseline(folder, instances, repeat):
    """Seconds per step for validate+extract+integrate with pyblish.util, best of ``repeat``."""
    import pyblish.api
    import pyblish.util

    os.environ[INSTANCES_ENV] = str(instances)
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(folder)
    times = []
    for _ in range(repeat):
        context = pyblish.util.collect()
        collected = len(context.data["results"])
        start = time.perf_counter()
        pyblish.util.validate(context)
        pyblish.util.extract(context)
        pyblish.util.integrate(context)
        elapsed = time.perf_counter() - start
        steps = len(context.data["results"]) - collected
        times.append(elapsed / steps)
    return steps, min(times)


def over_the_link(folder, script, instances, repeat):
    """(steps, round trips per step, seconds per step) driving a host process."""
    from pyblish_qml_queue.hub.hub import Hub

    hub = Hub()
    hub.subscribe(lambda event: None)  # a subscriber, as the GUI would be
    hub.start()
    host = subprocess.Popen(
        [sys.executable, script, folder], env=host_env(instances), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.time() + 60
        while not hub.hosts() or hub.hosts()[0]["progress"]["done"] < 1:
            if time.time() > deadline:
                raise SystemExit("the host did not connect")
            time.sleep(0.02)
        host_id = hub.hosts()[0]["id"]
        session = hub._session(host_id)
        counted = [0]
        request = session.peer.request

        def counting(method, params=None, timeout=None):
            counted[0] += 1
            return request(method, params, timeout)

        session.peer.request = counting
        times, trips = [], []
        for _ in range(repeat):
            hub._drive_session(host_id, "do_reset").result()
            before_steps, before_trips = len(session.done), counted[0]
            start = time.perf_counter()
            state = hub._drive_session(host_id, "do_publish").result()
            elapsed = time.perf_counter() - start
            assert state == "finished", state
            steps = len(session.done) - before_steps
            times.append(elapsed / steps)
            trips.append((counted[0] - before_trips) / steps)
        return steps, max(trips), min(times)
    finally:
        host.kill()
        host.wait()
        hub.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PYBLISH_QML_QUEUE_HOME"] = os.path.join(tmp, "home")
        folder = write_plugins(os.path.join(tmp, "plugins"))
        script = write_host(tmp)
        overhead = {}
        print(
            f"{'instances':>9} {'steps':>6} {'trips/step':>10} {'pyblish.util ms/step':>21} "
            f"{'link ms/step':>13} {'overhead ms/step':>17}"
        )
        for instances in (50, 200):
            steps, base = baseline(folder, instances, args.repeat)
            link_steps, trips, link = over_the_link(folder, script, instances, args.repeat)
            assert steps == link_steps, (steps, link_steps)
            overhead[instances] = (link - base) * 1000
            print(
                f"{instances:>9} {steps:>6} {trips:>10.2f} {base * 1000:>21.3f} "
                f"{link * 1000:>13.3f} {overhead[instances]:>17.3f}"
            )
        ratio = overhead[200] / overhead[50]
        print(f"overhead per step, 200 vs 50 instances: {ratio:.2f}x")
        print(f"(median of the two overheads: {statistics.median(overhead.values()):.3f} ms)")


if __name__ == "__main__":
    main()
