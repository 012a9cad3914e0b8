"""The system-tray icon, its menu, notifications, and the window's life around them.

The icon shows idle, running (with a count) or failed (a job failed since the
user last looked at the Queue). Its menu: Overview, Queue, Console, Pause /
Resume queue, Notifications, Quit. With a tray, closing the window keeps the
app running in it. Where no tray exists (``isSystemTrayAvailable()`` is false:
offscreen, some Linux desktops) the window stays a normal window with the same
menu behind the ☰ button in its header (``TrayMenuButton.qml``), closing it
quits, and notifications go to the status line. A tray that appears later (a panel
started after the app, a desktop still loading) is watched for every
:data:`WATCH_MS`: the icon then shows, the window's ☰ menu goes and closing the
window keeps the app in the tray, without a restart.

:func:`pyblish_qml_queue.gui.desktop.parts.attach` builds the tray and the console
for one engine before its QML loads; QML reaches them as the ``Tray`` and
``Console`` singletons of ``PyblishQueue.Backend``.
A second ``pyblish-qml-queue app`` asks this one, over the hub's link, to come
to the front: the hub tells its subscribers ``{"type": "raise"}``, and the
session's event bridge (the one path from the hub to the GUI) hands it to the
tray on the GUI thread (``raiseRequested``).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton
from PySide6.QtWidgets import QSystemTrayIcon

from pyblish_qml_queue.common import settings
from pyblish_qml_queue.gui.desktop.icon import (
    FAILED,
    IDLE,
    NOTICE_MS,
    RUNNING,
    build_menu,
    draw_icon,
    hosts_text,
    tooltip_text,
    tray_available,
)
from pyblish_qml_queue.gui.desktop.notify import JobNotifier
from pyblish_qml_queue.gui.desktop.quitting import QuitFlow
from pyblish_qml_queue.gui.queue.jobs import ROLE_IDS as JOB_ROLES
from pyblish_qml_queue.gui.singletons import DESKTOPS

log = logging.getLogger(__name__)

#: How often a missing system tray is looked for (ms).
WATCH_MS = 2000

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlSingleton
class Tray(QObject):
    """The tray icon and menu, notifications, closing and quitting.

    Args:
        app: the QApplication.
        session: the app's :class:`~pyblish_qml_queue.gui.session.Session`.
        available: whether a system tray exists (default: ask Qt, and keep asking
            while there is none).
        ask: the quit question (see :class:`~pyblish_qml_queue.gui.desktop.quitting.QuitFlow`).
        probe: asks whether a tray exists now; while there is none it is asked every
            ``watch_ms`` (default: Qt's answer when ``available`` is not given, else none).
        icon_later: build the icon only when :meth:`show_icon` is called (the app does
            right after its window's first frame), not here.
    """

    stateChanged = Signal()
    availableChanged = Signal()
    labelsChanged = Signal()
    notificationsChanged = Signal()
    pausedChanged = Signal()
    #: A notice was shown (or sent to the status line without a tray).
    noticeShown = Signal(dict)

    def __init__(
        self,
        app,
        session,
        available=None,
        ask=None,
        parent=None,
        probe=None,
        watch_ms=WATCH_MS,
        icon_later=False,
    ):
        super().__init__(parent)
        self._app = app
        self._session = session
        if available is None:
            probe = probe or tray_available
            available = probe()
        self._available = bool(available)
        self._probe = probe
        self._settings = settings.load()
        self._state = IDLE
        self._unseen_failures = set()
        self._last_notice = {}
        self._told_about_tray = False
        self._icon = None
        self._menu = None
        self._actions = {}
        self._window = None
        self._closed = False
        self.quit_flow = QuitFlow(
            session.executor,
            app.quit,
            ask=ask,
            say=session.app.say,
            titles=self._titles,
            parent=self,
        )
        self.notifier = JobNotifier(
            session.jobs, session.store, enabled=self.notifications, parent=self
        )
        self.notifier.notice.connect(self.show_notice)
        self.notifier.failed.connect(self._job_failed)
        session.app.countsChanged.connect(self._update)
        session.app.pageChanged.connect(self._page_changed)
        session.queue.executorChanged.connect(self._paused_changed)
        session.bridge.raiseRequested.connect(self.show_window)
        session.storeDamaged.connect(self.show_store_damaged)
        if self._available and not icon_later:
            self._build_icon()
        app.setQuitOnLastWindowClosed(not self._available)
        self._watch = QTimer(self)
        self._watch.setInterval(int(watch_ms))
        self._watch.timeout.connect(self._look_for_tray)
        if not self._available and self._probe is not None:
            self._watch.start()
        self._update()

    @staticmethod
    def create(engine):
        return DESKTOPS.singleton(engine, "tray")

    # -- properties ------------------------------------------------------------------

    @Property(bool, notify=availableChanged)
    def available(self):
        """Whether the system has a tray (else the window carries the menu)."""
        return self._available

    @Property(str, notify=stateChanged)
    def state(self):
        return self._state

    @Property(bool, notify=notificationsChanged)
    def notifications(self):
        return bool(self._settings.get("notifications", True))

    @Property(bool, notify=pausedChanged)
    def paused(self):
        return bool(self._session.queue.paused)

    @Property(bool, notify=pausedChanged)
    def hasExecutor(self):
        return self._session.executor is not None

    @Property(str, notify=labelsChanged)
    def hostsText(self):
        return hosts_text(self._session.app.connectedHosts)

    @Property(str, notify=labelsChanged)
    def runningText(self):
        n = self._session.app.runningJobs
        return f"{n} running" if n else ""

    @Property(str, notify=labelsChanged)
    def toolTip(self):
        return self._tooltip()

    # -- slots (the menu, in the tray and in the window) ---------------------------------

    @Slot()
    def showOverview(self):
        self._session.app.showOverview()
        self.show_window()

    @Slot()
    def showQueue(self):
        self._session.app.showQueue()
        self.show_window()

    @Slot()
    def showConsole(self):
        self._session.app.showConsole()
        self.show_window()

    @Slot()
    def togglePause(self):
        if self._session.queue.paused:
            self._session.queue.resume()
        else:
            self._session.queue.pause()

    @Slot(bool)
    def setNotifications(self, on):
        if on == self.notifications:
            return
        try:
            self._settings = settings.update(notifications=bool(on))
        except OSError as exc:
            log.warning("Could not save the settings: %s", exc)
            self._session.app.say(
                f"Could not save the setting: {exc}; check {settings.settings_path()}."
            )
            self._settings["notifications"] = bool(on)
        self.notifier.enabled = bool(on)
        self.notificationsChanged.emit()
        self._sync_menu()

    @Slot(str)
    def openJob(self, job_id):
        """Show a job in the Queue page (a notification was clicked)."""
        queue = self._session.queue
        if job_id and self._session.jobs.row_of(job_id) >= 0:
            proxy = self._session.job_proxy
            if not any(
                proxy.data(proxy.index(n, 0), JOB_ROLES["jobId"]) == job_id
                for n in range(proxy.rowCount())
            ):
                queue.setStateFilter("")
                queue.setHostFilter("")
                queue.setSearch("")
            queue.select(job_id)
        self.showQueue()

    @Slot(result=str)
    def quit(self):
        """Quit, asking first when jobs run. Returns what was chosen."""
        return self.quit_flow.request()

    @Slot(result=bool)
    def closeWindow(self):
        """The window is closing: True lets it close. With a tray the app goes on in it;
        without one closing quits, so running jobs ask first."""
        if self._available:
            if not self._told_about_tray and self._icon is not None:
                self._told_about_tray = True
                self._icon.showMessage(
                    "pyblish-qml-queue is still running",
                    "Jobs go on in the background. Quit from the tray icon's menu.",
                    QSystemTrayIcon.MessageIcon.Information,
                    NOTICE_MS,
                )
            return True
        if not self.quit_flow.running():
            return True
        self.quit_flow.request()
        return False

    # -- the rest of the app calls these ------------------------------------------------

    def set_window(self, window) -> None:
        self._window = window

    @Slot()
    def show_window(self):
        self._session.app.raiseRequested.emit()
        if self._session.app.page == "queue":
            self._clear_failures()

    def show_notice(self, notice: dict) -> None:
        self._last_notice = dict(notice)
        if self._icon is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Information
                if notice.get("kind") == "succeeded"
                else QSystemTrayIcon.MessageIcon.Critical
            )
            self._icon.showMessage(
                notice["title"], notice["body"] + "\nClick to open", icon, NOTICE_MS
            )
        else:
            self._session.app.say(f"{notice['title']}: {notice['subject']} — {notice['detail']}")
        self.noticeShown.emit(dict(notice))

    def show_store_damaged(self, line: str) -> None:
        """One notice that the job store is damaged (the session tells it once), shown
        whatever the ``notifications`` setting (that one is about jobs ending); without
        a tray the status line already says it. A click opens the Queue."""
        notice = {
            "jobId": "",
            "kind": "store_damaged",
            "title": "Job store damaged",
            "subject": getattr(self._session.store, "path", ""),
            "detail": line,
            "body": line,
        }
        self._last_notice = dict(notice)
        if self._icon is not None:
            self._icon.showMessage(
                notice["title"], line, QSystemTrayIcon.MessageIcon.Critical, NOTICE_MS
            )
        self.noticeShown.emit(dict(notice))

    def notice_clicked(self) -> None:
        self.openJob(self._last_notice.get("jobId", ""))

    def show_icon(self) -> None:
        """Put the icon in the tray now, if there is a tray and the icon is not there yet
        (built with ``icon_later``)."""
        if self._available and self._icon is None and not self._closed:
            self._build_icon()
            self._update()

    def close(self) -> None:
        self._closed = True
        self._watch.stop()
        self.quit_flow.stop()
        if self._icon is not None:
            self._icon.hide()
            self._icon.setContextMenu(None)
            self._icon.deleteLater()
            self._icon = None
        if self._menu is not None:
            self._menu.deleteLater()
            self._menu = None

    # -- internals ----------------------------------------------------------------------

    def _look_for_tray(self) -> None:
        """A tray appeared since the app started: show the icon there from now on."""
        try:
            found = bool(self._probe())
        except Exception:  # a probe that fails is no tray yet
            log.debug("looking for a system tray failed", exc_info=True)
            found = False
        if not found or self._available:
            return
        self._watch.stop()
        self._available = True
        self._build_icon()
        self._app.setQuitOnLastWindowClosed(False)
        self._update()
        log.info("a system tray appeared: the app's icon is in it now")
        self.availableChanged.emit()

    def _build_icon(self) -> None:
        entries = (
            ("overview", "Overview", self.showOverview),
            ("queue", "Queue", self.showQueue),
            ("console", "Console", self.showConsole),
            None,
            ("pause", "Pause queue", self.togglePause),
            ("notifications", "Notifications", self.setNotifications),
            None,
            ("quit", "Quit", self.quit),
        )
        menu, self._actions = build_menu(entries)
        icon = QSystemTrayIcon(self)
        icon.setContextMenu(menu)
        icon.activated.connect(self._activated)
        icon.messageClicked.connect(self.notice_clicked)
        self._menu, self._icon = menu, icon
        self._sync_menu()
        icon.setIcon(_picture(IDLE))
        icon.show()

    def _activated(self, reason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_window()

    def _titles(self, ids) -> list:
        titles = []
        for job_id in ids:
            row = self._session.jobs.rows_by_id.get(job_id)
            titles.append(job_id[:8] if row is None else row.title)
        return titles

    def _job_failed(self, job_id) -> None:
        if self._session.app.page == "queue" and self._window_visible():
            return
        self._unseen_failures.add(job_id)
        self._update()

    def _page_changed(self) -> None:
        if self._session.app.page == "queue":
            self._clear_failures()

    def _clear_failures(self) -> None:
        if self._unseen_failures:
            self._unseen_failures.clear()
            self._update()

    def _paused_changed(self) -> None:
        self.pausedChanged.emit()
        self._sync_menu()

    def _window_visible(self) -> bool:
        return bool(self._window is not None and self._window.isVisible())

    def _update(self) -> None:
        running = self._session.app.runningJobs
        state = FAILED if self._unseen_failures else RUNNING if running else IDLE
        if state != self._state:
            self._state = state
            self.stateChanged.emit()
        self.labelsChanged.emit()
        if self._icon is not None:
            self._icon.setIcon(_picture(state, running))
            self._icon.setToolTip(self._tooltip())
        self._sync_menu()

    def _tooltip(self) -> str:
        app = self._session.app
        return tooltip_text(
            app.connectedHosts,
            app.runningJobs,
            app.waitingJobs,
            len(self._unseen_failures),
            self._session.queue.paused,
        )

    def _sync_menu(self) -> None:
        if not self._actions:
            return
        self._actions["overview"].setText(f"Overview\t{self.hostsText}")
        running = self.runningText
        self._actions["queue"].setText(f"Queue\t{running}" if running else "Queue")
        paused = self._session.queue.paused
        self._actions["pause"].setText("Resume queue" if paused else "Pause queue")
        self._actions["pause"].setEnabled(self._session.executor is not None)
        notifications = self._actions["notifications"]
        if notifications.isChecked() != self.notifications:
            notifications.blockSignals(True)
            notifications.setChecked(self.notifications)
            notifications.blockSignals(False)


def _picture(state: str, count: int = 0):
    """The icon's picture as a QIcon (QtGui's painting classes load with the first one)."""
    from PySide6.QtGui import QIcon

    return QIcon(draw_icon(state, count))
