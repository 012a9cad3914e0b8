"""Hand-offs by reference: a big job travels as a file in the spool folder, not in a frame.

A job whose JSON exceeds :func:`inline_limit` is written by the host to
``<spool>/<id>.handoff`` (temporary name, fsync, rename, folder fsync: whole or
absent), a name the spool ingester leaves alone while it is younger than
``queue.spool.HANDOFF_GRACE`` (an older one was left by a host killed before the
file was taken or renamed: the ingester takes it), and the host sends ``submit`` with
``{"spooled": "<id>"}`` instead of the job (``submit()``), or answers the app's
``handoff`` request with it (the app's Hand off button). The app reads and validates the file,
renames it to ``<id>.json`` (from then on the job is safe: any ingester stores it,
exactly once by id), answers, and stores it. Whatever goes wrong on the host's
side afterwards (no app, an app of an older release that refuses the param, a
broken link), the host renames the file into the spool itself. So no frame
carries more than a few hundred bytes, however many instances the publish has.
For the ``handoff`` reply, the app reads the file, stores the job and removes
the file; a file the app never took (an app of an older release) is removed by
the host at its next reset or hand-off. See docs/protocol.md.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import json
import logging
import os

from pyblish_qml_queue.common import paths, spool

__all__ = [
    "INLINE_LIMIT",
    "INLINE_LIMIT_ENV",
    "INLINE_STEPS",
    "SUFFIX",
    "by_reference",
    "discard",
    "encode",
    "inline_limit",
    "path",
    "read",
    "to_spool",
    "write",
]

log = logging.getLogger(__name__)

#: Jobs whose JSON is larger travel by reference (bytes).
INLINE_LIMIT = 1 << 20
#: Jobs of fewer steps travel in the request without being measured (about 200 bytes a step).
INLINE_STEPS = 1000
#: Overrides :data:`INLINE_LIMIT` (bytes), for tests and for studios; set below it,
#: every job is measured, whatever its number of steps.
INLINE_LIMIT_ENV = "PYBLISH_QML_QUEUE_INLINE_LIMIT"
#: The suffix of a job handed off by reference, before the app took it.
SUFFIX = ".handoff"


def inline_limit():
    """The largest job (bytes of JSON) that travels in a frame: :data:`INLINE_LIMIT_ENV`,
    else :data:`INLINE_LIMIT`."""
    value = os.environ.get(INLINE_LIMIT_ENV, "").strip()
    if value:
        try:
            return max(0, int(value))
        except ValueError:
            log.warning("ignoring %s=%r: not a number of bytes", INLINE_LIMIT_ENV, value)
    return INLINE_LIMIT


def by_reference(steps, size=None):
    """Whether a job of ``steps`` steps and ``size`` bytes of JSON travels by reference.

    ``size`` None asks whether the job is worth measuring at all: not when it has
    fewer than :data:`INLINE_STEPS` steps, unless the limit was lowered
    (:data:`INLINE_LIMIT_ENV`)."""
    limit = inline_limit()
    if size is None:
        return steps >= INLINE_STEPS or limit < INLINE_LIMIT
    return size > limit


#: Items of a long list (steps, instances) encoded per call, so a thread encoding a big job
#: lets the DCC's main thread have the GIL between calls (json's C encoder holds it).
ENCODE_CHUNK = 500


def encode(payload):
    """The job's JSON bytes (compact, UTF-8), as ``json.dumps`` gives them.

    Long lists are encoded :data:`ENCODE_CHUNK` items per call, so encoding a
    50,000-instance job on a thread never holds the GIL for long.

    Raises:
        ValueError: the payload is nested too deeply, or holds NaN or infinity.
    """
    try:
        parts = []
        for key, value in payload.items():
            if isinstance(value, list) and len(value) > ENCODE_CHUNK:
                pieces = [
                    _dumps(value[n : n + ENCODE_CHUNK])[1:-1]
                    for n in range(0, len(value), ENCODE_CHUNK)
                ]
                text = "[" + ",".join(pieces) + "]"
            else:
                text = _dumps(value)
            parts.append(_dumps(key) + ":" + text)
        return ("{" + ",".join(parts) + "}").encode("utf-8")
    except RecursionError:
        raise ValueError("job %s is nested too deeply to be handed off" % payload.get("id"))


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def path(job_id, folder=None):
    """Where the job ``job_id`` handed off by reference is written."""
    if not spool._safe_id(job_id):
        raise ValueError("job id %r must be 1-64 letters, digits, '-' or '_'" % (job_id,))
    return os.path.join(folder or paths.spool_dir(), job_id + SUFFIX)


def write(data, job_id, folder=None, progress=None):
    """Write the job's JSON bytes for a hand-off by reference; returns the path.

    Args:
        progress: called as ``progress(written, total)`` after each chunk.

    Raises:
        ValueError: ``job_id`` cannot name a file.
        OSError: the folder cannot be written (e.g. disk full).
    """
    final = path(job_id, folder)
    folder = os.path.dirname(final)
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    return spool.write_atomic(final, data, progress)


def read(job_id, folder=None):
    """The payload of a job handed off by reference.

    Raises:
        FileNotFoundError: no such hand-off (taken already, or never written).
        ValueError: a bad id, or the file is not a JSON object.
    """
    with open(path(job_id, folder), "rb") as f:
        data = f.read()
    try:
        payload = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError("the handed-off file of job %s is not JSON: %s" % (job_id, error))
    if not isinstance(payload, dict) or payload.get("id") != job_id:
        raise ValueError("the handed-off file of job %s holds no job of that id" % job_id)
    return payload


def to_spool(job_id, folder=None):
    """Make the hand-off an ordinary spooled job (``<id>.json``); returns its path.

    A hand-off the app moved there already is left as it is.
    """
    source = path(job_id, folder)
    target = os.path.join(os.path.dirname(source), job_id + spool.SUFFIX)
    try:
        os.replace(source, target)
    except FileNotFoundError:  # the app took it: in the spool, or stored already
        return target
    spool._fsync_folder(os.path.dirname(source))
    return target


def discard(job_id, folder=None):
    """Remove a refused hand-off (nothing is spooled then)."""
    try:
        os.remove(path(job_id, folder))
    except (OSError, ValueError):
        pass
