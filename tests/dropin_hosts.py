"""Host processes for the pyblish-qml drop-in tests: ``show(...)`` with pyblish-qml's arguments.

Each host is its own Python process calling ``pyblish_qml_queue.show(*SHOW_ARGS,
**SHOW_KWARGS)`` (JSON in its environment); its plugins write marker files into
OUT, so a test sees what ran in the host. The ``procs`` list of a test is
killed at teardown (see the fixtures of the tests that use it).
"""

import json
import os
import subprocess
import sys
import textwrap

from conftest import ROOT
from waiting import wait_until

HOST = textwrap.dedent(
    """
    import json, logging, os, sys, time

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    import pyblish.api

    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(sys.argv[1])
    import pyblish_qml_queue

    parent = os.getppid()
    args = json.loads(os.environ.get("SHOW_ARGS", "[]"))
    kwargs = json.loads(os.environ.get("SHOW_KWARGS", "{}"))
    link = pyblish_qml_queue.show(*args, **kwargs)
    sys.stdout.write("shown %s\\n" % link.host_id)
    sys.stdout.flush()
    while os.getppid() == parent:  # the test run died: leave no orphan behind
        time.sleep(0.2)
    """
)

TARGET_PLUGINS = textwrap.dedent(
    """
    import json
    import os
    import pyblish.api

    OUT = os.environ["OUT"]


    class CollectLocal(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder
        targets = ["local"]

        def process(self, context):
            keys = ("targets", "pyblishQmlVersion")
            with open(os.path.join(OUT, "local-ran"), "w") as f:
                json.dump(dict((k, context.data.get(k)) for k in keys), f)
            context.create_instance("shot", family="thing")


    class CollectDefault(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            open(os.path.join(OUT, "default-ran"), "w").close()
    """
)

REPAIR_PLUGINS = textwrap.dedent(
    """
    import os
    import pyblish.api

    OUT = os.environ["OUT"]


    def note(line):
        with open(os.path.join(OUT, "repairs.txt"), "a") as f:
            f.write(line + "\\n")


    class CollectFour(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            for name in ("a", "b", "c"):
                context.create_instance(name, family="thing")
            context.create_instance("d", family="other")


    class ValidateThing(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder
        families = ["thing"]

        def process(self, instance):
            if instance.name in ("a", "c"):
                raise ValueError("%s is broken" % instance.name)

        def repair(self, instance):
            note("thing %s" % (instance if instance is None else instance.name))


    class ValidateOther(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder + 0.1
        families = ["other"]

        def process(self, instance):
            raise ValueError("%s is broken too" % instance.name)


    class ValidateScene(pyblish.api.ContextPlugin):
        order = pyblish.api.ValidatorOrder + 0.2

        def process(self, context):
            raise ValueError("the scene is not saved")

        def repair(self, context):
            note("scene %s" % type(context).__name__)
    """
)


def start(folder, plugins, env=None, args=(), kwargs=None, fixed=False):
    """A host process in ``folder`` with ``plugins``; returns (process, out folder).
    ``fixed``: the studio plugins' sword has its normals unlocked (validation passes)."""
    folder = str(folder)
    plugin_dir = os.path.join(folder, "plugins")
    out = os.path.join(folder, "out")
    os.makedirs(plugin_dir, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    if fixed:
        open(os.path.join(out, "normals-unlocked"), "w").close()
    with open(os.path.join(plugin_dir, "plugins.py"), "w") as f:
        f.write(plugins)
    script = os.path.join(folder, "host.py")
    with open(script, "w") as f:
        f.write(HOST)
    environ = dict(os.environ, OUT=out, PUBLISH_OUT=out)
    environ["PYTHONPATH"] = ROOT + os.pathsep + environ.get("PYTHONPATH", "")
    environ["SHOW_ARGS"] = json.dumps(list(args))
    environ["SHOW_KWARGS"] = json.dumps(kwargs or {})
    environ.update(env or {})
    process = subprocess.Popen(
        [sys.executable, script, plugin_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
    )
    return process, out


def stop_all(procs):
    for process in procs:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stdout.close()
        process.stderr.close()


def host_of(hub, process):
    for host in hub.hosts():
        if host["pid"] == process.pid:
            return host
    return None


def collected(hub, process):
    return wait_until(
        lambda: (h := host_of(hub, process)) and h["progress"]["done"] >= 1 and h,
        what="the host collected",
    )
