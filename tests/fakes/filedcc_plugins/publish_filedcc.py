"""A filedcc publish: one instance per node group, a validator, an extractor that
writes the members it finds in the opened scene (FILEDCC_OUT), an integrator."""

import json
import os

import filedcc
import pyblish.api


class CollectFileDcc(pyblish.api.ContextPlugin):
    order = pyblish.api.CollectorOrder

    def process(self, context):
        context.data["currentFile"] = filedcc.scene_path()
        groups = {}
        for node in filedcc.nodes():
            groups.setdefault(node.split("_")[0], []).append(node)
        for name, members in sorted(groups.items()):
            instance = context.create_instance(name)
            instance.data["family"] = "pointcache"
            instance[:] = members


class ValidateFileDccNames(pyblish.api.InstancePlugin):
    order = pyblish.api.ValidatorOrder
    families = ["pointcache"]

    def process(self, instance):
        bad = [m for m in instance if " " in m]
        assert not bad, f"names with spaces: {bad}"


class ExtractFileDcc(pyblish.api.InstancePlugin):
    order = pyblish.api.ExtractorOrder
    families = ["pointcache"]

    def process(self, instance):
        in_scene = set(filedcc.nodes())
        record = {
            "members": list(instance),
            "extracted": [m for m in instance if m in in_scene],
            "scene": filedcc.scene_path(),
            "snapshot": instance.context.data.get("snapshot"),
            "currentFile": instance.context.data.get("currentFile"),
        }
        out = os.environ["FILEDCC_OUT"]
        with open(os.path.join(out, instance.name + ".json"), "w") as f:
            json.dump(record, f)


class IntegrateFileDcc(pyblish.api.InstancePlugin):
    order = pyblish.api.IntegratorOrder
    families = ["pointcache"]

    def process(self, instance):
        self.log.info("integrated %s", instance)
