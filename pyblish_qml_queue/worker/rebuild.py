"""The job's Context rebuilt in the worker: data, instances, and what done steps changed.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging

import pyblish.api

log = logging.getLogger(__name__)


def rebuild_context(payload):
    """A pyblish Context with the job's data and instances, and ``{id: instance}``.

    Each instance keeps the host's id and gets ``data["family"] = families[0]``,
    ``data["families"] = families[1:]`` (as pyblish does), then its data, and
    its members (``instance[:]``) as the host had them (names, as the host
    adapter made them JSON-safe).
    """
    context = pyblish.api.Context()
    context.data.update((payload.get("context") or {}).get("data") or {})
    instances = {}
    for raw in payload.get("instances") or []:
        instance = context.create_instance(raw["name"])
        # Keep the host's id, so context[id], steps and changes agree.
        instance._id = raw["id"]
        families = raw.get("families") or []
        if families:
            instance.data["family"] = families[0]
            instance.data["families"] = list(families[1:])
        instance.data.update(raw.get("data") or {})
        instance[:] = list(raw.get("members") or [])
        instances[raw["id"]] = instance
    return context, instances


def replay(changes, context, instances):
    """Apply one done step's recorded ``changes`` to the rebuilt data."""
    if not isinstance(changes, dict):
        return
    _apply(changes.get("context"), context.data)
    for instance_id, change in (changes.get("instances") or {}).items():
        instance = instances.get(instance_id)
        if instance is None:
            log.warning("recorded changes name instance %s, which the job lacks", instance_id)
            continue
        _apply(change, instance.data)


def _apply(change, data):
    if not isinstance(change, dict):
        return
    for key in change.get("removed") or []:
        data.pop(key, None)
    data.update(change.get("set") or {})
