"""The farm node's journal and its sender of checkpoints to Redis (:mod:`.node`).

Each entry of a delivery's outbox (a checkpoint, an event, the end marker) goes
to Redis in one script (:data:`_WRITE`, :func:`write_entry`) that first checks
the app still wants this delivery. While the broker is away, the checkpoints and
end wait in the node's journal (``<home>/node-journal/<task>.json``, fsynced,
:class:`Journal`); a node restarted with a journal sends it first
(:func:`replay_journal`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Optional

from redis.exceptions import RedisError

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.common.spool import write_atomic
from pyblish_qml_queue.queue.celery.broker import Backoff, Keys, redis_client

log = logging.getLogger(__name__)

#: Events kept per job stream (approximately); the app reads them as they come.
STREAM_LENGTH = 10000
#: Seconds Redis keys of a finished job are kept (then they expire).
KEEP_ENDED = 24 * 3600.0
#: Seconds a restarted node keeps trying to send what its journal holds.
REPLAY_PATIENCE = 600.0
#: The node's journal folder, under its home.
JOURNAL = "node-journal"

# Write one entry (a checkpoint, an event, the end marker) if the app still wants
# this delivery. KEYS: current, ended, checkpoints, events. ARGV: task, its
# attempt's prefix, restore ("1": put back a lost current), index, checkpoint,
# event, stream length, end marker seconds. Returns 1 written, 2 only the
# checkpoint (another delivery of the same attempt is current), 0 refused (cancelled,
# finished, sent again), -1 no current (a broker restarted empty; not restored).
_WRITE = """
local cur = redis.call('get', KEYS[1])
if not cur then
  if ARGV[3] ~= '1' or redis.call('get', KEYS[2]) == ARGV[1] then return -1 end
  redis.call('set', KEYS[1], ARGV[1])
  cur = ARGV[1]
end
if cur ~= ARGV[1] then
  if ARGV[4] ~= '' and string.sub(cur, 1, string.len(ARGV[2])) == ARGV[2] then
    redis.call('hset', KEYS[3], ARGV[4], ARGV[5])
    return 2
  end
  return 0
end
if ARGV[4] ~= '' then redis.call('hset', KEYS[3], ARGV[4], ARGV[5]) end
if ARGV[6] ~= '' then
  redis.call('xadd', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', 'task', ARGV[1], 'event', ARGV[6])
end
if ARGV[8] ~= '' then redis.call('set', KEYS[2], ARGV[1], 'EX', ARGV[8]) end
return 1
"""


def journal_folder() -> str:
    """Where a node keeps checkpoints the broker has not taken yet."""
    return os.path.join(paths.home(), JOURNAL)


class Journal:
    """The checkpoints (and end) of one delivery that the broker has not taken
    yet, in ``<folder>/<task id>.json`` (written whole, fsynced, renamed), so
    they outlive this node's process; removed once Redis has them."""

    def __init__(self, folder: str, job_id: str, task_id: str):
        self.folder = folder
        self.job_id = job_id
        self.task_id = task_id
        self.path = os.path.join(folder, task_id + ".json")
        self.saved = False

    def save(self, outbox: list) -> None:
        """Keep the outbox's checkpoints and end. Raises OSError."""
        entries = [e for e in outbox if e["checkpoint"] is not None or e["end"]]
        if not entries:
            self.clear()
            return
        os.makedirs(self.folder, exist_ok=True)
        data = {"job_id": self.job_id, "task_id": self.task_id, "entries": entries}
        write_atomic(self.path, json.dumps(data).encode("utf-8"))
        self.saved = True

    def sync(self, outbox: list) -> None:
        """After a send: keep what is still unsent, or remove the file."""
        if not self.saved:
            return
        try:
            self.save(outbox)
        except OSError as exc:
            log.warning("job %s: could not update the journal %s: %s", self.job_id, self.path, exc)

    def clear(self) -> None:
        if self.saved:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            self.saved = False


def write_entry(client, keys: Keys, task_id: str, entry: dict, restore: bool) -> int:
    """Run :data:`_WRITE` for one outbox entry; its result."""
    checkpoint = entry["checkpoint"]
    index = "" if checkpoint is None else str(entry["event"]["index"])
    return int(
        client.eval(
            _WRITE,
            4,
            keys.current,
            keys.ended,
            keys.checkpoints,
            keys.events,
            task_id,
            task_id.rsplit("-", 1)[0] + "-",
            "1" if restore else "0",
            index,
            "" if checkpoint is None else json.dumps(checkpoint),
            json.dumps(entry["event"]),
            STREAM_LENGTH,
            int(KEEP_ENDED) if entry["end"] else "",
        )
    )


def replay_journal(broker: str, folder: Optional[str] = None, patience: float = REPLAY_PATIENCE):
    """Send what an earlier process of this node could not (it stopped while the
    broker was away): each journal's checkpoints and end go to Redis if the app
    still follows that delivery (or another delivery of the same attempt: then
    the checkpoints only), and the file is removed. Tries with backoff for
    ``patience`` seconds. Returns how many journals were sent or dropped."""
    folder = folder or journal_folder()
    try:
        pending = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return 0
    done = 0
    backoff = Backoff(0.5, 5.0)
    deadline = time.monotonic() + patience
    while pending:
        for path in list(pending):
            try:
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
                keys, task_id = Keys(data["job_id"]), data["task_id"]
                results = [
                    write_entry(redis_client(broker), keys, task_id, entry, restore=False)
                    for entry in data["entries"]
                ]
            except RedisError as exc:
                log.debug("journal %s: the broker is away (%s)", path, exc)
                continue
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("journal %s cannot be read (%s); removed", path, exc)
                results = []
            if results and results[0] == -1:
                continue  # the broker restarted empty; the app puts the job's keys back
            log.info(
                "journal %s: %s", path, "sent" if results and results[0] > 0 else "no longer wanted"
            )
            try:
                os.remove(path)
            except OSError:
                pass
            pending.remove(path)
            done += 1
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(backoff.next())
    for path in pending:
        log.warning("journal %s could not be sent within %.0f s; kept", path, patience)
    return done


def start_replay(broker: str) -> threading.Thread:
    """:func:`replay_journal` in a daemon thread (a node's start)."""
    thread = threading.Thread(
        target=replay_journal, args=(broker,), name="journal-replay", daemon=True
    )
    thread.start()
    return thread
