"""Publishing over the host link against pyblish.util in-process.

50 and 200 instances x 10 no-op plugins (3 validators, 4 extractors, 3
integrators), collected by one collector. The baseline runs validate, extract
and integrate in this process with pyblish.util; the link run has a real host
process (plain Python, ``show()``) driven by a real hub over the authenticated
socket, one ``process`` round trip per step. Printed: steps, round trips per
step, milliseconds per step for both, the overhead per step, and the ratio of
the 200-instance overhead to the 50-instance one.

The floor, measured in the same run: a bare JSON round trip on a Unix socket
between this process and a child Python (``multiprocessing.connection``, the
link's transport, authenticated; one thread a side; a request and a reply of
the size of a step's, ``json`` on both ends), and a ``ping`` to the real host
over the link's own peers (the app's ``LoopPeer``: a request waited for on
this thread, its answer read by the hub's I/O thread; the host's threaded
``Peer``). Target (issue 17, item 7): overhead per step
within 2.5x of the bare round trip.

Beside the times, where /proc is (Linux), the CPU each side spends: per bare
round trip, this thread's and the echo child's; per step, the host process's
and the hub's I/O thread's (steadier than the times on a loaded machine).

Run: python benchmarks/bench_link.py [--repeat 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
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


TARGET_FLOOR_RATIO = 2.5
ROUND_TRIPS = 2000

ECHO = textwrap.dedent(
    """
    import json
    import sys
    from multiprocessing.connection import Client

    conn = Client(sys.argv[1], authkey=sys.argv[2].encode())
    reply = {"protocol": 1, "kind": "response", "id": 0, "result": json.loads(sys.argv[3])}
    while True:
        try:
            msg = json.loads(conn.recv_bytes())
        except EOFError:
            break
        reply["id"] = msg["id"]
        conn.send_bytes(json.dumps(reply).encode())
    """
)
#: About what a step's request and reply carry (plugin id, instance id; result, changes).
STEP_PARAMS = {"plugin": "bench_plugins.ExtractA", "instance": "5f0c3a1e" * 4, "action": None}
STEP_RESULT = {
    "result": {
        "success": True,
        "plugin": "bench_plugins.ExtractA",
        "instance": "5f0c3a1e" * 4,
        "error": None,
        "records": [],
        "duration": 0.01,
        "progress": 0.5,
    },
    "changes": {"instances": {"5f0c3a1e" * 4: {"label": "item0001", "publish": True}}},
}


def cpu_seconds(pid, tid=None):
    """CPU seconds (user + system) of a process, or of one of its threads, from
    /proc; None where there is none."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat"
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per(before, after, count):
    """Microseconds per ``count`` between two cpu_seconds() readings, or None."""
    if before is None or after is None:
        return None
    return (after - before) / count * 1e6


def us(value):
    return "n/a" if value is None else f"{value:.1f}"


def bare_round_trip(tmp, count=ROUND_TRIPS):
    """(seconds per bare JSON round trip on a Unix socket to a child Python, median of
    5 runs; CPU microseconds per round trip of this thread and of the child, or None)."""
    import json
    from multiprocessing.connection import Listener

    address = os.path.join(tmp, "echo.sock")
    script = os.path.join(tmp, "echo.py")
    with open(script, "w") as f:
        f.write(ECHO)
    listener = Listener(address, authkey=b"bench")
    child = subprocess.Popen([sys.executable, script, address, "bench", json.dumps(STEP_RESULT)])
    conn = listener.accept()
    try:
        runs = []
        msg = {
            "protocol": 1,
            "kind": "request",
            "id": 0,
            "method": "process",
            "params": STEP_PARAMS,
        }
        child_cpu, own_cpu = cpu_seconds(child.pid), time.thread_time()
        for _ in range(5):
            start = time.perf_counter()
            for n in range(count):
                msg["id"] = n
                conn.send_bytes(json.dumps(msg).encode())
                json.loads(conn.recv_bytes())
            runs.append((time.perf_counter() - start) / count)
        cpu = (
            (time.thread_time() - own_cpu) / (5 * count) * 1e6,
            per(child_cpu, cpu_seconds(child.pid), 5 * count),
        )
        return statistics.median(runs), cpu
    finally:
        conn.close()
        listener.close()
        child.wait()


