"""The Blender demo publish: a small scene and the plugins a studio would write for it.

Everything here runs inside Blender (its own Python 3.11, or bpy from PyPI as a module):

- :mod:`.scene` builds the demo scene (collections ``CHAR`` and ``PROP``) and saves it as a
  work file;
- :data:`PLUGIN_PATH` holds plain pyblish plugins: a collector (one ``pointcache`` instance
  per collection, its object names as members), a name validator, Alembic and USD extractors
  of each instance's members, and a versioned integrator;
- :mod:`.reader` reads published caches back into an empty scene, object for object.

Settings, read by the collector in the host (so they travel with a background job):

``PYBLISH_QML_QUEUE_BLENDER_PUBLISH_ROOT``
    where versions go (default: ``publish`` beside the work file).
``PYBLISH_QML_QUEUE_BLENDER_EXTRACT_DELAY``
    seconds each extraction waits before it writes (to watch or interrupt a slow one).
"""

import os

PLUGIN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")

PUBLISH_ROOT_VAR = "PYBLISH_QML_QUEUE_BLENDER_PUBLISH_ROOT"
EXTRACT_DELAY_VAR = "PYBLISH_QML_QUEUE_BLENDER_EXTRACT_DELAY"
