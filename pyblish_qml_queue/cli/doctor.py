"""``pyblish-qml-queue doctor``: check what the app needs and say how to fix what is wrong.

No Qt import in this process: Qt is probed in a child process, because a missing platform plugin
aborts the process that tries it.

``doctor --node`` checks a farm node instead, with the checks of :mod:`doctor_node`: the
broker, Celery and pyblish, plugin paths, the snapshot folder and the DCC interpreters. It needs
no display and opens no job store.

``doctor --salvage`` and ``--ack`` (the stores moved aside) are in :mod:`doctor_store`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
from typing import Callable, Optional

from pyblish_qml_queue.cli.doctor_store import moved_aside
from pyblish_qml_queue.common import paths
from pyblish_qml_queue.queue import spool

log = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warning", "failed"

#: ``extra=`` keeping a record off stderr (the CLI prints the check's line instead).
_LOG_ONLY = {"console": False}

#: The Qt probe, run in a child process: it prints JSON (platform, tray, versions).
_QT_PROBE = [sys.executable, "-m", "pyblish_qml_queue.gui.probe"]


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
        result = subprocess.run(_QT_PROBE, capture_output=True, text=True, timeout=timeout)
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
        error = probe["error"]
        if "No module named" in stderr:
            fix = "install PySide6: pip install pyblish-qml-queue"
        elif "could not connect to display" in stderr:
            shown = os.environ.get("DISPLAY") or "not set"
            error = f"no display to connect to (DISPLAY is {shown})"
            fix = (
                "run the app inside a desktop session (or set DISPLAY), or headless with "
                "QT_QPA_PLATFORM=offscreen"
            )
        else:
            fix = (
                "on Linux install the xcb libraries (apt-get install libxcb-cursor0 "
                "libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxkbcommon-x11-0 libegl1), "
                "or run headless with QT_QPA_PLATFORM=offscreen"
            )
        return [Check("qt", FAIL, f"Qt cannot start: {error}", fix)]
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
                f"no system tray on the '{probe['platform']}' platform: the app stays a "
                "normal window with the same menu (the ☰ button in its header), closing it "
                "quits, and notifications show in its status line",
                _tray_fix(probe["platform"]),
            )
        )
    return checks


def _tray_fix(platform: str) -> str:
    if platform == "offscreen":
        return "unset QT_QPA_PLATFORM (it is 'offscreen') to run the app on a desktop"
    if platform in ("xcb", "wayland"):
        return (
            "on GNOME install the AppIndicator extension (gnome-shell-extension-appindicator) "
            "and log in again; other desktops need a status-notifier tray"
        )
    return ""


def check_store(path: Optional[str] = None) -> list:
    path = path or paths.store_path()
    from pyblish_qml_queue.queue.sqlite.store import (
        SQLiteJobStore,  # the core opens SQLite only when asked
    )
    from pyblish_qml_queue.queue.store import StoreError

    existed = os.path.exists(path)
    try:
        store = SQLiteJobStore(path, full_check=True)  # quick_check, however it was closed
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
                "jobs in the old file are not queued; 'pyblish-qml-queue doctor --salvage' "
                "puts back those it still holds",
            )
        )
    for moved in moved_aside(path):
        if moved != recovered:
            checks.append(
                Check(
                    "store",
                    WARN,
                    f"a damaged store was moved aside to {moved}; its jobs are not in the queue",
                    "run 'pyblish-qml-queue doctor --salvage' to put back in the queue the "
                    "jobs it still holds, or 'pyblish-qml-queue doctor --ack' to stop this "
                    "warning",
                )
            )
    return checks


def check_spool(folder: Optional[str] = None) -> list:
    folder = folder or paths.spool_dir()
    if not os.path.isdir(folder):
        return [Check("spool", OK, f"{folder}: empty (created when a host hands off offline)")]
    waiting = [n for n in os.listdir(folder) if n.endswith(".json")]
    rejected_dir = os.path.join(folder, spool.REJECTED)
    rejected = spool.rejected(folder)
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
                f"{len(rejected)} spooled job(s) were rejected, the latest "
                f"{rejected[-1][0]}: {rejected[-1][1]}",
                f"read the .reason.txt files in {rejected_dir}; fix and move a file back into "
                f"{folder} to run it, or delete it",
            )
        )
    return checks


def check_link(timeout: float = 5.0) -> list:
    """The runtime file and the link: is an app or ``serve`` running, and does it answer us?

    Connects like a host does (authkey challenge), pings, and compares protocol versions.
    """
    from pyblish_qml_queue.common import wire
    from pyblish_qml_queue.common.wire import PROTOCOL_VERSION, ConnectionLost, RemoteError, client

    checks = _check_authkey()
    path = wire.runtime_file()
    try:
        with open(path) as f:
            info = json.load(f)
    except FileNotFoundError:
        return checks + [Check("link", OK, "no app or serve runs now (no runtime file)")]
    except (OSError, ValueError) as error:
        return checks + [
            Check(
                "link",
                FAIL,
                f"the runtime file {path} cannot be read: {error}",
                f"delete {path}; the next app writes a fresh one",
            )
        ]
    pid = info.get("pid") if isinstance(info, dict) else None
    address = info.get("address", "?") if isinstance(info, dict) else "?"
    if not wire.pid_alive(pid):
        return checks + [
            Check(
                "link",
                WARN,
                f"stale runtime file {path}: its app (pid {pid}) is not running",
                "nothing to do: the next app replaces it (or delete it)",
            )
        ]
    if info.get("protocol") != PROTOCOL_VERSION:
        return checks + [
            Check(
                "link",
                FAIL,
                f"the running app (pid {pid}) speaks protocol {info.get('protocol')}, "
                f"this install speaks {PROTOCOL_VERSION}",
                "install the same pyblish-qml-queue version for the app and the hosts, "
                "then restart the app",
            )
        ]
    link = client.Client("doctor", connect_timeout=timeout)
    try:
        link.open()
    except client.KeyRefused:
        return checks + [
            Check(
                "link",
                FAIL,
                f"the app (pid {pid}) refused our authkey ({wire.authkey_file()})",
                "quit the app and start it again so it and its hosts share a fresh key",
            )
        ]
    except client.NotRunning as error:
        return checks + [
            Check(
                "link",
                FAIL,
                f"pid {pid} runs but the link at {address} does not answer: {_failure(error)}",
                f"quit that process (kill {pid}) or, if it is not ours, delete {path}",
            )
        ]
    started = time.monotonic()
    try:
        reply = link.request("ping", {}, timeout=timeout)
    except (RemoteError, ConnectionLost) as error:
        return checks + [
            Check(
                "link",
                FAIL,
                f"the app (pid {pid}) accepted our authkey but did not answer a ping: {error}",
                f"quit the app (kill {pid}) and start it again",
            )
        ]
    finally:
        link.close()
    millis = (time.monotonic() - started) * 1000
    version = (reply or {}).get("protocol")
    if version != PROTOCOL_VERSION:
        return checks + [
            Check(
                "link",
                FAIL,
                f"the app (pid {pid}) answers protocol {version}, we speak {PROTOCOL_VERSION}",
                "install the same pyblish-qml-queue version for the app and the hosts",
            )
        ]
    return checks + [
        Check(
            "link",
            OK,
            f"app pid {pid} listens at {address}: authkey accepted, protocol {version}, "
            f"ping {millis:.0f} ms",
        )
    ]


def _check_authkey() -> list:
    from pyblish_qml_queue.common import wire

    path = wire.authkey_file()
    if not os.path.exists(path) or sys.platform == "win32":
        return []
    if os.stat(path).st_mode & 0o077:
        return [
            Check(
                "link",
                WARN,
                f"the authkey {path} is readable by other users",
                "restart the app: it replaces a key others can read",
            )
        ]
    return []


def _failure(error) -> str:
    """Why nothing answers at the app's address: the OS error, when there was one."""
    cause = error.__cause__ or error.__context__
    return str(cause) if isinstance(cause, OSError) else "nothing accepts connections there"


