"""One connected (or once connected) host, as the hub sees and drives it.

A session mirrors what its host keeps (plugins, instances, results) and
drives it one operation at a time on its own thread: reset (with
collection), validate, publish, hand-off, toggle, repair, actions. Each step
is one ``process`` round trip whose reply carries the result and what changed.
When the link drops the session stays, disconnected, with its progress; when
the host registers again the session is restored from the host's kept results.
No Qt.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Optional

from pyblish_qml_queue.common import stages, wire
from pyblish_qml_queue.common.states import host_state_of_stage
from pyblish_qml_queue.hub import plan
from pyblish_qml_queue.hub.record import (
    CONNECTED,
    DISCONNECTED,
    FAILED,
    FINISHED,
    HANDED_OFF,
    HostRecord,
)

log = logging.getLogger(__name__)


class HostUnavailable(RuntimeError):
    """The host is disconnected or cannot do this now; the message says what to do."""


class Stopped(Exception):
    pass


class HostSession(HostRecord):
    """The hub's side of one host: its link, and an operation queue run on
    its own thread that drives the host one step at a time.

    Args:
        info: the host's registration (id, application, version, pid, ...).
        emit: ``emit(event)`` for the hub's subscribers.
        on_job: ``on_job(payload) -> job id`` for hand-offs.
        clock: time source for ``last_activity``.
    """

    def __init__(
        self,
        info: dict,
        emit: Callable,
        on_job: Optional[Callable] = None,
        clock: Callable = time.time,
    ):
        super().__init__(info, clock)
        self._emit = emit
        self._on_job = on_job
        self._stop = threading.Event()
        self._ops: queue.Queue = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=f"host-{self.id}", daemon=True)
        self._thread.start()

    # -- link ---------------------------------------------------------------------

    def attach(self, peer, info: dict) -> None:
        """A (re)connected link: restore from the host's kept results."""
        with self._lock:
            old = self.peer
            self.peer = peer
            self.info.update(info)
            self.state = CONNECTED if self.state == DISCONNECTED else self.state
            self.last_activity = self._clock()
        if old is not None and old is not peer:
            old.close()
        self.submit(self._restore)

    def detach(self, peer) -> None:
        with self._lock:
            if peer is not self.peer:
                return
            self.state = DISCONNECTED
            self.current = {"plugin": None, "instance": None}
            self.log_tail.append("disconnected: the host's link dropped")
        self._stop.set()
        self.changed()

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        self._ops.put(None)

    # -- operations (run on the session thread) ---------------------------------------

    def submit(self, func: Callable, *args) -> Future:
        future: Future = Future()
        if self._closed:
            future.set_exception(HostUnavailable("the hub is closing"))
            return future
        self._ops.put((future, func, args))
        return future

    def require_connected(self) -> None:
        if not self.connected:
            raise HostUnavailable(
                f"host {self.id} is disconnected; call show() in that session to reconnect it"
            )

    def stop(self) -> None:
        """Stop after the running step."""
        self._stop.set()

    def _work(self) -> None:
        while True:
            item = self._ops.get()
            if item is None:
                return
            future, func, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func(*args))
            except BaseException as error:  # to the caller, who may be waiting
                if not isinstance(
                    error, (HostUnavailable, wire.RemoteError, Stopped, wire.ConnectionLost)
                ):
                    log.exception("host %s: operation failed", self.id)
                future.set_exception(error)
            finally:
                with self._lock:
                    self.current = {"plugin": None, "instance": None}
                self.changed()

    def _request(self, method: str, params: Optional[dict] = None):
        peer = self.peer
        if peer is None or peer.closed:
            raise HostUnavailable(f"host {self.id} is disconnected")
        try:
            return peer.request(method, params)
        except wire.ConnectionLost:
            raise HostUnavailable(f"host {self.id} disconnected during {method}")

    def do_reset(self) -> None:
        self._stop.clear()
        reply = self._request("reset")
        with self._lock:
            self._load(reply["plugins"], reply["context"], [], None)
            self.log_tail.append("reset")
        self.changed()
        self._run(stages.COLLECT_END)
        with self._lock:
            self.state = CONNECTED
            self.stage = None

    def do_validate(self) -> bool:
        self._stop.clear()
        if not self.plugins:
            self.do_reset()
        outcome = self._run(stages.VALIDATE_END)
        with self._lock:
            failed = any(
                stages.COLLECT_END <= o < stages.VALIDATE_END for o in self.orders_with_error
            )
            self.validated = not failed and outcome is None
            self.state = FAILED if failed else CONNECTED
            self.log_tail.append(
                "validation failed" if failed else ("stopped" if outcome else "validation passed")
            )
        return self.validated

    def do_publish(self) -> str:
        self._stop.clear()
        if not self.plugins:
            self.do_reset()
        outcome = self._run(None)
        with self._lock:
            if outcome == "stopped":
                self.state = CONNECTED
            elif outcome or self.errors:
                self.state = FAILED
            else:
                self.state = FINISHED
            self.log_tail.append(outcome or ("publish failed" if self.errors else "published"))
            return self.state

    def do_handoff(self, title: Optional[str]) -> str:
        if self._on_job is None:
            raise HostUnavailable("this app has no queue to hand off to")
        with self._lock:
            started = any(
                stages.stage(r["order"]) in (stages.EXTRACT, stages.INTEGRATE) for r in self.results
            )
        if started:
            raise HostUnavailable(
                f"host {self.id} has started extracting; reset it before handing off"
            )
        if not self.validated and not self.do_validate():
            raise HostUnavailable(f"host {self.id} failed validation; fix it, then hand off")
        reply = self._request("handoff", {"title": title})
        job_id = self._on_job(reply["job"])
        with self._lock:
            self.job_id = job_id
            self.state = HANDED_OFF
            self.log_tail.append(f"handed off as job {job_id}")
        return job_id

    def do_toggle(self, item_id: str, value: bool) -> None:
        reply = self._request("toggle", {"id": item_id, "value": value})
        with self._lock:
            if "plugin" in reply:
                for plugin in self.plugins:
                    if plugin["id"] == item_id:
                        plugin["active"] = value
            elif item_id in self.instances:
                self.instances[item_id].setdefault("data", {})["publish"] = value
            self._count()

    def do_repair(self, plugin_id: str) -> None:
        reply = self._request("repair", {"plugin": plugin_id})
        self._apply(reply, record=False)

    def do_act(self, plugin_id: str, action_id: str) -> None:
        reply = self._request("process", {"plugin": plugin_id, "action": action_id})
        self._apply(reply, record=False)

    def do_comment(self, text: str) -> None:
        self._request("update", {"key": "comment", "value": text})
        with self._lock:
            self.context.setdefault("data", {})["comment"] = text

    def _restore(self) -> None:
        reply = self._request("progress")
        with self._lock:
            self._load(reply["plugins"], reply["context"], reply["results"], reply.get("job_id"))
            fresh = not self.results and not self.instances and not self.job_id
            if not fresh:
                self.log_tail.append(f"restored {len(self.done)} step(s) from the host")
        self.changed()
        if fresh:
            self.do_reset()

    # -- steps ---------------------------------------------------------------------------

    def _run(self, last: Optional[float]) -> Optional[str]:
        """Process every pair not done yet below ``last``, in pyblish's order.

        Returns:
            None when all ran, "stopped" or "failed validation" otherwise.
        """
        with self._lock:
            self._count()
        for plugin in list(self.plugins):
            if not plugin.get("active", True):
                continue
            if last is not None and plugin["order"] >= last:
                continue
            if plan.failed_validation(self.orders_with_error, plugin["order"]):
                return "failed validation"
            for instance in plan.instances_for(plugin, list(self.instances.values())):
                key = (plugin["id"], None if instance is None else instance["id"])
                if key in self.done:
                    continue
                if self._stop.is_set():
                    return "stopped"
                self._step(plugin, instance)
        return None

    def _step(self, plugin: dict, instance: Optional[dict]) -> None:
        with self._lock:
            self.stage = stages.stage(plugin["order"])
            self.state = host_state_of_stage(self.stage)
            self.current = {
                "plugin": plugin.get("label") or plugin["name"],
                "instance": None if instance is None else instance["name"],
            }
        self.changed()
        reply = self._request(
            "process", {"plugin": plugin["id"], "instance": instance and instance["id"]}
        )
        self._apply(reply, record=True)

    def _apply(self, reply: dict, record: bool) -> None:
        result, changes = reply["result"], reply.get("changes") or {}
        with self._lock:
            self.last_activity = self._clock()
            if record:
                self._add_result(result)
            recount = self._apply_changes(changes)
            if recount:
                self._count()
            if result.get("error"):
                self.log_tail.append(f"{result['label']}: {result['error']['message']}")
            elif result["records"]:
                self.log_tail.append(result["records"][-1]["message"])
        self._emit({"type": "result", "host_id": self.id, "result": result})
        self.changed()

    # -- views ---------------------------------------------------------------------------

    def changed(self) -> None:
        self._emit({"type": "host_changed", "host": self.snapshot()})
