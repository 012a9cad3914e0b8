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

The page's own side (rows, Terminal filters, detail, tab) is
:class:`~pyblish_qml_queue.gui.publish.page.PublishPage`; which buttons are
enabled and the status line come from :mod:`pyblish_qml_queue.gui.publish.host`.
"""

from __future__ import annotations

import logging
import os
import threading

from PySide6.QtCore import Property, QTimer, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.gui.publish import rules as publishrules
from pyblish_qml_queue.gui.publish.host import (
    EMPTY_ITEMS,
    NO_HOST,
    HubFeed,
    controls_of,
    current_of,
    status_of,
    validation_ran,
)
from pyblish_qml_queue.gui.publish.page import PublishPage
from pyblish_qml_queue.gui.publish.state import PageState
from pyblish_qml_queue.gui.singletons import SESSIONS

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlSingleton
class Publish(PublishPage):
    """Instances, plugins, Terminal, detail and controls of the current host's publish."""

    hostChanged = Signal()
    controlsChanged = Signal()
    commentChanged = Signal()
    settingsChanged = Signal()
    #: Honour pyblish_qml.settings WindowPosition/WindowSize: x, y, width, height.
    geometryRequested = Signal(int, int, int, int)

    def __init__(self, session=None, parent=None, interval=50):
        super().__init__(parent)
        self._session = session
        self._hub = getattr(session, "hub", None)
        self.feed = HubFeed()
        self._unsubscribe = self._hub.subscribe(self.feed.push) if self._hub else None
        self._host_id = ""
        self._snapshot: dict = {}
        self._controls: dict = {}
        self._shown = None
        self._status = NO_HOST
        self._handing_off = ""
        self._timer = QTimer(self)
        self._timer.setInterval(interval)
        self._timer.timeout.connect(self.drain)
        self._timer.start()
        if session is not None:
            session.app.currentHostChanged.connect(self._follow_app)
        self._update_controls()

    @staticmethod
    def create(engine):
        session = SESSIONS.get(engine)
        if session is not None and getattr(session, "publish", None) is None:
            session.publish = Publish(session, session)
        return SESSIONS.singleton(engine, "publish")

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

    # -- slots: the host -----------------------------------------------------------------

    @Slot()
    def reset(self):
        """Collect again; the comment box's text stays and is written into the new context."""
        self._drive("reset", self._reset)

    @Slot()
    def validate(self):
        """Validate; after an earlier validation, reset first (pyblish validates once)."""

        def run(hub, host_id):
            if self._state.processed and validation_ran(self._state):
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

    @Slot(str, result="QVariantList")
    def actionsOf(self, plugin_id):
        """The plugin's actions its ``on`` filters allow now, plus Repair when it has one."""
        state = self._state
        plugin = state.plugins.get(plugin_id)
        if plugin is None:
            return []
        processed = state.processed.get(plugin_id, 0) > 0
        return publishrules.action_menu(plugin, processed, state.failed.get(plugin_id, 0) > 0)

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

    # -- the current host ------------------------------------------------------------------

    def _follow_app(self):
        host_id = self._session.app.currentHostId
        if host_id != self._host_id:
            self.load(host_id)

    def load(self, host_id: str) -> None:
        """Show ``host_id``'s page, rebuilt from what the hub keeps for it."""
        self._host_id = host_id
        self.feed.take()  # events of the page before; the hub's state has them
        snapshot, items, results = {}, EMPTY_ITEMS, []
        if host_id and self._hub is not None:
            try:
                snapshot = self._hub.host(host_id)
                items = self._hub.items(host_id)
                results = self._hub.results(host_id)
            except (KeyError, AttributeError):  # gone, or a hub without a Publish side
                log.debug("no publish state for host %s", host_id, exc_info=True)
                if not snapshot:
                    snapshot = self._known_snapshot(host_id)
        settings = publishrules.app_settings()
        host_settings = publishrules.check_settings(items.get("settings"))
        settings.update(host_settings)
        state = PageState(items, results, settings)
        self._snapshot = dict(snapshot)
        state.set_current(*current_of(snapshot))
        self._show_state(state)
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
        self._show_new_records()
        if snapshot is not None:
            self._snapshot = dict(snapshot)
            self._update_rows(state.set_current(*current_of(snapshot)))
        if self._detail_id and (self._detail_id in changed or reload_items):
            self.openDetail(self._detail_id)
        self._update_controls()
        return len(events)

    # -- internals -----------------------------------------------------------------------

    def _drive(self, verb, call) -> bool:
        host_id, hub = self._host_id, self._hub
        if not host_id or hub is None:
            return False
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

    def _known_snapshot(self, host_id):
        try:
            return self._session.hosts.snapshot(host_id)
        except (KeyError, AttributeError):
            return {}

    def _request_geometry(self):
        settings = self._state.settings
        x, y = settings["WindowPosition"]
        w, h = settings["WindowSize"]
        self.geometryRequested.emit(x, y, w, h)

    def _update_controls(self):
        snap, state = self._snapshot, self._state
        controls = controls_of(snap, state, self._handing_off)
        status = status_of(snap, state, self._handing_off)
        shown = (controls, status, snap)
        if shown != self._shown:
            self._shown = shown
            self._controls, self._status = controls, status
            self.controlsChanged.emit()
