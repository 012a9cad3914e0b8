"""What a farm node takes from a job: an allow-list of its variables, and its
paths mapped with the studio's rules (no Celery import).

A node runs each job's worker in the node's own environment (its HOME, TMPDIR,
PYBLISH_QML_QUEUE_HOME, LD_LIBRARY_PATH, DISPLAY...) plus only the job
variables the allow-list names: the studio's project, asset and task variables.
Paths the workstation wrote (plugin paths, the snapshot, the working folder,
the allowed variables' values) are mapped from one root to another, e.g.
``P:/`` on Windows workstations to ``/mnt/projects/`` on Linux nodes.

Set on the node, in ``<home>/settings.json``::

    {"farm_env": ["PROJECT", "ASSET", "TASK", "STUDIO_*"],
     "farm_paths": [["P:/", "/mnt/projects/"], ["//fs01/pipe/", "/mnt/pipe/"]]}

or in its environment ``PYBLISH_QML_QUEUE_FARM_ENV=PROJECT,ASSET,TASK`` and
``PYBLISH_QML_QUEUE_FARM_PATHS=P:/=/mnt/projects/;//fs01/pipe/=/mnt/pipe/``
(the environment wins). Names may end in ``*``.
"""

from __future__ import annotations

import copy
import fnmatch
import os
import re

from pyblish_qml_queue.common import settings

ENV_VAR = "PYBLISH_QML_QUEUE_FARM_ENV"
PATHS_VAR = "PYBLISH_QML_QUEUE_FARM_PATHS"
#: The job variables a node takes when nothing else is set.
DEFAULT_ALLOW = ("PROJECT", "ASSET", "TASK", "SHOT", "SEQUENCE", "AVALON_*", "AYON_*")

_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|//)")


def allow_list(values=None) -> list:
    """The names (globs) of job variables this node takes."""
    raw = os.environ.get(ENV_VAR)
    if raw is not None:
        return [n.strip() for n in re.split(r"[,;\s]+", raw) if n.strip()]
    values = settings.load() if values is None else values
    names = values.get("farm_env")
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return list(DEFAULT_ALLOW)


def path_rules(values=None) -> list:
    """``[(from root, to root)]``, the first match wins."""
    raw = os.environ.get(PATHS_VAR)
    if raw is not None:
        pairs = [item.split("=", 1) for item in raw.split(";") if "=" in item]
    else:
        values = settings.load() if values is None else values
        pairs = values.get("farm_paths") or []
    return [
        (str(a), str(b))
        for a, b in (p for p in pairs if isinstance(p, (list, tuple)) and len(p) == 2)
        if a
    ]


def map_path(path: str, rules: list) -> str:
    """``path`` with the first matching root replaced (Windows roots match in any
    case and with either slash); separators follow the target root's style."""
    if not isinstance(path, str):
        return path
    for source, target in rules:
        windows = bool(_WINDOWS.match(source))
        given = path.replace("\\", "/") if windows else path
        root = source.replace("\\", "/") if windows else source
        if (given.lower() if windows else given).startswith(root.lower() if windows else root):
            rest = given[len(root) :]
            if _WINDOWS.match(target):
                return target + rest.replace("/", "\\")
            return target.rstrip("/") + "/" + rest.lstrip("/") if rest else target
    return path


def for_node(payload: dict, allow=None, rules=None) -> dict:
    """The payload as this node runs it: only allowed variables, paths mapped."""
    allow = allow_list() if allow is None else allow
    rules = path_rules() if rules is None else rules
    payload = copy.deepcopy(payload)
    env = payload.get("env") or {}
    kept = {
        name: value
        for name, value in env.items()
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in allow)
    }
    for name, value in kept.items():
        if isinstance(value, str) and name == "PYTHONPATH":
            sep = ";" if ";" in value else os.pathsep
            kept[name] = os.pathsep.join(map_path(p, rules) for p in value.split(sep) if p)
        elif isinstance(value, str):
            kept[name] = map_path(value, rules)
    payload["env"] = kept
    plugins = payload.get("plugins")
    if isinstance(plugins, dict) and isinstance(plugins.get("paths"), list):
        plugins["paths"] = [map_path(p, rules) for p in plugins["paths"]]
    snapshot = payload.get("snapshot")
    if isinstance(snapshot, dict) and snapshot.get("path"):
        snapshot["path"] = map_path(snapshot["path"], rules)
    if payload.get("cwd"):
        payload["cwd"] = map_path(payload["cwd"], rules)
    return payload
