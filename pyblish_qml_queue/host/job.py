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

The payload shares no list or dict with the scene (the data is copied as it is
checked), so the host may go on, and edit the scene, while the payload is
encoded and written on another thread: what travels is what was validated.
"""

import logging
import os
import socket
import sys
import time
import uuid

import pyblish.api

from pyblish_qml_queue import dcc
from pyblish_qml_queue.common.jsonsafe import (
    CONTEXT_EXCLUDED,
    NotJsonSafe,
    check_json_safe,
    json_data,
)
from pyblish_qml_queue.common.locate import (
    PluginNotLocatable,
    check_locatable,
    plugin_sources,
)
from pyblish_qml_queue.host.env import filter_env, user_name
from pyblish_qml_queue.host.plan import effective_targets, plan

__all__ = [
    "NotJsonSafe",
    "PluginNotLocatable",
    "build_job",
    "host_info",
]

log = logging.getLogger(__name__)

SCHEMA = 1


PYTHON_VAR = "PYBLISH_QML_QUEUE_WORKER_PYTHON"


def host_info(context, snapshot=None, adapter=None):
    """Who handed the job off: application, version, pid, machine, user, scene, snapshot.

    ``hosts`` (pyblish's registered hosts) goes along too, so the worker
    registers them and discover() keeps plugins made for this host. The
    application and its version come from the host adapter (Blender says
    "blender" and "4.5.15", not Python's version); pyblish's registered host
    names the application where the adapter is the plain-Python one.
    """
    if adapter is None:
        adapter = dcc.current()
    application = pyblish.api.current_host()
    if adapter.name != "python" or application in (None, "", "unknown"):
        application = adapter.name
    return {
        "application": application,
        "label": getattr(adapter, "label", application),
        "hosts": pyblish.api.registered_hosts(),
        "version": _application_version(adapter),
        "pid": os.getpid(),
        "machine": socket.gethostname(),
        "user": user_name(),
        "scene": context.data.get("currentFile") or _current_file(adapter),
        "snapshot": snapshot,
    }


VERSION_ENV = "PYBLISH_QML_QUEUE_HOST_VERSION"


def _application_version(adapter):
    """The DCC's version: PYBLISH_QML_QUEUE_HOST_VERSION (for DCCs we do not know),
    else the adapter's (Python's for plain Python hosts)."""
    if os.environ.get(VERSION_ENV):
        return os.environ[VERSION_ENV]
    try:
        return str(adapter.version())
    except Exception:
        log.debug("could not read the %s version", adapter.name, exc_info=True)
    return sys.version.split()[0]


def _current_file(adapter):
    try:
        return adapter.current_file()
    except Exception:
        log.debug("could not read the %s scene file", adapter.name, exc_info=True)
        return None


_ATOMS = (str, int, float, bool, type(None))


def independent(value):
    """A copy of JSON data (checked already) that shares no list or dict with ``value``;
    tuples become lists, as they travel."""
    if isinstance(value, dict):
        return dict(
            (key, item if isinstance(item, _ATOMS) else independent(item))
            for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, _ATOMS) else independent(item) for item in value]
    return value


def members_of(instance, adapter):
    """``list(instance)`` as JSON-safe names (the adapter names DCC nodes).

    Raises:
        NotJsonSafe: a member cannot travel; the message names the instance.
    """
    members = []
    for n, member in enumerate(instance):
        try:
            name = adapter.member_name(member)
        except Exception as exc:
            raise NotJsonSafe(
                "instance %r member %d (%r) cannot travel with the job: %s. Make the "
                "instance hold node names or paths (instance[:] = names)."
                % (instance.name, n, member, exc)
            )
        members.append(name)
    check_json_safe(members, "instance %r members" % instance.name)
    return independent(members)


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


#: Seconds any one step of the job may run (a plugin's ``queue_timeout`` wins); unset: no limit.
STEP_TIMEOUT_VAR = "PYBLISH_QML_QUEUE_STEP_TIMEOUT"


def _step_timeout():
    value = os.environ.get(STEP_TIMEOUT_VAR, "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        log.warning("ignoring %s=%r: not a number of seconds", STEP_TIMEOUT_VAR, value)
        return None
    return seconds if seconds > 0 else None


def _worker_command(adapter):
    try:
        command = adapter.worker_command()
    except Exception:
        log.warning("the %s adapter could not name its worker command", adapter.name, exc_info=True)
        return None
    return list(command) if command else None


def build_job(
    context, plugins=None, targets=None, title=None, python=None, snapshot=None, adapter=None
):
    """The job payload for the rest of a publish of ``context``, extraction on.

    Args:
        context: a collected and validated pyblish Context.
        plugins: plugin classes (default: pyblish.api.discover()).
        targets: targets (default: "default" plus the registered ones).
        title: for people (default: scene file and instance names).
        python: interpreter the worker runs with (default: env
            PYBLISH_QML_QUEUE_WORKER_PYTHON, else None: the executor's own).
        snapshot: the path of a saved copy of the scene, or None; see
            :func:`pyblish_qml_queue.host.snapshot.attach` for what hand-offs use.
        adapter: the host adapter (default: :func:`pyblish_qml_queue.dcc.current`).

    Returns:
        dict: the payload (schema 1), id a uuid4 hex; it shares no list or dict
        with the context (see :func:`independent`).

    Raises:
        NotJsonSafe: context or instance data holds a value JSON cannot carry.
        PluginNotLocatable: a plugin with steps is defined in ``__main__``.
    """
    if plugins is None:
        plugins = pyblish.api.discover()
    if adapter is None:
        adapter = dcc.current()
    targets = effective_targets(targets)
    steps, step_plugins = plan(context, plugins, targets)
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
                "data": independent(json_data(instance.data, where)),
                "members": members_of(instance, adapter),
            }
        )
    host = host_info(context, snapshot, adapter)
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
        "command": _worker_command(adapter),
        "adapter": {"name": adapter.name, "class": dcc.locator(adapter)},
        "cwd": os.getcwd(),
        "env": filter_env(os.environ),
        "context": {"data": independent(json_data(context_data, "context data"))},
        "instances": instances,
        "steps": steps,
        "max_attempts": 3,
        "step_timeout": _step_timeout(),
    }
