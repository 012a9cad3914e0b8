"""The job's plugins in the worker: registered as the host had them, discovered, looked up.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import importlib
import os

import pyblish.api
import pyblish.plugin

from pyblish_qml_queue.common.locate import plugin_locator
from pyblish_qml_queue.worker.inputs import Fatal


def load_plugins(payload):
    """Register the job's host, targets and plugin sources, then discover.

    Returns:
        ``{(module, class name): plugin}``, as :func:`host.locate.plugin_locator` names them.

    Raises:
        Fatal: a plugin module does not import.
    """
    host = payload.get("host") or {}
    hosts = [host.get("application")] + list(host.get("hosts") or [])
    # pyblish reads PYBLISH_HOSTS when imported, which may have been before apply_env.
    hosts += os.environ.get("PYBLISH_HOSTS", "").split(os.pathsep)
    for name in hosts:
        if isinstance(name, str) and name:
            pyblish.api.register_host(name)  # discover() keeps plugins made for it
    for target in payload.get("targets") or []:
        pyblish.api.register_target(target)
    sources = payload.get("plugins") or {}
    for path in sources.get("paths") or []:
        if path not in pyblish.api.registered_paths():
            pyblish.api.register_plugin_path(path)
    for name in sources.get("modules") or []:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise Fatal("could not import plugin module %r: %s" % (name, exc))
        for plugin in pyblish.plugin.plugins_from_module(module):
            pyblish.api.register_plugin(plugin)
    found = {}
    for plugin in pyblish.api.discover():
        found.setdefault(plugin_locator(plugin), plugin)
    return found


def not_found(step, sources):
    """The error of a step whose plugin was not found, naming where it was looked for."""
    return "plugin %s.%s not found in paths %s or modules %s" % (
        step["module"],
        step["plugin"],
        list(sources.get("paths") or []),
        list(sources.get("modules") or []),
    )
