"""Pyblish objects as JSON, in pyblish-qml's shapes: context, instances, plugins, results.

What the host service sends the app. Runs inside DCCs: standard library and
pyblish-base only, Python 3.7 syntax.
"""

import inspect
import math
import sys
import time

import pyblish.api
import pyblish.lib

#: Data keys the app sees (as pyblish-qml's ``format_data``), for instances and context.
DATA_KEYS = (
    "name",
    "label",
    "family",
    "families",
    "category",
    "publish",
    "comment",
    "optional",
    "host",
    "user",
    "currentFile",
    "pyblishVersion",
    "pythonVersion",
    # an instance's frame range, shown on its row (pyblish-qml's and Maya's names too)
    "frameStart",
    "frameEnd",
    "startFrame",
    "endFrame",
)
_PLUGIN_TYPES = (
    (pyblish.api.CollectorOrder, "Collector"),
    (pyblish.api.ValidatorOrder, "Validator"),
    (pyblish.api.ExtractorOrder, "Extractor"),
    (pyblish.api.IntegratorOrder, "Integrator"),
)


def jsonable(value, depth=0):
    """``value`` as JSON: plain types as they are, anything else as its repr."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if not (math.isnan(value) or math.isinf(value)) else None
    if depth > 20:
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return dict((str(k), jsonable(v, depth + 1)) for k, v in value.items())
    try:
        return repr(value)
    except Exception:
        return "<%s>" % type(value).__name__


#: Values :func:`jsonable` returns as they are (checked by exact type: the common case, fast).
_PLAIN = frozenset((str, bool, int, type(None)))


def format_data(data):
    out = {}
    for key in DATA_KEYS:
        if key in data:
            value = data[key]
            out[key] = value if type(value) in _PLAIN else jsonable(value)
    return out


def format_instance(instance):
    return {"id": instance.id, "name": instance.name, "data": format_data(instance.data)}


def format_context(context):
    return {
        "id": context.id,
        "name": getattr(context, "name", "Context"),
        "data": format_data(context.data),
        "children": [format_instance(i) for i in context],
    }


def _args(func):
    try:
        return inspect.getfullargspec(func).args
    except TypeError:
        return []


def _own_doc(plugin):
    """The plugin's own docstring: not pyblish's base classes' (discover's copies
    and Plugin/InstancePlugin/ContextPlugin live in pyblish.plugin)."""
    for cls in inspect.getmro(plugin):
        if cls.__module__ == "pyblish.plugin" or cls is object:
            continue
        if cls.__doc__:
            return inspect.cleandoc(cls.__doc__)
    return ""


def format_plugin(plugin):
    kind = "Other"
    for order, name in _PLUGIN_TYPES:
        if pyblish.lib.inrange(plugin.order, base=order):
            kind = name
    module = plugin.__module__ or ""
    source = sys.modules.get(module)
    path = getattr(source, "__file__", None) or (module if module.endswith(".py") else "")
    repair_args = _args(plugin.repair)
    return {
        "id": plugin.id,
        "name": plugin.__name__,
        "label": plugin.label or plugin.__name__,
        "order": plugin.order,
        "type": kind,
        "module": module,
        "path": path,
        "doc": _own_doc(plugin),
        "version": jsonable(getattr(plugin, "version", None)),
        "category": getattr(plugin, "category", None),
        "families": list(plugin.families or []),
        "hosts": list(plugin.hosts or []),
        "targets": list(getattr(plugin, "targets", None) or []),
        "match": plugin.match,
        "optional": bool(plugin.optional),
        "active": bool(plugin.active),
        "contextEnabled": bool(plugin.__contextEnabled__),
        "instanceEnabled": bool(plugin.__instanceEnabled__),
        "hasRepair": "context" in repair_args or "instance" in repair_args,
        "actions": [format_action(a) for a in plugin.actions],
    }


def format_action(action):
    return {
        "id": action.id,
        "label": action.label or action.__name__,
        "description": action.__doc__ or "",
        "active": bool(action.active),
        "icon": action.icon or "",
        "on": action.on,
        "type": action.__type__,
    }


def format_record(record):
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    return {
        "message": message,
        "levelname": record.levelname,
        "levelno": record.levelno,
        "name": record.name,
        "created": record.created,
        "module": record.module,
        "lineno": record.lineno,
        "funcName": record.funcName,
    }


def format_error(error):
    if error is None:
        return None
    formatted = {"message": str(error)}
    tb = getattr(error, "traceback", None)
    if tb:
        try:
            fname, line, func, _ = tb
            formatted.update({"fname": str(fname), "line_number": line, "func": str(func)})
        except (TypeError, ValueError):
            pass
    text = getattr(error, "formatted_traceback", None)
    if text:
        formatted["traceback"] = str(text)
    return formatted


def format_result(result, action=None, kind="process"):
    plugin = result["plugin"]
    instance = result["instance"]
    return {
        "kind": kind,
        "plugin": plugin.id,
        "plugin_name": plugin.__name__,
        "label": plugin.label or plugin.__name__,
        "order": plugin.order,
        "instance": None if instance is None else instance.id,
        "instance_name": None if instance is None else instance.name,
        "action": action,
        "success": bool(result["success"]),
        "error": format_error(result["error"]),
        "records": [format_record(r) for r in result["records"]],
        "duration": result.get("duration"),
        "time": time.time(),  # when it ended: the Terminal's time for an error without records
    }
