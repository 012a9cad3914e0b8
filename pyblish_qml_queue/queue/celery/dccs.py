"""The DCCs a farm node can run jobs of, found on the machine, and the queues they serve.

``pyblish-qml-queue worker --queues auto`` serves the queues of what :func:`on_this_node`
finds: each DCC interpreter the host adapters would start (``mayapy`` from
``$MAYA_LOCATION/bin``, ``hython`` from ``$HFS/bin``, else ``mayapy``, ``hython``,
``nuke``, ``blender`` on PATH), ``bpy`` when this Python can import it, and this Python
itself. ``doctor --node`` lists the same.

A DCC's version is read from its install folder, as vendors name them
(``/usr/autodesk/maya2025/bin/mayapy``, ``/opt/hfs20.5.332/bin/hython``,
``/opt/Nuke15.1v1/Nuke15.1``, ``blender-4.5.15-linux-x64/blender``), else asked of the
binary where that is cheap (``blender --version``). A DCC whose version is not known
serves only its wide queue (``pyblish.maya``), which every job of it may go to
(:func:`.routing.route`), so a wrong guess never takes a job it cannot run.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from typing import Optional

from pyblish_qml_queue.queue.celery import routing

#: The DCC interpreters a farm node may run jobs with: (application, command).
DCC_INTERPRETERS = (
    ("maya", "mayapy"),
    ("houdini", "hython"),
    ("nuke", "nuke"),
    ("blender", "blender"),
)

#: How each DCC's install folder names its version: the leading number is kept.
_FOLDER_VERSION = {
    "maya": re.compile(r"maya[-_ ]?(\d{4})", re.IGNORECASE),
    "houdini": re.compile(r"(?:hfs|houdini)[-_ ]?(\d+(?:\.\d+)*)", re.IGNORECASE),
    "nuke": re.compile(r"nuke[-_ ]?(\d+(?:\.\d+)*(?:v\d+)?)", re.IGNORECASE),
    "blender": re.compile(r"blender[-_ ]?(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE),
}
#: Seconds ``blender --version`` may take.
ASK_TIMEOUT = 30.0


@dataclasses.dataclass
class Found:
    """A DCC found on this node: its application, interpreter and version ("" unknown)."""

    application: str
    path: str
    version: str = ""

    def queue(self, system: Optional[str] = None) -> str:
        """The narrowest queue it serves: ``pyblish.maya.2025.linux``, else
        ``pyblish.maya`` when its version is not known."""
        wide = routing.QUEUE_PREFIX + self.application
        major = routing.major_version(self.version)
        return f"{wide}.{major}.{routing.os_name(system)}" if major else wide

    def describe(self) -> str:
        """``maya 2025 (/usr/autodesk/maya2025/bin/mayapy)``; no version when not known."""
        version = f" {self.version}" if self.version else ""
        return f"{self.application}{version} ({self.path})"


def find_interpreter(application: str) -> Optional[str]:
    """The path of ``application``'s interpreter on this node, or None: the host
    adapters' own lookups ($MAYA_LOCATION/bin, $HFS/bin), else PATH."""
    from pyblish_qml_queue.dcc import houdini, maya

    command = dict(DCC_INTERPRETERS)[application]
    lookup = {"maya": maya.mayapy, "houdini": houdini.hython}.get(application)
    found = lookup() if lookup else command
    if os.path.isabs(found):
        return found if os.path.isfile(found) and os.access(found, os.X_OK) else None
    return shutil.which(found)


def folder_version(application: str, path: str) -> str:
    """The version in ``path``'s folders (the innermost that names one), or ""."""
    pattern = _FOLDER_VERSION[application]
    for where in (path, os.path.realpath(path)):
        for part in reversed(where.replace("\\", "/").split("/")):
            match = pattern.search(part)
            if match:
                return match.group(1)
    return ""


def asked_version(application: str, path: str) -> str:
    """The version ``blender --version`` prints ("Blender 4.5.15"), or "" (other DCCs
    are not asked: mayapy and hython start slowly and print none)."""
    if application != "blender":
        return ""
    try:
        done = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=ASK_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    match = re.search(r"Blender\s+(\d+\.\d+(?:\.\d+)?)", done.stdout or "")
    return match.group(1) if match else ""


def bpy_version() -> str:
    """The version of the ``bpy`` module this Python can import, or "" when it has none
    (read from its package metadata: bpy itself is not imported)."""
    if importlib.util.find_spec("bpy") is None:
        return ""
    try:
        from importlib import metadata

        return metadata.version("bpy")
    except Exception:
        return "?"


def on_this_node() -> list:
    """Every DCC found here, then bpy (as blender) and this Python, as :class:`Found`."""
    found = []
    for application, _command in DCC_INTERPRETERS:
        path = find_interpreter(application)
        if path:
            version = folder_version(application, path) or asked_version(application, path)
            found.append(Found(application, path, version))
    module = bpy_version()
    if module:
        found.append(Found("blender", f"bpy in {sys.executable}", "" if module == "?" else module))
    found.append(Found("python", sys.executable, platform.python_version()))
    return found


def auto_queues(found: list, system: Optional[str] = None) -> list:
    """The queues of ``found`` (each narrowest, once, in order); a node serves these
    and the wider ones (:func:`.routing.expand`)."""
    out = []
    for dcc in found:
        queue = dcc.queue(system)
        if queue not in out:
            out.append(queue)
    return out
