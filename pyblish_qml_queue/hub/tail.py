"""A host's last log lines, as its card on the Overview shows them. No Qt.

Each line has the time it was written and a level (the card colours it), so a
line stays readable as ``14:03:12 ERROR FX_pyro_main: 2 unnamed VDB prims``.
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Iterable, Optional

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _level(name) -> str:
    name = str(name or "INFO").upper()
    return "WARNING" if name == "WARN" else name if name in LEVELS else "INFO"


class LogTail:
    """The last ``maxlen`` lines: ``{"time", "level", "message"}`` each."""

    def __init__(self, maxlen: int = 5, clock: Callable = time.time):
        self._lines = collections.deque(maxlen=maxlen)
        self._clock = clock

    def append(self, message: str, level: str = "INFO", when: Optional[float] = None) -> None:
        self._lines.append(
            {
                "time": float(when) if when else self._clock(),
                "level": _level(level),
                "message": str(message),
            }
        )

    def add_result(self, result: dict) -> None:
        """The line a step's result leaves: its error, else its last record (if any)."""
        records = result.get("records") or ()
        last = records[-1] if records else {}
        when = result.get("time") or last.get("created")
        error = result.get("error")
        if error:
            label = result.get("label") or result.get("plugin_name") or ""
            self.append(f"{label}: {error.get('message', '')}", "ERROR", when)
        elif last:
            self.append(last.get("message", ""), last.get("levelname"), last.get("created"))

    def replay(self, results: Iterable[dict]) -> None:
        """The lines kept results leave (a restore after the app's restart)."""
        for result in list(results)[-self._lines.maxlen :]:
            self.add_result(result)

    def messages(self) -> list:
        return [line["message"] for line in self._lines]

    def lines(self) -> list:
        return [dict(line) for line in self._lines]

    def __iter__(self):
        return iter(self.messages())

    def __contains__(self, message) -> bool:
        return message in self.messages()

    def __len__(self) -> int:
        return len(self._lines)
