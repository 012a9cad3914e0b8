"""Fake ``maya.cmds``: ``file``, ``about``, ``objExists``, ``createNode``, ``delete``,
``rename``, with Maya's long and short flag names. See ``maya/__init__.py``."""

import os
import sys

import maya as _maya

_FILE_FLAGS = {
    "q": "query",
    "query": "query",
    "sn": "sceneName",
    "sceneName": "sceneName",
    "mf": "modified",
    "modified": "modified",
    "ea": "exportAll",
    "exportAll": "exportAll",
    "typ": "type",
    "type": "type",
    "f": "force",
    "force": "force",
    "pr": "preserveReferences",
    "preserveReferences": "preserveReferences",
    "o": "open",
    "open": "open",
    "s": "save",
    "save": "save",
    "rn": "rename",
    "rename": "rename",
    "new": "newFile",
    "newFile": "newFile",
}
_TYPES = {"mayaAscii": "//Maya ASCII %s scene\n", "mayaBinary": "//Maya Binary %s scene\n"}


def _flags(command, table, kwargs):
    out = {}
    for key, value in kwargs.items():
        if key not in table:
            raise TypeError(f"Invalid flag '{key}'")
        out[table[key]] = value
    return out


def _write(path, kind):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Could not save file '{path}': the folder does not exist.")
    with open(path, "w") as f:
        f.write(_TYPES[kind] % _maya.state["version"])
        for node in _maya.state["nodes"]:
            f.write(f'createNode transform -n "{node}";\n')


def _read(path):
    if not os.path.isfile(path):
        raise RuntimeError(f"File not found: {path}")
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith(("//Maya ASCII", "//Maya Binary")):
        raise RuntimeError(f"Error reading file: {path} is not a Maya scene.")
    return [line.split('"')[1] for line in lines[1:] if line.startswith("createNode")]


def _type_of(path):
    return "mayaBinary" if path.lower().endswith(".mb") else "mayaAscii"


def _file(*args, **kwargs):
    _maya.calls.append(("file", args, dict(kwargs)))
    flags = _flags("file", _FILE_FLAGS, kwargs)
    state = _maya.state
    if flags.get("query"):
        if flags.get("sceneName"):
            return state["scene"]
        if "modified" in flags:
            return state["modified"]
        raise RuntimeError("file: nothing to query")
    if flags.get("exportAll"):
        (path,) = args
        kind = flags.get("type") or _type_of(path)
        if kind not in _TYPES:
            raise RuntimeError(f"Invalid file type: {kind}")
        if os.path.exists(path) and not flags.get("force"):
            raise RuntimeError(f"File already exists: {path}")
        _write(path, kind)
        return path  # the name of the exported file; the session is unchanged
    if flags.get("open"):
        (path,) = args
        if state["modified"] and not flags.get("force"):
            raise RuntimeError(f"Unsaved changes: use force to open {path}")
        state["nodes"] = _read(path)
        state["scene"] = os.path.abspath(path).replace("\\", "/")
        state["modified"] = False
        return path
    if flags.get("newFile"):
        state.update(scene="", nodes=[], modified=False)
        return ""
    if "rename" in flags:
        state["scene"] = os.path.abspath(flags["rename"]).replace("\\", "/")
        return state["scene"]
    if flags.get("save"):
        if not state["scene"]:
            raise RuntimeError("The scene is untitled: rename it before saving.")
        _write(state["scene"], flags.get("type") or _type_of(state["scene"]))
        state["modified"] = False
        return state["scene"]
    raise RuntimeError("file: no action flag")


def _about(**kwargs):
    _maya.calls.append(("about", (), dict(kwargs)))
    flags = _flags(
        "about", {"v": "version", "version": "version", "b": "batch", "batch": "batch"}, kwargs
    )
    if flags.get("version"):
        return _maya.state["version"]
    if flags.get("batch"):
        return bool(_maya.state["batch"])
    raise RuntimeError("about: no flag")


def _obj_exists(name):
    _maya.calls.append(("objExists", (name,), {}))
    nodes = _maya.state["nodes"]
    if name in nodes:
        return True
    short = [n for n in nodes if n.rsplit("|", 1)[-1] == name]
    return len(short) == 1


def _create_node(kind, **kwargs):
    _maya.calls.append(("createNode", (kind,), dict(kwargs)))
    flags = _flags(
        "createNode", {"n": "name", "name": "name", "p": "parent", "parent": "parent"}, kwargs
    )
    name = flags.get("name") or f"{kind}1"
    parent = flags.get("parent")
    path = f"{parent}|{name}" if parent else "|" + name
    _maya.state["nodes"].append(path)
    _maya.state["modified"] = True
    return name


def _delete(*names):
    _maya.calls.append(("delete", names, {}))
    nodes = _maya.state["nodes"]
    for name in names:
        matches = [n for n in nodes if n == name or n.rsplit("|", 1)[-1] == name]
        if not matches:
            raise ValueError(f"No object matches name: {name}")
        nodes.remove(matches[0])
    _maya.state["modified"] = True


def _rename(old, new):
    _maya.calls.append(("rename", (old, new), {}))
    nodes = _maya.state["nodes"]
    matches = [n for n in nodes if n == old or n.rsplit("|", 1)[-1] == old]
    if not matches:
        raise RuntimeError(f"No object matches name: {old}")
    nodes[nodes.index(matches[0])] = matches[0].rsplit("|", 1)[0] + "|" + new
    _maya.state["modified"] = True
    return new


COMMANDS = {
    "file": _file,
    "about": _about,
    "objExists": _obj_exists,
    "createNode": _create_node,
    "delete": _delete,
    "rename": _rename,
}


def _install():
    """Add the commands (``maya.standalone.initialize()`` does this in ``mayapy``)."""
    module = sys.modules[__name__]
    for name, func in COMMANDS.items():
        setattr(module, name, func)


if _maya.state["initialized"]:
    _install()
