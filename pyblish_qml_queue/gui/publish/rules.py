"""pyblish-qml's rules for the Publish page, in plain Python (no Qt).

Stages and row states, the levels of a result, the ``pyblish_qml.settings``
the page honours, which plugin actions a plugin's ``on`` filters allow, and
the page's number formats.
"""

from __future__ import annotations

from pyblish_qml_queue.common import stages
from pyblish_qml_queue.common.states import ITEM_RANK, ItemState

STAGES = ("Collect", "Validate", "Extract", "Integrate")
#: Row states, worst last.
STATES = tuple(ItemState)
WARNING = 30
ERROR = 40
#: pyblish_qml.settings keys the page honours, with pyblish-qml's defaults.
SETTINGS = {
    "WindowTitle": "Pyblish",
    "WindowSize": [430, 600],
    "WindowPosition": [100, 100],
    "ContextLabel": "Context",
    "HiddenSections": ["Collect"],
}


def stage_name(order: float) -> str:
    """Collect, Validate, Extract or Integrate."""
    return stages.stage(order).capitalize()


#: Loggers of this package in the host: pyblish keeps every record logged while a plugin
#: runs, the host's link to the app among them (after an app restart, "lost the link to the
#: app; reconnecting"); those records are not the plugin's.
OWN_LOGGER = "pyblish_qml_queue"


def own_source(record: dict) -> str:
    """The source of a record of this package's host side ("link", "queue"); "" for a plugin's."""
    name = str(record.get("name") or "")
    if name != OWN_LOGGER and not name.startswith(OWN_LOGGER + "."):
        return ""
    return "link" if name.startswith(OWN_LOGGER + ".host.link") else "queue"


def result_level(result: dict) -> str:
    """success, warning or error of one result (this package's own records left out)."""
    if result.get("error"):
        return ItemState.ERROR
    if any(
        r.get("levelno", 0) >= WARNING and not own_source(r) for r in result.get("records") or ()
    ):
        return ItemState.WARNING
    return ItemState.SUCCESS


def check_settings(raw) -> dict:
    """The known pyblish_qml settings in ``raw`` (a host's or the app's), type-checked.

    Unknown keys and values of the wrong shape are left out.
    """
    out = {}
    if not isinstance(raw, dict):
        return out
    for key in ("WindowTitle", "ContextLabel"):
        if isinstance(raw.get(key), str) and raw[key]:
            out[key] = raw[key]
    for key in ("WindowSize", "WindowPosition"):
        value = raw.get(key)
        if (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        ):
            out[key] = [int(v) for v in value]
    hidden = raw.get("HiddenSections")
    if isinstance(hidden, (list, tuple)):
        out["HiddenSections"] = [str(s) for s in hidden if isinstance(s, str)]
    return out


def app_settings() -> dict:
    """``pyblish_qml.settings`` of the app's own Python, checked (empty without pyblish_qml)."""
    try:
        from pyblish_qml import settings
    except Exception:  # pyblish_qml missing or broken: its defaults apply
        return {}
    return check_settings({key: getattr(settings, key, None) for key in SETTINGS})


def actions_for(plugin: dict, processed: bool, failed: bool) -> list:
    """The plugin's actions its ``on`` filters allow now (pyblish-qml's rules).

    ``on``: "all", "processed", "failed", "succeeded", "notProcessed". Category
    and separator entries stay only when an action follows them.
    """
    allowed = {
        "all": True,
        "processed": processed,
        "failed": processed and failed,
        "succeeded": processed and not failed,
        "notProcessed": not processed,
    }
    out, pending = [], []
    for action in plugin.get("actions") or ():
        kind = action.get("type", "action")
        if kind in ("category", "separator"):
            pending.append(action)
            continue
        if not action.get("active", True) or not allowed.get(action.get("on", "all"), False):
            continue
        out.extend(pending)
        pending = []
        out.append(action)
    return out


def action_menu(plugin: dict, processed: bool, failed: bool) -> list:
    """The entries of a plugin's actions menu: its allowed actions, then Repair if due."""
    out = [
        {
            "id": a["id"],
            "label": a.get("label") or "",
            "type": a.get("type", "action"),
            "icon": a.get("icon") or "",
        }
        for a in actions_for(plugin, processed, failed)
    ]
    if plugin.get("hasRepair") and failed:
        out.append({"id": "", "label": "Repair", "type": "repair", "icon": "wrench"})
    return out


def step_seconds(duration) -> float:
    """A result's duration (pyblish reports milliseconds) in seconds."""
    return float(duration or 0.0) / 1000.0


def worse(a: str, b: str) -> str:
    """The worse of two row states (``b`` on a tie)."""
    return b if ITEM_RANK.get(b, 0) >= ITEM_RANK.get(a, 0) else a


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def seconds(value: float) -> str:
    return f"{value:.2f} s"
