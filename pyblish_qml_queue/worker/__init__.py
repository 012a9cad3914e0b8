"""The worker: runs the remaining steps of one job and streams JSON events.

    python -m pyblish_qml_queue.worker     (also under mayapy / hython)

The protocol is written down in docs/adr/0002-worker-protocol.md. In short:
one JSON line on stdin ``{"payload": {...}, "steps": [...]}``, then control
lines (``{"control": "stop"}``; EOF means the parent is gone); one JSON event
per line on stdout (step_started, record, progress, step_finished,
job_finished, fatal). Plugin output goes to stderr.

Modules: :mod:`.streams` (stdout for events, stdin lines, control),
:mod:`.inputs` (the job line and its env), :mod:`.scene` (the snapshot
opened before any step), :mod:`.rebuild` (Context and
instances, replayed changes), :mod:`.plugins` (discovery and lookup),
:mod:`.changes` (snapshots and diff), :mod:`.records` (log records as JSON),
:mod:`.run` (the step loop).

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging
import sys
import traceback

from pyblish_qml_queue.worker import scene
from pyblish_qml_queue.worker.inputs import Fatal, apply_env, read_input
from pyblish_qml_queue.worker.run import Run
from pyblish_qml_queue.worker.streams import Control, Lines, die_with_parent, take_stdout

log = logging.getLogger(__name__)

#: Exit codes; 3 (streams.EXIT_BROKEN_PIPE): nobody is listening.
EXIT_OK = 0
EXIT_FATAL = 1


def _configure_logging():
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def main():
    """Run one job from stdin. Returns the exit code: 0 ran (whatever the job's
    outcome), 1 fatal error before the steps, 3 (via os._exit) nobody listening."""
    die_with_parent()
    events = take_stdout()
    _configure_logging()
    lines = Lines(0)
    control = Control(lines)
    try:
        payload, steps, acks = read_input(lines)
        apply_env(payload.get("env") or {})
        adapter, snapshot = scene.open_snapshot(payload)
        scene.check_members(payload, adapter)
        run = Run(payload, steps, events, control, snapshot=snapshot, acks=acks)
    except Exception as exc:
        error = str(exc) if isinstance(exc, Fatal) else "the worker could not start: %s" % exc
        log.error("%s", error, exc_info=not isinstance(exc, Fatal))
        events.emit({"event": "fatal", "error": error, "traceback": traceback.format_exc()})
        return EXIT_FATAL
    control.start()
    try:
        run.run()
    except Exception as exc:
        log.exception("the worker failed")
        events.emit(
            {
                "event": "fatal",
                "error": "the worker failed: %s" % exc,
                "traceback": traceback.format_exc(),
            }
        )
        return EXIT_FATAL
    return EXIT_OK
