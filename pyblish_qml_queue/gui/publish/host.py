"""What the Publish page makes of its host, in plain Python (no Qt).

:func:`controls_of` and :func:`status_of` say which buttons are enabled and
what the status line reads, :func:`window_title` what the window is called,
from the host's snapshot and the page's
:class:`~pyblish_qml_queue.gui.publish.state.PageState`; :class:`Controls`
keeps what the controls show, to tell QML only of a change.
"""

from __future__ import annotations

import os

from pyblish_qml_queue.common.states import HOST_BUSY, HostState, ItemState, JobState
from pyblish_qml_queue.gui.publish import rules as publishrules

#: Host states in which a publish runs (Stop is enabled, the rest is not).
BUSY_STATES = HOST_BUSY
#: ``hub.items()`` of no host.
EMPTY_ITEMS = {"context": {}, "instances": [], "plugins": []}
#: The status line without a host.
NO_HOST = ("Pick a host on the Overview", ItemState.IDLE)


def current_of(snapshot: dict) -> tuple:
    """The running step's (plugin label, instance name) in a host snapshot."""
    current = snapshot.get("current") or {}
    return current.get("plugin") or "", current.get("instance") or ""


def scene_of(snapshot: dict, state) -> str:
    """The scene's file name: as the host registered, else as collected (currentFile)."""
    path = snapshot.get("scene") or (state.context.get("data") or {}).get("currentFile")
    return os.path.basename(str(path or ""))


def window_title(snapshot: dict, state) -> str:
    """The window's title: the WindowTitle setting, the application and its version, the
    scene ("" without a host)."""
    if not snapshot:
        return ""
    scene = scene_of(snapshot, state)
    where = " ".join(p for p in (snapshot.get("application"), snapshot.get("version")) if p)
    return " · ".join(p for p in (state.settings["WindowTitle"], where, scene) if p)


def validation_ran(state) -> bool:
    """Whether any validator of the page has processed something."""
    return any(
        state.processed.get(pid)
        for pid, p in state.plugins.items()
        if publishrules.stage_name(p["order"]) == "Validate"
    )


def controls_of(snap: dict, state, handing_off) -> dict:
    """Which buttons are enabled: reset, validate, publish, stop, handoff, comment.

    Args:
        snap: the host's snapshot ({} for no host).
        state: the page's :class:`~pyblish_qml_queue.gui.publish.state.PageState`.
        handing_off: truthy while a hand-off of this page runs.
    """
    host_state = snap.get("state") or ""
    connected = bool(snap.get("connected"))
    busy = host_state in BUSY_STATES
    free = connected and not busy and not handing_off
    handed = host_state == HostState.HANDED_OFF
    extracted = state.started_extraction()
    return {
        "reset": free,
        "validate": free and not handed and not extracted and not snap.get("validated"),
        "publish": free and not handed and host_state not in (HostState.FINISHED, HostState.FAILED),
        "stop": connected and busy,
        "handoff": free and not handed and not extracted and bool(snap.get("validated")),
        "comment": connected and not handed,
    }


def handoff_why_not(snap: dict, state, handing_off) -> str:
    """Why "Publish in background" is disabled, in a line for its tooltip ("" when it is not)."""
    if controls_of(snap, state, handing_off)["handoff"] or not snap:
        return ""
    host_state = snap.get("state") or ""
    if handing_off:
        return "Handing off now…"
    if not snap.get("connected"):
        return "The host is disconnected: call show() in that session to reconnect it"
    if host_state == HostState.HANDED_OFF:
        job = (snap.get("job_id") or "")[:8]
        return f"Already handed off as job {job}: see the Queue"
    if host_state in BUSY_STATES:
        return "Wait until the running publish stops (or press Stop)"
    if state.started_extraction():
        return (
            "Extraction has started in this host, so the rest runs here: press ▶ to go on, "
            "or Reset and validate again to hand it all to the queue"
        )
    return "Validate first: only a validated publish goes to the queue"


def status_of(snap: dict, state, handing_off) -> tuple:
    """The status line: ``(text, state)`` for the pill beside it (arguments as above)."""
    if not snap:
        return NO_HOST
    host_state = snap.get("state") or ""
    progress = snap.get("progress") or {}
    errors = state.error_count()
    if handing_off:
        return ("Handing extraction and integration to the queue…", JobState.RUNNING)
    if not snap.get("connected"):
        return ("Disconnected: call show() in that session to reconnect it", ItemState.IDLE)
    if host_state == HostState.HANDED_OFF:
        job = (snap.get("job_id") or "")[:8]
        return (f"Handed off as job {job}: extraction runs in the queue", HostState.HANDED_OFF)
    if host_state in BUSY_STATES:
        current = snap.get("current") or {}
        where = " · ".join(p for p in (current.get("plugin"), current.get("instance")) if p)
        done, total = progress.get("done", 0), progress.get("total", 0)
        text = f"{host_state.capitalize()}: {done} / {total}"
        return (text + (f" · {where}" if where else ""), JobState.RUNNING)
    if snap.get("interrupted"):  # the hub's words, as the host's card shows them
        text = snap["interrupted"]
        return (text[:1].upper() + text[1:], JobState.INTERRUPTED)
    repaired = state.repair_status()
    if repaired is not None:
        return repaired
    if host_state == HostState.FAILED:
        stage = "Validation" if not state.started_extraction() else "Publish"
        return (f"{stage} failed: {publishrules.plural(errors, 'error')}", HostState.FAILED)
    if host_state == HostState.FINISHED:
        return (f"Published: {progress.get('done', 0)} steps", HostState.FINISHED)
    if snap.get("validated"):
        left = state.steps_left()
        return (f"Validation passed: {left} extract and integrate steps left", HostState.FINISHED)
    return ("Ready", ItemState.IDLE)


class Controls:
    """What the page's controls show now: which buttons are enabled, the status line and
    the hand-off's tooltip, each as the functions above work it out.

    Attributes:
        can: :func:`controls_of`'s map.
        status: :func:`status_of`'s ``(text, state)``.
        handoff_why_not: :func:`handoff_why_not`'s line.
    """

    def __init__(self):
        self.can: dict = {}
        self.status = NO_HOST
        self.handoff_why_not = ""
        self._shown = None

    def update(self, snap: dict, state, handing_off) -> bool:
        """Work the controls out again (arguments as :func:`controls_of`'s); True when
        what they show changed (or the snapshot did), so QML is told only then."""
        can = controls_of(snap, state, handing_off)
        status = status_of(snap, state, handing_off)
        why_not = handoff_why_not(snap, state, handing_off)
        shown = (can, status, snap, why_not)
        if shown == self._shown:
            return False
        self._shown = shown
        self.can, self.status, self.handoff_why_not = can, status, why_not
        return True