def over_the_link(folder, script, instances, repeat):
    """(steps, round trips per step, seconds per step, seconds per ping, CPU
    microseconds per step of the host process and of the hub's I/O thread, or
    None) driving a host process."""
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
        peer = session.record.peer
        request, ask = peer.request, peer.ask

        def counting(method, params, callback):  # every request goes out through ask()
            counted[0] += 1
            return ask(method, params, callback)

        pings = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(ROUND_TRIPS // 4):
                request("ping")
            pings.append((time.perf_counter() - start) / (ROUND_TRIPS // 4))
        peer.ask = counting
        times, trips = [], []
        io_thread = [t for t in hub.threads if t.name == "hub-io"]
        io_tid = getattr(io_thread[0], "native_id", None) if io_thread else None
        host_cpu, io_cpu, all_steps = 0.0, 0.0, 0
        for _ in range(repeat):
            hub._drive_session(host_id, "do_reset").result()
            before_steps, before_trips = len(session.record.done), counted[0]
            cpu_before = cpu_seconds(host.pid), cpu_seconds(os.getpid(), io_tid)
            start = time.perf_counter()
            state = hub._drive_session(host_id, "do_publish").result()
            elapsed = time.perf_counter() - start
            cpu_after = cpu_seconds(host.pid), cpu_seconds(os.getpid(), io_tid)
            if host_cpu is not None and None not in cpu_before + cpu_after and io_tid:
                host_cpu += cpu_after[0] - cpu_before[0]
                io_cpu += cpu_after[1] - cpu_before[1]
            else:
                host_cpu = io_cpu = None
            assert state == "finished", state
            steps = len(session.record.done) - before_steps
            all_steps += steps
            times.append(elapsed / steps)
            trips.append((counted[0] - before_trips) / steps)
        cpu = (None, None)
        if host_cpu is not None:
            cpu = per(0, host_cpu, all_steps), per(0, io_cpu, all_steps)
        return steps, max(trips), min(times), statistics.median(pings), cpu
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
        bare, (bare_own, bare_child) = bare_round_trip(tmp)
        overhead = {}
        print(
            f"floor: bare JSON round trip on a Unix socket {bare * 1e6:.1f} us "
            f"(CPU per round trip: this side {us(bare_own)} us, the echo child {us(bare_child)} us)"
        )
        print(
            f"{'instances':>9} {'steps':>6} {'trips/step':>10} {'pyblish.util ms/step':>21} "
            f"{'link ms/step':>13} {'overhead ms/step':>17} {'overhead/bare':>13} "
            f"{'Peer ping us':>12} {'ping/bare':>9} {'host CPU us/step':>16} "
            f"{'hub I/O CPU us/step':>19}"
        )
        for instances in (50, 200):
            steps, base = baseline(folder, instances, args.repeat)
            link_steps, trips, link, ping, (host_cpu, io_cpu) = over_the_link(
                folder, script, instances, args.repeat
            )
            assert steps == link_steps, (steps, link_steps)
            overhead[instances] = (link - base) * 1000
            print(
                f"{instances:>9} {steps:>6} {trips:>10.2f} {base * 1000:>21.3f} "
                f"{link * 1000:>13.3f} {overhead[instances]:>17.3f} "
                f"{overhead[instances] / 1000 / bare:>12.2f}x {ping * 1e6:>12.1f} "
                f"{ping / bare:>8.2f}x {us(host_cpu):>16} {us(io_cpu):>19}"
            )
        ratio = overhead[200] / overhead[50]
        print(f"overhead per step, 200 vs 50 instances: {ratio:.2f}x")
        worst = max(overhead.values()) / 1000 / bare
        verdict = "met" if worst <= TARGET_FLOOR_RATIO else "MISSED"
        print(
            f"target: overhead per step within {TARGET_FLOOR_RATIO}x of the bare round trip: "
            f"worst {worst:.2f}x, {verdict}"
        )
        print(f"(median of the two overheads: {statistics.median(overhead.values()):.3f} ms)")


if __name__ == "__main__":
    main()
