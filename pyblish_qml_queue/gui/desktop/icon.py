"""The tray icon's picture and menu: a "P" flag in the state's colour, a dark menu.

No state here: :class:`~pyblish_qml_queue.gui.desktop.tray.Tray` decides what to show.
The painting and menu classes are imported when the icon is first built (right after the
app's first frame), not with the tray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QSystemTrayIcon

if TYPE_CHECKING:
    from PySide6.QtGui import QPixmap

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


def draw_icon(state: str, count: int = 0, size: int = 64) -> QPixmap:
    """The tray icon for a state: a "P" flag in the state's colour, with a badge for
    the running count or a "!" for a failure."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPixmap

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


def hosts_text(n: int) -> str:
    return f"{n} host{'s' if n != 1 else ''}"


def tooltip_text(hosts: int, running: int, waiting: int, failed: int, paused: bool) -> str:
    """The tray icon's tool tip: hosts, running, then what needs a look."""
    parts = [hosts_text(hosts), f"{running} running"]
    if waiting:
        parts.append(f"{waiting} waiting for farm")
    if failed:
        parts.append(f"{failed} failed")
    if paused:
        parts.append("queue paused")
    return "pyblish-qml-queue: " + ", ".join(parts)


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def build_menu(entries, checkable=("notifications",)):
    """The tray menu in the app's theme.

    Args:
        entries: ``(key, text, slot)`` per action, None for a separator. A
            checkable action calls ``slot(checked)`` when toggled, the others
            ``slot()`` when triggered.
        checkable: the keys of the actions with a check box.

    Returns:
        ``(menu, {key: QAction})``; the menu has no parent (a QMenu's parent must
        be a widget): its owner deletes it.
    """
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu

    menu = QMenu()
    menu.setObjectName("trayMenu")
    menu.setStyleSheet(MENU_STYLE)
    actions = {}
    for entry in entries:
        if entry is None:
            menu.addSeparator()
            continue
        key, text, slot = entry
        action = QAction(text, menu)
        action.setObjectName(f"tray:{key}")
        if key in checkable:
            action.setCheckable(True)
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda checked=False, run=slot: run())
        menu.addAction(action)
        actions[key] = action
    return menu, actions
