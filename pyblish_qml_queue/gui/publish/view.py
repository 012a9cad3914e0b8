"""The ``Publish`` singleton: the Publish page of the host open in the app.

QML imports it as ``import PyblishQueue.Backend``. It shows one host at a time
(the one ``App.currentHostId`` names): on a switch it rebuilds the page from
what the hub keeps for that host (``items()``, ``results()``), so every host's
progress survives a switch. Live, it takes the hub's events for that host in
batches on the GUI thread from the session's event bridge
(:attr:`~pyblish_qml_queue.gui.bridge.EventBridge.pageEvents`, the one path from
the hub to the GUI) and changes only the rows a step touched.

Buttons hand work to the hub (which returns at once); the hand-off, which
blocks until the job is stored, runs on a short-lived thread whose outcome
comes back through the same bridge.

This module is what QML reads and calls: the properties and the slots. The
viewmodel has the parts that do the work, none of them a QObject: a
:class:`~pyblish_qml_queue.gui.publish.page.PublishPage` (rows, Terminal
filters, detail, tab), a :class:`~pyblish_qml_queue.gui.publish.handoff.HandOff`
(the hand-off thread); :mod:`~pyblish_qml_queue.gui.publish.feed` reads a host's
page from the hub and takes its events in, and
:mod:`~pyblish_qml_queue.gui.publish.host` says which buttons are enabled and
what the status line reads.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.gui.publish import feed
from pyblish_qml_queue.gui.publish import rules as publishrules
from pyblish_qml_queue.gui.publish.handoff import HandOff
from pyblish_qml_queue.gui.publish.host import (
    Controls,
    current_of,
    scene_of,
    validation_ran,
    window_title,
)
from pyblish_qml_queue.gui.publish.page import PublishPage
from pyblish_qml_queue.gui.publish.state import PageState
from pyblish_qml_queue.gui.singletons import SESSIONS

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlSingleton
class Publish(QObject):
    """Instances, plugins, Terminal, detail and controls of the current host's publish.

    Args:
        session: the app's :class:`~pyblish_qml_queue.gui.session.Session` (its
            hub, its bridge, its App viewmodel); None for a page with no host.
        parent: the Qt parent (the session).
    """

    hostChanged = Signal()
    controlsChanged = Signal()
    commentChanged = Signal()
    settingsChanged = Signal()
    detailChanged = Signal()
    tabChanged = Signal()
    filterChanged = Signal()
    noticeChanged = Signal()
    #: Honour pyblish_qml.settings WindowPosition/WindowSize: x, y, width, height.
    geometryRequested = Signal(int, int, int, int)

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self._session = session
        self._hub = getattr(session, "hub", None)
        self._bridge = getattr(session, "bridge", None)
        self.page = PublishPage(self)
        self._host_id = ""
        self._snapshot: dict = {}
        self._controls = Controls()
        self._handoff = HandOff()
        if self._bridge is not None:
            self._bridge.pageEvents.connect(self.take)
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
        """Stop taking the hub's events (the bridge and the hub belong to the session)."""
        if self._bridge is not None:
            try:
                self._bridge.pageEvents.disconnect(self.take)
            except (RuntimeError, TypeError):  # already gone with the session
                pass
            self._bridge = None

    # -- the page's own side (tests and the benchmark read these) ------------------------

    @property
    def state(self) -> PageState:
        return self.page.state

    @property
    def instance_model(self):
        return self.page.instance_model

    @property
    def plugin_model(self):
        return self.page.plugin_model

    @property
    def record_model(self):
        return self.page.record_model

    # -- properties --------------------------------------------------------------------

    @Property(QObject, constant=True)
    def instances(self):
        return self.page.instance_model

    @Property(QObject, constant=True)
    def plugins(self):
        return self.page.plugin_model

    @Property(QObject, constant=True)
    def records(self):
        return self.page.record_proxy

    @Property(bool, notify=detailChanged)
    def detailOpen(self):
        return bool(self.page.detail_id)

    @Property("QVariantMap", notify=detailChanged)
    def detail(self):
        return self.page.detail

    @Property(str, notify=noticeChanged)
    def notice(self):
        """The outcome of the last button on this page when it went wrong (one line)."""
        return self.page.notice

    @Property(str, notify=tabChanged)
    def tab(self):
        return self.page.tab

    @Property(str, notify=filterChanged)
    def textFilter(self):
        return self.page.record_proxy.text

    @Property("QVariantMap", notify=filterChanged)
    def levels(self):
        return self.page.levels()

    @Property(str, notify=hostChanged)
    def hostId(self):
        return self._host_id

    @Property("QVariantMap", notify=controlsChanged)
    def host(self):
        return self._snapshot

    @Property(str, notify=controlsChanged)
    def status(self):
        return self._controls.status[0]

    @Property(str, notify=controlsChanged)
    def statusState(self):
        return self._controls.status[1]

    @Property("QVariantMap", notify=controlsChanged)
    def can(self):
        """Which buttons are enabled: reset, validate, publish, stop, handoff, comment."""
        return self._controls.can

    @Property(str, notify=controlsChanged)
    def handoffWhyNot(self):
        """Why Publish in background is disabled ("" when it is enabled), for its tooltip."""
        return self._controls.handoff_why_not

    @Property(bool, notify=controlsChanged)
    def handingOff(self):
        return bool(self._handoff.host_id)

    @Property(str, notify=commentChanged)
    def comment(self):
        return str((self.page.state.context.get("data") or {}).get("comment") or "")

    @Property(str, notify=settingsChanged)
    def windowTitle(self):
        return window_title(self._snapshot, self.page.state)

    @Property(str, notify=controlsChanged)
    def scene(self):
        """The scene's file name: as the host registered, else as collected (currentFile)."""
        return scene_of(self._snapshot, self.page.state)

    @Property(str, notify=settingsChanged)
    def contextLabel(self):
        return self.page.state.settings["ContextLabel"]

    # -- slots: the page -----------------------------------------------------------------

    @Slot(str)
    def toggleSection(self, section_id):
        self.page.toggle_section(section_id)

    @Slot(str)
    def openDetail(self, item_id):
        if self.page.open_detail(item_id):
            self.detailChanged.emit()

    @Slot()
    def closeDetail(self):
        if self.page.close_detail():
            self.detailChanged.emit()

    @Slot(str)
    def setTab(self, tab):
        if self.page.set_tab(tab):
            self.tabChanged.emit()

    @Slot(str)
    def setTextFilter(self, text):
        if self.page.record_proxy.set_text(text):
            self.filterChanged.emit()

    @Slot(str, bool)
    def setLevel(self, level, on):
        if self.page.record_proxy.set_level(level, on):
            self.filterChanged.emit()

    # -- slots: the host -----------------------------------------------------------------

    @Slot()
    def reset(self):
        """Collect again; the comment box's text stays and is written into the new context."""
        self._drive("reset", self._reset)

    @Slot()
    def validate(self):
        """Validate; after an earlier validation, reset first (pyblish validates once)."""

        def run(hub, host_id):
            if self.page.state.processed and validation_ran(self.page.state):
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
        if not host_id or hub is None or self._bridge is None or self._handoff.host_id:
            return
        thread = self._handoff.begin(hub, host_id, title or None, self._bridge.hub_sink())
        self._update_controls()
        thread.start()

    @Slot(str, bool)
    def toggle(self, item_id, value):
        """Publish an optional instance or not; run an optional plugin or not."""
        state = self.page.state
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
        self.page.update_rows(state.toggle(item_id, bool(value)))
        self._update_controls()

    @Slot(str, result="QVariantList")
    def actionsOf(self, plugin_id):
        """The plugin's actions its ``on`` filters allow now, plus Repair when it has one."""
        state = self.page.state
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
            self.page.state.set_comment(text)
            self.commentChanged.emit()
            self.page.update_rows({self.page.state.context_id})

    # -- the current host ------------------------------------------------------------------

    def _follow_app(self):
        host_id = self._session.app.currentHostId
        if host_id != self._host_id:
            self.load(host_id)

    def load(self, host_id: str) -> None:
        """Show ``host_id``'s page, rebuilt from what the hub keeps for it."""
        self._host_id = host_id
        if self._bridge is not None:
            self._bridge.forget_page_events(host_id)  # before now: the hub's state has them
        self._snapshot, state, host_settings = feed.read_page(
            self._hub, host_id, self._known_snapshot
        )
        self._show_state(state)
        self.hostChanged.emit()
        self.settingsChanged.emit()
        self.commentChanged.emit()
        self._update_controls()
        if "WindowSize" in host_settings or "WindowPosition" in host_settings:
            self._request_geometry()

    def drain(self) -> int:
        """Hand out what the session's bridge holds now, this page's events among
        them (tests and the benchmark; the bridge's timer does it otherwise)."""
        return self._bridge.drain() if self._bridge is not None else 0

    @Slot(list)
    def take(self, events: list) -> int:
        """Take a batch of hub events (the bridge's ``pageEvents``) into the page:
        the current host's results, snapshots and removal, and hand-off outcomes."""
        if not events:
            return 0
        state, host_id = self.page.state, self._host_id
        taken = feed.take_events(state, events, host_id, self._handed_off)
        if taken.reset:
            self.load(host_id)
            return len(events)
        if taken.reload_items and self._hub is not None:
            feed.reload_items(self._hub, state, host_id)
            self.page.set_all_rows()
            self.settingsChanged.emit()  # the collected scene may name the window
        elif taken.changed:
            self.page.update_rows(taken.changed)
        self.page.show_new_records()
        if taken.snapshot is not None:
            self._snapshot = dict(taken.snapshot)
            self.page.update_rows(state.set_current(*current_of(taken.snapshot)))
        detail_id = self.page.detail_id
        if detail_id and (detail_id in taken.changed or taken.reload_items):
            self.openDetail(detail_id)
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
        notice = self._handoff.finished(event)
        if notice:
            self._say(notice)
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
        settings = self.page.state.settings
        x, y = settings["WindowPosition"]
        w, h = settings["WindowSize"]
        self.geometryRequested.emit(x, y, w, h)

    def _update_controls(self):
        if self._controls.update(self._snapshot, self.page.state, self._handoff.host_id):
            self.controlsChanged.emit()

    def _show_state(self, state: PageState) -> None:
        """Show ``state`` from scratch: every row and record; the detail closes."""
        self.page.show_state(state)
        self._set_notice("")
        self.detailChanged.emit()

    def _set_notice(self, text):
        if self.page.set_notice(text):
            self.noticeChanged.emit()
