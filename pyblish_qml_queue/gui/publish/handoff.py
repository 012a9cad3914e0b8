"""Publish in background: the Publish page's hand-off thread and the messages it sends.

``hub.handoff()`` blocks until the job is stored, so the page runs it on a
short-lived thread of its own. That thread touches no Qt object: it pushes its
outcome, a ``{"type": "handoff", "host_id", "job_id" | "error"}`` event, into
the session's event bridge, which hands it back to the page on the GUI thread
with the host's events (:meth:`~pyblish_qml_queue.gui.publish.view.Publish.take`).
No Qt here.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

#: The ``type`` of a hand-off's outcome event.
HANDOFF = "handoff"


class HandOff:
    """The page's one hand-off at a time: which host it hands off, and its outcome.

    Attributes:
        host_id: the host being handed off now, "" when none is.
    """

    def __init__(self):
        self.host_id = ""

    def begin(self, hub, host_id: str, title, push) -> threading.Thread:
        """Mark ``host_id`` as handed off and return the thread that hands its extraction
        and integration to the queue, not started yet: the page shows the hand-off, then
        starts it.

        Args:
            hub: the app's hub (its ``handoff()`` waits for the store).
            host_id: the host handed off.
            title: the job's title, None for the host's own.
            push: the bridge's :meth:`~pyblish_qml_queue.gui.bridge.EventBridge.hub_sink`:
                the outcome goes there.
        """
        self.host_id = host_id

        def run():  # a thread: it touches the bridge's buffer only, never a Qt object
            try:
                job_id = hub.handoff(host_id, title)
                push({"type": HANDOFF, "host_id": host_id, "job_id": job_id})
            except Exception as exc:
                log.info("hand-off of host %s failed", host_id, exc_info=True)
                push({"type": HANDOFF, "host_id": host_id, "error": str(exc)})

        return threading.Thread(target=run, name=f"handoff-{host_id}", daemon=True)

    def finished(self, event: dict) -> str:
        """Take a hand-off's outcome event: the page's notice, "" when it succeeded."""
        self.host_id = ""
        if event.get("error"):
            return f"Publish in background failed: {event['error']}"
        return ""
