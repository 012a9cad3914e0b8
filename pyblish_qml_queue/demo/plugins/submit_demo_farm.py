"""The demo's render goes to a "farm": a detached process standing in for Deadline.

In the queue's worker, SubmitDemoRenderToFarm calls ``expect_signal``, starts
``python -m pyblish_qml_queue.demo.farm`` (detached, so the worker can exit) and returns:
the step waits. The stand-in farm writes the frames over ``PYBLISH_QML_QUEUE_DEMO_SECONDS``,
then sends the success signal (``pyblish-qml-queue signal``; over HTTP when
``PYBLISH_QML_QUEUE_SIGNAL_URL`` is set), and the render's integration runs.

Published in the host itself (no worker), it renders the frames right there instead.
"""

import os
import subprocess
import sys

import pyblish.api

try:
    from pyblish_qml_queue.common.farmwait import NotInWorker, expect_signal
except ImportError:  # the plugins also run where the queue is not installed
    NotInWorker = RuntimeError

    def expect_signal(instance, farm_job=None, timeout=None):
        raise NotInWorker("pyblish_qml_queue is not installed")


def _frames(instance):
    context = instance.context
    host = os.environ.get("PYBLISH_QML_QUEUE_DEMO_HOST", "python")
    folder = os.path.join(context.data["demoRoot"], "work", host, "render", instance.name)
    start, end = instance.data["frameStart"], instance.data["frameEnd"]
    paths = [
        os.path.join(folder, "%s.%04d.exr" % (instance.name, frame))
        for frame in range(start, end + 1)
    ]
    return folder, paths


class SubmitDemoRenderToFarm(pyblish.api.InstancePlugin):
    """Render the frames on the (stand-in) farm; the job waits for its signal."""

    order = pyblish.api.ExtractorOrder + 0.1
    label = "Render on farm"
    families = ["render"]

    def process(self, instance):
        folder, paths = _frames(instance)
        os.makedirs(folder, exist_ok=True)
        instance.data["files"] = paths
        try:
            signal = expect_signal(instance, timeout=3600)
        except NotInWorker:
            self.log.info("not in the queue: rendering %d frames here", len(paths))
            from pyblish_qml_queue.demo.farm import render

            render(paths, float(os.environ.get("PYBLISH_QML_QUEUE_DEMO_SECONDS", "12")))
            return
        env = dict(os.environ)
        env.update(signal)
        log_path = os.path.join(folder, "farm.log")
        kwargs = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED, NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        with open(log_path, "ab") as log:
            farm = subprocess.Popen(
                [sys.executable, "-m", "pyblish_qml_queue.demo.farm"] + paths,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                close_fds=True,
                **kwargs,
            )
        signal.farm_job = "demo-farm-%d" % farm.pid
        self.log.info(
            "%s submitted to the farm (%s, %d frames); the job waits for its signal",
            instance.name,
            signal.farm_job,
            len(paths),
        )
