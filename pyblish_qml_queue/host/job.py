"""Build a job payload from a collected and validated pyblish Context.

A job is the remainder of a publish, extraction on, as plain JSON: the
context's and instances' data, the plugin x instance steps still to run, where
the worker finds the plugins, and the host's environment minus secrets. The
payload format is what ``pyblish_qml_queue.queue.model.Job.from_payload``
validates.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.

What is left out of the data, and nothing else:
    ``context.data["results"]``: pyblish's own bookkeeping (one dict per
    processed pair, holding plugin classes and exceptions). The worker starts
    a fresh results list.

Any other value that is not JSON raises :class:`NotJsonSafe` naming where it
is; nothing is silently dropped. Tuples are accepted and travel as lists.
"""

import fnmatch
import getpass
import logging
import math
import os
import socket
import sys
import time
import uuid

import pyblish.api
import pyblish.logic
import pyblish.plugin

log = logging.getLogger(__name__)

SCHEMA = 1

#: Steps start at the first plugin of this order or above: extraction on.
FIRST_ORDER = pyblish.api.ExtractorOrder - 0.5

#: Context data keys that are pyblish's bookkeeping, not the publish's data.
CONTEXT_EXCLUDED = ("results",)

#: Environment names never handed off (fnmatch patterns, case-insensitive).
DEFAULT_ENV_DENY = (
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*KEY*",
    "*CREDENTIAL*",
    "*AUTH*",
)
ENV_DENY_VAR = "PYBLISH_QML_QUEUE_ENV_DENY"
PYTHON_VAR = "PYBLISH_QML_QUEUE_PYTHON"

_JSON_TYPES = "only JSON types: str, int, float, bool, None, list, dict with str keys"


class NotJsonSafe(ValueError):
    """A value cannot travel in a job: the message names where it is and what to do."""


class PluginNotLocatable(ValueError):
    """A plugin that has steps cannot be found again by the worker."""


# -- steps ----------------------------------------------------------------------


def effective_targets(targets=None):
    """The targets pyblish uses: ``targets``, else "default" plus the registered ones."""
    if targets:
        return list(targets)
    return ["default"] + pyblish.api.registered_targets()


def iter_pairs(plugins, context, targets=None, first=None, last=None):
    """Yield (plugin, instance or None) as pyblish's Iterator would, without its test.

    The rules are pyblish.logic.Iterator's: plugins filtered by targets, inactive
    plugins left out, instances matched per plugin (evaluated when the plugin is
    reached, so instances made by earlier plugins count), instances whose
    ``data["publish"]`` is False skipped, a ContextPlugin yielded once with None.
    Unlike Iterator, there is no registered test: nothing stops on validation
    errors; the caller decides.

    Args:
        plugins: plugin classes, in the order to process them (as discover() sorts).
        context: the pyblish Context.
        targets: targets, or None for "default" plus the registered ones.
        first: only plugins with ``order >= first`` (None: no lower bound).
        last: only plugins with ``order < last`` (None: no upper bound).
    """
    for plugin in pyblish.logic.plugins_by_targets(plugins, effective_targets(targets)):
        if not plugin.active:
            continue
        if first is not None and plugin.order < first:
            continue
        if last is not None and plugin.order >= last:
            continue
        if plugin.__instanceEnabled__:
            for instance in pyblish.logic.instances_by_plugin(context, plugin):
                if instance.data.get("publish") is False:
                    continue
                yield plugin, instance
        else:
            yield plugin, None


def _origin(plugin):
    """The class a plugin was defined as.

    pyblish's registered_plugins() (so discover()) hands out copies made with
    ``type(name, (plugin,), {})`` inside pyblish.plugin; look through them.
    """
    while plugin.__module__ == "pyblish.plugin":
        bases = [b for b in plugin.__bases__ if b.__name__ == plugin.__name__]
        if not bases:
            break
        plugin = bases[0]
    return plugin


def plugin_locator(plugin):
    """(module, class name) by which the worker finds ``plugin`` again.

    A plugin loaded from a plugin path gets pyblish's module name for it: the
    file's stem (pyblish 1.8 sets ``__module__`` to the file's path; older
    versions to the stem). A registered plugin's module is the ``__module__``
    of the class as defined (not of the copy discover() hands out).
    """
    module = _origin(plugin).__module__ or ""
    if module.endswith(".py"):
        module = os.path.splitext(os.path.basename(module))[0]
    return module, plugin.__name__


