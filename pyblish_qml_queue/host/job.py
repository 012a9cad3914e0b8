"""Build a job payload from a collected and validated pyblish Context.

A job is the remainder of a publish, extraction on, as plain JSON: the
context's and instances' data, the plugin x instance steps still to run
(:mod:`.plan`), where the worker finds the plugins (:mod:`.locate`), and the
host's environment minus secrets (:mod:`.env`). The payload format is what
``pyblish_qml_queue.queue.model.Job.from_payload`` validates.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.

What is left out of the data, and nothing else:
    ``context.data["results"]``: pyblish's own bookkeeping (one dict per
    processed pair, holding plugin classes and exceptions). The worker starts
    a fresh results list.

Any other value that is not JSON raises :class:`NotJsonSafe` naming where it
is (:mod:`.jsonsafe`); nothing is silently dropped. Tuples are accepted and
travel as lists.
"""

import logging
import os
import socket
import sys
import time
import uuid

import pyblish.api

from pyblish_qml_queue.common.jsonsafe import CONTEXT_EXCLUDED, NotJsonSafe, json_data
from pyblish_qml_queue.common.locate import (
    PluginNotLocatable,
    check_locatable,
    plugin_locator,
    plugin_sources,
)
from pyblish_qml_queue.host.env import filter_env, user_name
from pyblish_qml_queue.host.plan import effective_targets, plan_steps

__all__ = [
    "NotJsonSafe",
    "PluginNotLocatable",
    "build_job",
    "host_info",
]

log = logging.getLogger(__name__)

SCHEMA = 1


PYTHON_VAR = "PYBLISH_QML_QUEUE_WORKER_PYTHON"


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
        "user": user_name(),
        "scene": context.data.get("currentFile"),
        "snapshot": snapshot,
    }


VERSION_ENV = "PYBLISH_QML_QUEUE_HOST_VERSION"


def _application_version(application):
    """The DCC's version: PYBLISH_QML_QUEUE_HOST_VERSION (for DCCs we do not know), else
    read from the DCC's module where it is loaded already, else Python's."""
    if os.environ.get(VERSION_ENV):
        return os.environ[VERSION_ENV]
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
            PYBLISH_QML_QUEUE_WORKER_PYTHON, else None: the executor's own).
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
    check_locatable(step_plugins)

    context_data = dict((k, v) for k, v in context.data.items() if k not in CONTEXT_EXCLUDED)
    instances = []
    for instance in context:
        where = "instance %r data" % instance.name
        instances.append(
            {
                "id": instance.id,
                "name": instance.name,
                "families": _families(instance),
                "data": json_data(instance.data, where),
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
        "context": {"data": json_data(context_data, "context data")},
        "instances": instances,
        "steps": steps,
        "max_attempts": 3,
    }
