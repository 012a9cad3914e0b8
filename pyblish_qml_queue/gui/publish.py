"""The ``Publish`` singleton: the Publish page of the host open in the app.

QML imports it as ``import PyblishQueue.Backend``. It shows one host at a time
(the one ``App.currentHostId`` names): on a switch it rebuilds the page from
what the hub keeps for that host (``items()``, ``results()``), so every host's
progress survives a switch. Live, it takes the hub's events for that host in
batches on the GUI thread (a plain deque filled on hub threads, drained by a
QTimer) and changes only the rows a step touched.

Buttons hand work to the hub (which returns at once); the hand-off, which
blocks until the job is stored, runs on a short-lived thread whose outcome
comes back through the same deque.
"""

from __future__ import annotations

import collections
import logging
import os
import threading

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton

from . import publishstate
from .publishmodels import LEVELS, ItemListModel, RecordFilterProxy, RecordModel
from .publishstate import PageState

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1

BUSY_STATES = ("collecting", "validating", "extracting", "integrating")
_EMPTY = {"context": {}, "instances": [], "plugins": []}


class HubFeed:
    """Hub events for the Publish page, buffered from any thread (no Qt)."""

    def __init__(self):
        self.buffer = collections.deque()

    def push(self, event: dict) -> None:
        if event.get("type") in ("result", "host_changed", "host_removed", "show", "handoff"):
            self.buffer.append(event)

    def take(self) -> list:
        out = []
        buffer = self.buffer
        while True:
            try:
                out.append(buffer.popleft())
            except IndexError:
                return out


