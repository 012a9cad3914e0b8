"""The Publish page's rows, in plain Python (no Qt): what each list row shows.

One function per kind of row (the context, an instance, a plugin, a family's
or a stage's section), each reading a
:class:`~pyblish_qml_queue.gui.publish.state.PageState`; every row has the
same keys, the roles of :mod:`pyblish_qml_queue.gui.publish.models`.
:meth:`PageState.row`, :meth:`PageState.instance_rows` and
:meth:`PageState.plugin_rows` hand them out. :func:`frame_range` is an
instance's frame range as its row shows it.
"""

from __future__ import annotations

import math
import os

from pyblish_qml_queue.common.states import ItemState
from pyblish_qml_queue.gui.publish.rules import (
    ERROR,
    STAGES,
    WARNING,
    actions_for,
    own_source,
    plural,
    seconds,
    stage_name,
    worse,
)
from pyblish_qml_queue.hub import plan


def _basename(path: str) -> str:
    return os.path.basename(path or "") if path else ""


#: Instance data keys of a frame range: the usual ones, then pyblish-qml's (and Maya's).
FRAME_KEYS = (("frameStart", "frameEnd"), ("startFrame", "endFrame"))


def frame_range(data: dict) -> str:
    """``"1001 – 1120"`` from an instance's data (one frame: ``"1001"``; none: ``""``)."""
    for first, last in FRAME_KEYS:
        start, end = data.get(first), data.get(last)
        if _is_frame(start) and _is_frame(end):
            start, end = _frame(start), _frame(end)
            return start if start == end else f"{start} – {end}"
    return ""


def _is_frame(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _frame(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def instance_rows(state) -> list:
    """Context, then a section per family with its instances (collapsed ones hidden)."""
    rows = [row(state, state.context_id)]
    for family, members in state.families().items():
        key = "section:" + family
        rows.append(row(state, key))
        if key not in state.collapsed:
            rows.extend(row(state, i["id"]) for i in members)
    return rows


def plugin_rows(state) -> list:
    """A section per stage that has plugins, then its plugins (collapsed ones hidden)."""
    rows = []
    for stage, members in state.stages().items():
        key = "section:" + stage
        rows.append(row(state, key))
        if key not in state.collapsed:
            rows.extend(row(state, p["id"]) for p in members)
    return rows


def row(state, item_id: str) -> dict:
    """The row of a context, instance, plugin or section by id."""
    if item_id == state.context_id:
        return context_row(state)
    if item_id in state.instances:
        return instance_row(state, state.instances[item_id])
    if item_id in state.plugins:
        return plugin_row(state, state.plugins[item_id])
    if item_id.startswith("section:"):
        return section_row(state, item_id[len("section:") :])
    raise KeyError(item_id)


def _item_state(state, item_id: str, busy: bool) -> str:
    return ItemState.PROCESSING if busy else state.marks.get(item_id, ItemState.IDLE)


def context_row(state) -> dict:
    data = state.context.get("data") or {}
    scene = _basename(data.get("currentFile") or "")
    parts = [p for p in (scene, data.get("host") and str(data.get("host"))) if p]
    busy = bool(state.current[0]) and not state.current[1] and state.is_context_step()
    return {
        "itemId": state.context_id,
        "kind": "context",
        "label": state.settings["ContextLabel"],
        "itemState": _item_state(state, state.context_id, busy),
        "checked": True,
        "optional": False,
        "info": " · ".join(parts),
        "frames": "",
        "hasComment": bool(data.get("comment")),
        "section": "",
        "collapsed": False,
        "hasActions": False,
        "hasRepair": False,
    }


def instance_row(state, inst: dict) -> dict:
    data = inst.get("data") or {}
    publish = data.get("publish") is not False
    families = plan.families(inst)
    info = "excluded" if not publish else " · ".join(families[1:3])
    if state.marks.get(inst["id"]) == ItemState.ERROR:
        failed = sum(
            1 for n in state.item_results.get(inst["id"], ()) if state.results[n].get("error")
        )
        info = plural(failed, "error")
    if inst["id"] in state.repaired:
        info = "repaired" if state.repaired[inst["id"]] else "repair failed"
    return {
        "itemId": inst["id"],
        "kind": "instance",
        "label": str(data.get("label") or inst.get("name") or ""),
        "itemState": _item_state(state, inst["id"], state.current[1] == inst.get("name")),
        "checked": publish,
        "optional": bool(data.get("optional", True)),
        "info": info,
        "frames": frame_range(data),
        "hasComment": bool(data.get("comment")),
        "section": "section:" + (families[0] if families else "default"),
        "collapsed": False,
        "hasActions": False,
        "hasRepair": False,
    }


def plugin_row(state, plugin: dict) -> dict:
    pid = plugin["id"]
    active = plugin.get("active", True)
    processed = state.processed.get(pid, 0)
    failed = state.failed.get(pid, 0)
    label = plugin.get("label") or plugin["name"]
    if not active:
        info = ("optional · off") if plugin.get("optional") else "off"
    elif processed:
        info = seconds(state.duration.get(pid, 0.0))
        warnings = sum(
            1
            for n in state.item_results.get(pid, ())
            for r in state.results[n].get("records") or ()
            if WARNING <= r.get("levelno", 0) < ERROR and not own_source(r)
        )
        if pid in state.repaired:
            info += " · " + ("repaired, validate again" if state.repaired[pid] else "repair failed")
        elif failed:
            info += " · " + (state.first_error.get(pid) or plural(failed, "error"))
        elif warnings:
            info += " · " + plural(warnings, "warning")
    else:
        info = plural(state.pairs.get(pid, 0), "step")
    return {
        "itemId": pid,
        "kind": "plugin",
        "label": label,
        "itemState": _item_state(state, pid, state.current[0] == label),
        "checked": bool(active),
        "optional": bool(plugin.get("optional")),
        "info": info,
        "frames": "",
        "hasComment": False,
        "section": "section:" + stage_name(plugin["order"]),
        "collapsed": False,
        "hasActions": bool(actions_for(plugin, processed > 0, failed > 0)),
        "hasRepair": bool(plugin.get("hasRepair")) and failed > 0,
    }


def section_row(state, name: str) -> dict:
    key = "section:" + name
    if name in STAGES:
        members = state.stages().get(name, [])
        done = sum(state.processed.get(p["id"], 0) for p in members)
        left = sum(
            max(0, state.pairs.get(p["id"], 0) - state.processed.get(p["id"], 0)) for p in members
        )
        if done and not left:
            spent = sum(state.duration.get(p["id"], 0.0) for p in members)
            info = plural(len(members), "plug-in") + " · " + seconds(spent)
        elif left and name in ("Extract", "Integrate"):
            info = plural(left, "step") + " left"
        else:
            info = plural(len(members), "plug-in")
        marks = [state.marks.get(p["id"], ItemState.IDLE) for p in members]
    else:
        members = state.families().get(name, [])
        info = plural(len(members), "instance")
        marks = [state.marks.get(i["id"], ItemState.IDLE) for i in members]
    worst = ItemState.IDLE
    for mark in marks:
        worst = worse(worst, mark)
    return {
        "itemId": key,
        "kind": "section",
        "label": name,
        "itemState": worst,
        "checked": True,
        "optional": False,
        "info": info,
        "frames": "",
        "hasComment": False,
        "section": key,
        "collapsed": key in state.collapsed,
        "hasActions": False,
        "hasRepair": False,
    }
