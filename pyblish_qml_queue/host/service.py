"""The host service: what the app may ask of a host, in pyblish-qml's words.

``context``, ``discover``, ``reset``, ``process``, ``repair``, ``test``,
``emit``, ``update``, plus ``toggle``, ``handoff`` and ``progress``. A
``process`` reply carries the step's result *and* what the step changed
(instances added or removed, data changed), so one step costs one round trip.
The host keeps every result of the current publish: the app rebuilds a host's
page from them after a switch or its own restart.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
Every method takes and returns JSON-safe values only.
"""

import inspect
import logging
import math
import os
import re
import sys
import threading

import pyblish.api
import pyblish.lib
import pyblish.logic
import pyblish.plugin

log = logging.getLogger(__name__)

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
)
_SIGNAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PLUGIN_TYPES = (
    (pyblish.api.CollectorOrder, "Collector"),
    (pyblish.api.ValidatorOrder, "Validator"),
    (pyblish.api.ExtractorOrder, "Extractor"),
    (pyblish.api.IntegratorOrder, "Integrator"),
)

_snapshot = [None]


def register_snapshot(callback):
    """Save a copy of the scene with every hand-off.

    Args:
        callback: ``callback(context) -> path`` saving the scene somewhere the
            worker can reopen it (e.g. ``mayapy``), or None to stop.
    """
    _snapshot[0] = callback


class ServiceError(Exception):
    """A request the service cannot do (unknown id, nothing to hand off...)."""


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


def format_data(data):
    return dict((key, jsonable(data[key])) for key in DATA_KEYS if key in data)


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
    }


