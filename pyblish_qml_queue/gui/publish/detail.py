"""The Publish page's Terminal records and item detail, in plain Python (no Qt).

:func:`records_of` turns one pyblish result into Terminal lines;
:func:`item_detail` builds the detail pane of a context, instance or plugin
from a :class:`~pyblish_qml_queue.gui.publish.state.PageState`.
"""

from __future__ import annotations

from pyblish_qml_queue.common.states import ItemState
from pyblish_qml_queue.gui.publish.rules import (
    ERROR,
    own_source,
    result_level,
    seconds,
    step_seconds,
)
from pyblish_qml_queue.hub import plan


def records_of(result: dict) -> list:
    """The Terminal lines of one result: its log records, then its error if it has one.

    A record of this package's host side (its link to the app) is credited to "link",
    not to the plugin that ran while it was logged. An error line takes the time the
    result ended (its last record's for a host that does not send it).
    """
    records = []
    source = result.get("label") or result.get("plugin_name") or ""
    instance = result.get("instance_name") or ""
    for rec in result.get("records") or ():
        own = own_source(rec)
        records.append(
            {
                "time": float(rec.get("created") or 0.0),
                "level": str(rec.get("levelname") or "INFO"),
                "levelno": int(rec.get("levelno") or 20),
                "source": own or source,
                "instance": "" if own else instance,
                "message": str(rec.get("message") or ""),
                "traceback": "",
            }
        )
    error = result.get("error")
    if error:
        records.append(
            {
                "time": _ended(result),
                "level": "ERROR",
                "levelno": ERROR,
                "source": source,
                "instance": instance,
                "message": str(error.get("message") or ""),
                "traceback": str(error.get("traceback") or ""),
            }
        )
    return records


def _ended(result: dict) -> float:
    for when in (result.get("time"), ((result.get("records") or [{}])[-1]).get("created")):
        try:
            if when:
                return float(when)
        except (TypeError, ValueError):
            continue
    return 0.0


def item_detail(state, item_id: str) -> dict:
    """An item's detail page: its data, every result with records and errors.

    Raises:
        KeyError: ``state`` has no context, instance or plugin ``item_id``.
    """
    if item_id == state.context_id:
        kind, name, data = "context", state.settings["ContextLabel"], state.context.get("data")
        extra = {}
    elif item_id in state.instances:
        inst = state.instances[item_id]
        kind, name, data = "instance", inst.get("name") or "", inst.get("data")
        extra = {"families": ", ".join(plan.families(inst))}
    elif item_id in state.plugins:
        plugin = state.plugins[item_id]
        kind, name = "plugin", plugin.get("label") or plugin["name"]
        data = {
            "name": plugin["name"],
            "order": plugin["order"],
            "type": plugin.get("type", ""),
            "families": ", ".join(plugin.get("families") or []),
            "optional": plugin.get("optional", False),
            "active": plugin.get("active", True),
            "module": plugin.get("module", ""),
            "path": plugin.get("path", ""),
        }
        extra = {"doc": plugin.get("doc") or ""}
    else:
        raise KeyError(item_id)
    results = []
    for n in state.item_results.get(item_id, ()):
        result = state.results[n]
        error = result.get("error") or {}
        results.append(
            {
                "label": result.get("label") or "",
                "instance": result.get("instance_name") or "",
                "kind": result.get("action") and "action" or result.get("kind", "process"),
                "state": result_level(result),
                "duration": seconds(step_seconds(result.get("duration"))),
                "records": [
                    {
                        "level": str(r.get("levelname") or "INFO"),
                        "message": str(r.get("message") or ""),
                    }
                    for r in result.get("records") or ()
                ],
                "error": str(error.get("message") or ""),
                "traceback": str(error.get("traceback") or ""),
            }
        )
    rows = [{"key": str(k), "value": _text(v)} for k, v in sorted((data or {}).items())]
    out = {
        "itemId": item_id,
        "kind": kind,
        "name": name,
        "state": state.marks.get(item_id, ItemState.IDLE),
        "data": rows,
        "results": results,
        "doc": "",
        "families": "",
    }
    out.update(extra)
    return out


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
