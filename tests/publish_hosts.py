"""Real host processes for the Publish page: a small studio's plugins in a tmp folder.

The collector makes a shot's instances in three families (pointcache, camera,
review); ValidateNormalsUnlocked fails on PROP_sword until its "Unlock normals"
action (``on = "failed"``) fixes the scene (a marker file the collector reads
again after a reset); extractors write files into PUBLISH_OUT, integrators
append to PUBLISH_OUT/manifest.txt, so a test can see what really ran.
"""

import os
import subprocess
import sys
import textwrap

from conftest import ROOT
from host_fixtures import HOST

PLUGINS = textwrap.dedent(
    '''
    import os
    import time

    import pyblish.api

    OUT = os.environ.get("PUBLISH_OUT", ".")
    FIXED = os.path.join(OUT, "normals-unlocked")
    INSTANCES = [
        ("CHAR_ben01", "pointcache", True),
        ("CHAR_tom01", "pointcache", True),
        ("PROP_sword", "pointcache", True),
        ("sh0140_cam", "camera", False),
        ("sh0140_playblast", "review", True),
    ]


    def _manifest(line):
        with open(os.path.join(OUT, "manifest.txt"), "a") as f:
            f.write(line + "\\n")


    class CollectShot(pyblish.api.ContextPlugin):
        """Collect the shot's instances from the scene."""

        order = pyblish.api.CollectorOrder
        label = "Collect Shot"

        def process(self, context):
            context.data["currentFile"] = "/proj/ep101/sh0140/anim/sh0140_anim_v012.ma"
            context.data["host"] = "python"
            for name, family, optional in INSTANCES:
                instance = context.create_instance(name)
                instance.data["family"] = family
                instance.data["optional"] = optional
                if family != "review":
                    instance.data["frameStart"], instance.data["frameEnd"] = 1001, 1120
                instance.data["normalsLocked"] = name == "PROP_sword" and not os.path.exists(FIXED)
            self.log.info("collected %d instances", len(context))


    class ValidateSceneSaved(pyblish.api.ContextPlugin):
        order = pyblish.api.ValidatorOrder
        label = "Validate Scene Saved"

        def process(self, context):
            self.log.debug("scene is %s", context.data["currentFile"])


    class ValidateFrameRange(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder
        families = ["pointcache"]
        label = "Validate Frame Range"

        def process(self, instance):
            if instance.name == "CHAR_tom01":
                self.log.warning("%s starts on 1001, the shot on 1009", instance)


    class UnlockNormals(pyblish.api.Action):
        """Unlock the normals of the failed meshes."""

        label = "Unlock normals"
        on = "failed"
        icon = "wrench"

        def process(self, context, plugin):
            open(FIXED, "w").close()
            self.log.info("unlocked normals")


    class SelectInvalid(pyblish.api.Action):
        label = "Select invalid"
        on = "failed"

        def process(self, context, plugin):
            self.log.info("selected")


    class ShowDocs(pyblish.api.Action):
        label = "Open docs"
        on = "all"

        def process(self, context, plugin):
            self.log.info("docs")


    class ValidateNormalsUnlocked(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder + 0.1
        families = ["pointcache"]
        label = "Validate Normals Unlocked"
        actions = [pyblish.api.Category("Fix"), UnlockNormals, SelectInvalid, ShowDocs]

        def process(self, instance):
            if instance.data.get("normalsLocked"):
                raise ValueError("%s has locked normals on 3 meshes" % instance)


    class ValidatePlayblastHUD(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder + 0.2
        families = ["review"]
        label = "Validate Playblast HUD"
        optional = True
        active = False

        def process(self, instance):
            pass


    class ExtractAlembic(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder
        families = ["pointcache", "camera"]
        label = "Extract Alembic"

        def process(self, instance):
            time.sleep(float(os.environ.get("STEP_DELAY", "0")))
            with open(os.path.join(OUT, instance.name + ".abc"), "w") as f:
                f.write(instance.name)
            self.log.info("wrote %s.abc", instance.name)


    class ExtractPlayblast(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder + 0.1
        families = ["review"]
        label = "Extract Playblast"

        def process(self, instance):
            time.sleep(float(os.environ.get("STEP_DELAY", "0")))
            with open(os.path.join(OUT, instance.name + ".mov"), "w") as f:
                f.write(instance.name)


    class IntegrateAsset(pyblish.api.InstancePlugin):
        order = pyblish.api.IntegratorOrder
        families = ["pointcache", "camera", "review"]
        label = "Integrate Asset"

        def process(self, instance):
            _manifest(instance.name)


    class IntegrateNotify(pyblish.api.ContextPlugin):
        order = pyblish.api.IntegratorOrder + 0.1
        label = "Integrate Notify"

        def process(self, context):
            _manifest("notified " + context.data.get("comment", ""))
    '''
)


def start_studio_host(folder, delay=0.0, env=None):
    """Start a host with the studio plugins; its outputs go to ``folder``/out.

    Returns:
        (process, out folder)
    """
    folder = str(folder)
    plugins = os.path.join(folder, "plugins")
    out = os.path.join(folder, "out")
    os.makedirs(plugins, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(plugins, "studio_plugins.py"), "w") as f:
        f.write(PLUGINS)
    script = os.path.join(folder, "host.py")
    with open(script, "w") as f:
        f.write(HOST)
    environ = dict(os.environ, PUBLISH_OUT=out, STEP_DELAY=str(delay))
    environ["PYTHONPATH"] = ROOT + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(env or {})
    process = subprocess.Popen(
        [sys.executable, script, plugins], stdout=subprocess.PIPE, env=environ
    )
    return process, out


def manifest(out):
    """Lines the integrators wrote ([] before any)."""
    try:
        with open(os.path.join(out, "manifest.txt")) as f:
            return f.read().splitlines()
    except OSError:
        return []
