"""Version the extracted files into the demo's publish folder."""

import os
import shutil

import pyblish.api


class IntegrateDemoVersion(pyblish.api.InstancePlugin):
    """Copy an instance's files to publish/<shot>/<instance>/v###."""

    order = pyblish.api.IntegratorOrder
    label = "Integrate version"
    families = ["model", "pointcache", "render"]

    def process(self, instance):
        files = instance.data.get("files")
        if not files:
            raise RuntimeError("%s has no extracted files to integrate" % instance.name)
        context = instance.context
        base = os.path.join(
            context.data["demoRoot"], "publish", context.data["shot"], instance.name
        )
        version = 1
        while True:  # the first free version, taken atomically: two publishes never share one
            target = os.path.join(base, "v%03d" % version)
            try:
                os.makedirs(target)
                break
            except FileExistsError:
                version += 1
        for path in files:
            shutil.copy2(path, target)
        instance.data["publishDir"] = target
        self.log.info("%s -> v%03d (%d files)", instance.name, version, len(files))
