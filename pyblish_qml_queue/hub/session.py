"""One connected (or once connected) host, as the hub sees and drives it.

A session mirrors what its host keeps (plugins, instances, results) and
drives it one operation at a time: reset (with collection), validate,
publish, hand-off, toggle, repair, actions. Each step is one ``process``
round trip whose reply carries the result and what changed. A session holds
no thread (issue 17, item 1: 50 hosts had 200 threads in the app): an
operation is a generator that yields the requests it makes, ``reply = yield
(method, params)``; it goes on where the answer is read (the hub's I/O
thread), so a host between two steps costs nothing but its record.
Operations that block otherwise (a hand-off stores its job) run on a pool
thread and wait for their answers there.
When the link drops the session stays, disconnected, with its progress; when
the host registers again the session is restored from the host's kept results.
No Qt.
"""

from __future__ import annotations

import collections
import inspect
import logging
import threading
import time
from concurrent.futures import Future
from typing import Callable, Optional

from pyblish_qml_queue.common import stages, wire
from pyblish_qml_queue.common.states import host_state_of_stage
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.common.wire.peer import result_of
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


#: Seconds between two ``host_changed`` events of one host, at most (the GUI takes
#: its events every 50 ms and keeps the latest snapshot of each host).
CHANGED_EVERY = 0.05


class HostUnavailable(RuntimeError):
    """The host is disconnected or cannot do this now; the message says what to do."""


def _spawn(func: Callable, *args) -> None:
    """Run ``func`` on a thread of its own (a session without a hub's pool)."""
    threading.Thread(target=func, args=args, daemon=True).start()