def plan_steps(context, plugins, targets=None):
    """Every (plugin, instance) pair pyblish would process from extraction on.

    Built with :func:`iter_pairs` (our own loop over pyblish.logic's helpers,
    without Iterator's registered test), over plugins with
    ``order >= ExtractorOrder - 0.5``, in the order of ``plugins``.

    Returns:
        list of step dicts: plugin (class name), module, label, order,
        instance (name or None), instance_id (id or None).
    """
    steps = []
    for plugin, instance in iter_pairs(plugins, context, targets, first=FIRST_ORDER):
        module, name = plugin_locator(plugin)
        steps.append(
            {
                "plugin": name,
                "module": module,
                "label": plugin.label or name,
                "order": float(plugin.order),
                "instance": None if instance is None else instance.name,
                "instance_id": None if instance is None else instance.id,
            }
        )
    return steps


# -- plugins ----------------------------------------------------------------------


def _is_path_plugin(plugin):
    module = _origin(plugin).__module__ or ""
    return module.endswith(".py") or module not in sys.modules


def plugin_sources(plugins):
    """Where the worker finds ``plugins`` again.

    Rule: ``paths`` are pyblish's plugin paths (registered paths, then
    PYBLISHPLUGINPATH entries). ``modules`` are the ``__module__`` of the
    plugins that can be imported by name: not loaded from a plugin path
    (pyblish gives those a file path as ``__module__``, or a name missing from
    ``sys.modules``) and not defined in ``__main__``.

    Returns:
        {"paths": [...], "modules": [...]}
    """
    paths = []
    for path in pyblish.api.registered_paths() + pyblish.plugin.environment_paths():
        if path and path not in paths:
            paths.append(path)
    modules = []
    for plugin in plugins:
        module = _origin(plugin).__module__
        if _is_path_plugin(plugin) or module == "__main__" or module in modules:
            continue
        modules.append(module)
    return {"paths": paths, "modules": modules}


def _check_locatable(plugins):
    for plugin in plugins:
        if _origin(plugin).__module__ == "__main__":
            raise PluginNotLocatable(
                "plugin %s is defined in __main__, so the worker cannot import it. "
                "Move it into a module or a plugin path." % plugin.__name__
            )


# -- environment --------------------------------------------------------------------


def env_deny_patterns(deny=None):
    """The deny-list: ``deny``, else PYBLISH_QML_QUEUE_ENV_DENY, else the default."""
    if deny is not None:
        return [p.strip() for p in deny if p.strip()]
    from_env = os.environ.get(ENV_DENY_VAR)
    if from_env is not None:
        return [p.strip() for p in from_env.split(",") if p.strip()]
    return list(DEFAULT_ENV_DENY)


def filter_env(environ, deny=None):
    """A copy of ``environ`` without names matching the deny-list.

    Args:
        environ: a mapping of names to strings (os.environ).
        deny: fnmatch patterns matched case-insensitively; None uses
            PYBLISH_QML_QUEUE_ENV_DENY (comma-separated, replacing the default)
            or :data:`DEFAULT_ENV_DENY`.
    """
    patterns = [p.upper() for p in env_deny_patterns(deny)]
    kept = {}
    for name, value in environ.items():
        upper = name.upper()
        if any(fnmatch.fnmatchcase(upper, pattern) for pattern in patterns):
            continue
        kept[name] = value
    return kept


# -- JSON safety --------------------------------------------------------------------


def check_json_safe(value, where):
    """Raise :class:`NotJsonSafe` unless ``value`` is plain JSON.

    Accepted: str, int, float (finite), bool, None, list, tuple (travels as a
    list), dict with str keys, nested. Rejected, naming the path below
    ``where``: other types, NaN and infinities, non-str keys, cycles.

    Args:
        value: the value to check.
        where: where it is, for people, e.g. "instance 'ben01' data key 'mesh'".
    """
    _check(value, where, "", set())


def _check(value, where, path, seen):
    if value is None or isinstance(value, (str, bool)):
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise NotJsonSafe(
                "%s%s holds %r, which JSON cannot carry. Store a finite number or None "
                "in a collector instead." % (where, _at(path), value)
            )
        return
    if isinstance(value, (list, tuple, dict)):
        if id(value) in seen:
            raise NotJsonSafe(
                "%s%s contains itself (a cycle), which cannot be handed off. "
                "Store a copy without the loop in a collector instead." % (where, _at(path))
            )
        seen.add(id(value))
        try:
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise NotJsonSafe(
                            "%s%s has the key %r (a %s); only str keys can be handed off. "
                            "Use str keys in a collector instead."
                            % (where, _at(path), key, type(key).__name__)
                        )
                    _check(item, where, "%s[%r]" % (path, key), seen)
            else:
                for n, item in enumerate(value):
                    _check(item, where, "%s[%d]" % (path, n), seen)
        finally:
            seen.discard(id(value))
        return
    raise NotJsonSafe(
        "%s%s holds a %s, which cannot be handed off (%s). "
        "Remove it in a collector or store a path instead."
        % (where, _at(path), type(value).__name__, _JSON_TYPES)
    )


