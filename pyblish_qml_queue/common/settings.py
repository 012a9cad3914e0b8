"""The app's settings: a small JSON file in the home folder. No Qt.

``<home>/settings.json``, e.g. ``{"notifications": false}``. A missing or broken
file means the defaults (a broken one is logged, never fatal); keys this version
does not know are kept when the file is written again.
"""

from __future__ import annotations

import json
import logging
import os

from pyblish_qml_queue.common import paths, spool

log = logging.getLogger(__name__)

DEFAULTS = {
    #: Tray notifications when a job succeeds or fails.
    "notifications": True,
    #: "HOST:PORT" where the app accepts farm signals over HTTP (POST /v1/signal);
    #: empty: off. ``serve --signals`` and ``app --signals`` do the same for one run.
    "signals": "",
}


def settings_path() -> str:
    return os.path.join(paths.home(), "settings.json")


def load(path: str = "") -> dict:
    """The settings, defaults filled in."""
    path = path or settings_path()
    values = dict(DEFAULTS)
    try:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
    except FileNotFoundError:
        return values
    except (OSError, ValueError) as exc:
        log.warning("Ignoring the settings file %s (%s); using the defaults.", path, exc)
        return values
    if not isinstance(stored, dict):
        log.warning("Ignoring the settings file %s: it is not a JSON object.", path)
        return values
    for key, value in stored.items():
        default = DEFAULTS.get(key)
        if default is not None and not isinstance(value, type(default)):
            log.warning("Ignoring setting %r=%r in %s: not a %s", key, value, path, type(default))
            continue
        values[key] = value
    return values


def save(values: dict, path: str = "") -> None:
    """Write the settings atomically (:func:`spool.write_atomic`)."""
    path = path or settings_path()
    paths.make_private_dir(os.path.dirname(path))
    text = json.dumps(values, indent=2, sort_keys=True) + "\n"
    spool.write_atomic(path, text.encode("utf-8"))


def update(**changes) -> dict:
    """Change some settings, keeping the others. Returns the new settings."""
    values = load()
    values.update(changes)
    save(values)
    return values
