"""The ``pyblish-qml-queue`` command line: :mod:`.command` parses and dispatches; one
module per verb family. ``main`` is here too, for console scripts made by older installs.
"""

from pyblish_qml_queue.cli.command import main

__all__ = ["main"]
