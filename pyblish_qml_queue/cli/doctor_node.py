"""``pyblish-qml-queue doctor --node``: the checks of a farm node.

The broker, Celery and pyblish, plugin paths, the snapshot folder and the DCC interpreters.
No display and no job store are needed.
"""

from __future__ import annotations

import os
import time
from typing import Optional

from pyblish_qml_queue.cli.doctor import FAIL, OK, WARN, Check


def check_broker(broker: Optional[str] = None) -> list:
    """The broker answers a PING (``--broker``, else ``$PYBLISH_QML_QUEUE_BROKER``)."""
    from pyblish_qml_queue.queue.celery.broker import broker_url, describe_broker, redis_client

    url = broker_url(broker)
    try:
        started = time.monotonic()
        redis_client(url).ping()
    except ImportError as exc:
        return [Check("broker", FAIL, f"redis-py is not installed ({exc})", _CELERY_FIX)]
    except Exception as exc:
        return [
            Check(
                "broker",
                FAIL,
                f"cannot reach the broker at {describe_broker(url)}: {exc}",
                "start Redis there, or name the broker with --broker or $PYBLISH_QML_QUEUE_BROKER",
            )
        ]
    millis = (time.monotonic() - started) * 1000
    return [Check("broker", OK, f"{describe_broker(url)} answers ({millis:.0f} ms)")]


_CELERY_FIX = "pip install 'pyblish-qml-queue[celery]'"


def check_imports() -> list:
    """Celery and pyblish import in this interpreter (the node's)."""
    checks = []
    for name, fix in (("celery", _CELERY_FIX), ("pyblish", "pip install pyblish-base")):
        try:
            module = __import__(name)
        except Exception as exc:
            checks.append(Check(name, FAIL, f"{name} cannot be imported: {exc}", fix))
            continue
        version = getattr(module, "__version__", "?")
        checks.append(Check(name, OK, f"{name} {version} from {os.path.dirname(module.__file__)}"))
    return checks


def _readable_dir(path: str) -> str:
    """Why ``path`` is not a folder this process can list, or ""."""
    if not os.path.isdir(path):
        return "not a folder" if os.path.exists(path) else "does not exist"
    try:
        os.listdir(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def check_plugin_paths() -> list:
    """``PYBLISHPLUGINPATH`` and the targets of the node's path rules (``farm_paths``),
    where jobs' plugin paths land, are readable folders."""
    from pyblish_qml_queue.queue.celery import farmenv

    wanted = [
        ("PYBLISHPLUGINPATH", p)
        for p in os.environ.get("PYBLISHPLUGINPATH", "").split(os.pathsep)
        if p
    ]
    wanted += [("farm_paths", target) for _source, target in farmenv.path_rules()]
    if not wanted:
        return [
            Check(
                "plugins",
                OK,
                "no PYBLISHPLUGINPATH and no farm_paths: jobs bring their plugin paths, "
                "which must be readable here as the workstation wrote them",
            )
        ]
    bad = [(where, p, why) for where, p in wanted for why in [_readable_dir(p)] if why]
    if bad:
        return [
            Check(
                "plugins",
                FAIL,
                f"{path} ({where}) cannot be read: {why}",
                "mount the studio share there, or fix PYBLISHPLUGINPATH / farm_paths",
            )
            for where, path, why in bad
        ]
    return [Check("plugins", OK, f"{len(wanted)} plugin and mapped folder(s) readable")]


def check_snapshot_folder() -> list:
    """The studio snapshot folder (``PYBLISH_QML_QUEUE_SNAPSHOTS`` or "snapshots")."""
    from pyblish_qml_queue.common import snapshots

    folder, shared = snapshots.root()
    if not shared:
        return [
            Check(
                "snapshots",
                WARN,
                f'no studio snapshot folder is set ({snapshots.FOLDER_ENV} or "snapshots" '
                "in settings.json): this check cannot say whether jobs' scene snapshots "
                "are readable here",
                f"set {snapshots.FOLDER_ENV} on the node to the studio folder (as mapped "
                "here by farm_paths)",
            )
        ]
    why = _readable_dir(folder)
    if why:
        return [
            Check(
                "snapshots",
                FAIL,
                f"the snapshot folder {folder} cannot be read: {why}",
                "mount the studio share there, or fix " + snapshots.FOLDER_ENV,
            )
        ]
    return [Check("snapshots", OK, f"{folder} readable")]


def check_interpreters() -> list:
    """Which DCC interpreters this node has, with their versions and the queues
    ``worker --queues auto`` serves (none is a warning: Python jobs only)."""
    from pyblish_qml_queue.queue.celery import dccs

    found = dccs.on_this_node()
    have = [dcc for dcc in found if dcc.application != "python"]
    if not have:
        commands = ", ".join(command for _app, command in dccs.DCC_INTERPRETERS)
        return [
            Check(
                "dcc",
                WARN,
                f"no DCC interpreter found ({commands}): this node runs Python jobs only",
                "put the DCC's bin folder on PATH (or set MAYA_LOCATION / HFS)",
            )
        ]
    queues = ", ".join(dccs.auto_queues(found))
    return [
        Check(
            "dcc",
            OK,
            "found " + ", ".join(dcc.describe() for dcc in have) + f"; --queues auto: {queues}",
        )
    ]


def node_checks(broker: Optional[str] = None) -> list:
    """The checks of ``doctor --node``: no Qt, no job store, no link."""

    def broker_check():
        return check_broker(broker)

    broker_check.__name__ = "check_broker"
    return [
        broker_check,
        check_imports,
        check_plugin_paths,
        check_snapshot_folder,
        check_interpreters,
    ]