@QmlElement
@QmlSingleton
class Publish(QObject):
    """Instances, plugins, Terminal, detail and controls of the current host's publish."""

    hostChanged = Signal()
    controlsChanged = Signal()
    detailChanged = Signal()
    tabChanged = Signal()
    filterChanged = Signal()
    commentChanged = Signal()
    settingsChanged = Signal()
    noticeChanged = Signal()
    #: Honour pyblish_qml.settings WindowPosition/WindowSize: x, y, width, height.
    geometryRequested = Signal(int, int, int, int)
    #: Intent signals (tests and tools listen): a button was pressed for this host.
    driveRequested = Signal(str, str)

    def __init__(self, session=None, parent=None, interval=50):
        super().__init__(parent)
        self._session = session
        self._hub = getattr(session, "hub", None)
        self.instance_model = ItemListModel(self)
        self.plugin_model = ItemListModel(self)
        self.record_model = RecordModel(self)
        self.record_proxy = RecordFilterProxy(self.record_model, self)
        self.feed = HubFeed()
        self._unsubscribe = self._hub.subscribe(self.feed.push) if self._hub else None
        self._host_id = ""
        self._snapshot: dict = {}
        self._state = PageState(_EMPTY, settings=publishstate.app_settings())
        self._sent = 0  # records handed to the record model
        self._controls: dict = {}
        self._shown = None
        self._status = ("Pick a host on the Overview", "idle")
        self._handing_off = ""
        self._detail_id = ""
        self._detail: dict = {}
        self._tab = "items"
        self._notice = ""
        self._timer = QTimer(self)
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self.drain)
        self._timer.start()
        if session is not None:
            session.app.currentHostChanged.connect(self._follow_app)
        self._update_controls()

    @staticmethod
    def create(engine):
        from . import viewmodels

        session = viewmodels._SESSIONS.get(engine)
        if session is not None and getattr(session, "publish", None) is None:
            session.publish = Publish(session, session)
        return viewmodels._singleton(engine, "publish")

    def close(self) -> None:
        """Stop listening to the hub (the hub belongs to the caller)."""
        self._timer.stop()
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:
                log.exception("Could not unsubscribe the Publish page from the hub")
            self._unsubscribe = None

    # -- properties --------------------------------------------------------------------

    @Property(QObject, constant=True)
    def instances(self):
        return self.instance_model

    @Property(QObject, constant=True)
    def plugins(self):
        return self.plugin_model

    @Property(QObject, constant=True)
    def records(self):
        return self.record_proxy

    @Property(str, notify=hostChanged)
    def hostId(self):
        return self._host_id

    @Property("QVariantMap", notify=controlsChanged)
    def host(self):
        return self._snapshot

    @Property(str, notify=controlsChanged)
    def status(self):
        return self._status[0]

    @Property(str, notify=controlsChanged)
    def statusState(self):
        return self._status[1]

    @Property("QVariantMap", notify=controlsChanged)
    def can(self):
        """Which buttons are enabled: reset, validate, publish, stop, handoff, comment."""
        return self._controls

    @Property(bool, notify=controlsChanged)
    def handingOff(self):
        return bool(self._handing_off)

    @Property(bool, notify=detailChanged)
    def detailOpen(self):
        return bool(self._detail_id)

    @Property("QVariantMap", notify=detailChanged)
    def detail(self):
        return self._detail

    @Property(str, notify=noticeChanged)
    def notice(self):
        """The outcome of the last button on this page when it went wrong (one line)."""
        return self._notice

    @Property(str, notify=tabChanged)
    def tab(self):
        return self._tab

    @Property(str, notify=filterChanged)
    def textFilter(self):
        return self.record_proxy.text

    @Property("QVariantMap", notify=filterChanged)
    def levels(self):
        on = self.record_proxy.levels
        return {name: name in on for name in LEVELS}

    @Property(str, notify=commentChanged)
    def comment(self):
        return str((self._state.context.get("data") or {}).get("comment") or "")

    @Property(str, notify=settingsChanged)
    def windowTitle(self):
        snap = self._snapshot
        if not snap:
            return ""
        scene = self.scene
        where = " ".join(p for p in (snap.get("application"), snap.get("version")) if p)
        return " · ".join(p for p in (self._state.settings["WindowTitle"], where, scene) if p)

    @Property(str, notify=controlsChanged)
    def scene(self):
        """The scene's file name: as the host registered, else as collected (currentFile)."""
        path = self._snapshot.get("scene") or (self._state.context.get("data") or {}).get(
            "currentFile"
        )
        return os.path.basename(str(path or ""))

    @Property(str, notify=settingsChanged)
    def contextLabel(self):
        return self._state.settings["ContextLabel"]

    # -- the state behind the page (tests and the benchmark read it) ---------------------

    @property
    def state(self) -> PageState:
        return self._state

    # -- slots: the host -----------------------------------------------------------------

    @Slot()
    def reset(self):
        """Collect again; the comment box's text stays and is written into the new context."""
        self._drive("reset", self._reset)

    @Slot()
    def validate(self):
        """Validate; after an earlier validation, reset first (pyblish validates once)."""

        def run(hub, host_id):
            if self._state.processed and self._validation_ran():
                self._reset(hub, host_id)
            hub.validate(host_id)

        self._drive("validate", run)

    @Slot()
    def publish(self):
        self._drive("publish", lambda hub, h: hub.publish(h))

    @Slot()
    def stop(self):
        self._drive("stop", lambda hub, h: hub.stop(h))

    @Slot()
    @Slot(str)
    def publishInBackground(self, title=""):
        """Hand extraction and integration to the queue (on a thread; it waits for the store)."""
        host_id, hub = self._host_id, self._hub
        if not host_id or hub is None or self._handing_off:
            return
        self.driveRequested.emit(host_id, "handoff")
        self._handing_off = host_id
        self._update_controls()
        feed = self.feed

        def run():
            try:
                job_id = hub.handoff(host_id, title or None)
                feed.push({"type": "handoff", "host_id": host_id, "job_id": job_id})
            except Exception as exc:
                log.info("hand-off of host %s failed", host_id, exc_info=True)
                feed.push({"type": "handoff", "host_id": host_id, "error": str(exc)})

        threading.Thread(target=run, name=f"handoff-{host_id}", daemon=True).start()

    @Slot(str, bool)
    def toggle(self, item_id, value):
        """Publish an optional instance or not; run an optional plugin or not."""
        state = self._state
        target = state.instances.get(item_id) or state.plugins.get(item_id)
        if target is None:
            return
        optional = (
            (target.get("data") or {}).get("optional", True)
            if item_id in state.instances
            else target.get("optional")
        )
        if not optional:
            self._say("This item is not optional; it always runs.")
            return
        if not self._drive("toggle", lambda hub, h: hub.toggle(h, item_id, bool(value))):
            return
        self._update_rows(state.toggle(item_id, bool(value)))
        self._update_controls()

    @Slot(str)
    def toggleSection(self, section_id):
        collapsed = self._state.collapsed
        if section_id in collapsed:
            collapsed.discard(section_id)
        else:
            collapsed.add(section_id)
        self._set_all_rows()

    @Slot(str, result="QVariantList")
    def actionsOf(self, plugin_id):
        """The plugin's actions its ``on`` filters allow now, plus Repair when it has one."""
        state = self._state
        plugin = state.plugins.get(plugin_id)
        if plugin is None:
            return []
        failed = state.failed.get(plugin_id, 0) > 0
        out = [
            {
                "id": a["id"],
                "label": a.get("label") or "",
                "type": a.get("type", "action"),
                "icon": a.get("icon") or "",
            }
            for a in publishstate.actions_for(plugin, state.processed.get(plugin_id, 0) > 0, failed)
        ]
        if plugin.get("hasRepair") and failed:
            out.append({"id": "", "label": "Repair", "type": "repair", "icon": "wrench"})
        return out

    @Slot(str, str)
    def act(self, plugin_id, action_id):
        """Run a plugin action (an empty id runs the plugin's repair)."""
        if not action_id:
            self.repair(plugin_id)
            return
        self._drive("act", lambda hub, h: hub.act(h, plugin_id, action_id))

    @Slot(str)
    def repair(self, plugin_id):
        self._drive("repair", lambda hub, h: hub.repair(h, plugin_id))

    @Slot(str)
    def setComment(self, text):
        """Write the comment into the host's context data."""
        if text == self.comment:
            return
        if self._drive("comment", lambda hub, h: hub.comment(h, text)):
            self._state.set_comment(text)
            self.commentChanged.emit()
            self._update_rows({self._state.context_id})

    # -- slots: the page ------------------------------------------------------------------

    @Slot(str)
    def openDetail(self, item_id):
        try:
            detail = self._state.detail(item_id)
        except KeyError:
            return
        self._detail_id, self._detail = item_id, detail
        self.detailChanged.emit()

    @Slot()
    def closeDetail(self):
        if self._detail_id:
            self._detail_id, self._detail = "", {}
            self.detailChanged.emit()

    @Slot(str)
    def setTab(self, tab):
        if tab in ("items", "terminal") and tab != self._tab:
            self._tab = tab
            self.tabChanged.emit()

    @Slot(str)
    def setTextFilter(self, text):
        if self.record_proxy.set_text(text):
            self.filterChanged.emit()

    @Slot(str, bool)
    def setLevel(self, level, on):
        if self.record_proxy.set_level(level, on):
            self.filterChanged.emit()

    # -- the current host ------------------------------------------------------------------

    def _follow_app(self):
        host_id = self._session.app.currentHostId
        if host_id != self._host_id:
            self.load(host_id)

    def load(self, host_id: str) -> None:
        """Show ``host_id``'s page, rebuilt from what the hub keeps for it."""
        self._host_id = host_id
        self.feed.take()  # events of the page before; the hub's state has them
        snapshot, items, results = {}, _EMPTY, []
        if host_id and self._hub is not None:
            try:
                snapshot = self._hub.host(host_id)
                items = self._hub.items(host_id)
                results = self._hub.results(host_id)
            except (KeyError, AttributeError):  # gone, or a hub without a Publish side
                log.debug("no publish state for host %s", host_id, exc_info=True)
                if not snapshot:
                    snapshot = self._known_snapshot(host_id)
        settings = publishstate.app_settings()
        host_settings = publishstate.check_settings(items.get("settings"))
        settings.update(host_settings)
        self._state = PageState(items, results, settings)
        self._snapshot = dict(snapshot)
        self._state.set_current(*self._current_of(snapshot))
        self._set_all_rows()
        self.record_model.set_records(self._state.records)
        self._sent = len(self._state.records)
        self._detail_id, self._detail = "", {}
        self._set_notice("")
        self.detailChanged.emit()
        self.hostChanged.emit()
        self.settingsChanged.emit()
        self.commentChanged.emit()
        self._update_controls()
        if "WindowSize" in host_settings or "WindowPosition" in host_settings:
            self._request_geometry()

    def drain(self) -> int:
        """Take the buffered hub events of the current host into the page."""
        events = self.feed.take()
        if not events:
            return 0
        state = self._state
        changed: set = set()
        reload_items = False
        snapshot = None
        host_id = self._host_id
        for event in events:
            kind = event["type"]
            if kind == "handoff":
                self._handed_off(event)
                continue
            if event.get("host_id", (event.get("host") or {}).get("id")) != host_id:
                continue
            if kind == "result":
                result = event["result"]
                changed |= state.add_result(result)
                if result.get("instance") is None and result.get("kind", "process") == "process":
                    reload_items = True  # a context plugin may add or remove instances
            elif kind == "host_changed":
                snapshot = event["host"]
                done = (snapshot.get("progress") or {}).get("done", 0)
                if done < sum(state.processed.values()):  # the host was reset
                    self.load(host_id)
                    return len(events)
        if reload_items and self._hub is not None:
            try:
                state.load_items(self._hub.items(host_id))
            except KeyError:
                pass
            self._set_all_rows()
            self.settingsChanged.emit()  # the collected scene may name the window
        elif changed:
            self._update_rows(changed)
        if len(state.records) > self._sent:
            self.record_model.append(state.records[self._sent :])
            self._sent = len(state.records)
        if snapshot is not None:
            self._snapshot = dict(snapshot)
            self._update_rows(state.set_current(*self._current_of(snapshot)))
        if self._detail_id and (self._detail_id in changed or reload_items):
            self.openDetail(self._detail_id)
        self._update_controls()
        return len(events)

    # -- internals -----------------------------------------------------------------------

    def _drive(self, verb, call) -> bool:
        host_id, hub = self._host_id, self._hub
        if not host_id or hub is None:
            return False
        self.driveRequested.emit(host_id, verb)
        self._set_notice("")
        try:
            call(hub, host_id)
        except Exception as exc:  # the hub's one-line message (HostUnavailable, KeyError)
            log.info("%s on host %s failed: %s", verb, host_id, exc, exc_info=True)
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            self._say(f"Could not {verb}: {message}")
            return False
        return True

    def _reset(self, hub, host_id):
        comment = self.comment
        hub.reset(host_id)
        if comment:
            hub.comment(host_id, comment)  # runs after the reset, on the host's turn

    def _handed_off(self, event):
        self._handing_off = ""
        if event.get("error"):
            self._say(f"Publish in background failed: {event['error']}")
        self._update_controls()

    def _say(self, text):
        self._set_notice(text)
        if self._session is not None:
            self._session.app.say(text)

    def _set_notice(self, text):
        if text != self._notice:
            self._notice = text
            self.noticeChanged.emit()

    def _known_snapshot(self, host_id):
        try:
            return self._session.hosts.snapshot(host_id)
        except (KeyError, AttributeError):
            return {}

    @staticmethod
    def _current_of(snapshot):
        current = snapshot.get("current") or {}
        return current.get("plugin") or "", current.get("instance") or ""

    def _validation_ran(self) -> bool:
        state = self._state
        return any(
            state.processed.get(pid)
            for pid, p in state.plugins.items()
            if publishstate.stage_name(p["order"]) == "Validate"
        )

    def _set_all_rows(self):
        self.instance_model.set_rows(self._state.instance_rows())
        self.plugin_model.set_rows(self._state.plugin_rows())

    def _update_rows(self, ids):
        if not ids:
            return
        row = self._state.row
        self.instance_model.update(ids, row)
        self.plugin_model.update(ids, row)

    def _request_geometry(self):
        settings = self._state.settings
        x, y = settings["WindowPosition"]
        w, h = settings["WindowSize"]
        self.geometryRequested.emit(x, y, w, h)

    def _update_controls(self):
        snap, state = self._snapshot, self._state
        host_state = snap.get("state") or ""
        connected = bool(snap.get("connected"))
        busy = host_state in BUSY_STATES
        free = connected and not busy and not self._handing_off
        handed = host_state == "handed off"
        extracted = state.started_extraction()
        controls = {
            "reset": free,
            "validate": free and not handed and not extracted and not snap.get("validated"),
            "publish": free and not handed and host_state not in ("finished", "failed"),
            "stop": connected and busy,
            "handoff": free and not handed and not extracted and bool(snap.get("validated")),
            "comment": connected and not handed,
        }
        status = self._status_of(snap, state, busy)
        shown = (controls, status, snap)
        if shown != self._shown:
            self._shown = shown
            self._controls, self._status = controls, status
            self.controlsChanged.emit()

    def _status_of(self, snap, state, busy):
        if not snap:
            return ("Pick a host on the Overview", "idle")
        host_state = snap.get("state") or ""
        progress = snap.get("progress") or {}
        errors = state.error_count()
        if self._handing_off:
            return ("Handing extraction and integration to the queue…", "running")
        if not snap.get("connected"):
            return ("Disconnected: call show() in that session to reconnect it", "idle")
        if host_state == "handed off":
            job = (snap.get("job_id") or "")[:8]
            return (f"Handed off as job {job}: extraction runs in the queue", "handed off")
        if busy:
            current = snap.get("current") or {}
            where = " · ".join(p for p in (current.get("plugin"), current.get("instance")) if p)
            done, total = progress.get("done", 0), progress.get("total", 0)
            text = f"{host_state.capitalize()}: {done} / {total}"
            return (text + (f" · {where}" if where else ""), "running")
        if host_state == "failed":
            stage = "Validation" if not state.started_extraction() else "Publish"
            return (f"{stage} failed: {publishstate.plural(errors, 'error')}", "failed")
        if host_state == "finished":
            return (f"Published: {progress.get('done', 0)} steps", "finished")
        if snap.get("validated"):
            left = state.steps_left()
            return (f"Validation passed: {left} extract and integrate steps left", "finished")
        return ("Ready", "idle")
