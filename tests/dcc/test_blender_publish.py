"""The Blender demo publish in the host itself: ``pyblish.util.publish()`` in a real bpy.

This is the reference the background tests compare with: per collection one Alembic and
one USD cache holding exactly the collection's meshes, read back into an empty scene.
"""

import json
import os

import pytest
from blender_support import blender_env, published, require_bpy, run_host, summary

pytestmark = pytest.mark.usefixtures("bpy_required")

CHAR = [("hat", 13, False), ("suzanne", 507, True)]
PROP = [("crate01", 8, False), ("crate02", 8, False), ("crate03", 8, False)]
EXPECTED = {
    "CHAR": {".abc": CHAR, ".usda": CHAR},
    "PROP": {".abc": PROP, ".usda": PROP},
}


@pytest.fixture
def bpy_required():
    require_bpy()


def test_in_process_publish_caches_each_collection_object_for_object(home, tmp_path):
    work = tmp_path / "work" / "shot_v001.blend"
    work.parent.mkdir()
    root = tmp_path / "publish"
    env = blender_env(home, root)
    built = run_host("build", work, env=env)
    assert built == {"CHAR": ["hat", "suzanne"], "PROP": ["crate01", "crate02", "crate03"]}

    outcome = run_host("publish", work, env=env)

    assert outcome["errors"] == []
    assert outcome["instances"] == {"CHAR": ["hat", "suzanne"], "PROP": built["PROP"]}
    caches = published(root)
    assert summary(caches) == EXPECTED
    assert sorted(caches["CHAR"]) == ["v001/CHAR_v001.abc", "v001/CHAR_v001.usda"]
    suzanne = next(o for o in caches["CHAR"]["v001/CHAR_v001.abc"] if o["name"] == "suzanne")
    assert suzanne["locations"] == {
        "1": [0.0, 0.0, 0.0],
        "5": [0.834, 0.0, 0.417],
        "10": [2.0, 0.0, 1.0],
    }
    with open(root / "CHAR" / "v001" / "publish.json") as f:
        record = json.load(f)
    assert record["source"] == str(work) and record["members"] == ["hat", "suzanne"]

    # The next publish of the same scene is the next version, with the same content.
    run_host("publish", work, env=env)
    again = published(root)
    assert sorted(again["PROP"]) == [
        "v001/PROP_v001.abc",
        "v001/PROP_v001.usda",
        "v002/PROP_v002.abc",
        "v002/PROP_v002.usda",
    ]
    assert again["PROP"]["v002/PROP_v002.abc"] == again["PROP"]["v001/PROP_v001.abc"]
    assert os.path.exists(root / "CHAR" / "v002" / "publish.json")
