"""What the hub knows of one host's publish, and the views built from it.

A :class:`HostRecord` mirrors what its host keeps: plugins, instances, the
context, the results so far; it counts the pairs done and left, errors and
warnings, derives the host's state after a restore, and renders the snapshot
and the Publish page's items (its rows, unmarked: the page marks them). A
:class:`~pyblish_qml_queue.hub.session.HostSession` has one: it drives the host
and feeds its replies in here, under :attr:`HostRecord.lock`. No Qt.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from pyblish_qml_queue.common import stages
from pyblish_qml_queue.common.states import HostState
from pyblish_qml_queue.hub import plan
from pyblish_qml_queue.hub.tail import LogTail

# Host states, named for the session (:class:`~pyblish_qml_queue.common.states.HostState`).
CONNECTED = HostState.CONNECTED
DISCONNECTED = HostState.DISCONNECTED
HANDED_OFF = HostState.HANDED_OFF
FINISHED = HostState.FINISHED
FAILED = HostState.FAILED
WARNING = 30
#: What a host's card and Publish page say of a publish the app's restart stopped.
INTERRUPTED_BY_RESTART = "stopped by the app's restart: press Publish to continue"


class HostRecord:
    """The hub's bookkeeping of one host.

    Args:
        info: the host's registration (id, application, version, pid, ...).
        clock: time source for ``last_activity``.

    Attributes:
        lock: held by whoever reads or changes the record (re-entrant).
        peer: the host's link while one is attached (the session sets it).
    """

    def __init__(self, info: dict, clock: Callable = time.time):
        self.id = info["id"]
        self.info = dict(info)
        self._clock = clock
        self.lock = threading.RLock()
        self.peer = None
        self.state = DISCONNECTED
        self.stage = None
        self.current = {"plugin": None, "instance": None}
        self.plugins: list = []
        self.instances: dict = {}
        self.context: dict = {}
        self.results: list = []
        self.done: set = set()
        self.total = 0
        self.instance_counts = {"count": 0, "families": []}
        self.errors = 0
        self.warnings = 0
        self.orders_with_error: set = set()
        self.log_tail = LogTail(maxlen=5, clock=clock)
        self.job_id = None
        self.validated = False
        #: When its link last dropped (0 while it never did).
        self.disconnected_at = 0.0
        #: Why a restored publish is not running ("" unless the app's restart stopped it).
        self.interrupted = ""
        self.last_activity = clock()

    @property
    def connected(self) -> bool:
        peer = self.peer
        return peer is not None and not peer.closed

    # -- bookkeeping --------------------------------------------------------------------

    def add_result(self, result: dict) -> None:
        self.results.append(result)
        if result.get("kind", "process") == "process" and not result.get("action"):
            self.done.add((result["plugin"], result["instance"]))
        if result.get("error"):
            self.errors += 1
            self.orders_with_error.add(result["order"])
        self.warnings += sum(1 for r in result["records"] if r.get("levelno", 0) >= WARNING)

    def apply_changes(self, changes: dict) -> bool:
        recount = False
        for inst in changes.get("added", ()):
            self.instances[inst["id"]] = inst
            recount = True
        for inst_id in changes.get("removed", ()):
            self.instances.pop(inst_id, None)
            recount = True
        for inst_id, data in changes.get("instances", {}).items():
            if inst_id in self.instances:
                old = self.instances[inst_id].get("data") or {}
                if plan.families({"data": old}) != plan.families({"data": data}) or (
                    old.get("publish") != data.get("publish")
                ):
                    recount = True
                self.instances[inst_id]["data"] = data
        if changes.get("context"):
            self.context.setdefault("data", {}).update(changes["context"])
            self._scene_from_context()
        return recount

    def _instance_counts(self) -> dict:
        """``{"count": n, "families": [[family, n], ...]}``, most common family first."""
        families: dict = {}
        for inst in self.instances.values():
            family = (inst.get("data") or {}).get("family") or "default"
            families[family] = families.get(family, 0) + 1
        ranked = sorted(families.items(), key=lambda item: (-item[1], item[0]))
        return {"count": len(self.instances), "families": [list(item) for item in ranked]}

    def _scene_from_context(self) -> None:
        """A host registers before it collects: take its scene from the collected context."""
        scene = (self.context.get("data") or {}).get("currentFile")
        if isinstance(scene, str) and scene:
            self.info["scene"] = scene

    def load(self, plugins: list, context: dict, results: list, job_id) -> None:
        self.plugins = sorted(plugins, key=lambda p: p["order"])
        self.context = {k: v for k, v in context.items() if k != "children"}
        self._scene_from_context()
        self.instances = {i["id"]: i for i in context.get("children", [])}
        self.results, self.done, self.orders_with_error = [], set(), set()
        self.errors = self.warnings = 0
        for result in results:
            self.add_result(result)
        self.job_id = job_id
        self.stage = stages.stage(results[-1]["order"]) if results else None
        self.recount()
        self._derive_state()

    def recount(self) -> None:
        """Steps in all and instances by family: only instances or their families change
        them, so they are worked out then, not for every snapshot."""
        self.total = len(self.done) + plan.count_pairs(
            self.plugins, list(self.instances.values()), self.done
        )
        self.instance_counts = self._instance_counts()

    def _derive_state(self) -> None:
        """State after a restore, from the kept results alone."""
        validation_failed = any(
            stages.COLLECT_END <= o < stages.VALIDATE_END for o in self.orders_with_error
        )
        instances = list(self.instances.values())
        below_extract = plan.count_pairs(self.plugins, instances, self.done, stages.VALIDATE_END)
        self.validated = bool(self.results) and not validation_failed and below_extract == 0
        if self.job_id:
            self.state = HANDED_OFF
        elif not self.results:
            self.state = CONNECTED
        elif validation_failed:
            self.state = FAILED
        elif self.total == len(self.done) and self.stage in ("extract", "integrate"):
            self.state = FAILED if self.errors else FINISHED
        else:
            self.state = CONNECTED
        # Kept results past collection with work left, not just a passed validation: the
        # app stopped this publish when it quit, and the host waits to be told to go on.
        stopped = self.state == CONNECTED and self.stage not in (None, "collect")
        if stopped and self.validated and self.stage == "validate":
            stopped = False  # validation passed and nothing after it had started
        self.interrupted = INTERRUPTED_BY_RESTART if stopped else ""
        if not self.connected:
            self.state = DISCONNECTED

    # -- views ---------------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self.lock:
            info = self.info
            return {
                "id": self.id,
                "application": info.get("application", ""),
                "version": info.get("version", ""),
                "pid": info.get("pid", 0),
                "machine": info.get("machine", ""),
                "user": info.get("user", ""),
                "scene": info.get("scene", ""),
                "targets": list(info.get("targets") or []),
                "state": self.state,
                "connected": self.connected,
                "stage": self.stage,
                "progress": {"done": len(self.done), "total": self.total},
                "current": dict(self.current),
                "last_step": self._last_step(),
                "errors": self.errors,
                "warnings": self.warnings,
                "last_activity": self.last_activity,
                "log_tail": self.log_tail.lines(),  # {time, level, message}
                "job_id": self.job_id,
                "instances": self.instance_counts,
                "validated": self.validated,
                "interrupted": self.interrupted,
                "disconnected_at": self.disconnected_at if not self.connected else 0.0,
            }

    def _last_step(self) -> dict:
        """The plugin and instance of the last step that ran (a card's "Last step")."""
        for result in reversed(self.results):
            if result.get("kind", "process") == "process" and not result.get("action"):
                return {"plugin": result.get("label"), "instance": result.get("instance_name")}
        return {"plugin": None, "instance": None}

    def items(self) -> dict:
        """Instances and plugins for a Publish page, the context, and the
        pyblish_qml settings the host registered with (WindowTitle, ...).

        Rows carry no state: the page marks them from the results
        (:class:`~pyblish_qml_queue.gui.publish.state.PageState`, their one owner).
        """
        with self.lock:
            plugins = [dict(plugin) for plugin in self.plugins]
            instances = [
                {"id": inst["id"], "name": inst["name"], "data": dict(inst.get("data") or {})}
                for inst in self.instances.values()
            ]
            settings = self.info.get("settings")
            return {
                "instances": instances,
                "plugins": plugins,
                "context": dict(self.context),
                "settings": dict(settings) if isinstance(settings, dict) else {},
            }

    def results_copy(self) -> list:
        with self.lock:
            return list(self.results)
