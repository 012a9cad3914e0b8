"""The hub's side of the Publish page: a host's page read from the hub, its events taken in.

No Qt here. On a switch of host, :func:`read_page` rebuilds the page's
:class:`~pyblish_qml_queue.gui.publish.state.PageState` from what the hub keeps
for that host (``host()``, ``items()``, ``results()``), so every host's progress
survives a switch. Live, :func:`take_events` feeds a batch of the hub's events
(the session bridge's ``pageEvents``, on the GUI thread) into the page's state
and says what the batch changed; the ``Publish`` viewmodel
(:mod:`pyblish_qml_queue.gui.publish.view`) shows it and tells QML.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

from pyblish_qml_queue.gui.publish import rules as publishrules
from pyblish_qml_queue.gui.publish.handoff import HANDOFF
from pyblish_qml_queue.gui.publish.host import EMPTY_ITEMS, current_of
from pyblish_qml_queue.gui.publish.state import PageState

log = logging.getLogger(__name__)


def read_page(hub, host_id: str, known_snapshot: Callable[[str], dict]) -> tuple:
    """``host_id``'s page as the hub keeps it: ``(snapshot, state, host_settings)``.

    Args:
        hub: the app's hub, None for none.
        host_id: the host shown, "" for none.
        known_snapshot: the host's last snapshot the app knows, for a host the hub
            no longer has (or a hub without a Publish side).

    Returns:
        The host's snapshot (a copy), the page's state with the host's running step
        as current, and the ``pyblish_qml.settings`` the host sent (checked).
    """
    snapshot, items, results = {}, EMPTY_ITEMS, []
    if host_id and hub is not None:
        try:
            snapshot = hub.host(host_id)
            items = hub.items(host_id)
            results = hub.results(host_id)
        except (KeyError, AttributeError):  # gone, or a hub without a Publish side
            log.debug("no publish state for host %s", host_id, exc_info=True)
            if not snapshot:
                snapshot = known_snapshot(host_id)
    settings = publishrules.app_settings()
    host_settings = publishrules.check_settings(items.get("settings"))
    settings.update(host_settings)
    state = PageState(items, results, settings)
    state.set_current(*current_of(snapshot))
    return dict(snapshot), state, host_settings


class Taken:
    """What a batch of hub events changed in the page's state.

    Attributes:
        changed: the ids of the rows the batch's results changed.
        reload_items: a context plugin ran, which may add or remove instances: read
            the host's items again (:func:`reload_items`).
        snapshot: the host's last snapshot in the batch, None for none.
        reset: the host was reset: the page is to be read from the hub again (the
            batch's events after that one are not taken).
    """

    __slots__ = ("changed", "reload_items", "snapshot", "reset")

    def __init__(self):
        self.changed: set = set()
        self.reload_items = False
        self.snapshot: Optional[dict] = None
        self.reset = False


def take_events(state, events: list, host_id: str, handed_off: Callable[[dict], None]) -> Taken:
    """Take a batch of hub events into ``state``: ``host_id``'s results and snapshots
    (other hosts' events are passed over); hand-off outcomes go to ``handed_off`` as
    they come, in order."""
    taken = Taken()
    for event in events:
        kind = event["type"]
        if kind == HANDOFF:
            handed_off(event)
            continue
        if event.get("host_id", (event.get("host") or {}).get("id")) != host_id:
            continue
        if kind == "result":
            result = event["result"]
            taken.changed |= state.add_result(result)
            if result.get("instance") is None and result.get("kind", "process") == "process":
                taken.reload_items = True  # a context plugin may add or remove instances
        elif kind == "host_changed":
            taken.snapshot = event["host"]
            done = (taken.snapshot.get("progress") or {}).get("done", 0)
            if done < sum(state.processed.values()):  # the host was reset
                taken.reset = True
                return taken
    return taken


def reload_items(hub, state, host_id: str) -> None:
    """Read the host's instances, plugins and context into ``state`` again (results,
    marks and records stay); a host the hub no longer has keeps what it had."""
    try:
        state.load_items(hub.items(host_id))
    except KeyError:
        pass
