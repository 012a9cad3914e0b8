"""Collect the demo shot: one model, one point cache and one render instance.

Reads ``PYBLISH_QML_QUEUE_DEMO_HOST`` (maya, houdini, nuke or python) and
``PYBLISH_QML_QUEUE_DEMO_ROOT`` (where the demo's work and publish folders live).
"""

import os

import pyblish.api

SHOTS = {
    "maya": (
        "sh0140",
        [
            ("CHAR_ben01", "model"),
            ("CHAR_ben01_cache", "pointcache"),
            ("CHAR_tom01_cache", "pointcache"),
            ("beauty", "render"),
        ],
    ),
    "houdini": (
        "sh0170",
        [("FX_splash_main", "pointcache"), ("FX_splash_foam", "pointcache"), ("splash", "render")],
    ),
    "nuke": ("sh0090", [("comp_main", "render"), ("plate_bg", "model")]),
    "python": ("sq030", [("plate_sq030", "model"), ("plate_sq030_cache", "pointcache")]),
}


class CollectDemoScene(pyblish.api.ContextPlugin):
    """Make the demo shot's instances."""

    order = pyblish.api.CollectorOrder
    label = "Collect demo scene"

    def process(self, context):
        host = os.environ.get("PYBLISH_QML_QUEUE_DEMO_HOST", "python")
        root = os.environ.get("PYBLISH_QML_QUEUE_DEMO_ROOT") or os.path.abspath("demo")
        shot, items = SHOTS.get(host, SHOTS["python"])
        context.data["demoRoot"] = root
        context.data["shot"] = shot
        context.data["currentFile"] = os.path.join(root, "work", host, shot + "_v012.scene")
        for name, family in items:
            instance = context.create_instance(name, family=family)
            instance.data["frameStart"] = 1001
            instance.data["frameEnd"] = 1024 if family != "model" else 1001
            instance.data["asset"] = shot
            self.log.info("collected %s (%s)", name, family)
