"""Who owns a claimed job: owner ids, and whether an owner may still be running.

An owner id is ``<machine>:<pid>:<random hex>``. A store takes a running job
back from an owner that is gone (``JobStore.recover(owner_alive)``); executors
of this process register their owner while they run, so an executor started
after another one stopped here recovers the stopped one's jobs.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading

from pyblish_qml_queue.common.wire import pid_alive

__all__ = ["forget_owner", "make_owner", "owner_alive", "pid_alive", "register_owner"]

_live_owners = set()  # owners of executors running in this process
_live_lock = threading.Lock()


def register_owner(owner: str) -> None:
    """Count ``owner`` as a live executor of this process (see :func:`owner_alive`).

    An executor calls this when it starts, before it recovers or claims jobs, so
    its own jobs are never taken back from it by another executor here.
    """
    with _live_lock:
        _live_owners.add(owner)


def forget_owner(owner: str) -> None:
    """Stop counting ``owner`` as live: an executor calls this once it stopped, so
    the jobs it still holds are recovered by the next executor (here or elsewhere)."""
    with _live_lock:
        _live_owners.discard(owner)


def make_owner() -> str:
    """A unique owner id: ``<machine>:<pid>:<random hex>``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_alive(owner: str) -> bool:
    """Whether the executor named by ``owner`` may still be running.

    Another machine's owner counts as alive: its lease decides. On this machine
    the process must be alive, and in this very process the owner must be an
    executor that has not stopped (an earlier one in the same process is dead).
    """
    try:
        machine, pid, _ = owner.rsplit(":", 2)
        pid = int(pid)
    except ValueError:
        return False
    if machine != socket.gethostname():
        return True
    if pid == os.getpid():
        with _live_lock:
            return owner in _live_owners
    return pid_alive(pid)
