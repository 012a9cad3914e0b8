"""What the benchmarks share: the repository on sys.path, the publish's plugins
(a collector making ``BENCH_INSTANCES`` instances, 3 validators, 4 extractors and
3 integrators, all no-ops), a plain-Python host script, and one-step job payloads.

Not a benchmark itself: the ``bench_*.py`` scripts import it.
"""

import os
import sys
import textwrap
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

#: The environment variable the collector reads its instance count from.
INSTANCES_ENV = "BENCH_INSTANCES"

#: The no-op step plugin: source defining ``_plugin(name, order)``.
NOOP_STEP = textwrap.dedent(
    """
    def _plugin(name, order):
        return type(name, (pyblish.api.InstancePlugin,), {
            "order": order, "families": ["thing"], "process": lambda self, instance: None})
    """
)


def plugins_source(step=NOOP_STEP, preamble=""):
    """The plugins module: a collector making ``BENCH_INSTANCES`` instances, then 3
    validators, 4 extractors and 3 integrators made by ``step`` (source defining
    ``_plugin(name, order)``); ``preamble`` goes after the imports."""
    return (
        textwrap.dedent(
            """
            import os
            import time
            import pyblish.api
            """
        )
        + preamble
        + textwrap.dedent(
            """

            class CollectMany(pyblish.api.ContextPlugin):
                order = pyblish.api.CollectorOrder

                def process(self, context):
                    for n in range(int(os.environ["BENCH_INSTANCES"])):
                        context.create_instance("item%04d" % n).data["family"] = "thing"

            """
        )
        + step
        + textwrap.dedent(
            """

            ValidateA = _plugin("ValidateA", pyblish.api.ValidatorOrder)
            ValidateB = _plugin("ValidateB", pyblish.api.ValidatorOrder + 0.1)
            ValidateC = _plugin("ValidateC", pyblish.api.ValidatorOrder + 0.2)
            ExtractA = _plugin("ExtractA", pyblish.api.ExtractorOrder)
            ExtractB = _plugin("ExtractB", pyblish.api.ExtractorOrder + 0.1)
            ExtractC = _plugin("ExtractC", pyblish.api.ExtractorOrder + 0.2)
            ExtractD = _plugin("ExtractD", pyblish.api.ExtractorOrder + 0.3)
            IntegrateA = _plugin("IntegrateA", pyblish.api.IntegratorOrder)
            IntegrateB = _plugin("IntegrateB", pyblish.api.IntegratorOrder + 0.1)
            IntegrateC = _plugin("IntegrateC", pyblish.api.IntegratorOrder + 0.2)
            """
        )
    )


PLUGINS = plugins_source()

HOST = textwrap.dedent(
    """
    import os
    import sys
    import time

    import pyblish.api

    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(sys.argv[1])
    from pyblish_qml_queue.host.show import show

    parent = os.getppid()
    sys.stdout.write("show %r\\n" % time.time())
    sys.stdout.flush()
    show()
    while os.getppid() == parent:  # the benchmark died: leave no orphan behind
        time.sleep(0.5)
    """
)


def write_plugins(folder):
    """Write the plugins into ``folder`` (created); return it."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "bench_plugins.py"), "w") as f:
        f.write(PLUGINS)
    return folder


def write_host(folder):
    """Write the host script (argv[1]: its plugin folder) into ``folder``; return its path."""
    script = os.path.join(folder, "host.py")
    with open(script, "w") as f:
        f.write(HOST)
    return script


def host_env(instances):
    """The environment of a host process publishing ``instances`` instances."""
    env = dict(os.environ)
    env[INSTANCES_ENV] = str(instances)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def serve_hub(home):
    """Make ``home`` the app's folder and start a hub over its SQLite store, as serve does.

    Returns (store, hub); the caller closes both.
    """
    from pyblish_qml_queue.hub.hub import run_hub_for_serve
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    os.makedirs(home)
    os.environ["PYBLISH_QML_QUEUE_HOME"] = home
    store = SQLiteJobStore()
    return store, run_hub_for_serve(store)


def one_step_payload(step, plugin_paths=(), title="bench"):
    """A job payload with one instance (ben01) and one step."""
    return {
        "schema": 1,
        "id": uuid.uuid4().hex,
        "title": title,
        "host": {"application": "python", "machine": "ws01", "user": "ben", "pid": 1},
        "targets": [],
        "plugins": {"paths": list(plugin_paths), "modules": []},
        "env": {},
        "context": {"data": {}},
        "instances": [{"id": "i1", "name": "ben01", "families": ["pointcache"], "data": {}}],
        "steps": [dict(step, instance_id="i1")],
    }


class JobEnds:
    """An executor's ``on_event``: an Event per job, set at its ``job_ended``.

    With ``marks``, ``marks[job_id][index]`` is the perf_counter time of each
    ``step_finished``.
    """

    def __init__(self, marks=False):
        self.marks = {} if marks else None
        self._ended = {}
        self._lock = threading.Lock()

    def __call__(self, event):
        if event["event"] == "step_finished" and self.marks is not None:
            self.marks.setdefault(event["job_id"], {})[event["index"]] = time.perf_counter()
        elif event["event"] == "job_ended":
            self.ended(event["job_id"]).set()

    def ended(self, job_id):
        """The Event set when ``job_id`` ends (made on first ask, by either side)."""
        with self._lock:
            return self._ended.setdefault(job_id, threading.Event())


class StallMeter:
    """A 5 ms precise QTimer on the GUI thread; records how late each timeout fires."""

    def __init__(self, interval_ms=5):
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000.0
        self.late = []
        self._last = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self._last is not None:
            self.late.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def start(self):
        self.late, self._last = [], None
        self._timer.start()

    def stop(self):
        self._timer.stop()

    def run(self, app, seconds):
        """Measure for ``seconds`` while pumping ``app``'s events; return self."""
        self.start()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        self.stop()
        return self

    def worst_ms(self):
        return max(self.late, default=0.0) * 1000.0

    def p99_ms(self):
        ordered = sorted(self.late)
        return ordered[int(len(ordered) * 0.99)] * 1000.0 if ordered else 0.0
