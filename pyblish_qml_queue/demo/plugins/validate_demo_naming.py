"""A validator that fails until its repair action runs: the demo's way to show repair."""

import os

import pyblish.api


def _marker(context):
    host = os.environ.get("PYBLISH_QML_QUEUE_DEMO_HOST", "python")
    return os.path.join(context.data["demoRoot"], "work", host, ".naming-repaired")


class RepairNaming(pyblish.api.Action):
    """Rename the offending nodes (the demo writes a marker file)."""

    label = "Repair naming"
    on = "failed"
    icon = "wrench"

    def process(self, context, plugin):
        path = _marker(context)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        with open(path, "w") as f:
            f.write("repaired\n")
        self.log.info("renamed 3 shapes to the studio convention")


class ValidateDemoNaming(pyblish.api.ContextPlugin):
    """Shape names follow <asset>_<part>_GEO."""

    order = pyblish.api.ValidatorOrder
    label = "Validate naming"
    actions = [RepairNaming]

    def process(self, context):
        if not os.path.exists(_marker(context)):
            raise ValueError("3 shapes do not follow <asset>_<part>_GEO (run 'Repair naming')")
        self.log.info("all shapes follow the naming convention")


class ValidateDemoFrameRange(pyblish.api.InstancePlugin):
    """Frame range matches the shot."""

    order = pyblish.api.ValidatorOrder
    label = "Validate frame range"
    families = ["pointcache", "render"]

    def process(self, instance):
        start, end = instance.data["frameStart"], instance.data["frameEnd"]
        if end < start:
            raise ValueError("frame range %s-%s is empty" % (start, end))
        self.log.info("frames %s-%s", start, end)
