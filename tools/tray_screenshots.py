"""Screenshots of the Console page and of the tray menu with a notification, under Xvfb.

Usage: python tools/tray_screenshots.py [output folder]   (default docs/screenshots)

Needs /usr/bin/Xvfb and, for a real system tray, ``trayer`` (Debian: apt-get install
xvfb trayer). Starts its own Xvfb display and a trayer panel on it, so the tray icon,
its menu and Qt's notification balloon are the real ones; the app runs on sample
data (tools/screenshots.py uses the same).
"""

import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SCREEN = (1024, 640)

#: The Console's sample lines: seconds before the last line | level | source | message.
LINES = [
    tuple(part.strip() for part in row.split(" | ", 3))
    for row in """
-92.0 | INFO | server | Hub ready on the local socket (authkey) · farm signals off · protocol v1
-85.6 | INFO | hosts | Host connected: Maya 2025 pid 48213 on ws-anim-07 (jdoe)
-85.1 | INFO | hosts | Host connected: Houdini 20.5 pid 91877 on ws-fx-12 (mlopez)
-72.8 | INFO | queue | Job 7f3c2a "sh0140 anim caches" enqueued by Maya 2025 pid 48213, 10 steps
-68.8 | INFO | queue | Job 7f3c2a claimed by worker-1, worker-2 (attempt 1/3)
-65.4 | INFO | worker-2 | Step finished: ExtractCameraAlembic · sh0140_cam (3.2 s)
-64.0 | INFO | farm | Job 7f3c2a: beauty submitted as Deadline job 65c2d9e1, waiting for farm
-52.4 | WARNING | hosts | Heartbeat late from Houdini 20.5 pid 91877 on ws-fx-12 (9.8 s)
-40.0 | ERROR | hosts | Reconnect refused: Maya 2025 pid 51990 on ws-lay-02, session expired
-26.5 | INFO | worker-1 | Step finished: ExtractAlembic · CHAR_ben01 (42.1 s, 184.3 MB)
-23.0 | WARNING | worker-1 | ExtractAlembic · CHAR_tom01: 3 shapes without UVs
-19.3 | INFO | farm | Farm signal received: Deadline 64a1f07c "sh0090 comp render", 12/40 tasks
-18.0 | ERROR | farm | Farm signal refused: bad signature (from 10.20.4.117, job 64a1f07c)
-13.9 | INFO | worker-2 | Step finished: ExtractPlayblast · sh0140_playblast (51.7 s)
-11.1 | INFO | queue | Job 3b91e0 "sq030 plate ingest" succeeded: 12 instances in 2 min 48 s
-10.5 | INFO | worker-2 | Step finished: ExtractReviewMov · sh0140_playblast (3.1 s)
-10.0 | INFO | queue | Job c41d77 "sh0170 fx splash sim" claimed by worker-3 (attempt 1/3)
-9.6 | WARNING | farm | Deadline 64a1f07c: task 13 requeued by farm (slave rnd-117 lost)
-9.0 | INFO | worker-1 | ExtractAlembic · CHAR_tom01 frame 1064 / 1120
-6.8 | INFO | hosts | Host exited: Python 3.11 pid 77102 on farm-util-02 (code 0), kept as Finished
-4.1 | ERROR | queue | Job 9e02ab "sh0120 fx debris cache" failed: ExtractVDB: disk full (3/3)
-3.9 | INFO | tray | Notification shown: "Publish failed · sh0120 fx debris cache"
-1.5 | INFO | farm | Farm signal received: Deadline 65c2d9e1 beauty, 1/24 tasks
-0.1 | INFO | worker-1 | Step finished: ExtractAlembic · CHAR_tom01 (26.5 s, 171.9 MB)
0.0 | INFO | worker-1 | Step started: IntegrateAsset · CHAR_ben01
""".strip().splitlines()
]
LEVELNO = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


