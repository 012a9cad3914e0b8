"""Shared test setup and fixtures. Qt runs offscreen: set before any Qt import.

Fixtures here are the real parts most tests share: a queue home, a SQLite
job store, an executor running on it, the executor's test plugins, both
stores for contract tests, and host processes killed at teardown. A test
module may define its own fixture of the same name; pytest prefers it.
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh PYBLISH_QML_QUEUE_HOME for one test (store, spool, runtime files)."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("PYBLISH_QML_QUEUE_HOME", str(path))
    return path


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(tmp_path):
    """A real SQLite job store in ``tmp_path/jobs.db``, closed at teardown."""
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore(str(tmp_path / "jobs.db"))
    yield store
    store.close()


@pytest.fixture
def home_store(home):
    """A real SQLite job store in the ``home`` fixture's jobs.db (the one the CLI opens)."""
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore(str(home / "jobs.db"))
    yield store
    store.close()


@pytest.fixture
def broker(tmp_path):
    """A real redis-server on a free port of 127.0.0.1, killed at teardown (its URL).

    Use only after ``pytest.importorskip("celery")`` and ``("redis")``."""
    from celery_fixture import free_port, start_redis, stop

    port = free_port()
    proc = start_redis(tmp_path / "redis", port)
    yield f"redis://127.0.0.1:{port}/0"
    stop(proc)


@pytest.fixture
def farm(tmp_path):
    """Real Celery farm nodes (celery_fixture.Farm), all killed at teardown."""
    from celery_fixture import Farm

    farm = Farm(tmp_path)
    yield farm
    farm.stop_all()


@pytest.fixture
def hub(home):
    """A running Hub in the ``home`` fixture's folder, closed at teardown."""
    from pyblish_qml_queue.hub.hub import Hub

    hub = Hub()
    hub.start()
    yield hub
    hub.close()


@pytest.fixture
def procs():
    """A list for host processes a test starts (dropin_hosts.start), all stopped at teardown."""
    from dropin_hosts import stop_all

    started = []
    yield started
    stop_all(started)


@pytest.fixture
def serve(tmp_path):
    """``serve(env)`` starts ``pyblish-qml-queue serve`` (serve_support.start_serve) and
    returns its process once it serves; each is stopped (SIGTERM, then killed) at teardown."""
    from serve_support import start_serve, stop_serve

    started = []

    def start(env):
        process, log = start_serve(env, tmp_path / f"serve{len(started)}.log")
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        stop_serve(process, log)


@pytest.fixture(params=["memory", "sqlite"])
def each_store(request, tmp_path, clock):
    """The in-memory store, then SQLite, both on ``clock``: for the store contract."""
    from pyblish_qml_queue.queue.memory import MemoryJobStore
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    if request.param == "memory":
        store = MemoryJobStore(clock=clock)
    else:
        store = SQLiteJobStore(str(tmp_path / "jobs.db"), clock=clock)
    yield store
    store.close()


@pytest.fixture
def plugins(tmp_path):
    """The executor's test plugins (tests/executor_plugins.py) in a tmp folder."""
    from executor_plugins import Plugins

    return Plugins(tmp_path)


@pytest.fixture
def start_executor(store):
    """Start an executor (stopped at teardown).

    ``start(on=None, *args, kind=Executor, **kwargs)`` runs ``kind(on or store,
    *args, **kwargs)``, polling every 50 ms unless told otherwise.
    """
    from pyblish_qml_queue.queue.executor import Executor

    started = []

    def start(on=None, *args, kind=Executor, **kwargs):
        kwargs.setdefault("poll", 0.05)
        executor = kind(on or store, *args, **kwargs)
        executor.start()
        started.append(executor)
        return executor

    yield start
    for executor in started:
        executor.stop(timeout=2.0)


@pytest.fixture
def executor(start_executor):
    """An executor running on ``store``, polling every 50 ms."""
    return start_executor()


@pytest.fixture
def hosts(tmp_path):
    """Start host processes (tests/host_fixtures.py); every one is killed at teardown.

    ``hosts(n, **kwargs)`` starts ``n`` hosts, each in its own folder, and returns
    their Popen objects; keyword arguments go to ``start_host``.
    """
    from host_fixtures import start_host, stop

    started = []

    def start(n=1, **kwargs):
        procs = [start_host(tmp_path / f"host{len(started) + i}", **kwargs) for i in range(n)]
        started.extend(procs)
        return procs

    yield start
    for process in started:
        stop(process)
