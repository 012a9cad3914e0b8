"""The system-tray icon, its menu, notifications, and the window's life around them.

The icon shows idle, running (with a count) or failed (a job failed since the
user last looked at the Queue). Its menu: Overview, Queue, Console, Pause /
Resume queue, Notifications, Quit. With a tray, closing the window keeps the
app running in it. Where no tray exists (``isSystemTrayAvailable()`` is false:
offscreen, some Linux desktops) the window stays a normal window with the same
menu behind the ☰ button in its header (``TrayMenuButton.qml``), closing it
quits, and notifications go to the status line.

:func:`attach` builds these parts for one engine before its QML loads; QML
reaches them as the ``Tray`` and ``Console`` singletons of ``PyblishQueue.Backend``.
A second ``pyblish-qml-queue app`` asks this one, over the hub's link, to come
to the front: the hub tells its subscribers ``{"type": "raise"}``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPainterPath, QPixmap
from PySide6.QtQml import QmlElement, QmlSingleton, QQmlEngine
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from .. import settings
from .console import Console
from .notify import JobNotifier
from .quitting import QuitFlow

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1

IDLE, RUNNING, FAILED = "idle", "running", "failed"
#: Icon colours, as Theme.qml names them (idle, running, error).
COLORS = {IDLE: "#8c8c8c", RUNNING: "#3b9be3", FAILED: "#e04b4b"}
#: How long a tray notification stays (ms).
NOTICE_MS = 8000

#: The tray menu in the app's dark theme (Theme.qml's colours).
MENU_STYLE = """
QMenu { background: #404040; color: #e2e2e2; border: 1px solid #2a2a2a; padding: 4px;
        font-family: "DejaVu Sans"; font-size: 12px; }
