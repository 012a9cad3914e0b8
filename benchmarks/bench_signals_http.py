"""The farm-signal endpoint under the issue-14 load, against a plain http.server one.

Both serve ``POST /v1/signal`` from a real SQLite store in a child process of their
own, measured in the same run under the same load: the baseline is the standard
library's ``ThreadingHTTPServer`` (a thread per connection, listen backlog 5, no
header deadline), as the endpoint was before; ours is
:class:`pyblish_qml_queue.farm.http.SignalServer`. Each signal is well formed and
signed with a wrong secret, so every request reads the job from the store and is
refused (403). Printed, side by side:

- a burst of N concurrent requests: seconds for all, answers by status, and the
  server's peak threads and open fds (from /proc);
- 300 idle connections, then one signal: its answer time, and the server's threads;
- a client sending one header byte a second: seconds until the server drops it
  (capped).

(A 32k-deep JSON body is a 400 for both: that is the receiver's fix, which both use.)

Linux (reads /proc). Run: python benchmarks/bench_signals_http.py [--burst 500]
"""

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from support import ROOT

DRIP_CAP = 15.0


def serve(kind, home):
    """The child: serve the endpoint of ``kind`` on a free port, print it, stop at EOF."""
    from pyblish_qml_queue.farm import http
    from pyblish_qml_queue.farm.signals import SignalReceiver
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    logging.getLogger().addHandler(logging.NullHandler())  # refusals are expected here
    store = SQLiteJobStore(os.path.join(home, "jobs.db"))
    receiver = SignalReceiver(store)
    if kind == "ours":
        server = http.SignalServer(receiver, "127.0.0.1", 0)
        port, stop = server.address[1], server.close
    else:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from pyblish_qml_queue.farm.signals import SignalRefused

        class Handler(BaseHTTPRequestHandler):  # the endpoint as it was
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.connection.settimeout(10.0)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    status, body = 200, receiver.receive(raw)
                except SignalRefused as exc:
                    status, body = exc.http_status, {"ok": False, "reason": exc.reason}
                except Exception:
                    status, body = 500, {"ok": False, "reason": "error"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port, stop = server.server_address[1], server.shutdown
    print(port, flush=True)
    sys.stdin.read()
    stop()
    store.close()


class Child:
    def __init__(self, kind, home):
        env = dict(os.environ, PYTHONPATH=ROOT, PYBLISH_QML_QUEUE_HOME=home)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, home],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/v1/signal"

    def threads(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(next(line for line in f if line.startswith("Threads:")).split()[1])

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def store_fds(self):
        """Open fds on jobs.db: one per SQLite connection."""
        folder = f"/proc/{self.proc.pid}/fd"
        count = 0
        for name in os.listdir(folder):
            try:
                count += os.readlink(os.path.join(folder, name)).endswith("/jobs.db")
            except OSError:
                pass
        return count

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def post(url, raw, timeout=120):
    request = urllib.request.Request(url, data=raw, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code
    except OSError as exc:
        return type(exc).__name__


def burst(child, raw, n):
    gate = threading.Barrier(n + 1)
    results = [None] * n
    peak = {"threads": 0, "fds": 0, "store": 0}
    done = threading.Event()

    def client(i):
        gate.wait()
        results[i] = post(child.url, raw)

    def sample():
        while not done.is_set():
            try:
                peak["threads"] = max(peak["threads"], child.threads())
                peak["fds"] = max(peak["fds"], child.fds())
                peak["store"] = max(peak["store"], child.store_fds())
            except (OSError, StopIteration):
                pass
            time.sleep(0.01)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    gate.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    counts = {}
    for r in results:
        counts[str(r)] = counts.get(str(r), 0) + 1
    return elapsed, counts, peak


def idle_then_one(child, raw, n=300):
    socks = [socket.create_connection(("127.0.0.1", child.port)) for _ in range(n)]
    time.sleep(1.5)
    threads = child.threads()
    start = time.perf_counter()
    status = post(child.url, raw, timeout=60)
    elapsed = time.perf_counter() - start
    for s in socks:
        s.close()
    return elapsed, status, threads


def drip(child):
    sock = socket.create_connection(("127.0.0.1", child.port))
    sock.settimeout(1.0)
    start = time.perf_counter()
    try:
        for char in b"POST /v1/signal HTTP/1.1\r\nX-Slow: " + b"a" * 100:
            sock.send(bytes([char]))
            try:
                if sock.recv(4096) == b"":
                    break
            except socket.timeout:
                pass
            except OSError:
                break
            if time.perf_counter() - start > DRIP_CAP:
                return None
    except OSError:
        pass
    finally:
        sock.close()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=500, help="concurrent requests")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(*args.serve)
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from factories import make_job

    from pyblish_qml_queue.farm.signals import make_signal
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    rows = {}
    for kind in ("baseline", "ours"):
        with tempfile.TemporaryDirectory() as home:
            store = SQLiteJobStore(os.path.join(home, "jobs.db"))
            job = make_job()
            store.add(job)
            store.close()
            raw = json.dumps(make_signal(job.id, "ExtractStep0", "ben01", "success", "0" * 64))
            raw = raw.encode()
            child = Child(kind, home)
            try:
                base_threads, base_fds = child.threads(), child.fds()
                elapsed, counts, peak = burst(child, raw, args.burst)
                idle = idle_then_one(child, raw)
                dripped = drip(child)
            finally:
                child.stop()
        rows[kind] = {
            f"burst of {args.burst}: seconds": f"{elapsed:.2f}",
            "burst: answers": ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())),
            "burst: peak threads (idle)": f"{peak['threads']} ({base_threads})",
            "burst: peak fds (idle)": f"{peak['fds']} ({base_fds})",
            "burst: peak store connections": str(peak["store"]),
            "300 idle + 1: answer seconds": f"{idle[0]:.2f} ({idle[1]})",
            "300 idle: server threads": str(idle[2]),
            "1 byte/s client dropped after s": "never" if dripped is None else f"{dripped:.1f}",
        }
        if dripped is None:
            rows[kind]["1 byte/s client dropped after s"] = f"> {DRIP_CAP:g} (still open)"
    width = max(len(k) for k in rows["ours"])
    print(f"{'':{width}}  {'http.server (baseline)':>26}  {'SignalServer':>26}")
    for key in rows["ours"]:
        print(f"{key:{width}}  {rows['baseline'][key]:>26}  {rows['ours'][key]:>26}")


if __name__ == "__main__":
    main()