class Service(object):
    """The pyblish session of one host, served to the app.

    Args:
        targets (list): pyblish targets; None means "default" plus the registered ones.
        discover (callable): returns the plugins (default ``pyblish.api.discover``).
    """

    def __init__(self, targets=None, discover=None):
        self.targets = list(targets) if targets else None
        self._discover = discover or pyblish.api.discover
        self._lock = threading.RLock()
        self.context = pyblish.api.Context()
        self.plugins = []
        self._plugins = {}
        self._instances = {}
        self._known = {}
        self._known_context = {}
        self.results = []
        self.job_id = None
        self.reset()

    # -- pyblish-qml's vocabulary -------------------------------------------------

    def ping(self):
        return {"pong": True}

    def reset(self):
        """A fresh context and plugins; the kept results are cleared.

        Returns:
            {"context": ..., "plugins": [...]} (what ``context`` and ``discover`` return).
        """
        with self._lock:
            self.context = pyblish.api.Context()
            self.context.data["user"] = _user()
            self.context.data["pyblishVersion"] = pyblish.version
            self.context.data["pythonVersion"] = sys.version.split()[0]
            plugins = self._discover()
            targets = self.targets or ["default"] + pyblish.api.registered_targets()
            self.plugins = pyblish.logic.plugins_by_targets(plugins, targets)
            self._plugins = dict((p.id, p) for p in self.plugins)
            self._instances = {}
            self._known = {}
            self._known_context = format_data(self.context.data)
            self.results = []
            self.job_id = None
            return {"context": self.context_(), "plugins": self.discover()}

    def context_(self):
        with self._lock:
            return format_context(self.context)

    def discover(self):
        return [format_plugin(p) for p in self.plugins]

    def process(self, plugin, instance=None, action=None):
        """Run one plugin on one instance (or the context).

        Returns:
            {"result": ..., "changes": ...}: changes lists instances added
            (formatted), removed (ids) and changed ({id: data}), and changed
            context data. An instance plugin's step compares only its instance
            and the context; a context plugin's step compares every instance.
        """
        with self._lock:
            plugin_obj, instance_obj = self._find(plugin, instance)
            result = pyblish.plugin.process(plugin_obj, self.context, instance_obj, action)
            formatted = format_result(result, action)
            if action is None:
                self.results.append(formatted)
            changes = self._changes(instance_obj)
            return {"result": formatted, "changes": changes}

    def repair(self, plugin, instance=None):
        with self._lock:
            plugin_obj, instance_obj = self._find(plugin, instance)
            result = pyblish.plugin.repair(plugin_obj, self.context, instance_obj)
            formatted = format_result(result, kind="repair")
            self.results.append(formatted)
            return {"result": formatted, "changes": self._changes(None)}

    def test(self, vars):
        """The registered test (pyblish.logic.registered_test) on ``vars``."""
        test = pyblish.logic.registered_test()
        state = {
            "nextOrder": vars.get("nextOrder"),
            "ordersWithError": set(vars.get("ordersWithError") or []),
        }
        return jsonable(test(**state))

    def emit(self, signal, kwargs=None):
        """Trigger pyblish callbacks; "context", "instance" and "plugin" in
        ``kwargs`` name the objects (by id) and are replaced by them."""
        if not _SIGNAL.match(signal):
            raise ServiceError("signal %r is not a callback name" % signal)
        kwargs = dict(kwargs or {})
        with self._lock:
            if "context" in kwargs:
                kwargs["context"] = self.context
            if "instance" in kwargs:
                kwargs["instance"] = self._instance(kwargs["instance"])
            if "plugin" in kwargs:
                kwargs["plugin"] = self._plugin(kwargs["plugin"])
            pyblish.api.emit(signal, **kwargs)

    def update(self, key, value):
        """Write data to the context (the comment box, for one)."""
        with self._lock:
            self.context.data[key] = value
            self._known_context = format_data(self.context.data)

    def toggle(self, id, value):
        """Publish an instance or not, activate a plugin or not (by id)."""
        with self._lock:
            if id in self._plugins:
                plugin = self._plugins[id]
                old, plugin.active = plugin.active, value
                pyblish.api.emit("pluginToggled", plugin=plugin, new_value=value, old_value=old)
                return {"plugin": id, "active": value}
            instance = self._instance(id)
            old = instance.data.get("publish", True)
            instance.data["publish"] = value
            self._known[id] = format_data(instance.data)
            pyblish.api.emit("instanceToggled", instance=instance, new_value=value, old_value=old)
            return {"instance": id, "publish": value}

    def handoff(self, title=None, steps=None):
        """The validated context and the steps from extraction on, as a job payload.

        The scene snapshot callback (:func:`register_snapshot`) runs first.

        Returns:
            {"job": payload}
        """
        from . import job

        with self._lock:
            if not len(self.context):
                raise ServiceError("nothing to hand off: no instance was collected; reset first")
            snapshot = None
            if _snapshot[0] is not None:
                snapshot = _snapshot[0](self.context)
            payload = job.build_job(
                self.context,
                plugins=self.plugins,
                targets=self.targets,
                title=title,
                snapshot=snapshot,
            )
            self.job_id = payload["id"]
            return {"job": payload}

    def progress(self):
        """What the app needs to rebuild this host's page: the kept results,
        the context, the plugins and the job handed off (if any)."""
        with self._lock:
            return {
                "results": list(self.results),
                "context": self.context_(),
                "plugins": self.discover(),
                "job_id": self.job_id,
            }

    def hide(self):
        return None

    # -- the table the link serves --------------------------------------------------

    def handlers(self):
        """Method name -> callable(**params), for the link."""
        return {
            "ping": self.ping,
            "context": self.context_,
            "discover": self.discover,
            "reset": self.reset,
            "process": self.process,
            "repair": self.repair,
            "test": self.test,
            "emit": self.emit,
            "update": self.update,
            "toggle": self.toggle,
            "handoff": self.handoff,
            "progress": self.progress,
            "hide": self.hide,
        }

    # -- helpers ------------------------------------------------------------------

    def _find(self, plugin, instance):
        plugin_obj = self._plugin(plugin)
        instance_obj = self._instance(instance) if instance is not None else None
        return plugin_obj, instance_obj

    def _plugin(self, plugin_id):
        try:
            return self._plugins[plugin_id]
        except KeyError:
            raise ServiceError("no plugin %r in this host; reset to discover again" % plugin_id)

    def _instance(self, instance_id):
        found = self._instances.get(instance_id)
        if found is None:
            self._instances = dict((i.id, i) for i in self.context)
            found = self._instances.get(instance_id)
        if found is None:
            raise ServiceError("no instance %r in this host's context" % instance_id)
        return found

    def _changes(self, instance):
        changes = {}
        known = self._known
        # A context step may add or remove anything: compare everything. An
        # instance step compares its instance and the context, and everything
        # only when the number of instances changed, so a step costs the same
        # at 50 or 200 instances.
        full = instance is None or len(self.context) != len(known)
        if full:
            added = [i for i in self.context if i.id not in known]
            present_ids = set(i.id for i in self.context)
            removed = [i for i in known if i not in present_ids]
            if added:
                changes["added"] = [format_instance(i) for i in added]
                for i in added:
                    known[i.id] = format_data(i.data)
                    self._instances[i.id] = i
            for i in removed:
                del known[i]
                self._instances.pop(i, None)
            if removed:
                changes["removed"] = removed
            added_ids = set(i.id for i in added)
            candidates = [i for i in self.context if i.id not in added_ids]
        else:
            candidates = [instance]
        changed = {}
        for i in candidates:
            data = format_data(i.data)
            if data != known.get(i.id):
                known[i.id] = data
                changed[i.id] = data
        if changed:
            changes["instances"] = changed
        data = format_data(self.context.data)
        if data != self._known_context:
            changes["context"] = dict(
                (k, v) for k, v in data.items() if self._known_context.get(k, _MISSING) != v
            )
            self._known_context = data
        return changes


_MISSING = object()


def _user():
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or os.environ.get("USERNAME") or ""
