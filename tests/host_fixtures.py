"""Real host processes for the link and hub tests: plain Python with test plugins.

A host script registers the plugins in a tmp folder, calls
``pyblish_qml_queue.show()`` (the drop-in) and serves the app until killed.
Its collector makes ``N_INSTANCES`` instances; its extractor sleeps
``STEP_DELAY`` seconds, so a test can catch a publish in the middle. A host
exits by itself once the process that started it is gone, so a test run that
dies leaves no host behind; the ``hosts`` fixture (conftest.py) kills them at
teardown.
"""

import os
import subprocess
import sys
import textwrap

from conftest import ROOT

PLUGINS = textwrap.dedent(
    """
    import os
    import time

    import pyblish.api


    class CollectThings(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            for n in range(int(os.environ.get("N_INSTANCES", "3"))):
                instance = context.create_instance("thing%02d" % n)
                instance.data["family"] = "thing"


    class ValidateThing(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder
        families = ["thing"]

        def process(self, instance):
            self.log.info("validating %s", instance)
            if os.environ.get("FAIL_VALIDATION"):
                raise ValueError("%s is not valid" % instance)


    class ExtractThing(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder
        families = ["thing"]

        def process(self, instance):
            time.sleep(float(os.environ.get("STEP_DELAY", "0")))
            instance.data["extracted"] = True


    class IntegrateThing(pyblish.api.InstancePlugin):
        order = pyblish.api.IntegratorOrder
        families = ["thing"]

        def process(self, instance):
            self.log.info("integrated %s", instance)
    """
)

HOST = textwrap.dedent(
    """
    import logging
    import os
    import sys
    import time

    logging.basicConfig(level=logging.WARNING)
    import pyblish.api

    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(sys.argv[1])
    from pyblish_qml_queue.host.show import show

    parent = os.getppid()
    link = show()
    sys.stdout.write("shown %s %s\\n" % (link.host_id, link.connected))
    sys.stdout.flush()
    while os.getppid() == parent:  # the test run died: leave no orphan behind
        time.sleep(0.2)
    """
)


def pairs(instances):
    """Pairs one host publishes: the collector, then 3 steps per instance."""
    return 1 + 3 * instances


def steps(instances):
    """The (plugin, instance) steps of one host's job: extractions, then integrations."""
    names = [f"thing{i:02d}" for i in range(instances)]
    return [("ExtractThing", n) for n in names] + [("IntegrateThing", n) for n in names]


def write_host(folder):
    """Write the plugins and the host script into ``folder``; return the script."""
    plugins = os.path.join(str(folder), "plugins")
    os.makedirs(plugins, exist_ok=True)
    with open(os.path.join(plugins, "thing_plugins.py"), "w") as f:
        f.write(PLUGINS)
    script = os.path.join(str(folder), "host.py")
    with open(script, "w") as f:
        f.write(HOST)
    return script


def start_host(folder, instances=3, delay=0.0, fail_validation=False, env=None):
    """Start one host process (its stdout piped)."""
    script = write_host(folder)
    environ = dict(os.environ, N_INSTANCES=str(instances), STEP_DELAY=str(delay))
    environ["PYTHONPATH"] = ROOT + os.pathsep + environ.get("PYTHONPATH", "")
    if fail_validation:
        environ["FAIL_VALIDATION"] = "1"
    environ.update(env or {})
    return subprocess.Popen(
        [sys.executable, script, os.path.join(str(folder), "plugins")],
        stdout=subprocess.PIPE,
        env=environ,
    )


def stop(process):
    """Kill a host process (if it still runs) and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(10)
    if process.stdout:
        process.stdout.close()
