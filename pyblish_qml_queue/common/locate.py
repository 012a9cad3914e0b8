"""Where the worker finds a plugin again: by (module, class name), never by pyblish's id.

Shared by the host (when a job is built) and the worker (when it runs), so
both name a plugin the same way.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import os
import sys

import pyblish.api
import pyblish.plugin


class PluginNotLocatable(ValueError):
    """A plugin that has steps cannot be found again by the worker."""


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
        module = _origin(plugin).__module__ or ""
        from_path = module.endswith(".py") or module not in sys.modules
        if from_path or module == "__main__" or module in modules:
            continue
        modules.append(module)
    return {"paths": paths, "modules": modules}


def check_locatable(plugins):
    """Raise :class:`PluginNotLocatable` for a plugin defined in ``__main__``."""
    for plugin in plugins:
        if _origin(plugin).__module__ == "__main__":
            raise PluginNotLocatable(
                "plugin %s is defined in __main__, so the worker cannot import it. "
                "Move it into a module or a plugin path." % plugin.__name__
            )
