"""The scene a job extracts from: its snapshot, opened before the first remaining step.

Every attempt (first run, resume after kill -9, retry) opens the snapshot the
host saved at hand-off, through the job's host adapter, before any step runs;
if it cannot be opened the job fails with that reason, so no step ever runs on
the DCC's empty start-up scene. Then the members guard: an instance that had
members in the host and finds none of them in the opened scene is an error, not
a silent empty export.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging

from pyblish_qml_queue import dcc
from pyblish_qml_queue.worker.inputs import Fatal

log = logging.getLogger(__name__)


def adapter_for(payload):
    """The job's host adapter here (the plain-Python one for jobs that name none)."""
    named = payload.get("adapter") or {}
    name = named.get("name") if isinstance(named, dict) else None
    if not name:
        return dcc.current()
    try:
        return dcc.for_job(name, named.get("class"))
    except dcc.SnapshotError as exc:
        raise Fatal(str(exc))


def open_snapshot(payload):
    """Open the job's snapshot, when it has one. Returns ``(adapter, path or None)``.

    Raises:
        Fatal: it cannot be opened; the message says which file and why.
    """
    adapter = adapter_for(payload)
    info = payload.get("snapshot")
    if not isinstance(info, dict) or not info.get("path"):
        return adapter, None
    path = info["path"]
    try:
        adapter.open_snapshot(path)
    except dcc.SnapshotError as exc:
        raise Fatal("could not open the scene snapshot: %s; no step ran" % exc)
    except Exception as exc:
        log.exception("opening %s failed", path)
        raise Fatal("could not open the scene snapshot %s: %s; no step ran" % (path, exc))
    log.info("opened the scene snapshot %s with the %s adapter", path, adapter.name)
    return adapter, path


def check_members(payload, adapter):
    """Raise :class:`Fatal` if an instance to publish finds none of its members.

    Instances whose members are all missing are named with what they held, so
    the artist sees that the snapshot is not the scene they validated.
    """
    empty = []
    for raw in payload.get("instances") or []:
        members = raw.get("members") or []
        names = [m for m in members if isinstance(m, str)]
        if not names or (raw.get("data") or {}).get("publish") is False:
            continue
        missing = adapter.missing_members(names)
        if len(missing) == len(names):
            empty.append("%s (%s)" % (raw.get("name"), ", ".join(names[:5])))
    if empty:
        raise Fatal(
            "the scene snapshot holds none of the members of %s; nothing was extracted. "
            "Hand the publish off again from the validated scene." % "; ".join(empty)
        )
