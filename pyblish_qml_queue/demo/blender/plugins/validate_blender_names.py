"""Validate that the objects of a pointcache have pipeline-safe names."""

import re

import pyblish.api

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ValidateBlenderNames(pyblish.api.InstancePlugin):
    """Object names are lower case letters, digits and underscores (no ``.001``)."""

    order = pyblish.api.ValidatorOrder
    label = "Validate object names"
    families = ["pointcache"]
    hosts = ["blender"]

    def process(self, instance):
        bad = [name for name in instance if not NAME.match(name)]
        if bad:
            raise ValueError(
                "%s: rename %s to lower case letters, digits and underscores"
                % (instance.name, ", ".join(bad))
            )
        self.log.info("%s: %d names are fine", instance.name, len(instance))
