"""Sample hosts and jobs: a stand-in hub and realistic store contents. No Qt.

Used by the GUI tests, ``tools/screenshots.py`` and ``benchmarks/bench_gui.py``.
The hosts and :class:`SampleHub` (the hub's reading side, and
:meth:`SampleHub.fire` to play events by hand) are in
:mod:`~pyblish_qml_queue.gui.sample.hosts`; the jobs, :func:`fill_store` and
:class:`SampleExecutor` in :mod:`~pyblish_qml_queue.gui.sample.jobs`.
"""

from __future__ import annotations

from pyblish_qml_queue.gui.sample.hosts import STAGES, SampleHub, sample_hosts, snapshot
from pyblish_qml_queue.gui.sample.jobs import (
    HOSTS,
    PLUGINS,
    STATES_CYCLE,
    TITLES,
    SampleExecutor,
    fill_store,
    sample_payload,
)

__all__ = [
    "HOSTS",
    "PLUGINS",
    "STAGES",
    "STATES_CYCLE",
    "TITLES",
    "SampleExecutor",
    "SampleHub",
    "fill_store",
    "sample_hosts",
    "sample_payload",
    "snapshot",
]