def run_checks(
    extra: Optional[list] = None,
    qt_probe: Callable[[], dict] = probe_qt,
    steps: Optional[list] = None,
) -> list:
    """Every check, in the order they are printed. ``extra`` adds callables returning checks;
    ``steps`` replaces the workstation's (e.g. ``doctor_node.node_checks``)."""
    checks = []
    if steps is None:
        steps = [lambda: check_qt(qt_probe()), check_store, check_spool, check_link]
    for step in [*steps, *(extra or [])]:
        try:
            checks.extend(step())
        except Exception as error:  # a broken check must not hide the others
            name = getattr(step, "__name__", "check").replace("check_", "")
            log.error("doctor: the %s check failed", name, exc_info=True, extra=_LOG_ONLY)
            checks.append(
                Check(
                    name,
                    FAIL,
                    f"the check itself failed: {error}",
                    "run with --debug",
                )
            )
    return checks


def failed(checks: list) -> bool:
    """Whether any check failed (warnings do not count): the exit code of ``doctor``."""
    return any(check.status == FAIL for check in checks)


def format_checks(checks: list, one_line: bool = False) -> str:
    """The checks as text; ``one_line``: each check on one line, its fix after ``; fix:``."""
    marks = {OK: "ok  ", WARN: "warn", FAIL: "FAIL"}
    lines = []
    for check in checks:
        fix = f"; fix: {check.fix}" if one_line and check.fix else ""
        lines.append(f"[{marks[check.status]}] {check.name:<9} {check.message}{fix}")
        if check.fix and not one_line:
            lines.append(f"       {'':<9} fix: {check.fix}")
    return "\n".join(lines)
