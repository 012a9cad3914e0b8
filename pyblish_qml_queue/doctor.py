"""``pyblish-qml-queue doctor``: check what the app needs and say how to fix what is wrong.

No Qt import in this process: Qt is probed in a child process, because a missing platform plugin
aborts the process that tries it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from typing import Callable, Optional

from .host import paths

log = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warning", "failed"

_QT_PROBE = r"""
import json, sys
from PySide6 import __version__ as pyside
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(sys.argv[:1])
print(json.dumps({"pyside": pyside, "qt": qVersion(), "platform": app.platformName(),
                  "tray": QSystemTrayIcon.isSystemTrayAvailable()}))
"""


@dataclasses.dataclass
class Check:
    """The outcome of one check: what was looked at, what was found, what to do."""

    name: str
    status: str
    message: str
    fix: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def probe_qt(timeout: float = 30.0) -> dict:
    """Start Qt in a child process and report platform and tray, or the error."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", _QT_PROBE], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"Qt did not start within {timeout:.0f} s"}
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        return {
            "error": lines[-1] if lines else f"exit code {result.returncode}",
            "stderr": result.stderr[-4000:],
        }
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"unexpected output from the Qt probe: {result.stdout[:200]!r}"}


def check_qt(probe: dict) -> list:
    if "error" in probe:
        stderr = probe.get("stderr", "")
        fix = (
            "install PySide6: pip install pyblish-qml-queue"
            if "No module named" in stderr
            else "on Linux install the xcb libraries (apt-get install libxcb-cursor0 "
            "libxkbcommon-x11-0 libegl1), or run headless with QT_QPA_PLATFORM=offscreen"
        )
        return [Check("qt", FAIL, f"Qt cannot start: {probe['error']}", fix)]
    checks = [
        Check(
            "qt",
            OK,
            f"Qt {probe['qt']} (PySide6 {probe['pyside']}) on the '{probe['platform']}' platform",
        )
    ]
    if probe["tray"]:
        checks.append(Check("tray", OK, "a system tray is available"))
    else:
        checks.append(
            Check(
                "tray",
                WARN,
                f"no system tray on the '{probe['platform']}' platform: "
                "the app stays a normal window with the same menu",
                "on GNOME install the AppIndicator extension to get a tray icon"
                if probe["platform"] == "xcb"
                else "",
            )
        )
    return checks


def check_store(path: Optional[str] = None) -> list:
    path = path or paths.store_path()
    from .queue.sqlite import SQLiteJobStore  # the core opens SQLite only when asked
    from .queue.store import StoreError

    existed = os.path.exists(path)
    try:
        store = SQLiteJobStore(path)
    except StoreError as error:
        return [
            Check(
                "store",
                FAIL,
                f"the job store at {path} cannot be opened: {error}",
                "check the folder's permissions and free space, or set "
                "PYBLISH_QML_QUEUE_HOME to a local folder",
            )
        ]
    try:
        counts = store.counts()
        recovered = getattr(store, "recovered_from", None)
    finally:
        store.close()
    size = os.path.getsize(path) if os.path.exists(path) else 0
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no jobs"
    checks = [
        Check(
            "store",
            OK,
            f"{path}: {size / 1024:.0f} KiB, quick_check ok, {summary}"
            + ("" if existed else " (created now)"),
        )
    ]
    if recovered:
        checks.append(
            Check(
                "store",
                WARN,
                f"the store was corrupt and was moved to {recovered}; a fresh store started",
                "jobs in the old file are not queued; inspect it with sqlite3",
            )
        )
    return checks


def check_spool(folder: Optional[str] = None) -> list:
    folder = folder or paths.spool_dir()
    if not os.path.isdir(folder):
        return [Check("spool", OK, f"{folder}: empty (created when a host hands off offline)")]
    waiting = [n for n in os.listdir(folder) if n.endswith(".json")]
    rejected_dir = os.path.join(folder, "rejected")
    rejected = (
        [n for n in os.listdir(rejected_dir) if n.endswith(".json")]
        if os.path.isdir(rejected_dir)
        else []
    )
    checks = [
        Check(
            "spool",
            OK if not waiting else WARN,
            f"{folder}: {len(waiting)} job(s) waiting to be ingested",
            "start 'pyblish-qml-queue serve' or the app to run them" if waiting else "",
        )
    ]
    if rejected:
        checks.append(
            Check(
                "spool",
                WARN,
                f"{len(rejected)} spooled job(s) were rejected",
                f"read the .reason.txt files in {rejected_dir}",
            )
        )
    return checks


def run_checks(extra: Optional[list] = None, qt_probe: Callable[[], dict] = probe_qt) -> list:
    """Every check, in the order they are printed. ``extra`` adds callables returning checks."""
    checks = []
    for step in [lambda: check_qt(qt_probe()), check_store, check_spool, *(extra or [])]:
        try:
            checks.extend(step())
        except Exception as error:  # a broken check must not hide the others
            log.exception("doctor check failed")
            checks.append(
                Check(
                    getattr(step, "__name__", "check"),
                    FAIL,
                    f"the check itself failed: {error}",
                    "run with --debug",
                )
            )
    return checks


def format_checks(checks: list) -> str:
    marks = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}
    lines = []
    for check in checks:
        lines.append(f"[{marks[check.status]}] {check.name:<8} {check.message}")
        if check.fix:
            lines.append(f"       {'':<8} fix: {check.fix}")
    return "\n".join(lines)
