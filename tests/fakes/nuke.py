"""A faithful fake of Foundry Nuke's ``nuke`` module, for the adapter tests.

Only what pyblish_qml_queue.dcc.nuke calls, with the signatures and semantics
of the Nuke Python API reference:

- ``root()`` is the Root node: ``name()`` is the script's path, or ``"Root"`` while
  the script is untitled (its ``name`` knob is then ""); ``modified()`` /
  ``setModified(bool)``.
- ``scriptSaveToTemp(filename, overwrite=False) -> str`` (Nuke 15.1 reference:
  "saves the script to a file without modifying the root information or the
  original script"); refuses an existing file unless ``overwrite``. Tests of older
  Nukes delete it from the module.
- ``scriptSave(filename=None) -> bool``: "save to this file name without changing
  the script name in the project"; the reference does not say it keeps the
  modified flag, so the fake clears it (the worst case a caller must undo).
- ``scriptSaveAs(filename=None, overwrite=-1)`` renames the script.
- ``scriptOpen(filename)`` raises RuntimeError for a file it cannot read.
- ``toNode(fullName)`` is the node or None; ``Node.fullName()`` ("Group1.Blur1").
- ``executeInMainThreadWithResult(call, args=(), kwargs={})``.
- ``GUI``, ``NUKE_VERSION_STRING``, ``NUKE_VERSION_MAJOR``, ``EXE_PATH``.

The script is a list of node full names written to and read from real files
(a ``#! fake nuke`` header, one ``node <Class> <fullName>`` line each). Every call
is appended to :data:`calls`.
"""

import os
import threading

calls = []

GUI = False
NUKE_VERSION_STRING = "15.1v3"
NUKE_VERSION_MAJOR = 15
EXE_PATH = "/opt/Nuke15.1v3/Nuke15.1"

_nodes = []  # [(Class, fullName)]


class Knob:
    def __init__(self, value=""):
        self._value = value

    def value(self):
        return self._value

    def setValue(self, value):
        calls.append(("Knob.setValue", (value,), {}))
        self._value = value
        return True


class Node:
    def __init__(self, cls, full_name):
        self._class = cls
        self._full = full_name

    def Class(self):
        return self._class

    def name(self):
        return self._full.rsplit(".", 1)[-1]

    def fullName(self):
        return self._full

    def __repr__(self):
        return f"<{self._class} {self._full}>"


class Root(Node):
    def __init__(self):
        Node.__init__(self, "Root", "root")
        self._knobs = {"name": Knob("")}
        self._modified = False

    def __getitem__(self, knob):
        return self._knobs[knob]

    def name(self):
        return self._knobs["name"].value() or "Root"

    def modified(self):
        calls.append(("Root.modified", (), {}))
        return self._modified

    def setModified(self, modified):
        calls.append(("Root.setModified", (modified,), {}))
        self._modified = bool(modified)


_root = Root()


def root():
    return _root


def toNode(s):
    calls.append(("toNode", (s,), {}))
    for cls, full in _nodes:
        if full == s:
            return Node(cls, full)
    return None


def allNodes():
    return [Node(cls, full) for cls, full in _nodes]


def createNode(node, args="", inpanel=True):
    calls.append(("createNode", (node,), {"args": args, "inpanel": inpanel}))
    n = 1 + sum(1 for cls, _ in _nodes if cls == node)
    full = f"{node}{n}"
    _nodes.append((node, full))
    _root._modified = True
    return Node(node, full)


def delete(n):
    calls.append(("delete", (n.fullName(),), {}))
    _nodes[:] = [(cls, full) for cls, full in _nodes if full != n.fullName()]
    _root._modified = True


def _write(filename):
    folder = os.path.dirname(os.path.abspath(filename))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Can't open {filename} for writing")
    with open(filename, "w") as f:
        f.write(f"#! fake nuke {NUKE_VERSION_STRING}\n")
        for cls, full in _nodes:
            f.write(f"node {cls} {full}\n")


def scriptSaveToTemp(filename, overwrite=False):
    calls.append(("scriptSaveToTemp", (filename,), {"overwrite": overwrite}))
    if os.path.exists(filename) and not overwrite:
        raise RuntimeError(f"{filename} already exists")
    _write(filename)
    return filename


def scriptSave(filename=None):
    calls.append(("scriptSave", (filename,), {}))
    target = filename or _root["name"].value()
    if not target:
        if GUI:
            return False  # the artist cancelled the file chooser
        raise RuntimeError("No file name to save the script to")
    _write(target)
    _root._modified = False
    return True


def scriptSaveAs(filename=None, overwrite=-1):
    calls.append(("scriptSaveAs", (filename,), {"overwrite": overwrite}))
    if os.path.exists(filename) and overwrite != 1:
        raise RuntimeError(f"{filename} already exists")
    _write(filename)
    _root["name"]._value = os.path.abspath(filename).replace("\\", "/")
    _root._modified = False


def scriptOpen(filename):
    calls.append(("scriptOpen", (filename,), {}))
    try:
        with open(filename) as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuntimeError(f"{filename}: {exc}")
    if not lines or not lines[0].startswith("#! fake nuke"):
        raise RuntimeError(f"{filename}: unknown command")
    _nodes[:] = [tuple(line.split(" ", 2)[1:]) for line in lines[1:] if line.startswith("node ")]
    _root["name"]._value = os.path.abspath(filename).replace("\\", "/")
    _root._modified = False


def executeInMainThreadWithResult(call, args=(), kwargs={}):  # noqa: B006 (Nuke's signature)
    calls.append(
        (
            "executeInMainThreadWithResult",
            (call,),
            {"args": args, "kwargs": kwargs, "thread": threading.current_thread().name},
        )
    )
    return call(*args, **kwargs)
