"""The step loop: one job's remaining steps, run in order; a failed step stops the job.

A step handed to a farm (``expect_signal``) ends ``waiting``; the steps that depend
on it are *held*: later steps on the same instance, and every context step after
it (and everything after a held context step). The others run. When any step is
waiting or held the job ends ``waiting`` and the worker exits.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging
import time
import traceback

import pyblish.plugin

from pyblish_qml_queue.common import farmwait as farm
from pyblish_qml_queue.common import progress
from pyblish_qml_queue.common.states import HELD, STEP_DONE, RunOutcome, StepState
from pyblish_qml_queue.worker.changes import Snapshots
from pyblish_qml_queue.worker.plugins import load_plugins, not_found
from pyblish_qml_queue.worker.rebuild import rebuild_context, replay
from pyblish_qml_queue.worker.records import LiveRecords, capped, note, record_dict

log = logging.getLogger(__name__)

#: Step states of done steps: not run again, their changes replayed.
DONE = STEP_DONE


#: The plugin attribute that bounds one step's seconds (the job's "step_timeout" otherwise).
TIMEOUT_ATTRIBUTE = "queue_timeout"


def step_timeout(plugin, payload):
    """Seconds a step of ``plugin`` may run before the executor stops it, or None.

    The plugin's ``queue_timeout`` attribute wins over the job's ``step_timeout``;
    anything but a positive number means no limit.
    """
    for value in (getattr(plugin, TIMEOUT_ATTRIBUTE, None), payload.get("step_timeout")):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
    return None


class Run(object):
    """One job's remaining steps, run in order; a failed step stops the job.

    Setting up rebuilds the Context, replays the done steps' changes and loads
    the plugins; errors there (:class:`.inputs.Fatal` among them) mean the job
    cannot start.

    Args:
        payload: the job payload (without steps).
        steps: step dicts, sorted by index.
        events: where events go (:class:`.streams.Events`).
        control: tells when to stop between steps (:class:`.streams.Control`).
        snapshot: the scene snapshot opened for this run, or None.
        acks: wait for the executor's acknowledgement of each step's checkpoint
            before the next step (so a step never follows one whose checkpoint
            is not stored).
    """

    def __init__(self, payload, steps, events, control, snapshot=None, acks=False):
        self.payload = payload
        self.acks = acks
        self.steps = steps
        self.events = events
        self.control = control
        self.context, self.instances = rebuild_context(payload)
        # Where plugins can tell they run in the background (docs/hosts.md);
        # "currentFile" stays the artist's work file, as the host had it.
        self.context.data["snapshot"] = snapshot
        self.context.data["queueJob"] = payload.get("id")
        for step in steps:
            if step.get("state") in DONE:
                replay(step.get("changes"), self.context, self.instances)
        self.plugins = load_plugins(payload)
        self.snapshots = Snapshots(self.context, self.instances)

    def run(self):
        """Run the remaining steps; returns the job_finished event it emitted."""
        waiting, held = [], []
        held_instances = set()
        context_held = False
        for step in self.steps:
            if step.get("state") in DONE:
                continue
            if self.control.stop.is_set():
                return self._emit({"event": "job_finished", "state": RunOutcome.STOPPED})
            instance_id = step.get("instance_id")
            if step.get("state") == StepState.WAITING:
                state = StepState.WAITING
            elif (
                context_held
                or instance_id in held_instances
                or (instance_id is None and (waiting or held))
            ):
                state = HELD
            else:
                outcome = self.run_step(step)
                state = outcome["state"]
                if self.acks and not self.control.wait_ack(step["index"]):
                    return self._emit({"event": "job_finished", "state": RunOutcome.STOPPED})
                if state == StepState.FAILED:
                    error = "%s on %s failed: %s" % (
                        step.get("label") or step["plugin"],
                        step.get("instance") or "context",
                        outcome["error"],
                    )
                    return self._emit(
                        {"event": "job_finished", "state": RunOutcome.FAILED, "error": error}
                    )
            if state in (StepState.WAITING, HELD):
                (waiting if state == StepState.WAITING else held).append(step["index"])
                if instance_id is None:
                    context_held = True
                else:
                    held_instances.add(instance_id)
        if waiting or held:
            return self._emit(
                {
                    "event": "job_finished",
                    "state": RunOutcome.WAITING,
                    "waiting": waiting,
                    "held": held,
                }
            )
        return self._emit({"event": "job_finished", "state": RunOutcome.SUCCEEDED})

    def run_step(self, step):
        """Run one step; emits step_started, records, progress and step_finished.

        Returns:
            the step_finished event.
        """
        index = step["index"]
        plugin = self.plugins.get((step["module"], step["plugin"]))
        started_event = {"event": "step_started", "index": index}
        timeout = step_timeout(plugin, self.payload)
        if timeout is not None:
            started_event["timeout"] = timeout
        self.events.emit(started_event)
        started = time.time()
        instance = None
        if step.get("instance_id") is not None:
            instance = self.instances.get(step["instance_id"])
            if instance is None:
                error = "instance %s (%s) is not in the job" % (
                    step.get("instance"),
                    step["instance_id"],
                )
                return self._finished(step, started, StepState.FAILED, error)
        if plugin is None:
            error = not_found(step, self.payload.get("plugins") or {})
            return self._finished(step, started, StepState.FAILED, error)
        if instance is not None and instance.data.get("publish") is False:
            return self._finished(step, started, StepState.SKIPPED)

        before = self.snapshots.take(step.get("instance_id"))
        live = LiveRecords(self.events, index)
        root = logging.getLogger()
        root.addHandler(live)
        progress.bind(
            lambda fraction, message: self.events.emit(
                {"event": "progress", "index": index, "fraction": fraction, "message": message}
            )
        )
        expected = {}
        farm.bind(lambda *args: self._expect(step, instance, expected, *args))
        try:
            result = pyblish.plugin.process(plugin, self.context, instance)
        except (Exception, SystemExit) as exc:  # pyblish failed, or a plugin called sys.exit
            log.exception("step %d did not return", index)
            if isinstance(exc, SystemExit):
                error = "the plugin called sys.exit(%s)" % (exc.code,)
            else:
                error = str(exc) or type(exc).__name__
            return self._finished(step, started, StepState.FAILED, error, traceback.format_exc())
        finally:
            farm.bind(None)
            progress.bind(None)
            root.removeHandler(live)
        warnings = []
        changes = self.snapshots.changes(before, warnings)
        records = [record_dict(r) for r in result.get("records") or []]
        records += [note("WARNING", w) for w in warnings]
        error = result.get("error")
        if error is None and expected:
            return self._finished(
                step, started, StepState.WAITING, records=records, changes=changes, sent=expected
            )
        if error is None:
            return self._finished(
                step, started, StepState.SUCCEEDED, records=records, changes=changes
            )
        return self._finished(
            step,
            started,
            StepState.FAILED,
            str(error) or type(error).__name__,
            getattr(error, "formatted_traceback", None),
            records,
            changes,
        )

    def _expect(self, step, instance, expected, wanted, farm_job, timeout):
        """``expect_signal`` during ``step``: remember the farm details in ``expected``."""
        if instance is None:
            if wanted is not None and wanted is not self.context:
                raise ValueError(
                    "expect_signal() got %r, but %s is a context step; pass the context"
                    % (getattr(wanted, "name", wanted), step["plugin"])
                )
        elif wanted is not instance:
            raise ValueError(
                "expect_signal() got %r, but this step processes instance %r; pass it"
                % (getattr(wanted, "name", wanted), instance.name)
            )
        expected["timeout"] = timeout
        expected["farm_job"] = farm_job

        def on_farm_job(value):
            expected["farm_job"] = value

        return farm.FarmSignal(
            farm.signal_values(step["plugin"], step.get("instance")), on_farm_job
        )

    def _finished(
        self, step, started, state, error=None, tb=None, records=None, changes=None, sent=None
    ):
        event = {
            "event": "step_finished",
            "index": step["index"],
            "state": state,
            "duration": time.time() - started,
            "error": error,
            "traceback": tb,
            "records": capped(records),
            "changes": changes or {},
        }
        if sent is not None:
            event["farm"] = dict(sent)
        return self._emit(event)

    def _emit(self, event):
        self.events.emit(event)
        return event
