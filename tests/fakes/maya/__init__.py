"""A faithful fake of Autodesk Maya's ``maya`` package, for the adapter tests.

Only what pyblish_qml_queue.dcc.maya calls, with Maya's documented flags and
semantics (Maya Python commands reference, ``file``, ``about``, ``objExists``;
``maya.utils``; ``maya.standalone``):

- ``maya.cmds`` is importable in ``mayapy`` before ``maya.standalone.initialize()``
  but holds no commands until then (set ``FAKE_MAYA_STANDALONE=1`` before the first
  import to play a fresh ``mayapy``); in the GUI its commands are there at once.
- An unknown flag raises ``TypeError: Invalid flag '...'``, as Maya's commands do; a
  failing command raises ``RuntimeError``.

The scene is a list of node names kept here (:data:`state`) and written to and
read from real files (``//Maya ASCII`` / ``//Maya Binary`` headers, one
``createNode`` line per node). Every command call is appended to :data:`calls`
as ``(name, args, kwargs)``. A test gets a fresh "process" by dropping ``maya``
and its submodules from ``sys.modules`` and importing again.
"""

import os

#: Every call into the fake: ``(name, args, kwargs)``.
calls = []

#: The session: scene file name ("" while untitled), nodes, unsaved changes.
state = {
    "scene": "",
    "nodes": [],
    "modified": False,
    "batch": os.environ.get("FAKE_MAYA_STANDALONE") == "1",
    "initialized": os.environ.get("FAKE_MAYA_STANDALONE") != "1",
    "version": "2025",
}