def start_display():
    """Start Xvfb (and trayer, when installed) on a free display; returns the processes."""
    for number in range(91, 120):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(
            f"/tmp/.X{number}-lock"
        ):
            break
    else:
        raise SystemExit("no free X display number between :91 and :119")
    display = f":{number}"
    size = f"{SCREEN[0]}x{SCREEN[1]}x24"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", size, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if xvfb.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = display
    processes = [xvfb]
    if shutil.which("trayer"):
        processes.append(
            subprocess.Popen(
                [
                    "trayer",
                    "--edge",
                    "bottom",
                    "--align",
                    "right",
                    "--widthtype",
                    "request",
                    "--height",
                    "34",
                    "--tint",
                    "0x262a30",
                    "--transparent",
                    "true",
                    "--alpha",
                    "0",
                    "--expand",
                    "true",
                    "--SetDockType",
                    "true",
                    "--iconspacing",
                    "10",
                    "--padding",
                    "16",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        time.sleep(1.0)
    else:
        print("trayer is not installed: no system tray, the menu shows in the window instead")
    return processes


def fill_console(buffer, now):
    n_filler = 12_431 - len(LINES)
    for n in range(n_filler):  # the older part of the day, scrolled away
        t = now - 3600 + n * (3400 / n_filler)
        level = "WARNING" if n % 140 == 0 else "INFO"
        buffer.add(t, LEVELNO[level], level, "worker-1", f"ExtractAlembic frame {1000 + n % 120}")
    for delta, level, source, message in LINES:
        buffer.add(now + float(delta), LEVELNO[level], level, source, message)


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(ROOT, "docs", "screenshots")
    os.makedirs(out, exist_ok=True)
    os.environ.pop("QT_QPA_PLATFORM", None)
    os.environ.setdefault("QT_QUICK_BACKEND", "software")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = os.path.join(out, ".home-screenshots")
    processes = start_display()
    try:
        return shoot(out)
    finally:
        shutil.rmtree(os.environ["PYBLISH_QML_QUEUE_HOME"], ignore_errors=True)
        for process in reversed(processes):
            process.terminate()
            process.wait(10)


def pump(app, session, seconds=0.4):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        session.bridge.drain()
        app.processEvents()
        time.sleep(0.02)


def shoot(out):
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QColor, QGuiApplication, QLinearGradient, QPainter
    from PySide6.QtWidgets import QApplication, QWidget

    from pyblish_qml_queue.common.logbuffer import LogBuffer
    from pyblish_qml_queue.gui import sample
    from pyblish_qml_queue.gui.app import build_app, session_of, shut_down
    from pyblish_qml_queue.gui.desktop.parts import desktop_of
    from pyblish_qml_queue.queue.memory import MemoryJobStore

    buffer = LogBuffer()
    fill_console(buffer, time.time())
    store = MemoryJobStore()
    sample.fill_store(store, 30)
    hub = sample.SampleHub(sample.sample_hosts())
    executor = sample.SampleExecutor(store)
    app, engine, root = build_app(
        ["screenshots"],
        store=store,
        hub=hub,
        executor=executor,
        tray_options={"log_buffer": buffer},
    )
    session = session_of(engine)
    desktop = desktop_of(engine)
    tray = desktop.tray

    class Wallpaper(QWidget):
        def paintEvent(self, event):
            p = QPainter(self)
            g = QLinearGradient(0, 0, 0, self.height())
            g.setColorAt(0, QColor("#34404e"))
            g.setColorAt(1, QColor("#1d232b"))
            p.fillRect(self.rect(), g)

    wallpaper = Wallpaper()
    wallpaper.setGeometry(0, 0, SCREEN[0], SCREEN[1] - 34)
    wallpaper.show()
    wallpaper.lower()

    # the Console page, in the window
    root.resize(900, 560)
    root.setPosition(40, 20)
    session.app.showConsole()
    pump(app, session, 1.0)
    path = os.path.join(out, "console.png")
    root.grabWindow().save(path)
    print(f"wrote {path}")

    # the tray: the window closed into it, a notification, the menu open
    root.close()
    tray.closeWindow()
    tray._told_about_tray = True
    pump(app, session, 0.5)
    screen = QGuiApplication.primaryScreen()
    if tray.available and tray._icon is not None:
        failed = next(r for r in session.jobs.rows() if r["state"] == "succeeded")
        tray.show_notice(
            {
                "jobId": failed["jobId"],
                "kind": "succeeded",
                "title": "Publish succeeded",
                "subject": "sh0140 anim caches (Maya 2025)",
                "detail": "5 instances in 3 min 12 s",
                "body": "sh0140 anim caches (Maya 2025)\n5 instances in 3 min 12 s",
            }
        )
        pump(app, session, 1.0)
        balloon = screen.grabWindow(0).copy(QRect(SCREEN[0] - 420, SCREEN[1] - 260, 420, 260))
        path = os.path.join(out, "tray-notification.png")
        balloon.save(path)
        print(f"wrote {path}")
        for widget in QApplication.topLevelWidgets():  # Qt's own balloon, where no
            if widget.inherits("QBalloonTip") and widget.isVisible():  # server draws it
                widget.close()
        pump(app, session, 0.3)
        geometry = tray._icon.geometry()
        menu = tray._menu
        size = menu.sizeHint()
        at = QPoint(geometry.center().x() - size.width() + 60, geometry.top() - size.height() - 8)
        menu.popup(at)
        menu.setActiveAction(tray._actions["queue"])
        pump(app, session, 1.0)
        shot = screen.grabWindow(0)
        box = QRect(SCREEN[0] - 500, SCREEN[1] - 400, 500, 400)
    else:
        root.show()
        pump(app, session, 0.5)
        shot = root.grabWindow()
        box = shot.rect()
    path = os.path.join(out, "tray.png")
    shot.copy(box).save(path)
    print(f"wrote {path} (tray available: {tray.available})")
    shut_down(engine)
    wallpaper.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
