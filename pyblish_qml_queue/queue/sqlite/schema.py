"""The SQLite job store's file: its schema, migrations, health check and corrupt-file handling.

The schema is versioned (``PRAGMA user_version``) and migrated in order at open. A file
that is not a database or fails ``PRAGMA quick_check`` is :class:`Corrupt`; the store
then moves it aside (:func:`move_aside`) and starts a fresh one.

``quick_check`` reads the whole file (164 MiB at 100,000 jobs). It runs at open only when
the file may have been left damaged: when it is not as its last clean close left it
(:func:`closed_cleanly`: the marker :func:`mark_closed` wrote then, naming the file's
size and time, and no WAL since). Otherwise the open checks the file's header and schema
(:func:`header_problem`, ``check(full=False)``) and the store runs ``quick_check`` on a
thread after start (:mod:`.file`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sqlite3
import struct
import time
from typing import Callable, Optional

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.sqlite.rows import listed_text
from pyblish_qml_queue.queue.store import StoreError

log = logging.getLogger(__name__)

#: The claim statement needs ``RETURNING``.
MIN_SQLITE = (3, 35, 0)


def sql_states(states) -> str:
    """An SQL list of state names, such as ``('queued', 'interrupted')``."""
    return "(" + ", ".join(f"'{state}'" for state in states) + ")"


#: Job states a job can be claimed from, as SQL.
CLAIMABLE_SQL = sql_states(model.CLAIMABLE)
#: Step states that count as done, as SQL.
DONE_SQL = sql_states(model.STEP_DONE)

SCHEMA_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        state TEXT NOT NULL,
        payload TEXT NOT NULL,
        host TEXT NOT NULL,
        host_application TEXT,
        host_machine TEXT,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        started REAL,
        finished REAL,
        position INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL DEFAULT 3,
        owner TEXT,
        lease_until REAL,
        error TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        steps_done INTEGER NOT NULL DEFAULT 0,
        steps_total INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX jobs_state ON jobs (state, position)",
    "CREATE INDEX jobs_position ON jobs (position)",
    "CREATE INDEX jobs_queue ON jobs (position) WHERE state IN ('queued', 'interrupted')",
    """CREATE TABLE steps (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        plugin TEXT NOT NULL,
        module TEXT NOT NULL,
        plugin_order REAL NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        instance TEXT,
        instance_id TEXT,
        state TEXT NOT NULL,
        started REAL,
        finished REAL,
        duration REAL,
        error TEXT,
        traceback TEXT,
        records TEXT NOT NULL DEFAULT '[]',
        changes TEXT NOT NULL DEFAULT '{}',
        runs INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, idx)
    ) WITHOUT ROWID""",
    """CREATE TABLE job_log (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        time REAL NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    "CREATE INDEX job_log_job ON job_log (job_id, id)",
)


def schema_v2(conn: sqlite3.Connection) -> None:
    """Farm signals: each job's secret (made now for the jobs already stored), the
    ``resume`` flag, each step's farm details and deadline, and the nonces seen."""
    for statement in (
        "ALTER TABLE jobs ADD COLUMN secret TEXT",
        "ALTER TABLE jobs ADD COLUMN resume INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE steps ADD COLUMN farm TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE steps ADD COLUMN deadline REAL",
        """CREATE TABLE signal_nonces (
            nonce TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            sent REAL NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX signal_nonces_sent ON signal_nonces (sent)",
    ):
        conn.execute(statement)
    ids = [row[0] for row in conn.execute("SELECT id FROM jobs WHERE secret IS NULL")]
    conn.executemany(
        "UPDATE jobs SET secret = ? WHERE id = ?", [(secrets.token_hex(32), i) for i in ids]
    )


def schema_v3(conn: sqlite3.Connection) -> None:
    """The host's version and user as columns (filled now from the jobs already stored), so
    a listing of every job reads no JSON per job (``SQLiteJobStore.listing``)."""
    conn.execute("ALTER TABLE jobs ADD COLUMN host_version TEXT")
    conn.execute("ALTER TABLE jobs ADD COLUMN host_user TEXT")
    hosts = conn.execute("SELECT id, host FROM jobs").fetchall()
    values = []
    for job_id, text in hosts:
        host = json.loads(text)
        host = host if isinstance(host, dict) else {}
        values.append((listed_text(host.get("version")), listed_text(host.get("user")), job_id))
    conn.executemany("UPDATE jobs SET host_version = ?, host_user = ? WHERE id = ?", values)


#: Job states a job ends in (the Queue page's history), as SQL.
FINISHED_SQL = sql_states(model.FINISHED)
#: Job states a job has before it ends, as SQL.
UNFINISHED_SQL = sql_states(s for s in model.JOB_STATES if s not in model.FINISHED)
#: The history's order, newest end first (the Queue page's order within its history).
ENDED_ORDER = "COALESCE(finished, updated, created) DESC, position"

#: The history in the Queue page's order, so that its newest page is read without a
#: sort of every finished job (``SQLiteJobStore.listing(newest=n)``).
SCHEMA_V4 = (f"CREATE INDEX jobs_ended ON jobs ({ENDED_ORDER}) WHERE state IN {FINISHED_SQL}",)

#: Who ran each step (``Step.worker`` as JSON): the steps already stored get none.
SCHEMA_V5 = ("ALTER TABLE steps ADD COLUMN worker TEXT NOT NULL DEFAULT '{}'",)

#: Schema migrations, applied in order at open: entry ``n`` takes a file from schema
#: ``n`` to ``n + 1``. Each is a sequence of SQL statements or a callable taking the
#: connection; all run in one transaction. Append, never edit.
MIGRATIONS = (SCHEMA_V1, schema_v2, schema_v3, SCHEMA_V4, SCHEMA_V5)


class Corrupt(Exception):
    """The file is not a database or fails ``PRAGMA quick_check``."""


def require_sqlite() -> None:
    """Raise StoreError if this Python's SQLite is too old for the store."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise StoreError(
            f"SQLite {sqlite3.sqlite_version} is too old for the job store (it needs "
            f"{'.'.join(map(str, MIN_SQLITE))} or newer); run the app with a newer Python"
        )


