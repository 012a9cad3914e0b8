"""Build the demo scene: CHAR (``hat``, an animated ``suzanne``) and PROP (three crates).

Run inside Blender: ``build_scene(path)`` replaces the open scene with the demo one and saves
it as the work file ``path``. Frames 1-10; suzanne moves from (0, 0, 0) to (2, 0, 1).
"""

import bmesh
import bpy

FRAME_START = 1
FRAME_END = 10

#: collection -> object names, in the order they are made.
CONTENTS = {
    "CHAR": ["hat", "suzanne"],
    "PROP": ["crate01", "crate02", "crate03"],
}


def _mesh_object(name, collection, make, **options):
    mesh = bpy.data.meshes.new(name)
    shape = bmesh.new()
    make(shape, **options)
    shape.to_mesh(mesh)
    shape.free()
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    return obj


def build_scene(path=None):
    """Make the demo scene in an empty file; save it to ``path`` unless None.

    Returns:
        dict: collection name -> object names.
    """
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.frame_start = FRAME_START
    scene.frame_end = FRAME_END
    collections = {}
    for name in CONTENTS:
        collections[name] = bpy.data.collections.new(name)
        scene.collection.children.link(collections[name])

    char = collections["CHAR"]
    hat = _mesh_object(
        "hat",
        char,
        bmesh.ops.create_cone,
        cap_ends=True,
        segments=12,
        radius1=1.0,
        radius2=0.0,
        depth=1.0,
    )
    hat.location = (0.0, 0.0, 1.5)
    suzanne = _mesh_object("suzanne", char, bmesh.ops.create_monkey)
    suzanne.location = (0.0, 0.0, 0.0)
    suzanne.keyframe_insert("location", frame=FRAME_START)
    suzanne.location = (2.0, 0.0, 1.0)
    suzanne.keyframe_insert("location", frame=FRAME_END)

    for n, name in enumerate(CONTENTS["PROP"]):
        crate = _mesh_object(name, collections["PROP"], bmesh.ops.create_cube, size=1.0)
        crate.location = (2.0 * n, 3.0, 0.0)

    scene.frame_set(FRAME_START)
    if path is not None:
        bpy.ops.wm.save_as_mainfile(filepath=path)
    return {name: [obj.name for obj in c.objects] for name, c in collections.items()}
