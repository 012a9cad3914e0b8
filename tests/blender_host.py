"""A Blender "host" for the tests in tests/dcc/: one bpy process, one artist session.

    python tests/blender_host.py build WORK.blend
    python tests/blender_host.py empty OTHER.blend            # a scene with no objects
    python tests/blender_host.py publish WORK.blend           # pyblish.util.publish() here
    python tests/blender_host.py submit WORK.blend [--edit]   # pyblish_qml_queue.submit()

``submit --edit`` then plays the artist who goes on working: deletes crate02, renames
hat to hat_renamed and saves the live work file. The last stdout line starting with
``RESULT `` is the outcome as JSON (Blender prints its own lines too).
"""

import argparse
import json
import os
import sys
import time

import bpy
import pyblish.api
import pyblish.util

from pyblish_qml_queue.demo.blender import PLUGIN_PATH
from pyblish_qml_queue.demo.blender.scene import build_scene


def result(value):
    sys.stdout.write("RESULT " + json.dumps(value) + "\n")
    sys.stdout.flush()


def register():
    pyblish.api.deregister_all_paths()
    pyblish.api.deregister_all_plugins()
    pyblish.api.register_host("blender")
    pyblish.api.register_plugin_path(PLUGIN_PATH)


def publish(work):
    register()
    bpy.ops.wm.open_mainfile(filepath=work)
    context = pyblish.util.publish()
    errors = [
        f"{r['plugin'].__name__}: {r['error']}" for r in context.data["results"] if r["error"]
    ]
    result({"errors": errors, "instances": {i.name: list(i) for i in context}})
    return 1 if errors else 0


def submit(work, edit):
    import pyblish_qml_queue

    register()
    bpy.ops.wm.open_mainfile(filepath=work)
    before = os.stat(work)
    started = time.perf_counter()
    job_id = pyblish_qml_queue.submit()
    blocked = time.perf_counter() - started
    after = os.stat(work)
    untouched = (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
    if edit:
        bpy.data.objects.remove(bpy.data.objects["crate02"])
        bpy.data.objects["hat"].name = "hat_renamed"
        bpy.ops.wm.save_mainfile()
    result(
        {
            "job": job_id,
            "blocked": blocked,
            "file": bpy.data.filepath,
            "untouched": untouched,  # submit did not write the artist's file
            "objects": sorted(obj.name for obj in bpy.data.objects),
        }
    )
    return 0


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["build", "empty", "publish", "submit"])
    parser.add_argument("work")
    parser.add_argument("--edit", action="store_true")
    args = parser.parse_args(argv)
    work = os.path.abspath(args.work)
    if args.action == "build":
        result(build_scene(work))
        return 0
    if args.action == "empty":
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.ops.wm.save_as_mainfile(filepath=work)
        result(sorted(obj.name for obj in bpy.data.objects))
        return 0
    if args.action == "publish":
        return publish(work)
    return submit(work, args.edit)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
