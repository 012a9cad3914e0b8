"""The host service: what the app may ask of a host, in pyblish-qml's words.

``context``, ``discover``, ``reset``, ``process``, ``repair``, ``test``,
``emit``, ``update``, plus ``toggle``, ``handoff`` and ``progress``. A
``process`` reply carries the step's result *and* what the step changed
(instances added or removed, data changed), so one step costs one round trip.
The host keeps every result of the current publish: the app rebuilds a host's
page from them after a switch or its own restart.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
Every method takes and returns JSON-safe values only.
"""

import logging
import re
import sys
import threading
import time

import pyblish.api
import pyblish.lib
import pyblish.logic
import pyblish.plugin

from pyblish_qml_queue import dcc
from pyblish_qml_queue.common import snapshots, wire
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.host.env import user_name
from pyblish_qml_queue.host.formats import (
    format_context,
    format_data,
    format_instance,
    format_plugin,
    format_result,
    jsonable,
)

log = logging.getLogger(__name__)

_SIGNAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class ServiceError(wire.RemoteError):
    """A request the service cannot do (unknown id, nothing to hand off...).

    Answered to the app as ``failed`` with this message."""

    def __init__(self, message):
        super(ServiceError, self).__init__(wire.FAILED, message)


class Service(object):
    """The pyblish session of one host, served to the app.

    Args:
        targets (list): pyblish targets; None means "default" plus the registered ones.
        discover (callable): returns the plugins (default ``pyblish.api.discover``).
    """

    def __init__(self, targets=None, discover=None):
        self.targets = list(targets) if targets else None
        self._discover = discover or pyblish.api.discover
        self._lock = threading.RLock()
        self.context = pyblish.api.Context()
        self.plugins = []
        self._plugins = {}
        self._instances = {}
        self._known = {}
        self._known_context = {}
        self.results = []
        self.job_id = None
        self._reference = None  # the job id of the last hand-off by reference
        self.reset()

    # -- pyblish-qml's vocabulary -------------------------------------------------

    def ping(self):
        return {"pong": True}

    def reset(self):
        """A fresh context and plugins; the kept results are cleared.

        Returns:
            {"context": ..., "plugins": [...]} (what ``context`` and ``discover`` return).
        """
        with self._lock:
            from pyblish_qml_queue import __version__

            self._forget_reference()
            targets = self.targets or ["default"] + pyblish.api.registered_targets()
            self.context = pyblish.api.Context()
            data = self.context.data
            data["user"] = user_name()
            data["pyblishVersion"] = pyblish.version
            data["pythonVersion"] = sys.version.split()[0]
            # What pyblish-qml sets before collection (collectors may override):
            # the targets as one string, the GUI's version, the hosts, the time.
            data["targets"] = ", ".join(targets)
            data["pyblishQmlVersion"] = __version__
            data["host"] = ", ".join(reversed(pyblish.api.registered_hosts()))
            data["connectTime"] = pyblish.lib.time()
            plugins = self._discover()
            self.plugins = pyblish.logic.plugins_by_targets(plugins, targets)
            self._plugins = dict((p.id, p) for p in self.plugins)
            self._instances = {}
            self._known = {}
            self._known_context = format_data(self.context.data)
            self.results = []
            self.job_id = None
            return {"context": self.context_(), "plugins": self.discover()}

    def context_(self):
        with self._lock:
            return format_context(self.context)

    def discover(self):
        return [format_plugin(p) for p in self.plugins]

    def process(self, plugin, instance=None, action=None):
        """Run one plugin on one instance (or the context).

        Returns:
            {"result": ..., "changes": ...}: changes lists instances added
            (formatted), removed (ids) and changed ({id: data}), and changed
            context data. An instance plugin's step compares only its instance
            and the context; a context plugin's step compares every instance.
        """
        with self._lock:
            plugin_obj, instance_obj = self._find(plugin, instance)
            result = pyblish.plugin.process(plugin_obj, self.context, instance_obj, action)
            formatted = format_result(result, action)
            if action is None:
                self.results.append(formatted)
            changes = self._changes(instance_obj)
            return {"result": formatted, "changes": changes}

    def repair(self, plugin, instance=None):
        with self._lock:
            plugin_obj, instance_obj = self._find(plugin, instance)
            result = pyblish.plugin.repair(plugin_obj, self.context, instance_obj)
            formatted = format_result(result, kind="repair")
            self.results.append(formatted)
            return {"result": formatted, "changes": self._changes(None)}

    def test(self, vars):
        """The registered test (pyblish.logic.registered_test) on ``vars``."""
        test = pyblish.logic.registered_test()
        state = {
            "nextOrder": vars.get("nextOrder"),
            "ordersWithError": set(vars.get("ordersWithError") or []),
        }
        return jsonable(test(**state))

    def emit(self, signal, kwargs=None):
        """Trigger pyblish callbacks; "context", "instance" and "plugin" in
        ``kwargs`` name the objects (by id) and are replaced by them."""
        if not _SIGNAL.match(signal):
            raise ServiceError("signal %r is not a callback name" % signal)
        kwargs = dict(kwargs or {})
        with self._lock:
            if "context" in kwargs:
                kwargs["context"] = self.context
            if "instance" in kwargs:
                kwargs["instance"] = self._instance(kwargs["instance"])
            if "plugin" in kwargs:
                kwargs["plugin"] = self._plugin(kwargs["plugin"])
            pyblish.api.emit(signal, **kwargs)

    def update(self, key, value):
        """Write data to the context (the comment box, for one)."""
        with self._lock:
            self.context.data[key] = value
            self._known_context = format_data(self.context.data)

    def toggle(self, id, value):
        """Publish an instance or not, activate a plugin or not (by id)."""
        with self._lock:
            if id in self._plugins:
                plugin = self._plugins[id]
                old, plugin.active = plugin.active, value
                pyblish.api.emit("pluginToggled", plugin=plugin, new_value=value, old_value=old)
                return {"plugin": id, "active": value}
            instance = self._instance(id)
            old = instance.data.get("publish", True)
            instance.data["publish"] = value
            self._known[id] = format_data(instance.data)
            pyblish.api.emit("instanceToggled", instance=instance, new_value=value, old_value=old)
            return {"instance": id, "publish": value}

    def handoff(self, title=None, steps=None):
        """The validated context and the steps from extraction on, as a job payload.

        The job is built and the scene's snapshot saved on the DCC's main thread
        (through the dispatch wrapper, as every pyblish call); if the snapshot
        cannot be saved, nothing is handed off and the reply says why. The rest
        runs on the link's thread while the DCC goes on (the payload shares
        nothing with the scene): a job too big for one frame
        (:func:`pyblish_qml_queue.common.wire.handoff.by_reference`) is
        encoded and written to the spool folder, logging its progress, and only
        its id travels; the app reads the file, stores the job and removes the file.

        Returns:
            {"job": payload}, or {"spooled": job id} for a hand-off by reference.
        """
        from pyblish_qml_queue.host.link import call_in_main_thread
        from pyblish_qml_queue.host.submit import frozen, write_reference

        payload = call_in_main_thread(self._build_handoff, title=title)
        data = frozen(payload)
        if data is None:
            return {"job": payload}
        try:
            write_reference(payload["id"], len(payload["steps"]), data)
        except OSError as exc:
            snapshots.discard(payload)
            self.job_id = None
            raise ServiceError(
                "could not write job %s into the spool folder for the app: %s; nothing was "
                "handed off. Free some disk space, then hand off again." % (payload["id"], exc)
            )
        self._reference = payload["id"]
        return {"spooled": payload["id"]}

    def _build_handoff(self, title=None):
        from pyblish_qml_queue.host import job, snapshot

        with self._lock:
            self._forget_reference()
            if not len(self.context):
                raise ServiceError("nothing to hand off: no instance was collected; reset first")
            adapter = dcc.current()
            started = time.time()
            payload = job.build_job(
                self.context,
                plugins=self.plugins,
                targets=self.targets,
                title=title,
                adapter=adapter,
            )
            if len(payload["steps"]) >= handoff.INLINE_STEPS:
                log.info(
                    "handing off job %s: %d instances, %d steps built in %.2f s",
                    payload["id"],
                    len(payload["instances"]),
                    len(payload["steps"]),
                    time.time() - started,
                )
            try:
                snapshot.attach(payload, adapter)
            except snapshot.SnapshotRefused as exc:
                raise ServiceError(str(exc))
            self.job_id = payload["id"]
            return payload

    def _forget_reference(self):
        """Remove the file of the last hand-off by reference if the app never took it
        (an app of an older release cannot read that reply)."""
        reference, self._reference = self._reference, None
        if reference is not None:
            handoff.discard(reference)

    def progress(self):
        """What the app needs to rebuild this host's page: the kept results,
        the context, the plugins and the job handed off (if any)."""
        with self._lock:
            return {
                "results": list(self.results),
                "context": self.context_(),
                "plugins": self.discover(),
                "job_id": self.job_id,
            }

    def hide(self):
        return None

    # -- the table the link serves --------------------------------------------------

    def handlers(self):
        """Method name -> callable(**params), for the link (made once: the same
        dict every call, not to be changed)."""
        table = self.__dict__.get("_handlers")
        if table is None:
            table = self._handlers = self._handler_table()
        return table

    def _handler_table(self):
        return {
            "ping": self.ping,
            "context": self.context_,
            "discover": self.discover,
            "reset": self.reset,
            "process": self.process,
            "repair": self.repair,
            "test": self.test,
            "emit": self.emit,
            "update": self.update,
            "toggle": self.toggle,
            "handoff": self.handoff,
            "progress": self.progress,
            "hide": self.hide,
        }

    # -- helpers ------------------------------------------------------------------

    def _find(self, plugin, instance):
        plugin_obj = self._plugin(plugin)
        instance_obj = self._instance(instance) if instance is not None else None
        return plugin_obj, instance_obj

    def _plugin(self, plugin_id):
        try:
            return self._plugins[plugin_id]
        except KeyError:
            raise ServiceError("no plugin %r in this host; reset to discover again" % plugin_id)

    def _instance(self, instance_id):
        found = self._instances.get(instance_id)
        if found is None:
            self._instances = dict((i.id, i) for i in self.context)
            found = self._instances.get(instance_id)
        if found is None:
            raise ServiceError("no instance %r in this host's context" % instance_id)
        return found

    def _changes(self, instance):
        changes = {}
        known = self._known
        # A context step may add or remove anything: compare everything. An
        # instance step compares its instance and the context, and everything
        # only when the number of instances changed, so a step costs the same
        # at 50 or 200 instances.
        full = instance is None or len(self.context) != len(known)
        if full:
            added = [i for i in self.context if i.id not in known]
            present_ids = set(i.id for i in self.context)
            removed = [i for i in known if i not in present_ids]
            if added:
                changes["added"] = [format_instance(i) for i in added]
                for i, formatted in zip(added, changes["added"]):
                    known[i.id] = formatted["data"]  # formatted once, sent and kept
                    self._instances[i.id] = i
            for i in removed:
                del known[i]
                self._instances.pop(i, None)
            if removed:
                changes["removed"] = removed
            added_ids = set(i.id for i in added)
            candidates = [i for i in self.context if i.id not in added_ids]
        else:
            candidates = [instance]
        changed = {}
        for i in candidates:
            data = format_data(i.data)
            if data != known.get(i.id):
                known[i.id] = data
                changed[i.id] = data
        if changed:
            changes["instances"] = changed
        data = format_data(self.context.data)
        if data != self._known_context:
            changes["context"] = dict(
                (k, v) for k, v in data.items() if self._known_context.get(k, _MISSING) != v
            )
            self._known_context = data
        return changes


_MISSING = object()
