"""``pyblish-qml-queue doctor --salvage`` and ``--ack``: the stores moved aside.

A damaged store is moved aside at open (``jobs.db.corrupt-<time>``) and a fresh one
starts; ``doctor`` warns of each moved-aside store (:func:`moved_aside`) until
``doctor --ack`` acknowledges it (:func:`acknowledge`: the file stays), and
``doctor --salvage [FILE]`` puts the jobs it still holds back in the queue
(:func:`salvage_stores`, :func:`run_salvage`). The checks themselves are in
:mod:`doctor`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Optional

from pyblish_qml_queue.common import paths

log = logging.getLogger(__name__)


def _ack_file(path: str) -> str:
    return path + ".acknowledged"


def moved_aside(path: Optional[str] = None) -> list:
    """The stores moved aside beside ``path`` (``jobs.db.corrupt-*``) and not yet
    acknowledged with ``doctor --ack``, oldest first."""
    path = path or paths.store_path()
    folder, base = os.path.split(path)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    try:
        with open(_ack_file(path), encoding="utf-8") as f:
            acked = set(f.read().split())
    except OSError:
        acked = set()
    found = [
        n
        for n in names
        if n.startswith(base + ".corrupt-") and not n.endswith(("-wal", "-shm")) and n not in acked
    ]
    return [os.path.join(folder, n) for n in sorted(found)]


def acknowledge(path: Optional[str] = None) -> list:
    """Record the moved-aside stores as seen (``doctor --ack``); returns them. The
    files themselves stay."""
    path = path or paths.store_path()
    found = moved_aside(path)
    _acknowledge_files(path, found)
    return found


def _acknowledge_files(path: str, found: list) -> None:
    if found:
        paths.make_private_file(_ack_file(path))
        with open(_ack_file(path), "a", encoding="utf-8") as f:
            f.writelines(os.path.basename(n) + "\n" for n in found)


def salvage_stores(target: Optional[str] = None, progress=None) -> tuple:
    """``doctor --salvage``: put the jobs a damaged store still holds back in the queue.

    Args:
        target: one damaged store file; None: every store moved aside and not yet
            acknowledged (the live store is opened first, so that a damaged one is
            moved aside and salvaged too).
        progress: ``progress(path, done, total)`` while a file's jobs are put back.

    Returns:
        ``(salvaged, failed)``: a :class:`~.salvage.Salvaged` per file read, and
        ``(path, reason)`` per file nothing could be read from. A salvaged file that
        was moved aside is acknowledged (``doctor`` stops warning of it); no file is
        ever deleted or written.

    Raises:
        CliError: ``target`` is missing or is the live store (exit 2).
    """
    from pyblish_qml_queue.cli.command import QUIET, USAGE, CliError, open_store
    from pyblish_qml_queue.queue.sqlite.salvage import SalvageError, salvage

    live = paths.store_path()
    if target is not None:
        target = os.path.abspath(target)
        if not os.path.isfile(target):
            raise CliError(f"no damaged store at {target}: no such file", USAGE)
        if os.path.abspath(live) == target:
            raise CliError(
                f"{target} is the live store: 'pyblish-qml-queue doctor' checks it and moves "
                "it aside when damaged; then run 'doctor --salvage'",
                USAGE,
            )
    store = open_store()
    salvaged, failed = [], []
    try:
        pending = moved_aside(live)
        for path in [target] if target else pending:
            tell = None if progress is None else (lambda d, t, p=path: progress(p, d, t))
            try:
                found = salvage(path, store, progress=tell)
            except (SalvageError, OSError) as exc:
                log.info("doctor --salvage: %s", path, exc_info=True, extra=QUIET)
                failed.append((path, str(exc)))
                continue
            salvaged.append(found)
            if path in pending:
                _acknowledge_files(live, [path])
    finally:
        store.close()
    return salvaged, failed


def format_salvaged(found) -> str:
    """One line for a salvaged file."""
    lost = ("at least " if not found.lost_exact else "") + str(len(found.lost))
    present = f", {len(found.present)} already there" if found.present else ""
    return (
        f"salvaged {found.path} ({found.method}): {len(found.recovered)} job(s) back in the "
        f"queue{present}, {lost} lost; the damaged file stays where it is"
    )


def run_salvage(args) -> int:
    """``doctor --salvage [FILE]``: salvage, print a line (or JSON) per file; exit 1
    when a file could not be read at all, else 0 (lost jobs are counted, not an error)."""
    from pyblish_qml_queue.cli.command import FAILED, OK

    def progress(path, done, total):
        if sys.stderr.isatty():
            end = "\n" if done == total else ""
            print(f"\rsalvaging {path}: {done}/{total} jobs", end=end, file=sys.stderr)

    salvaged, bad = salvage_stores(args.salvage or None, progress)
    if args.json:
        out = {
            "ok": not bad,
            "salvaged": [found.to_dict() for found in salvaged],
            "failed": [{"path": path, "error": error} for path, error in bad],
        }
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return FAILED if bad else OK
    if not salvaged and not bad:
        print("no damaged store to salvage: none was moved aside since the last 'doctor --ack'")
    for found in salvaged:
        print(format_salvaged(found))
    for path, error in bad:
        print(
            f"could not salvage {path}: {error}; nothing in it can be read "
            "('doctor --ack' stops the warning; the file stays)",
            file=sys.stderr,
        )
    return FAILED if bad else OK
