"""Read published caches back into an empty scene, object for object (used by the tests).

``read_cache(path)`` empties the scene, imports one ``.abc`` or ``.usd``/``.usda`` and
returns its objects sorted by name: name, type, vertex count, whether it moves, and its
location at the first, middle and last frame. Compare these, never file bytes.

Run inside Blender, or as ``python -m pyblish_qml_queue.demo.blender.reader FILE...`` with
bpy installed: prints ``{file: objects}`` as JSON.
"""

import json
import sys

import bpy


def _import(path):
    if path.endswith(".abc"):
        result = bpy.ops.wm.alembic_import(filepath=path)
    elif path.endswith((".usd", ".usda", ".usdc", ".usdz")):
        result = bpy.ops.wm.usd_import(filepath=path)
    else:
        raise ValueError("not an Alembic or USD file: %s" % path)
    if "FINISHED" not in result:
        raise RuntimeError("could not import %s: %s" % (path, sorted(result)))


def _location(obj):
    return [round(value, 4) for value in obj.matrix_world.translation]


def read_cache(path):
    """The objects of the cache at ``path``, read into an empty scene.

    Returns:
        list of dicts: ``name``, ``type``, ``vertices`` (None unless a mesh),
        ``animated`` (its location changes over the frame range) and
        ``locations`` ({frame: [x, y, z]} at the first, middle and last frame).
    """
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _import(path)
    scene = bpy.context.scene
    start, end = scene.frame_start, scene.frame_end
    frames = sorted({start, (start + end) // 2, end})
    locations = {obj.name: {} for obj in bpy.data.objects}
    for frame in frames:
        scene.frame_set(frame)
        for obj in bpy.data.objects:
            locations[obj.name][frame] = _location(obj)
    objects = []
    for obj in sorted(bpy.data.objects, key=lambda o: o.name):
        where = locations[obj.name]
        objects.append(
            {
                "name": obj.name,
                "type": obj.type,
                "vertices": len(obj.data.vertices) if obj.type == "MESH" else None,
                "animated": len({tuple(v) for v in where.values()}) > 1,
                "locations": {str(frame): where[frame] for frame in frames},
            }
        )
    return objects


def main(paths):
    print(json.dumps({path: read_cache(path) for path in paths}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
