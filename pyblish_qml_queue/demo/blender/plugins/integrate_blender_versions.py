"""Integrate each pointcache's files as the next free version of the publish root."""

import json
import os
import shutil

import pyblish.api


class IntegrateBlenderVersion(pyblish.api.InstancePlugin):
    """Copy the extracted files into ``<publish root>/<instance>/v###/``.

    Beside them, ``publish.json`` names the work file the version came from (and the
    scene snapshot when it was extracted in the background).
    """

    order = pyblish.api.IntegratorOrder
    label = "Integrate version"
    families = ["pointcache"]
    hosts = ["blender"]

    def process(self, instance):
        files = instance.data.get("files")
        if not files:
            raise RuntimeError("%s has no extracted files to integrate" % instance.name)
        context = instance.context
        base = os.path.join(context.data["publishRoot"], instance.name)
        version = 1
        while os.path.exists(os.path.join(base, "v%03d" % version)):
            version += 1
        target = os.path.join(base, "v%03d" % version)
        os.makedirs(target)
        published = []
        for path in files:
            name = "%s_v%03d%s" % (instance.name, version, os.path.splitext(path)[1])
            shutil.copy2(path, os.path.join(target, name))
            published.append(name)
        record = {
            "instance": instance.name,
            "version": version,
            "members": list(instance),
            "files": published,
            "source": context.data.get("currentFile"),
            "snapshot": context.data.get("snapshot"),
        }
        with open(os.path.join(target, "publish.json"), "w") as f:
            json.dump(record, f, indent=2, sort_keys=True)
        instance.data["publishDir"] = target
        self.log.info("%s -> v%03d (%d files)", instance.name, version, len(published))
