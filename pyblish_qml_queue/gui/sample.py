"""Sample hosts and jobs: a stand-in hub and realistic store contents. No Qt.

Used by the GUI tests, ``tools/screenshots.py`` and ``benchmarks/bench_gui.py``.
The hosts and :class:`SampleHub` (the hub's reading side, and
:meth:`SampleHub.fire` to play events by hand) are in
:mod:`~pyblish_qml_queue.gui.samplehosts`; the jobs, :func:`fill_store` and
:class:`SampleExecutor` in :mod:`~pyblish_qml_queue.gui.samplejobs`.
"""

from __future__ import annotations

from .samplehosts import STAGES, SampleHub, sample_hosts, snapshot
from .samplejobs import (
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
