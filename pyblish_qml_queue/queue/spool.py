"""Spool ingestion: jobs that hosts dropped as JSON files go into the store.

A host with no app or ``serve`` to talk to writes ``<spool>/<id>.json``
atomically (``host/spool.py``). The ingester adds each file's job to the store
and only then deletes the file; ``add`` is idempotent by id, so a kill between
the two adds nothing twice: every job is ingested exactly once. A malformed
file (unreadable, nested too deeply, a field of the wrong type, text SQLite
cannot store...) is moved to ``<spool>/rejected/`` with a ``.reason.txt``
beside it and a log line, so one bad file never holds up the jobs behind it.

A hand-off by reference (``<spool>/<id>.handoff``, common/wire/handoff.py) is
the host's and the app's while it is young: the app renames it to ``<id>.json``
when it takes it, or the host does when the app does not. One older than
:data:`HANDOFF_GRACE` seconds was left by a host killed in between (kill -9, a
DCC crash): the ingester renames it to ``<id>.json`` as that host would have,
with a log line, and takes it as any spooled job in the same pass.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Optional

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.common.spool import SUFFIX, _fsync_folder, read_spooled
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.queue.model import Job, JobPayloadError
from pyblish_qml_queue.queue.store import StoreError


def rejected(folder: Optional[str] = None) -> list:
    """``[(file name, reason)]`` of the spooled jobs the ingester rejected."""
    folder = os.path.join(folder or paths.spool_dir(), REJECTED)
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except OSError:
        return []
    out = []
    for name in names:
        try:
            with open(os.path.join(folder, name + ".reason.txt"), encoding="utf-8") as f:
                reason = f.read().strip()
        except OSError:
            reason = "no reason recorded"
        out.append((name, reason))
    return out


log = logging.getLogger(__name__)

REJECTED = "rejected"

#: Seconds after which a ``<id>.handoff`` file is taken as a spooled job: its host
#: writes it, then the app (or the host) renames it within seconds, so an older one
#: was left by a host that died before either did.
HANDOFF_GRACE = 120.0


class SpoolIngester:
    """Moves spooled jobs into ``store``.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore`.
        folder: the spool folder (default ``host.paths.spool_dir()``).
        on_added: called with the list of ids added by each pass that added some
            (e.g. ``lambda ids: executor.wake()``).
        handoff_grace: seconds after which a hand-off by reference nobody took
            (``<id>.handoff``) is ingested too (:data:`HANDOFF_GRACE`).
    """

    def __init__(
        self,
        store,
        folder: Optional[str] = None,
        on_added: Optional[Callable[[list], None]] = None,
        handoff_grace: float = HANDOFF_GRACE,
    ):
        self.store = store
        self.folder = folder or paths.spool_dir()
        self.on_added = on_added
        self.handoff_grace = handoff_grace
        self._stuck: set = set()  # orphaned hand-offs that could not be renamed
        self._stop = threading.Event()
        self._thread = None

    def ingest_once(self) -> list:
        """Ingest every spooled job, oldest first. Returns the ids added."""
        if not os.path.isdir(self.folder):
            return []
        self._adopt_orphans()
        added = []
        for path, payload in read_spooled(self.folder):  # oldest first
            if not isinstance(payload, dict):  # read_spooled says why
                self._reject(path, str(payload))
                continue
            try:
                job = Job.from_payload(payload)
            except JobPayloadError as exc:
                self._reject(path, f"malformed job payload: {exc}")
                continue
            except Exception as exc:  # any file the model cannot take, never the whole spool
                log.debug("spooled job %s is unreadable", path, exc_info=True)
                self._reject(path, f"malformed job payload: {type(exc).__name__}: {exc}")
                continue
            try:
                if self.store.add(job):
                    added.append(job.id)
                    log.info("job %s ingested from the spool", job.id)
                else:
                    self._note_duplicate(path, job)
            except StoreError as exc:
                log.error("could not add spooled job %s (%s); it stays in the spool", path, exc)
                continue
            except Exception as exc:
                log.exception("spooled job %s could not be stored", path)
                self._reject(path, f"could not be stored: {type(exc).__name__}: {exc}")
                continue
            _remove(path)
        if added and self.on_added is not None:
            try:
                self.on_added(added)
            except Exception:
                log.exception("on_added callback failed")
        return added

    def start(self, interval: float = 0.5) -> None:
        """Ingest now, then every ``interval`` seconds in a thread until :meth:`stop`."""
        self._stop.clear()
        self._safe_ingest()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="spool", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._safe_ingest()

    def _safe_ingest(self) -> None:
        try:
            self.ingest_once()
        except Exception:
            log.exception("spool ingestion failed; trying again shortly")

    def _adopt_orphans(self) -> None:
        """Rename each ``<id>.handoff`` older than the grace to ``<id>.json``, as its
        host would have had it lived; a younger one (a live host or app is handing it
        off) and a temporary file (``.<name>...``) are left alone."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        now = time.time()
        renamed = False
        for name in names:
            if name.startswith(".") or not name.endswith(handoff.SUFFIX):
                continue
            path = os.path.join(self.folder, name)
            try:
                age = now - os.stat(path).st_mtime
                if age < self.handoff_grace:
                    continue
                target = path[: -len(handoff.SUFFIX)] + SUFFIX
                os.replace(path, target)
            except FileNotFoundError:  # the app or the host took it meanwhile
                continue
            except OSError as exc:
                if path not in self._stuck:  # said once, tried again every pass
                    self._stuck.add(path)
                    log.error("could not take the orphaned hand-off %s: %s", path, exc)
                continue
            renamed = True
            log.warning(
                "hand-off file %s is %.0f s old: its host never finished handing it off "
                "(killed?); taking it as a spooled job",
                path,
                age,
            )
        if renamed:
            try:
                _fsync_folder(self.folder)
            except OSError as exc:
                log.debug("could not fsync %s: %s", self.folder, exc)

    def _note_duplicate(self, path: str, job: Job) -> None:
        """A spooled job whose id is stored already: the same job ingested before a
        crash (nothing to do), or another job reusing its id (say so)."""
        try:
            stored = self.store.get(job.id)
        except StoreError:
            return
        if stored.title != job.title or len(stored.steps) != len(job.steps):
            log.warning(
                "spooled job %s reuses the id of stored job %r with other content; "
                "the stored one is kept and the file is dropped",
                path,
                stored.title,
            )

    def _reject(self, path: str, reason: str) -> None:
        folder = os.path.join(self.folder, REJECTED)
        target = os.path.join(folder, os.path.basename(path))
        log.error("spooled job %s rejected: %s; moved to %s", path, reason, folder)
        try:
            os.makedirs(folder, exist_ok=True)
            with open(target + ".reason.txt", "w", encoding="utf-8") as f:
                f.write(reason + "\n")
            os.replace(path, target)
        except FileNotFoundError:
            pass  # someone else (another ingester) dealt with it
        except OSError as exc:
            log.error("could not move rejected job file %s: %s", path, exc)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