QMenu::item { padding: 6px 18px 6px 26px; border-radius: 2px; }
QMenu::item:selected { background: #3b82c4; color: #ffffff; }
QMenu::item:disabled { color: #767676; }
QMenu::separator { height: 1px; background: #575757; margin: 4px 6px; }
QMenu::indicator { width: 12px; height: 12px; left: 7px; }
"""

_PARTS = {}  # engine -> Desktop


def draw_icon(state: str, count: int = 0, size: int = 64) -> QPixmap:
    """The tray icon for a state: a "P" flag in the state's colour, with a badge for
    the running count or a "!" for a failure."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    color = QColor(COLORS.get(state, COLORS[IDLE]))
    # the flag: a pole and a rounded banner, like pyblish's "P"
    flag = QPainterPath()
    flag.addRoundedRect(QRectF(10 * s, 6 * s, 40 * s, 30 * s), 9 * s, 9 * s)
    flag.addRect(QRectF(10 * s, 6 * s, 11 * s, 52 * s))
    p.fillPath(flag.simplified(), color)
    p.setBrush(QColor("#1e1e1e"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QPointF(33 * s, 21 * s), 7 * s, 7 * s)
    badge = str(min(count, 99)) if state == RUNNING and count else "!" if state == FAILED else ""
    if badge:
        r = 14 * s
        center = QPointF(size - r - 1, size - r - 1)
        p.setBrush(QColor("#e04b4b" if state == FAILED else "#2d7fc1"))
        p.setPen(QColor("#ffffff"))
        p.drawEllipse(center, r, r)
        font = QFont("DejaVu Sans")
        font.setBold(True)
        font.setPixelSize(int((18 if len(badge) == 1 else 14) * s))
        p.setFont(font)
        p.drawText(
            QRectF(center.x() - r, center.y() - r, 2 * r, 2 * r),
            Qt.AlignmentFlag.AlignCenter,
            badge,
        )
    p.end()
    return pixmap


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


@QmlElement
@QmlSingleton
class Tray(QObject):
    """The tray icon and menu, notifications, closing and quitting.

    Args:
        app: the QApplication.
        session: the app's :class:`~pyblish_qml_queue.gui.session.Session`.
        available: whether a system tray exists (default: ask Qt).
        ask: the quit question (see :class:`~pyblish_qml_queue.gui.quitting.QuitFlow`).
    """

    stateChanged = Signal()
    labelsChanged = Signal()
    notificationsChanged = Signal()
    pausedChanged = Signal()
    #: A notice was shown (or sent to the status line without a tray).
    noticeShown = Signal(dict)
    _raiseFromHub = Signal()

    def __init__(self, app, session, available=None, ask=None, parent=None):
        super().__init__(parent)
        self._app = app
        self._session = session
        self._available = tray_available() if available is None else bool(available)
        self._settings = settings.load()
        self._state = IDLE
        self._unseen_failures = set()
        self._last_notice = {}
        self._told_about_tray = False
        self._icon = None
        self._menu = None
        self._actions = {}
        self._window = None
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
        self._raiseFromHub.connect(self.show_window, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = None
        hub = session.hub
        if hub is not None and hasattr(hub, "subscribe"):
            self._unsubscribe = hub.subscribe(self._hub_event)
        if self._available:
            self._build_icon()
        app.setQuitOnLastWindowClosed(not self._available)
        self._update()

    @staticmethod
    def create(engine):
        return part_of(engine, "tray")

    # -- properties ------------------------------------------------------------------

    @Property(bool, constant=True)
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
        n = self._session.app.connectedHosts
        return f"{n} host{'s' if n != 1 else ''}"

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
                proxy.data(proxy.index(n, 0), _job_id_role()) == job_id
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

    def notice_clicked(self) -> None:
        self.openJob(self._last_notice.get("jobId", ""))

    def close(self) -> None:
        self.quit_flow.stop()
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:
                log.exception("Could not unsubscribe the tray from the hub")
            self._unsubscribe = None
        if self._icon is not None:
            self._icon.hide()
            self._icon.setContextMenu(None)
            self._icon.deleteLater()
            self._icon = None
        if self._menu is not None:
            self._menu.deleteLater()
            self._menu = None

    # -- internals ----------------------------------------------------------------------

    def _hub_event(self, event) -> None:  # a hub thread: only emit
        if event.get("type") == "raise":
            self._raiseFromHub.emit()

    def _build_icon(self) -> None:
        menu = QMenu()
        menu.setObjectName("trayMenu")
        menu.setStyleSheet(MENU_STYLE)
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
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            key, text, slot = entry
            action = QAction(text, menu)
            action.setObjectName(f"tray:{key}")
            if key == "notifications":
                action.setCheckable(True)
                action.toggled.connect(slot)
            else:
                action.triggered.connect(lambda checked=False, run=slot: run())
            menu.addAction(action)
            self._actions[key] = action
        icon = QSystemTrayIcon(self)
        icon.setContextMenu(menu)
        icon.activated.connect(self._activated)
        icon.messageClicked.connect(self.notice_clicked)
        self._menu, self._icon = menu, icon
        self._sync_menu()
        icon.setIcon(QIcon(draw_icon(IDLE)))
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
            row = self._session.jobs.row_of(job_id)
            titles.append(self._session.jobs.rows()[row]["title"] if row >= 0 else job_id[:8])
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
            self._icon.setIcon(QIcon(draw_icon(state, running)))
            self._icon.setToolTip(self._tooltip())
        self._sync_menu()

    def _tooltip(self) -> str:
        app = self._session.app
        parts = [f"{app.connectedHosts} host{'s' if app.connectedHosts != 1 else ''}"]
        parts.append(f"{app.runningJobs} running")
        if app.waitingJobs:
            parts.append(f"{app.waitingJobs} waiting for farm")
        if self._unseen_failures:
            n = len(self._unseen_failures)
            parts.append(f"{n} failed")
        if self._session.queue.paused:
            parts.append("queue paused")
        return "pyblish-qml-queue: " + ", ".join(parts)

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


def _job_id_role():
    from .jobmodel import ROLE_IDS

    return ROLE_IDS["jobId"]


class Desktop:
    """The parts of one app's desktop shell: tray, console, notifier, quit flow."""

    def __init__(self, app, session, available=None, ask=None, log_buffer=None):
        self.session = session
        self.console = Console(log_buffer, parent=session)
        self.tray = Tray(app, session, available=available, ask=ask, parent=session)

    def set_window(self, window) -> None:
        self.tray.set_window(window)

    def close(self) -> None:
        self.console.stop()
        self.tray.close()


def attach(engine, app, session, available=None, ask=None, log_buffer=None) -> Desktop:
    """Build the desktop parts for ``engine`` (before its QML loads)."""
    desktop = Desktop(app, session, available=available, ask=ask, log_buffer=log_buffer)
    _PARTS[engine] = desktop
    # The session outlives the engine's last QML call (the window closing at shutdown);
    # the Python side of the singletons must live as long, or their slots vanish.
    session.desktop = desktop
    return desktop


def detach(engine) -> None:
    desktop = _PARTS.pop(engine, None)
    if desktop is not None:
        desktop.close()


def desktop_of(engine) -> Desktop:
    return _PARTS[engine]


def part_of(engine, name):
    try:
        obj = getattr(_PARTS[engine], name)
    except KeyError:
        raise RuntimeError(
            "PyblishQueue.Backend has no tray for this engine; build it with "
            "pyblish_qml_queue.gui.app.build_app()"
        ) from None
    QQmlEngine.setObjectOwnership(obj, QQmlEngine.ObjectOwnership.CppOwnership)
    return obj
