"""The spool: jobs handed off while no app or ``serve`` runs wait here as JSON files.

A job is written to ``.<id>.json.<random>.tmp``, flushed and fsynced, renamed to
``<id>.json`` in one step (``os.replace``), then the folder is fsynced (POSIX),
so a reader sees either the whole job or nothing, even across a power cut.
The ingester stores each file (idempotent by job id) and then removes it.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import json
import logging
import os
import tempfile

from pyblish_qml_queue.common import paths

log = logging.getLogger(__name__)

SUFFIX = ".json"


def _safe_id(job_id):
    return (
        isinstance(job_id, str)
        and 0 < len(job_id) <= 64
        and all(c.isalnum() or c in "-_" for c in job_id)
    )


def write_job(payload, folder=None):
    """Write ``payload`` into the spool atomically.

    Args:
        payload: a job payload (as host.job.build_job makes it).
        folder: the spool folder (default: paths.spool_dir()), created if missing.

    Returns:
        str: the path of the spooled ``<id>.json``.

    Raises:
        ValueError: the payload's id cannot name a file, or it cannot be JSON.
        OSError: the folder cannot be written (e.g. disk full).
    """
    job_id = payload.get("id")
    if not _safe_id(job_id):
        raise ValueError("job id %r must be 1-64 letters, digits, '-' or '_'" % (job_id,))
    folder = folder or paths.spool_dir()
    if not os.path.isdir(folder):
        paths.make_private_dir(folder)
    try:
        data = json.dumps(payload, allow_nan=False).encode("utf-8")
    except RecursionError:
        raise ValueError("job %s is nested too deeply to be handed off" % job_id)
    final = write_atomic(os.path.join(folder, job_id + SUFFIX), data)
    log.info("spooled job %s to %s", job_id, final)
    return final


#: Bytes written between two progress calls of :func:`write_atomic`.
CHUNK = 8 * 1024 * 1024


def write_atomic(final, data, progress=None):
    """Write ``data`` to ``final`` so a reader sees all of it or nothing.

    A temporary ``.<name>.<random>.tmp`` beside it (0600, a name of its own for
    every call, so two processes writing the same file never share one), flushed
    and fsynced, renamed in one step, then the folder fsynced (POSIX). The last
    rename wins; the temporary file is removed when anything fails.
    ``progress(done, total)`` is called after each :data:`CHUNK` bytes.

    Returns:
        str: ``final``.
    """
    folder = os.path.dirname(final) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(final), suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            view = memoryview(data)
            for start in range(0, len(data), CHUNK):
                f.write(view[start : start + CHUNK])
                if progress is not None:
                    progress(min(len(data), start + CHUNK), len(data))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)
    return final


def _fsync_folder(folder):
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_spooled(folder=None):
    """The jobs waiting in the spool, oldest file first.

    Temporary files (``.<id>.json.<random>.tmp``, being written) are not listed.

    Args:
        folder: the spool folder (default: paths.spool_dir()); missing means empty.

    Returns:
        list of (path, payload dict) or (path, error str) when a file is not a
        readable JSON object; tell them apart with ``isinstance(item, dict)``.
    """
    folder = folder or paths.spool_dir()
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        if name.startswith(".") or not name.endswith(SUFFIX):
            continue
        path = os.path.join(folder, name)
        try:
            mtime = os.path.getmtime(path)
        except OSError:  # taken by an ingester meanwhile
            continue
        found.append((mtime, name, path))
    found.sort()
    out = []
    for _mtime, _name, path in found:
        try:
            with open(path, "rb") as f:
                payload = json.loads(f.read().decode("utf-8"))
        except FileNotFoundError:
            continue
        except RecursionError:
            out.append((path, "cannot read spooled job %s: JSON nested too deeply" % path))
            continue
        except (OSError, ValueError) as exc:
            out.append((path, "cannot read spooled job %s: %s" % (path, exc)))
            continue
        if not isinstance(payload, dict):
            out.append((path, "spooled job %s is not a JSON object" % path))
            continue
        out.append((path, payload))
    return out
