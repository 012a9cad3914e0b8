"""One host's Publish page in plain Python: its items, their state marks, Terminal records.

No Qt here. :class:`PageState` is built from what the hub keeps for a host
(``hub.items()`` and ``hub.results()``) and then fed the host's results one at
a time; each call returns the ids of the rows it changed, so the Qt models
(:mod:`pyblish_qml_queue.gui.publish.models`) re-read only those rows. A step
costs the same whatever the number of instances.

What a row shows is built in :mod:`~pyblish_qml_queue.gui.publish.rows`,
pyblish-qml's rules (stages, levels, settings, action filters) live in
:mod:`~pyblish_qml_queue.gui.publish.rules`, the Terminal lines and the detail
pane in :mod:`~pyblish_qml_queue.gui.publish.detail`.
"""

from __future__ import annotations

from typing import Iterable, Optional

from pyblish_qml_queue.common.stages import EXTRACTION_STARTS
from pyblish_qml_queue.common.states import HostState, ItemState
from pyblish_qml_queue.gui.publish import rows
from pyblish_qml_queue.gui.publish.detail import item_detail, records_of
from pyblish_qml_queue.gui.publish.rules import (
    SETTINGS,
    STAGES,
    plural,
    result_level,
    stage_name,
    step_seconds,
    worse,
)
from pyblish_qml_queue.hub import plan


class PageState:
    """What one host's Publish page shows.

    Args:
        items: ``hub.items(host_id)``: {"context", "instances", "plugins"}.
        results: ``hub.results(host_id)``, in order.
        settings: pyblish_qml settings (checked), the host's over the app's.

    Attributes:
        pairs: plugin id -> the pairs (plugin x instance) it would process now.
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
        self.pairs = {pid: self._count_pairs(p) for pid, p in self.plugins.items()}
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
            self.pairs[item_id] = self._count_pairs(self.plugins[item_id])
            return {item_id, "section:" + self._section_of_plugin(item_id)}
        if item_id in self.instances:
            self.instances[item_id].setdefault("data", {})["publish"] = value
            self.pairs = {pid: self._count_pairs(p) for pid, p in self.plugins.items()}
            return (
                {item_id, "section:" + self._family_of(item_id)}
                | set(self.plugins)
                | {"section:" + s for s in STAGES}
            )
        return set()

    def set_comment(self, text: str) -> None:
        self.context.setdefault("data", {})["comment"] = text

    # -- rows (built in :mod:`~pyblish_qml_queue.gui.publish.rows`) ----------------------

    def instance_rows(self) -> list:
        """Context, then a section per family with its instances (collapsed ones hidden)."""
        return rows.instance_rows(self)

    def plugin_rows(self) -> list:
        """A section per stage that has plugins, then its plugins (collapsed ones hidden)."""
        return rows.plugin_rows(self)

    def row(self, item_id: str) -> dict:
        """The row of a context, instance, plugin or section by id."""
        return rows.row(self, item_id)

    # -- groups ------------------------------------------------------------------------

    def families(self) -> dict:
        """The instances by family (their first), in collection order: {family: [instance]}."""
        groups: dict = {}
        for inst in self.instances.values():
            families = plan.families(inst)
            groups.setdefault(families[0] if families else "default", []).append(inst)
        return groups

    def _family_of(self, inst_id: str) -> str:
        families = plan.families(self.instances[inst_id])
        return families[0] if families else "default"

    def stages(self) -> dict:
        """The listed plugins by stage, in order: {stage: [plugin]}, stages without one left out."""
        groups: dict = {s: [] for s in STAGES}
        for plugin in sorted(self.plugins.values(), key=lambda p: p["order"]):
            if plugin["id"] in self._unlisted and plugin["id"] not in self.item_results:
                continue  # nothing to process (a result would still show it)
            groups[stage_name(plugin["order"])].append(plugin)
        return {s: m for s, m in groups.items() if m}

    def _section_of_plugin(self, plugin_id) -> str:
        plugin = self.plugins.get(plugin_id)
        return stage_name(plugin["order"]) if plugin else "Collect"

    def is_context_step(self) -> bool:
        """Whether the running step's plugin is a context plugin (it marks the context row)."""
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
            max(0, self.pairs.get(pid, 0) - self.processed.get(pid, 0))
            for pid, p in self.plugins.items()
            if p["order"] >= EXTRACTION_STARTS
        )

    def started_extraction(self) -> bool:
        return any(
            self.processed.get(pid)
            for pid, p in self.plugins.items()
            if p["order"] >= EXTRACTION_STARTS
        )

    def error_count(self) -> int:
        return sum(self.failed.values())

    # -- detail ---------------------------------------------------------------------------

    def detail(self, item_id: str) -> dict:
        """An item's detail page: its data, every result with records and errors."""
        return item_detail(self, item_id)
