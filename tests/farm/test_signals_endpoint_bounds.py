"""The farm endpoint cannot be starved (issue 14, item 5), over real sockets.

Silent and slow-drip clients are dropped at the header deadline while others are
answered; idle connections cost no thread each; a burst of requests uses a few
store connections, not one per request, and gets through a real listen backlog;
any body that is not a signal is a 400, never a 500; an unknown job and a bad
signature get the same answer.
"""

import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from factories import make_job

from pyblish_qml_queue.farm import http
from pyblish_qml_queue.farm.signals import SignalReceiver, make_signal


@pytest.fixture
def endpoint(store):
    server = http.SignalServer(SignalReceiver(store), "127.0.0.1", 0)
    yield server
    server.close()


def post(url, raw, timeout=15):
    request = urllib.request.Request(url, data=raw, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def connect(server):
    sock = socket.create_connection(server.address, timeout=30)
    return sock


def closed_after(sock, limit):
    """Seconds until the server closed ``sock`` (reading EOF or a reset), at most ``limit``."""
    start = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return None
    return time.monotonic() - start


def test_silent_and_slow_drip_clients_are_dropped_at_the_header_deadline(store, endpoint):
    assert http.HEADER_TIMEOUT <= 5
    silent = connect(endpoint)
    drip = connect(endpoint)
    stop = threading.Event()

    def dripping():
        for char in b"POST /v1/signal HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000:
            if stop.wait(1.0):
                return
            try:
                drip.send(bytes([char]))
            except OSError:
                return

    dripper = threading.Thread(target=dripping, daemon=True)
    dripper.start()
    try:
        # meanwhile another client is answered at once
        started = time.monotonic()
        status, answer = post(endpoint.url, b"{}")
        assert (status, answer["reason"]) == (400, "bad_shape")
        assert time.monotonic() - started < 2.0
        limit = http.HEADER_TIMEOUT + 3
        assert closed_after(silent, limit) is not None, "a silent client stayed connected"
        assert closed_after(drip, limit) is not None, "a slow-drip client stayed connected"
    finally:
        stop.set()
        silent.close()
        drip.close()
        dripper.join(5)


def test_idle_connections_cost_no_thread_each_and_are_bounded(store, endpoint):
    before = threading.active_count()
    socks = []
    try:
        for _ in range(300):
            socks.append(connect(endpoint))
        time.sleep(http.EVICT_AFTER)
        assert threading.active_count() - before <= http.WORKERS + 2
        assert endpoint.connections <= http.MAX_CONNECTIONS
        # the endpoint still answers at once: the oldest idle connection makes room
        job = make_job()
        store.add(job)
        body = make_signal(job.id, "ExtractStep0", "ben01", "success", "0" * 64)
        started = time.monotonic()
        status, answer = post(endpoint.url, json.dumps(body).encode(), timeout=20)
        assert status == 403, answer
        assert time.monotonic() - started < 2.0
    finally:
        for sock in socks:
            sock.close()


def _store_fds(path):
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(os.path.join("/proc/self/fd", name)) == path:
                count += 1
        except OSError:
            pass
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds in /proc")
def test_a_burst_uses_a_few_store_connections_and_a_real_backlog(store, endpoint):
    job = make_job()
    store.add(job)
    path = os.path.realpath(store.path)
    raw = json.dumps(make_signal(job.id, "ExtractStep0", "ben01", "success", "0" * 64)).encode()
    n = 200
    gate = threading.Barrier(n + 1)
    results = [None] * n
    peak = [0]
    done = threading.Event()

    def client(i):
        gate.wait()
        try:
            results[i] = post(endpoint.url, raw, timeout=30)[0]
        except OSError as exc:
            results[i] = repr(exc)

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _store_fds(path))
            time.sleep(0.005)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    sampler = threading.Thread(target=sample, daemon=True)
    for t in threads:
        t.start()
    sampler.start()
    base = _store_fds(path)
    gate.wait()
    started = time.monotonic()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    done.set()
    sampler.join(5)
    assert results == [403] * n, sorted(set(map(str, results)))
    assert peak[0] <= base + http.WORKERS, (base, peak[0])
    assert elapsed < 8.0, elapsed
    listen = subprocess.run(
        ["ss", "-ltnH", f"sport = :{endpoint.address[1]}"], capture_output=True, text=True
    )
    if listen.returncode == 0 and listen.stdout.split():
        assert int(listen.stdout.split()[2]) >= http.BACKLOG  # Send-Q: the backlog


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 32768 + b"]" * 32768,
        b'{"job": ' * 8000,
        b"\xff\xfe{}",
        b"1" * 5000,
        b"",
        b'{"job": "x", "nonce": NaN}',
    ],
    ids=["32k-deep", "deep-open", "not-utf8", "huge-int", "empty", "nan"],
)
def test_any_body_that_is_not_a_signal_is_a_400(endpoint, raw):
    status, answer = post(endpoint.url, raw)
    assert status == 400, answer
    assert answer["reason"] in ("bad_json", "bad_shape") and answer["ok"] is False


def test_an_unknown_job_and_a_bad_signature_get_one_answer(store, endpoint):
    job = make_job()
    store.add(job)
    known = make_signal(job.id, "ExtractStep0", "ben01", "success", "0" * 64, nonce="n" * 16)
    other = dict(known, job="f" * 32)
    unknown = make_signal(other["job"], "ExtractStep0", "ben01", "success", "0" * 64)
    unknown.update(time=known["time"], nonce=known["nonce"])
    from pyblish_qml_queue.farm.signals import sign

    unknown["signature"] = sign(unknown, "0" * 64)
    answers = [post(endpoint.url, json.dumps(body).encode()) for body in (known, unknown)]
    assert answers[0] == answers[1], answers
    assert answers[0][0] == 403


def test_a_request_line_or_headers_that_are_not_http_are_a_400_and_closed(endpoint):
    sock = connect(endpoint)
    try:
        sock.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        sock.settimeout(10)
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 400 "), data[:100]
    finally:
        sock.close()
