"""Extract an Alembic and a USD cache of each pointcache instance's members.

Each extractor selects the instance's members (and nothing else) in the open scene,
exports the selection into the instance's staging folder and adds the file to
``instance.data["files"]`` for the integrator.
"""

import os
import tempfile
import time

import bpy
import pyblish.api


def select_members(instance):
    """Select exactly the instance's objects in the scene; fail naming any that is missing."""
    for obj in bpy.context.view_layer.objects:
        obj.select_set(False)
    missing = []
    for name in instance:
        obj = bpy.data.objects.get(name)
        if obj is None:
            missing.append(name)
        else:
            obj.select_set(True)
    if missing:
        raise RuntimeError(
            "%s: %s not in the scene %s"
            % (instance.name, ", ".join(missing), bpy.data.filepath or "(unsaved)")
        )


def staging_file(instance, extension):
    """The instance's staging folder (made once, kept in its data) and a file in it."""
    folder = instance.data.get("stagingDir")
    if not folder:
        folder = tempfile.mkdtemp(prefix="pyblish_%s_" % instance.name)
        instance.data["stagingDir"] = folder
    elif not os.path.isdir(folder):
        os.makedirs(folder)
    return os.path.join(folder, instance.name + extension)


def add_file(instance, path):
    files = instance.data.setdefault("files", [])
    if path not in files:
        files.append(path)


def slow_down():
    """Wait ``PYBLISH_QML_QUEUE_BLENDER_EXTRACT_DELAY`` seconds (default none)."""
    delay = float(os.environ.get("PYBLISH_QML_QUEUE_BLENDER_EXTRACT_DELAY") or 0)
    if delay > 0:
        time.sleep(delay)


def export(plugin, instance, extension, kind, operator, **options):
    """Select the members, run the export ``operator`` into the staging file, add it.

    Fails when the instance has no members (an export of nothing is no cache), when the
    operator does not finish or when it writes no file.
    """
    if not len(instance):
        raise RuntimeError("%s has no members to export" % instance.name)
    select_members(instance)
    path = staging_file(instance, extension)
    slow_down()
    result = operator(filepath=path, **options)
    if "FINISHED" not in result or not os.path.isfile(path):
        raise RuntimeError("%s export of %s failed: %s" % (kind, instance.name, result))
    add_file(instance, path)
    plugin.log.info("%s: %d objects -> %s", instance.name, len(instance), path)


class ExtractBlenderAlembic(pyblish.api.InstancePlugin):
    """Alembic of the selected members over the instance's frame range."""

    order = pyblish.api.ExtractorOrder
    label = "Extract Alembic"
    families = ["pointcache"]
    hosts = ["blender"]

    def process(self, instance):
        export(
            self,
            instance,
            ".abc",
            "Alembic",
            bpy.ops.wm.alembic_export,
            selected=True,
            start=instance.data["frameStart"],
            end=instance.data["frameEnd"],
        )


class ExtractBlenderUsd(pyblish.api.InstancePlugin):
    """USD (text) of the selected members, animated over the scene's frame range."""

    order = pyblish.api.ExtractorOrder + 0.1
    label = "Extract USD"
    families = ["pointcache"]
    hosts = ["blender"]

    def process(self, instance):
        export(
            self,
            instance,
            ".usda",
            "USD",
            bpy.ops.wm.usd_export,
            selected_objects_only=True,
            export_animation=True,
        )
