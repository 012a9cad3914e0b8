"""The scene snapshot saved at every hand-off: what the worker extracts from.

At hand-off (``submit()``, Publish in background, ``host ID handoff``) the host
adapter saves a copy of the scene exactly as validated, before the job is
stored, into ``<snapshot folder>/<job id>/``. The worker opens it on every
attempt, so edits the artist makes to the live file afterwards are never
published unvalidated. If it cannot be saved, the hand-off is refused and
nothing is queued.

The snapshot folder is ``<home>/snapshots`` by default; a studio folder that
farm nodes can read is set with ``PYBLISH_QML_QUEUE_SNAPSHOTS`` or
``"snapshots"`` in ``<home>/settings.json`` (Celery jobs require one).

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import logging
import os
import shutil
import time

from pyblish_qml_queue.common.snapshots import FOLDER_ENV, root
from pyblish_qml_queue.dcc.base import SnapshotError

log = logging.getLogger(__name__)


class SnapshotRefused(Exception):
    """The scene snapshot could not be saved; nothing was handed off."""


def attach(payload, adapter, dispatch=None):
    """Save the scene's snapshot for ``payload`` and record it in the payload.

    Args:
        payload: a job payload from :func:`pyblish_qml_queue.host.job.build_job`.
        adapter: the host adapter that saves it.
        dispatch: ``dispatch(func)`` running ``func()`` on the DCC's main thread
            and returning when it is done, or None to call it here.

    Returns:
        dict or None: ``{"path", "size", "seconds", "shared"}``, None when the
        host has no scene (plain Python).

    Raises:
        SnapshotRefused: the adapter could not save it; its folder is removed.
    """
    folder_root, shared = root()
    folder = os.path.join(folder_root, payload["id"])
    started = time.time()
    try:
        os.makedirs(folder)
    except OSError as exc:
        raise SnapshotRefused(
            "could not make the snapshot folder %s: %s; nothing was handed off. Check the "
            "folder (or %s) and hand off again." % (folder, exc, FOLDER_ENV)
        )
    box = {}

    def save():
        box["path"] = adapter.save_snapshot(folder)

    try:
        if dispatch is None:
            save()
        else:
            dispatch(save)  # a wrapper runs func() and returns nothing we rely on
        path = box.get("path")
    except (SnapshotError, OSError, RuntimeError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise SnapshotRefused(
            "could not save a snapshot of the %s scene: %s; nothing was handed off. "
            "Fix that (disk space, permissions) and hand off again." % (adapter.label, exc)
        )
    if path is None:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    info = {
        "path": path,
        "size": os.path.getsize(path),
        "seconds": round(time.time() - started, 4),
        "shared": shared,
    }
    payload["snapshot"] = info
    payload["host"]["snapshot"] = path
    log.info("saved the scene snapshot %s (%d bytes) for job %s", path, info["size"], payload["id"])
    return info