def _at(path):
    return " at %s" % path if path else ""


def _json_data(data, where):
    out = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise NotJsonSafe(
                "%s has the key %r (a %s); only str keys can be handed off. "
                "Use str keys in a collector instead." % (where, key, type(key).__name__)
            )
        check_json_safe(value, "%s key %r" % (where, key))
        out[key] = value
    return out


# -- the job -------------------------------------------------------------------------


def host_info(context, snapshot=None):
    """Who handed the job off: application, version, pid, machine, user, scene, snapshot.

    ``hosts`` (pyblish's registered hosts) goes along too, so the worker
    registers them and discover() keeps plugins made for this host.
    """
    application = pyblish.api.current_host()
    if application in (None, "", "unknown"):
        application = "python"
    return {
        "application": application,
        "hosts": pyblish.api.registered_hosts(),
        "version": _application_version(application),
        "pid": os.getpid(),
        "machine": socket.gethostname(),
        "user": _user(),
        "scene": context.data.get("currentFile"),
        "snapshot": snapshot,
    }


def _user():
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        log.debug("no user name found", exc_info=True)
        return ""


def _application_version(application):
    """The DCC's version where its module is loaded already, else Python's."""
    try:
        if application in ("maya", "mayapy") and "maya.cmds" in sys.modules:
            return str(sys.modules["maya.cmds"].about(version=True))
        if application in ("houdini", "hython") and "hou" in sys.modules:
            return str(sys.modules["hou"].applicationVersionString())
        if application == "nuke" and "nuke" in sys.modules:
            return str(sys.modules["nuke"].NUKE_VERSION_STRING)
    except Exception:
        log.debug("could not read the %s version", application, exc_info=True)
    return sys.version.split()[0]


def _families(instance):
    family = instance.data.get("family")
    families = [family] if family else []
    for other in instance.data.get("families") or []:
        if other not in families:
            families.append(other)
    return families


def _default_title(context, application):
    scene = context.data.get("currentFile")
    names = [instance.name for instance in context]
    label = ", ".join(names[:3]) + (" and %d more" % (len(names) - 3) if len(names) > 3 else "")
    source = os.path.basename(scene) if scene else application
    return "%s: %s" % (source, label) if label else "%s publish" % source


def build_job(context, plugins=None, targets=None, title=None, python=None, snapshot=None):
    """The job payload for the rest of a publish of ``context``, extraction on.

    Args:
        context: a collected and validated pyblish Context.
        plugins: plugin classes (default: pyblish.api.discover()).
        targets: targets (default: "default" plus the registered ones).
        title: for people (default: scene file and instance names).
        python: interpreter the worker runs with (default: env
            PYBLISH_QML_QUEUE_PYTHON, else None: the executor's own).
        snapshot: a saved copy of the scene the worker may reopen, or None.

    Returns:
        dict: the payload (schema 1), id a uuid4 hex.

    Raises:
        NotJsonSafe: context or instance data holds a value JSON cannot carry.
        PluginNotLocatable: a plugin with steps is defined in ``__main__``.
    """
    if plugins is None:
        plugins = pyblish.api.discover()
    targets = effective_targets(targets)
    steps = plan_steps(context, plugins, targets)
    by_locator = dict((plugin_locator(p), p) for p in plugins)
    step_plugins = []
    for step in steps:
        plugin = by_locator[(step["module"], step["plugin"])]
        if plugin not in step_plugins:
            step_plugins.append(plugin)
    _check_locatable(step_plugins)

    context_data = dict((k, v) for k, v in context.data.items() if k not in CONTEXT_EXCLUDED)
    instances = []
    for instance in context:
        where = "instance %r data" % instance.name
        instances.append(
            {
                "id": instance.id,
                "name": instance.name,
                "families": _families(instance),
                "data": _json_data(instance.data, where),
            }
        )
    host = host_info(context, snapshot)
    if python is None:
        python = os.environ.get(PYTHON_VAR) or None
    return {
        "schema": SCHEMA,
        "id": uuid.uuid4().hex,
        "title": title or _default_title(context, host["application"]),
        "created": time.time(),
        "host": host,
        "targets": targets,
        "plugins": plugin_sources(step_plugins),
        "python": python,
        "env": filter_env(os.environ),
        "context": {"data": _json_data(context_data, "context data")},
        "instances": instances,
        "steps": steps,
        "max_attempts": 3,
    }