def check(conn: sqlite3.Connection, full: bool = True) -> None:
    """Switch the file to WAL and check it: ``PRAGMA quick_check`` of every page when
    ``full``, else its schema only (read and parsed).

    Raises:
        Corrupt: ``PRAGMA quick_check`` found damage.
        sqlite3.DatabaseError: SQLite failed (see :func:`is_corruption`).
    """
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if not full:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return
    rows = conn.execute("PRAGMA quick_check").fetchall()
    if rows != [("ok",)]:
        raise Corrupt("; ".join(str(r[0]) for r in rows[:5]))


_MAGIC = b"SQLite format 3\x00"


def header_problem(path: str) -> Optional[str]:
    """What is wrong with the file's 100-byte header, without SQLite: not a database, or
    shorter than the pages its header counts (a truncated file); None when nothing (or
    the file is new: empty, or not there)."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return None
    if not header:
        return None
    if len(header) < 100 or not header.startswith(_MAGIC):
        return "file is not a database"
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    changes, pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if page_size < 512 or page_size & (page_size - 1):
        return f"file is not a database (page size {page_size})"
    if valid_for == changes and not _wal_size(path) and size < pages * page_size:
        return f"database disk image is malformed (truncated: {size} of {pages * page_size} bytes)"
    return None


def _wal_size(path: str) -> int:
    try:
        return os.path.getsize(path + "-wal")
    except OSError:
        return 0


def _marker(path: str) -> str:
    return path + ".closed"


def _signature(path: str) -> Optional[dict]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


def mark_closed(path: str) -> bool:
    """Write the clean-close marker (``<path>.closed``) if the file is closed: no WAL
    (or an empty one) waits to go into it. Returns whether it was written."""
    signature = _signature(path)
    if signature is None or _wal_size(path):
        return False
    temporary = _marker(path) + ".tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(signature, f)
        os.replace(temporary, _marker(path))
    except OSError as exc:
        log.debug("Could not write %s: %s", _marker(path), exc)
        return False
    return True


def closed_cleanly(path: str) -> bool:
    """Whether the file is as its last clean close left it (:func:`mark_closed`): same
    size, time and inode, and nothing in a WAL since. A process that ended without
    closing, a write not checkpointed, or any change from outside makes it False."""
    try:
        with open(_marker(path), encoding="utf-8") as f:
            marked = json.load(f)
    except (OSError, ValueError):
        return False
    return marked == _signature(path) and not _wal_size(path)


def forget_closed(path: str) -> None:
    """Remove the clean-close marker: the next open checks the whole file."""
    try:
        os.remove(_marker(path))
    except OSError:
        pass


def migrate(conn: sqlite3.Connection, migrations: tuple, path: str) -> None:
    """Bring the file to the last schema of ``migrations``, inside the caller's transaction.

    Raises:
        StoreError: the file has a newer schema than ``migrations`` knows.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise StoreError(
            f"The job store {path} has schema {version}, newer than this "
            f"pyblish-qml-queue knows ({len(migrations)}); upgrade pyblish-qml-queue."
        )
    if version == len(migrations):
        return
    for number in range(version, len(migrations)):
        step = migrations[number]
        log.info("Migrating the job store %s to schema %d", path, number + 1)
        if callable(step):
            step(conn)
        else:
            for statement in step:
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {len(migrations)}")
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(len(migrations)),),
    )


def is_corruption(exc: BaseException) -> bool:
    """Whether an SQLite error says the file is damaged or not a database."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(exc)
    return "file is not a database" in text or "malformed" in text


def move_aside(path: str, close: Callable[[], None]) -> str:
    """Move a corrupt database, with its -wal and -shm, to a free ``.corrupt-`` name.

    Args:
        path: The database file.
        close: Closes every connection to it; called once its WAL is copied, as
            closing the last connection may delete the WAL.

    Returns:
        Where the database now is: ``<path>.corrupt-<YYYYmmdd-HHMMSS>[-n]``.
    """
    forget_closed(path)
    target = base = path + ".corrupt-" + time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while os.path.exists(target):
        target = f"{base}-{n}"
        n += 1
    if os.path.exists(path + "-wal"):
        shutil.copyfile(path + "-wal", target + "-wal")
    close()
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.replace(path + suffix, target + suffix)
    return target
