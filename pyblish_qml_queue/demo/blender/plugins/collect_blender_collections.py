"""Collect one ``pointcache`` instance per top-level collection of the Blender scene.

The instance's members are the names of the collection's mesh objects
(``instance[:] = names``), so they travel with a background job and the extractors find
the same objects in the worker's copy of the scene.
"""

import os

import bpy
import pyblish.api


class CollectBlenderCollections(pyblish.api.ContextPlugin):
    """One pointcache instance per collection, its meshes as members."""

    order = pyblish.api.CollectorOrder
    label = "Collect collections"
    hosts = ["blender"]

    def process(self, context):
        work_file = bpy.data.filepath
        context.data["currentFile"] = work_file
        context.data["publishRoot"] = os.environ.get(
            "PYBLISH_QML_QUEUE_BLENDER_PUBLISH_ROOT"
        ) or os.path.join(os.path.dirname(work_file) or os.getcwd(), "publish")
        scene = bpy.context.scene
        for collection in scene.collection.children:
            names = sorted(obj.name for obj in collection.all_objects if obj.type == "MESH")
            if not names:
                self.log.info("collection %s has no meshes; skipped", collection.name)
                continue
            instance = context.create_instance(collection.name, family="pointcache")
            instance[:] = names
            instance.data["frameStart"] = scene.frame_start
            instance.data["frameEnd"] = scene.frame_end
            self.log.info("collected %s: %s", collection.name, ", ".join(names))
