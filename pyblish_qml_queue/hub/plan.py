"""Which plugin runs on which instance, from the app's side of the link.

The hub drives a host step by step, so it needs pyblish's own rules over the
plugins and instances the host reported (as JSON): families matched by the
plugin's algorithm, inactive plugins and unpublished instances skipped, a
context plugin run once, and the default test (stop before extraction when
validation failed). No Qt, no pyblish import.
"""

from __future__ import annotations

from typing import Iterable, Optional

from pyblish_qml_queue.common.stages import COLLECT_END, VALIDATE_END

INTERSECTION, SUBSET, EXACT = 1, 2, 4


def families(instance: dict) -> list:
    data = instance.get("data") or {}
    family = data.get("family")
    out = [family] if family else []
    out += [f for f in data.get("families") or [] if isinstance(f, str)]
    return out


def compatible(plugin: dict, instance: dict) -> bool:
    """pyblish.logic.instances_by_plugin for one pair."""
    wanted = plugin.get("families") or []
    if "*" in wanted:
        return True
    have = set(families(instance))
    match = plugin.get("match", INTERSECTION)
    if match == SUBSET:
        return set(wanted).issubset(have)
    if match == EXACT:
        return set(wanted) == have
    return bool(set(wanted) & have)


def published(instance: dict) -> bool:
    return (instance.get("data") or {}).get("publish") is not False


def instances_for(plugin: dict, instances: Iterable[dict]) -> list:
    """The instances ``plugin`` processes now ([None] for a context plugin)."""
    if not plugin.get("instanceEnabled"):
        return [None]
    return [i for i in instances if published(i) and compatible(plugin, i)]


def repair_targets(plugin: dict, instances: Iterable[dict], results: Iterable[dict]) -> list:
    """What pyblish-qml's repair runs ``plugin.repair`` on: [None] (the context, once)
    for a context plugin; else every failed instance (one with an error from any
    plugin since the last reset) the plugin processes, in the host's order."""
    if not plugin.get("instanceEnabled"):
        return [None]
    failed = {r.get("instance") for r in results if r.get("error")}
    return [i for i in instances_for(plugin, instances) if i["id"] in failed]


def failed_validation(orders_with_error: Iterable[float], next_order: float) -> bool:
    """pyblish.logic.default_test: from extraction on, stop when a validator failed."""
    if next_order < VALIDATE_END:
        return False
    return any(COLLECT_END <= order < VALIDATE_END for order in orders_with_error)


def count_pairs(plugins: list, instances: list, done: set, last: Optional[float] = None) -> int:
    """Pairs still to process (not in ``done``) among active plugins below ``last``."""
    remaining = 0
    for plugin in plugins:
        if not plugin.get("active", True):
            continue
        if last is not None and plugin["order"] >= last:
            continue
        for instance in instances_for(plugin, instances):
            key = (plugin["id"], None if instance is None else instance["id"])
            if key not in done:
                remaining += 1
    return remaining
