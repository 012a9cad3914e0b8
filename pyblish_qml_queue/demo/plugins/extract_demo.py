"""Extractors that write real files, slowly, reporting progress.

``PYBLISH_QML_QUEUE_DEMO_SECONDS`` sets how long one extraction takes (default 12 s; the tests
set a fraction of a second).
"""

import os
import time

import pyblish.api

try:
    from pyblish_qml_queue.common.progress import report
except ImportError:  # the plugins also run where the queue is not installed

    def report(fraction, message=""):
        pass


def _seconds():
    return float(os.environ.get("PYBLISH_QML_QUEUE_DEMO_SECONDS", "12"))


def _write_frames(plugin, instance, extension):
    context = instance.context
    host = os.environ.get("PYBLISH_QML_QUEUE_DEMO_HOST", "python")
    folder = os.path.join(context.data["demoRoot"], "work", host, "extract", instance.name)
    os.makedirs(folder, exist_ok=True)  # another run of this host may make it meanwhile
    start, end = instance.data["frameStart"], instance.data["frameEnd"]
    frames = list(range(start, end + 1))
    pause = _seconds() / max(len(frames), 1)
    files = []
    for n, frame in enumerate(frames, 1):
        path = os.path.join(folder, "%s.%04d.%s" % (instance.name, frame, extension))
        with open(path, "w") as f:
            f.write("%s frame %d written by %s\n" % (instance.name, frame, plugin.label))
        files.append(path)
        report(float(n) / len(frames), "frame %d / %d" % (frame, end))
        time.sleep(pause)
    plugin.log.info("%s: %d files written to %s", instance.name, len(files), folder)
    instance.data["files"] = files
    return files


class ExtractDemoModel(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    label = "Extract model"
    families = ["model"]

    def process(self, instance):
        _write_frames(self, instance, "obj")


class ExtractDemoPointcache(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    label = "Extract point cache"
    families = ["pointcache"]

    def process(self, instance):
        _write_frames(self, instance, "abc")
