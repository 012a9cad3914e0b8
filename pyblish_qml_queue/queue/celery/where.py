"""Which farm node runs a job, read from the job's log (no Celery import: the CLI
and the GUI use it on any machine).

The Celery executor writes one line when a node starts a job
(``running on farm node N``, ``resumed on farm node N ...``) and one when it
loses it (``node lost: farm node N ...``); the latest of them says where the
job is. It also writes one line each time it sends the job to a Celery routing
queue (``... sent to the farm queue Q``, ``...; sent again to the farm queue Q``);
the latest says which queue the job went to.
"""

from __future__ import annotations

import re
from typing import Optional

RUNNING = "running on farm node"
RESUMED = "resumed on farm node"
LOST = "node lost:"

_STARTED = re.compile(r"^(?:running|resumed) on farm node (\S+)")
_LOST = re.compile(r"^node lost:(?: farm node (\S+))?")
_SENT = re.compile(r"sent (?:again )?to the farm queue (\S+)$")


def farm_node(log: list) -> Optional[dict]:
    """``{"name": node or None, "state": "running" | "lost"}`` from a job's log lines
    (``JobStore.log``), or None when no farm node ever ran it."""
    for line in reversed(log):
        message = str(line.get("message", ""))
        started = _STARTED.match(message)
        if started:
            return {"name": started.group(1), "state": "running"}
        lost = _LOST.match(message)
        if lost:
            return {"name": lost.group(1), "state": "lost"}
    return None


def farm_queue(log: list) -> Optional[str]:
    """The Celery routing queue the job was last sent to (``pyblish.maya.2025.linux``),
    from its log lines (``JobStore.log``), or None when it never went to the farm."""
    for line in reversed(log):
        sent = _SENT.search(str(line.get("message", "")))
        if sent:
            return sent.group(1)
    return None