class HostSession:
    """The hub's side of one host: its link, and an operation queue that drives
    the host one step at a time.

    Args:
        info: the host's registration (id, application, version, pid, ...).
        emit: ``emit(event)`` for the hub's subscribers.
        on_job: ``on_job(payload) -> job id`` for hand-offs.
        clock: time source for ``last_activity``.
        run: ``run(func, *args)`` runs what may block off the caller's thread
            (the hub's pool); a thread each without it.
        later: ``later(seconds, func)`` runs ``func`` a moment later (the hub's
            loop timer): ``host_changed`` is then told at most every
            :data:`CHANGED_EVERY` seconds, with the latest snapshot; at once without it.

    Attributes:
        record: what the hub knows of the host (:class:`~.record.HostRecord`);
            the session changes it under its ``lock``.
    """

    def __init__(
        self,
        info: dict,
        emit: Callable,
        on_job: Optional[Callable] = None,
        clock: Callable = time.time,
        run: Optional[Callable] = None,
        later: Optional[Callable] = None,
    ):
        self.record = HostRecord(info, clock)
        self.id = self.record.id
        self._clock = clock
        self._emit = emit
        self._on_job = on_job
        self._run_off = run or _spawn
        self._stop = threading.Event()
        self._ops: collections.deque = collections.deque()
        self._ops_lock = threading.Lock()  # guards _ops and _busy
        self._closed = False
        self._busy = False  # an operation runs (or waits on its host's answer)
        self._later = later
        self._changed_lock = threading.Lock()
        self._changed_due = False  # a host_changed is to be told

    # -- link ---------------------------------------------------------------------

    def attach(self, peer, info: dict) -> None:
        """A (re)connected link: restore from the host's kept results."""
        record = self.record
        with record.lock:
            old = record.peer
            record.peer = peer
            record.info.update(info)
            record.state = CONNECTED if record.state == DISCONNECTED else record.state
            record.last_activity = self._clock()
        if old is not None and old is not peer:
            old.close()
        self.submit(self._restore)

    def detach(self, peer) -> None:
        record = self.record
        with record.lock:
            if peer is not record.peer:
                return
            record.state = DISCONNECTED
            record.disconnected_at = self._clock()  # the card's "disconnected N ago"
            record.current = {"plugin": None, "instance": None}
            record.log_tail.append("disconnected: the host's link dropped", "WARNING")
        self._stop.set()  # what was queued still runs, and fails at its first request
        self.changed()

    def close(self) -> None:
        """No more operations: the queued ones fail now (the hub is closing, or forgot
        the host); the running one fails when its link closes."""
        with self._changed_lock:  # no host_changed after the hub says it is removed
            self._closed = True
        self._stop.set()
        with self._ops_lock:
            queued, self._ops = list(self._ops), collections.deque()
        for future, _, _ in queued:
            if future.set_running_or_notify_cancel():
                future.set_exception(HostUnavailable("the hub is closing"))

    @property
    def busy(self) -> bool:
        """Whether an operation runs or waits on its host (it holds no thread meanwhile)."""
        return self._busy

    # -- operations ---------------------------------------------------------------------

    def submit(self, func: Callable, *args) -> Future:
        """Queue an operation: a generator function (it yields its requests and
        holds no thread while the host works) or a plain one (it runs on a pool
        thread). Operations run one at a time, in order.

        Returns:
            Future: the operation's result.
        """
        future: Future = Future()
        with self._ops_lock:
            if self._closed:
                future.set_exception(HostUnavailable("the hub is closing"))
                return future
            self._ops.append((future, func, args))
            if self._busy:
                return future
            self._busy = True
        self._run_off(self._next)
        return future

    def require_connected(self) -> None:
        if not self.connected:
            raise HostUnavailable(
                f"host {self.id} is disconnected; call show() in that session to reconnect it"
            )

    def stop(self) -> None:
        """Stop after the running step."""
        self._stop.set()

    def _next(self) -> None:
        """Start the next queued operation (or mark the session idle)."""
        while True:
            with self._ops_lock:
                if not self._ops:
                    self._busy = False
                    return
                future, func, args = self._ops.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            if inspect.isgeneratorfunction(func):
                try:
                    steps = func(*args)
                except BaseException as error:
                    self._finish(future, error=error)
                    continue
                self._resume(future, steps)
                return
            self._call(future, func, args)  # on a pool thread: it may block
            return

    def _call(self, future: Future, func: Callable, args: tuple) -> None:
        try:
            value = func(*args)
        except BaseException as error:
            self._finish(future, error=error)
        else:
            self._finish(future, value)
        self._next()

    def _resume(self, future: Future, steps, value=None, error=None) -> None:
        """Run an operation on to its next request (sent, answered later to here)
        or to its end."""
        while True:
            try:
                ask = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                self._finish(future, done.value)
                break
            except BaseException as failure:
                self._finish(future, error=failure)
                break
            method, params = ask
            value = error = None
            peer = self.record.peer
            if peer is None or peer.closed:
                error = HostUnavailable(f"host {self.id} is disconnected")
                continue
            try:
                peer.ask(method, params, self._answered(future, steps, method))
                return  # goes on in the callback
            except wire.ConnectionLost:
                error = HostUnavailable(f"host {self.id} disconnected during {method}")
        self._run_off(self._next)

    def _answered(self, future: Future, steps, method: str) -> Callable:
        def answered(reply):
            try:
                value = result_of(reply, method)
            except wire.ConnectionLost:
                lost = HostUnavailable(f"host {self.id} disconnected during {method}")
                self._resume(future, steps, error=lost)
            except wire.RemoteError as error:
                self._resume(future, steps, error=error)
            else:
                self._resume(future, steps, value)

        return answered

    def _finish(self, future: Future, value=None, error=None) -> None:
        with self.record.lock:
            self.record.current = {"plugin": None, "instance": None}
        if error is not None:
            if not isinstance(error, (HostUnavailable, wire.RemoteError, wire.ConnectionLost)):
                log.error("host %s: operation failed", self.id, exc_info=error)
            future.set_exception(error)  # to the caller, who may be waiting
        else:
            future.set_result(value)
        self.changed()

    def _blocking(self, steps):
        """Run an operation's steps here, waiting for each answer (a pool thread)."""
        value = error = None
        while True:
            try:
                ask = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                return done.value
            value = error = None
            try:
                value = self._request(*ask)
            except (HostUnavailable, wire.RemoteError) as failure:
                error = failure

    def _request(self, method: str, params: Optional[dict] = None):
        peer = self.record.peer
        if peer is None or peer.closed:
            raise HostUnavailable(f"host {self.id} is disconnected")
        try:
            return peer.request(method, params)
        except wire.ConnectionLost:
            raise HostUnavailable(f"host {self.id} disconnected during {method}")

    def do_reset(self):
        record = self.record
        self._stop.clear()
        with record.lock:
            comment = (record.context.get("data") or {}).get("comment")
        reply = yield ("reset", None)
        with record.lock:
            record.load(reply["plugins"], reply["context"], [], None)
            record.log_tail.append("reset")
        self.changed()
        yield from self._run(stages.COLLECT_END)
        if isinstance(comment, str) and comment:  # kept across resets, as pyblish-qml's page
            yield from self.do_comment(comment)
        with record.lock:
            record.state = CONNECTED
            record.stage = None

    def do_validate(self):
        record = self.record
        self._stop.clear()
        if not record.plugins:
            yield from self.do_reset()
        outcome = yield from self._run(stages.VALIDATE_END)
        with record.lock:
            failed = any(
                stages.COLLECT_END <= o < stages.VALIDATE_END for o in record.orders_with_error
            )
            record.validated = not failed and outcome is None
            record.state = FAILED if failed else CONNECTED
            record.log_tail.append(
                "validation failed" if failed else ("stopped" if outcome else "validation passed")
            )
        return record.validated

    def do_publish(self):
        record = self.record
        self._stop.clear()
        if not record.plugins:
            yield from self.do_reset()
        outcome = yield from self._run(None)
        with record.lock:
            if outcome == "stopped":
                record.state = CONNECTED
            elif outcome or record.errors:
                record.state = FAILED
            else:
                record.state = FINISHED
            record.log_tail.append(outcome or ("publish failed" if record.errors else "published"))
            return record.state

    def do_handoff(self, title: Optional[str]) -> str:
        record = self.record
        if self._on_job is None:
            raise HostUnavailable("this app has no queue to hand off to")
        with record.lock:
            started = any(
                stages.stage(r["order"]) in (stages.EXTRACT, stages.INTEGRATE)
                for r in record.results
            )
        if started:
            raise HostUnavailable(
                f"host {self.id} has started extracting; reset it before handing off"
            )
        if not record.validated and not self._blocking(self.do_validate()):
            raise HostUnavailable(f"host {self.id} failed validation; fix it, then hand off")
        reply = self._request("handoff", {"title": title})
        if "spooled" in reply:
            job_id = self._take_by_reference(reply["spooled"])
        else:
            job_id = self._on_job(reply["job"])
        with record.lock:
            record.job_id = job_id
            record.state = HANDED_OFF
            record.interrupted = ""
            record.log_tail.append(f"handed off as job {job_id}")
        return job_id

    def _take_by_reference(self, job_id) -> str:
        """Store a job the host wrote for a hand-off by reference (common/wire/handoff.py):
        read from the spool folder (only an id travelled), stored, its file removed."""
        if not isinstance(job_id, str):
            raise HostUnavailable(f"host {self.id} answered the hand-off with no job id")
        try:
            payload = handoff.read(job_id)
        except FileNotFoundError:
            raise HostUnavailable(
                f"host {self.id} handed off job {job_id}, but its file is not in the spool "
                "folder; hand off again"
            )
        except ValueError as error:
            handoff.discard(job_id)
            raise HostUnavailable(f"host {self.id} handed off a job the app cannot read: {error}")
        try:
            return self._on_job(payload)
        finally:
            handoff.discard(job_id)  # stored, spooled by on_job, or refused

    def do_toggle(self, item_id: str, value: bool):
        record = self.record
        reply = yield ("toggle", {"id": item_id, "value": value})
        with record.lock:
            if "plugin" in reply:
                for plugin in record.plugins:
                    if plugin["id"] == item_id:
                        plugin["active"] = value
            elif item_id in record.instances:
                record.instances[item_id].setdefault("data", {})["publish"] = value
            record.recount()

    def do_repair(self, plugin_id: str):
        """``repair(instance)`` on each failed instance the plugin processes (once on
        the context for a context plugin), in order, each result kept, as pyblish-qml."""
        record = self.record
        with record.lock:
            plugin = next((p for p in record.plugins if p["id"] == plugin_id), None)
            if plugin is None:
                raise HostUnavailable(f"host {self.id} has no plugin {plugin_id}; reset it")
            targets = plan.repair_targets(plugin, list(record.instances.values()), record.results)
            if not targets:
                record.log_tail.append(f"{plugin.get('label') or plugin['name']}: nothing failed")
        for instance in targets:
            params = {"plugin": plugin_id, "instance": instance and instance["id"]}
            self._apply((yield ("repair", params)), keep_result=True)
        if not targets:
            self.changed()

    def do_act(self, plugin_id: str, action_id: str):
        reply = yield ("process", {"plugin": plugin_id, "action": action_id})
        self._apply(reply, keep_result=False)

    def do_comment(self, text: str):
        yield ("update", {"key": "comment", "value": text})
        with self.record.lock:
            self.record.context.setdefault("data", {})["comment"] = text

    def _restore(self):
        record = self.record
        reply = yield ("progress", None)
        with record.lock:
            record.load(reply["plugins"], reply["context"], reply["results"], reply.get("job_id"))
            fresh = not record.results and not record.instances and not record.job_id
            if not fresh:
                record.log_tail.replay(record.results)  # the lines its card showed
                record.log_tail.append(f"restored {len(record.done)} step(s) from the host")
        self.changed()
        if fresh:
            yield from self.do_reset()

    # -- steps ---------------------------------------------------------------------------

    def _run(self, last: Optional[float]):
        """Process every pair not done yet below ``last``, in pyblish's order (steps).

        Returns:
            None when all ran, "stopped" or "failed validation" otherwise.
        """
        record = self.record
        with record.lock:
            record.recount()
        for plugin in list(record.plugins):
            if not plugin.get("active", True):
                continue
            if last is not None and plugin["order"] >= last:
                continue
            if plan.failed_validation(record.orders_with_error, plugin["order"]):
                return "failed validation"
            for instance in plan.instances_for(plugin, list(record.instances.values())):
                key = (plugin["id"], None if instance is None else instance["id"])
                if key in record.done:
                    continue
                if self._stop.is_set():
                    return "stopped"
                yield from self._step(plugin, instance)
        return None

    def _step(self, plugin: dict, instance: Optional[dict]):
        record = self.record
        with record.lock:
            record.interrupted = ""  # going on, or starting again
            record.stage = stages.stage(plugin["order"])
            record.state = host_state_of_stage(record.stage)
            record.current = {
                "plugin": plugin.get("label") or plugin["name"],
                "instance": None if instance is None else instance["name"],
            }
        self.changed()
        reply = yield ("process", {"plugin": plugin["id"], "instance": instance and instance["id"]})
        self._apply(reply, keep_result=True)

    def _apply(self, reply: dict, keep_result: bool) -> None:
        record = self.record
        result, changes = reply["result"], reply.get("changes") or {}
        with record.lock:
            record.last_activity = self._clock()
            if keep_result:
                record.add_result(result)
            recount = record.apply_changes(changes)
            if recount:
                record.recount()
            record.log_tail.add_result(result)
        self._emit({"type": "result", "host_id": self.id, "result": result})
        self.changed()

    # -- views ---------------------------------------------------------------------------

    @property
    def info(self) -> dict:
        """The host's registration as last sent (``info["targets"]`` set by ``show``)."""
        return self.record.info

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def connected(self) -> bool:
        return self.record.connected

    def snapshot(self) -> dict:
        return self.record.snapshot()

    def items(self) -> dict:
        return self.record.items()

    def results_copy(self) -> list:
        return self.record.results_copy()

    def changed(self) -> None:
        """Tell subscribers the host changed: at once, or (with ``later``) once per
        :data:`CHANGED_EVERY` seconds at most, with the snapshot of then. A host
        publishing a step every 20 ms told it twice a step (before and after), and each
        event costs the GUI thread its share (issue 17, item 1)."""
        if self._later is None:
            self._tell_changed()
            return
        with self._changed_lock:
            if self._changed_due:
                return
            self._changed_due = True
        self._later(CHANGED_EVERY, self._tell_changed)

    def _tell_changed(self) -> None:
        with self._changed_lock:
            self._changed_due = False
            if self._closed:
                return
            self._emit({"type": "host_changed", "host": self.snapshot()})
