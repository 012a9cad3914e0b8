"""One host's Publish page in plain Python: rows, state marks, Terminal records, detail.

No Qt here. :class:`PageState` is built from what the hub keeps for a host
(``hub.items()`` and ``hub.results()``) and then fed the host's results one at
a time; each call returns the ids of the rows it changed, so the Qt models
(:mod:`pyblish_qml_queue.gui.publish.models`) re-read only those rows. A step
costs the same whatever the number of instances.

pyblish-qml's rules (stages, levels, settings, action filters) live in
:mod:`~pyblish_qml_queue.gui.publish.rules`, the Terminal lines and the detail
pane in :mod:`~pyblish_qml_queue.gui.publish.detail`; the rules' names are
importable from here too.
"""

from __future__ import annotations

import math
import os
from typing import Iterable, Optional

from pyblish_qml_queue.common import stages
from pyblish_qml_queue.common.states import HostState, ItemState
from pyblish_qml_queue.gui.publish.detail import item_detail, records_of
from pyblish_qml_queue.gui.publish.rules import (
    ERROR,
    SETTINGS,
    STAGES,
    WARNING,
    actions_for,
    own_source,
    plural,
    result_level,
    seconds,
    stage_name,
    step_seconds,
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


class PageState:
    """What one host's Publish page shows.

    Args:
        items: ``hub.items(host_id)``: {"context", "instances", "plugins"}.
        results: ``hub.results(host_id)``, in order.
        settings: pyblish_qml settings (checked), the host's over the app's.
    """

    def __init__(self, items: dict, results: Iterable[dict] = (), settings: Optional[dict] = None):
        self.settings = dict(SETTINGS)
        self.settings.update(settings or {})
        self.collapsed = {"section:" + s for s in self.settings["HiddenSections"]}
        self.results: list = []
        self._seen: set = set()
        self.records: list = []
        self.current = ("", "")  # plugin label, instance name of the running step
        self.load_items(items)
        for result in results:
            self.add_result(result)

    # -- feeding ---------------------------------------------------------------------

    def load_items(self, items: dict) -> None:
        """(Re)read instances, plugins and context; keeps results, marks and records."""
        self.context = dict(items.get("context") or {})
        self.context_id = self.context.get("id") or "context"
        self.plugins = {p["id"]: p for p in items.get("plugins") or ()}
        self.instances = {i["id"]: i for i in items.get("instances") or ()}
        if not hasattr(self, "marks"):
            self.marks: dict = {}
            self.processed: dict = {}  # plugin id -> pairs processed (process results)
            self.failed: dict = {}  # plugin id -> pairs failed
            self.duration: dict = {}  # plugin or instance id -> seconds
            self.item_results: dict = {}  # item id -> [result index]
            self.first_error: dict = {}  # plugin id -> instance name of its first error
            self.repaired: dict = {}  # plugin or instance id -> its last repair succeeded
            #: The last repair run since the last step: {plugin, label, ok, failed, error}.
            self.last_repair: Optional[dict] = None
        self._pairs = {pid: self._count_pairs(p) for pid, p in self.plugins.items()}
        # As pyblish-qml, an instance plugin no collected instance is compatible with (on
        # or off) is not listed; worked out here, once per collection, not per row.
        instances = list(self.instances.values())
        self._unlisted = {
            pid
            for pid, p in self.plugins.items()
            if p.get("instanceEnabled") and not any(plan.compatible(p, i) for i in instances)
        }

    def _count_pairs(self, plugin: dict) -> int:
        if not plugin.get("active", True):
            return 0
        return len(plan.instances_for(plugin, list(self.instances.values())))

    def add_result(self, result: dict) -> set:
        """Take one result (a step, an action or a repair). Returns the ids of changed rows.

        A result already taken (the same dict object) is ignored, so a reload
        racing the live events counts nothing twice.
        """
        key = id(result)
        if key in self._seen:
            return set()
        self._seen.add(key)
        index = len(self.results)
        self.results.append(result)
        level = result_level(result)
        plugin_id = result.get("plugin")
        inst_id = result.get("instance")
        changed = {plugin_id, "section:" + self._section_of_plugin(plugin_id)}
        counted = result.get("kind", "process") == "process" and not result.get("action")
        if counted:
            self.last_repair = None  # a step since: the status line says what it did
        elif result.get("kind") == "repair":
            changed |= self._add_repair(result)
        for item in (plugin_id, inst_id if inst_id is not None else self.context_id):
            self.item_results.setdefault(item, []).append(index)
            if counted or item == plugin_id:
                self.marks[item] = worse(self.marks.get(item, ItemState.IDLE), level)
            if counted:
                self.duration[item] = self.duration.get(item, 0.0) + step_seconds(
                    result.get("duration")
                )
            changed.add(item)
        if counted:
            self.processed[plugin_id] = self.processed.get(plugin_id, 0) + 1
            if result.get("error"):
                self.failed[plugin_id] = self.failed.get(plugin_id, 0) + 1
                self.first_error.setdefault(plugin_id, result.get("instance_name") or "")
        if inst_id is not None and inst_id in self.instances:
            changed.add("section:" + self._family_of(inst_id))
        self.records.extend(records_of(result))
        return changed

    def _add_repair(self, result: dict) -> set:
        """Keep a repair's outcome for the rows and the status line; returns changed ids.

        A plugin repairs each failed instance in turn (one result each): the results
        of one press add up in :attr:`last_repair`. A successful repair takes the
        plugin's red mark off (its validation has not run again: the row says so).
        """
        plugin_id = result.get("plugin")
        ok = not result.get("error")
        last = self.last_repair
        if last is None or last["plugin"] != plugin_id:
            plugin = self.plugins.get(plugin_id) or {}
            label = result.get("label") or plugin.get("label") or plugin.get("name") or ""
            last = {"plugin": plugin_id, "label": label, "ok": 0, "failed": 0, "error": ""}
            self.last_repair = last
        last["ok" if ok else "failed"] += 1
        if not ok and not last["error"]:
            last["error"] = str((result.get("error") or {}).get("message") or "")
        inst_id = result.get("instance")
        changed = {plugin_id}
        self.repaired[plugin_id] = not last["failed"]
        if inst_id is not None:
            self.repaired[inst_id] = ok
            changed.add(inst_id)
        if not last["failed"] and self.marks.get(plugin_id) == ItemState.ERROR:
            self.marks[plugin_id] = ItemState.SUCCESS
        elif last["failed"]:
            self.marks[plugin_id] = ItemState.ERROR
        return changed

    def repair_status(self) -> Optional[tuple]:
        """The status line after a repair (``(text, state)`` as :func:`status_of`'s), None
        without one: green when every repair succeeded, red when one failed."""
        last = self.last_repair
        if last is None:
            return None
        if last["failed"]:
            why = last["error"].splitlines()[0] if last["error"] else "see the Terminal"
            return (f"Repair of {last['label']} failed: {why}", HostState.FAILED)
        what = plural(last["ok"], "item") if last["ok"] > 1 else ""
        return (
            f"Repaired {last['label']}"
            + (f" ({what})" if what else "")
            + ": validate again to check",
            HostState.FINISHED,
        )

    def set_current(self, plugin: str, instance: str) -> set:
        """The step running now (labels from the host snapshot). Returns changed ids."""
        new = (plugin or "", instance or "")
        if new == self.current:
            return set()
        changed = self._current_ids(self.current) | self._current_ids(new)
        self.current = new
        return changed

    def toggle(self, item_id: str, value: bool) -> set:
        """Reflect a toggle at once (the host confirms through the hub)."""
        if item_id in self.plugins:
            self.plugins[item_id]["active"] = value
            self._pairs[item_id] = self._count_pairs(self.plugins[item_id])
            return {item_id, "section:" + self._section_of_plugin(item_id)}
        if item_id in self.instances:
            self.instances[item_id].setdefault("data", {})["publish"] = value
            self._pairs = {pid: self._count_pairs(p) for pid, p in self.plugins.items()}
            return (
                {item_id, "section:" + self._family_of(item_id)}
                | set(self.plugins)
                | {"section:" + s for s in STAGES}
            )
        return set()

    def set_comment(self, text: str) -> None:
        self.context.setdefault("data", {})["comment"] = text

    # -- rows --------------------------------------------------------------------------

    def instance_rows(self) -> list:
        """Context, then a section per family with its instances (collapsed ones hidden)."""
        rows = [self.row(self.context_id)]
        for family, members in self._families().items():
            key = "section:" + family
            rows.append(self.row(key))
            if key not in self.collapsed:
                rows.extend(self.row(i["id"]) for i in members)
        return rows

    def plugin_rows(self) -> list:
        """A section per stage that has plugins, then its plugins (collapsed ones hidden)."""
        rows = []
        for stage, members in self._stages().items():
            key = "section:" + stage
            rows.append(self.row(key))
            if key not in self.collapsed:
                rows.extend(self.row(p["id"]) for p in members)
        return rows

    def row(self, item_id: str) -> dict:
        """The row of a context, instance, plugin or section by id."""
        if item_id == self.context_id:
            return self._context_row()
        if item_id in self.instances:
            return self._instance_row(self.instances[item_id])
        if item_id in self.plugins:
            return self._plugin_row(self.plugins[item_id])
        if item_id.startswith("section:"):
            return self._section_row(item_id[len("section:") :])
        raise KeyError(item_id)

    def _state(self, item_id: str, busy: bool) -> str:
        return ItemState.PROCESSING if busy else self.marks.get(item_id, ItemState.IDLE)

    def _context_row(self) -> dict:
        data = self.context.get("data") or {}
        scene = _basename(data.get("currentFile") or "")
        parts = [p for p in (scene, data.get("host") and str(data.get("host"))) if p]
        busy = bool(self.current[0]) and not self.current[1] and self._is_context_step()
        return {
            "itemId": self.context_id,
            "kind": "context",
            "label": self.settings["ContextLabel"],
            "itemState": self._state(self.context_id, busy),
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

    def _instance_row(self, inst: dict) -> dict:
        data = inst.get("data") or {}
        publish = data.get("publish") is not False
        families = plan.families(inst)
        info = "excluded" if not publish else " · ".join(families[1:3])
        if self.marks.get(inst["id"]) == ItemState.ERROR:
            failed = sum(
                1 for n in self.item_results.get(inst["id"], ()) if self.results[n].get("error")
            )
            info = plural(failed, "error")
        if inst["id"] in self.repaired:
            info = "repaired" if self.repaired[inst["id"]] else "repair failed"
        return {
            "itemId": inst["id"],
            "kind": "instance",
            "label": str(data.get("label") or inst.get("name") or ""),
            "itemState": self._state(inst["id"], self.current[1] == inst.get("name")),
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

    def _plugin_row(self, plugin: dict) -> dict:
        pid = plugin["id"]
        active = plugin.get("active", True)
        processed = self.processed.get(pid, 0)
        failed = self.failed.get(pid, 0)
        label = plugin.get("label") or plugin["name"]
        if not active:
            info = ("optional · off") if plugin.get("optional") else "off"
        elif processed:
            info = seconds(self.duration.get(pid, 0.0))
            warnings = sum(
                1
                for n in self.item_results.get(pid, ())
                for r in self.results[n].get("records") or ()
                if WARNING <= r.get("levelno", 0) < ERROR and not own_source(r)
            )
            if pid in self.repaired:
                info += " · " + (
                    "repaired, validate again" if self.repaired[pid] else "repair failed"
                )
            elif failed:
                info += " · " + (self.first_error.get(pid) or plural(failed, "error"))
            elif warnings:
                info += " · " + plural(warnings, "warning")
        else:
            info = plural(self._pairs.get(pid, 0), "step")
        return {
            "itemId": pid,
            "kind": "plugin",
            "label": label,
            "itemState": self._state(pid, self.current[0] == label),
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

    def _section_row(self, name: str) -> dict:
        key = "section:" + name
        if name in STAGES:
            members = self._stages().get(name, [])
            done = sum(self.processed.get(p["id"], 0) for p in members)
            left = sum(
                max(0, self._pairs.get(p["id"], 0) - self.processed.get(p["id"], 0))
                for p in members
            )
            if done and not left:
                spent = sum(self.duration.get(p["id"], 0.0) for p in members)
                info = plural(len(members), "plug-in") + " · " + seconds(spent)
            elif left and name in ("Extract", "Integrate"):
                info = plural(left, "step") + " left"
            else:
                info = plural(len(members), "plug-in")
            marks = [self.marks.get(p["id"], ItemState.IDLE) for p in members]
        else:
            members = self._families().get(name, [])
            info = plural(len(members), "instance")
            marks = [self.marks.get(i["id"], ItemState.IDLE) for i in members]
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
            "collapsed": key in self.collapsed,
            "hasActions": False,
            "hasRepair": False,
        }

    # -- groups ------------------------------------------------------------------------

    def _families(self) -> dict:
        groups: dict = {}
        for inst in self.instances.values():
            families = plan.families(inst)
            groups.setdefault(families[0] if families else "default", []).append(inst)
        return groups

    def _family_of(self, inst_id: str) -> str:
        families = plan.families(self.instances[inst_id])
        return families[0] if families else "default"

    def _stages(self) -> dict:
        groups: dict = {s: [] for s in STAGES}
        for plugin in sorted(self.plugins.values(), key=lambda p: p["order"]):
            if plugin["id"] in self._unlisted and plugin["id"] not in self.item_results:
                continue  # nothing to process (a result would still show it)
            groups[stage_name(plugin["order"])].append(plugin)
        return {s: m for s, m in groups.items() if m}

    def _section_of_plugin(self, plugin_id) -> str:
        plugin = self.plugins.get(plugin_id)
        return stage_name(plugin["order"]) if plugin else "Collect"

    def _is_context_step(self) -> bool:
        for plugin in self.plugins.values():
            if (plugin.get("label") or plugin["name"]) == self.current[0]:
                return not plugin.get("instanceEnabled")
        return False

    def _current_ids(self, current) -> set:
        plugin, instance = current
        ids = set()
        if plugin:
            for pid, p in self.plugins.items():
                if (p.get("label") or p["name"]) == plugin:
                    ids.add(pid)
            ids.add(self.context_id)
        if instance:
            ids.update(i for i, inst in self.instances.items() if inst.get("name") == instance)
        return ids

    # -- summary -------------------------------------------------------------------------

    def steps_left(self) -> int:
        """Extract and integrate pairs not processed yet."""
        return sum(
            max(0, self._pairs.get(pid, 0) - self.processed.get(pid, 0))
            for pid, p in self.plugins.items()
            if p["order"] >= stages.EXTRACTION_STARTS
        )

    def started_extraction(self) -> bool:
        return any(
            self.processed.get(pid)
            for pid, p in self.plugins.items()
            if p["order"] >= stages.EXTRACTION_STARTS
        )

    def error_count(self) -> int:
        return sum(self.failed.values())

    # -- detail ---------------------------------------------------------------------------

    def detail(self, item_id: str) -> dict:
        """An item's detail page: its data, every result with records and errors."""
        return item_detail(self, item_id)
