"""The ``App`` singleton: pages, the current host, the header's counts and the status line.

Its clock ticks once a second so "4 s ago" labels move; the session stops it on close.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.gui.singletons import SESSIONS, set_and_notify

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlSingleton
class App(QObject):
    """Pages, the current host and the header's counts."""

    pageChanged = Signal()
    currentHostChanged = Signal()
    countsChanged = Signal()
    nowChanged = Signal()
    raiseRequested = Signal()
    #: A message for the status line (errors from actions included).
    messageChanged = Signal()

    PAGES = ("overview", "queue", "publish", "console")

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self._session = session
        self._page = "overview"
        self._host_id = ""
        self._host = {}
        self._counts = (0, 0, 0, 0)  # hosts connected, jobs running, waiting, queue active
        self._now = time.time()
        self._message = ""
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()

    @staticmethod
    def create(engine):
        return SESSIONS.singleton(engine, "app")

    # -- properties ----------------------------------------------------------

    @Property(str, notify=pageChanged)
    def page(self):
        return self._page

    @Property(str, notify=currentHostChanged)
    def currentHostId(self):
        return self._host_id

    @Property("QVariantMap", notify=currentHostChanged)
    def currentHost(self):
        return self._host

    @Property(int, notify=countsChanged)
    def connectedHosts(self):
        return self._counts[0]

    @Property(int, notify=countsChanged)
    def runningJobs(self):
        return self._counts[1]

    @Property(int, notify=countsChanged)
    def waitingJobs(self):
        return self._counts[2]

    @Property(int, notify=countsChanged)
    def activeJobs(self):
        return self._counts[3]

    @Property(float, notify=nowChanged)
    def now(self):
        return self._now

    @Property(str, constant=True)
    def hubAddress(self):
        hub = self._session.hub if self._session else None
        return str(getattr(hub, "address", "") or "") if hub else ""

    @Property(str, notify=messageChanged)
    def message(self):
        return self._message

    # -- slots -----------------------------------------------------------------

    @Slot()
    def showOverview(self):
        self._go("overview")

    @Slot()
    def showQueue(self):
        self._go("queue")

    @Slot()
    def showConsole(self):
        self._go("console")

    @Slot(str)
    def openHost(self, host_id):
        """Open a host's page (the Publish page; a placeholder until that issue lands)."""
        try:
            snapshot = self._session.hosts.snapshot(host_id)
        except KeyError:
            self.say(f"Host {host_id} is gone; pick another card on the Overview.")
            return
        self._set_host(host_id, snapshot)
        self._go("publish")

    @Slot(str)
    def showJob(self, job_id):
        """Open the Queue page with ``job_id`` selected and in view (a card's "Show in Queue")."""
        self._session.queue.reveal(job_id)
        self._go("queue")

    @Slot(str)
    def say(self, text):
        set_and_notify(self, "_message", text, self.messageChanged)

    # -- from the session ------------------------------------------------------

    def host_updated(self, snapshot):
        if snapshot["id"] == self._host_id:
            self._set_host(self._host_id, snapshot)

    def host_removed(self, host_id):
        if host_id == self._host_id:
            self._set_host("", {})
            if self._page == "publish":
                self._go("overview")

    def show_host(self, host_id):
        self.openHost(host_id)
        self.raiseRequested.emit()

    def set_counts(self, connected, running, waiting, active):
        set_and_notify(self, "_counts", (connected, running, waiting, active), self.countsChanged)

    def _set_host(self, host_id, snapshot):
        if (host_id, snapshot) != (self._host_id, self._host):
            self._host_id, self._host = host_id, dict(snapshot)
            self.currentHostChanged.emit()

    def _go(self, page):
        set_and_notify(self, "_page", page, self.pageChanged)

    def stop(self):
        """Stop the clock (the session is closing)."""
        self._clock.stop()

    def _tick(self):
        self._now = time.time()
        self.nowChanged.emit()
