"""One job running in one worker process, for the local :class:`~.executor.Executor`.

The run starts the job's worker (:mod:`.launch`: the DCC's batch interpreter
or ``python -m pyblish_qml_queue.worker``; see
docs/adr/0002-worker-protocol.md), feeds it the job and turns its events into
store writes: ``step_finished`` is the checkpoint, so a killed executor resumes
at the interrupted step. However the run ends (the worker's outcome, a cancel,
a stop, a crash of the worker or of this code) is recorded, and never stops
the executor.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Callable, Optional

from pyblish_qml_queue.common.farmwait import JOB_ID_VAR, SECRET_VAR
from pyblish_qml_queue.common.states import RunOutcome
from pyblish_qml_queue.queue import launch, model
from pyblish_qml_queue.queue.loop import Run, steps_to_send, waiting_line
from pyblish_qml_queue.queue.records import RunRecords
from pyblish_qml_queue.queue.store import LeaseLost, StoreError

log = logging.getLogger(__name__)

#: Seconds between two tries of a checkpoint the store refused (busy), doubling.
CHECKPOINT_RETRY_FIRST = 0.2
CHECKPOINT_RETRY_MAX = 2.0

#: This machine's name, as a step's worker names it.
MACHINE = socket.gethostname()

_SIGKILL = getattr(signal, "SIGKILL", None)  # None: Popen.kill() (Windows)
_SIGTERM = getattr(signal, "SIGTERM", None)


def describe_exit(returncode: int) -> str:
    """``"with SIGSEGV"`` or ``"with exit code 2"``."""
    if returncode < 0:
        try:
            return f"with {signal.Signals(-returncode).name}"
        except ValueError:
            return f"with signal {-returncode}"
    return f"with exit code {returncode}"


class JobRun(Run):
    """One claimed job and its worker process; :meth:`run` is the body of the
    job's thread.

    Args:
        job: the claimed job.
        records: where the run writes its steps, end, log lines and events
            (the executor's :attr:`~.loop.ClaimLoop.records`).
        python: the interpreter for a job that names none (None: ``sys.executable``).
        grace: seconds between SIGTERM and SIGKILL when the run is cancelled.
        ended: called with the run once it is over, whatever happened.
    """

    def __init__(
        self,
        job: model.Job,
        records: RunRecords,
        python: Optional[str],
        grace: float,
        ended: Callable[[JobRun], None],
    ):
        super().__init__(job, records.clock())
        self.records = records
        self.store = records.store
        self.owner = records.owner
        self.python = python
        self.grace = grace
        self._on_ended = ended
        self.proc = None
        self.thread = None
        self.outcome = None  # the job_finished event
        self.fatal = None  # the fatal event
        self.cancelling = False
        self.stopping = False
        self.stderr_thread = None
        self.step_timer = None  # stops a step that outlives its timeout
        self.timed_out = None  # why the worker was stopped for a timeout

    def worker(self) -> dict:
        """The worker process and this machine, as a step it runs records them."""
        if self.proc is None:
            return {}
        return {"machine": MACHINE, "pid": self.proc.pid}

    def step_name(self, index) -> str:
        try:
            return self.job.steps[index].name
        except (IndexError, TypeError):
            return "?"

    def where(self) -> str:
        """Where in the job the worker was, for a reason."""
        if self.current is None:
            return "between steps" if self.job.steps_done else "before the first step"
        return f"during step {self.current} ({self.step_name(self.current)})"

    # -- the run ------------------------------------------------------------------

    def run(self) -> None:
        job = self.job
        records = self.records
        try:
            records.emit(job.id, {"event": "job_started", "attempt": job.attempts})
            records.log(
                job.id,
                "info",
                f"attempt {job.attempts} of {job.max_attempts} started by {self.owner}",
            )
            if self.spawn():
                self.pump()
            self.conclude()
        except Exception:
            log.exception("job %s: unexpected error in the executor; giving the job back", job.id)
            self.kill()
            self.release("the executor hit an unexpected error (see its log)")
        finally:
            self._on_ended(self)

    def spawn(self) -> bool:
        """Start the worker and send it the job; False (job failed) if it cannot start."""
        job = self.job
        argv = launch.command(job.payload, self.python)
        kwargs = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        env = launch.environment(job.payload, argv)
        env[JOB_ID_VAR] = job.id
        env[SECRET_VAR] = job.secret or ""
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=launch.working_folder(job.payload),
                **kwargs,
            )
        except OSError as exc:
            error = f"could not start the worker with {argv[0]}: {exc}"
            log.error("job %s: %s", job.id, error)
            self.finish(model.FAILED, error)
            return False
        self.stderr_thread = threading.Thread(
            target=self._drain_stderr, daemon=True, name=f"stderr-{job.id[:8]}"
        )
        self.stderr_thread.start()
        self.send({"payload": job.payload, "steps": steps_to_send(job), "acks": True})
        if self.cancelling:  # cancelled or stopped while the worker was starting
            self.cancel()
        elif self.stopping:
            self.send({"control": "stop"})
        return True

    def pump(self) -> None:
        """Handle the worker's events until it exits."""
        for raw in self.proc.stdout:
            try:
                event = json.loads(raw.decode("utf-8", "replace"))
                if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                    raise ValueError("not an event object")
            except ValueError:
                log.warning("job %s: ignoring a malformed worker line: %r", self.job.id, raw[:200])
                continue
            if self.lost:
                continue
            try:
                self.handle(event)
            except LeaseLost:
                self.lose("its lease was lost at a checkpoint")
        self.proc.wait()

    def handle(self, event: dict) -> None:
        kind = event["event"]
        if kind == "step_finished":
            self._untime_step()
            recorded = self.checkpoint(event)
            # The worker starts no other step before this: the checkpoint is stored
            # (or the store has it already, or the step is not this job's).
            self.send({"control": "ack", "index": event.get("index")})
            if not recorded:
                return
        elif kind == "step_started":
            if not self.records.step(self, event):
                return
            self._time_step(event)
        elif kind == "job_finished":
            self.outcome = event
        elif kind == "fatal":
            self.fatal = event
            log.error("job %s: the worker failed: %s", self.job.id, event.get("error"))
        elif kind not in ("record", "progress"):
            log.warning("job %s: ignoring unknown worker event %r", self.job.id, kind)
            return
        self.records.emit(self.job.id, event)

    def _time_step(self, event: dict) -> None:
        """Stop the worker when the step outlives its timeout (``queue_timeout``
        on the plugin, ``step_timeout`` on the job; the worker says which)."""
        timeout = event.get("timeout")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            return
        self._untime_step()
        timer = threading.Timer(timeout, self._step_timed_out, args=(event["index"], timeout))
        timer.daemon = True
        self.step_timer = timer
        timer.start()

    def _untime_step(self) -> None:
        timer, self.step_timer = self.step_timer, None
        if timer is not None:
            timer.cancel()

    def _step_timed_out(self, index: int, timeout: float) -> None:
        if self.current != index or self.proc is None or self.proc.poll() is not None:
            return
        self.timed_out = f"step {index} ({self.step_name(index)}) timed out after {timeout:g} s"
        log.warning("job %s: %s; stopping its worker", self.job.id, self.timed_out)
        self.signal(_SIGTERM)
        timer = threading.Timer(self.grace, self.signal, args=(_SIGKILL,))
        timer.daemon = True
        timer.start()

    def checkpoint(self, event: dict) -> bool:
        """Store a finished step, waiting out a busy store (the worker waits for
        the acknowledgement meanwhile, so nothing runs twice).

        A lease that lapsed meanwhile is renewed when this executor still holds
        the job (nobody recovered it); otherwise :class:`LeaseLost` propagates.
        """
        delay = CHECKPOINT_RETRY_FIRST
        while True:
            try:
                return self.records.step(self, event)
            except LeaseLost:
                self.records.take_up_lapsed(self.job.id, "checkpointing")
            except StoreError as exc:
                if self.cancelling or self.stopping:
                    raise
                log.warning(
                    "job %s: could not store step %s yet (%s); retrying in %.1f s",
                    self.job.id,
                    event.get("index"),
                    exc,
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, CHECKPOINT_RETRY_MAX)

    def conclude(self) -> None:
        """Record how the run ended, once the worker has exited."""
        self._keep_stderr()
        if self.lost:
            log.warning("job %s: forgotten here; another executor owns it now", self.job.id)
            return
        outcome = (self.outcome or {}).get("state")
        if outcome == RunOutcome.SUCCEEDED:
            self.finish(model.SUCCEEDED)
        elif outcome == RunOutcome.FAILED:
            self.finish(model.FAILED, self.outcome.get("error") or "a step failed")
        elif outcome == RunOutcome.WAITING:
            names = [self.step_name(i) for i in self.outcome.get("waiting") or []]
            self.records.log(self.job.id, "info", waiting_line(names))
            self.finish(model.WAITING)
        elif self.cancelling:
            self.finish(model.CANCELLED, "cancelled")
        elif self.fatal is not None:
            self.finish(model.FAILED, self.fatal.get("error") or "the worker failed")
        elif self.timed_out:
            self.interrupt(self.timed_out)  # counts as an attempt: the job's own failure
        elif self.stopping or outcome == RunOutcome.STOPPED:
            self.release(f"the executor stopped {self.where()}")
        elif self.proc is not None:
            self.interrupt(f"worker died {describe_exit(self.proc.returncode)} {self.where()}")

    def interrupt(self, reason: str) -> None:
        """The worker died: retry while attempts remain, else fail with the reason."""
        job = self.job
        if job.attempts >= job.max_attempts:
            error = f"gave up after {job.attempts} attempts: {reason}"
            log.error("job %s: %s", job.id, error)
            self.finish(model.FAILED, error)
            return
        log.warning(
            "job %s: %s; it will be retried (attempt %d of %d done)",
            job.id,
            reason,
            job.attempts,
            job.max_attempts,
        )
        try:  # unlike release(), this attempt counts
            self.store.finish_job(job.id, self.owner, model.INTERRUPTED, error=reason)
        except LeaseLost:
            log.warning("job %s: lease lost before it could be given back", job.id)
            return
        self.records.log(job.id, "warning", f"{reason}; will retry")
        self._ended(model.INTERRUPTED, reason)

    def finish(self, state: str, error: Optional[str] = None) -> None:
        ended = self.records.end(self.job, state, error)
        if ended is not None:
            self._ended(*ended)

    def release(self, reason: str) -> None:
        """Give the job back unfinished; this attempt does not count."""
        job = self.job
        try:
            self.store.release(job.id, self.owner, reason)
        except LeaseLost:
            log.warning("job %s: lease lost before it could be given back", job.id)
            return
        except StoreError as exc:
            log.error(
                "job %s: could not give it back (%s); it is recovered when its lease expires",
                job.id,
                exc,
            )
            return
        log.info("job %s released: %s", job.id, reason)
        self._ended(model.INTERRUPTED, reason)

    def _ended(self, state: str, error: Optional[str]) -> None:
        self.records.emit(self.job.id, {"event": "job_ended", "state": state, "error": error})

    # -- the worker process ---------------------------------------------------------

    def send(self, message: dict) -> None:
        proc = self.proc
        if proc is None or proc.stdin is None:
            return
        try:
            proc.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            proc.stdin.flush()
        except (OSError, ValueError):  # the worker is gone or stdin closed
            pass

    def signal(self, sig) -> None:
        """Send ``sig`` to the worker's process group (None: kill the worker)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if sys.platform == "win32" or sig is None:
                proc.kill()
            else:
                os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def kill(self) -> None:
        """Kill the worker and its process group at once."""
        self.signal(_SIGKILL)

    def cancel(self) -> None:
        """Stop the worker: SIGTERM, then SIGKILL after the executor's ``grace``."""
        self.cancelling = True
        self.signal(_SIGTERM)
        timer = threading.Timer(self.grace, self.signal, args=(_SIGKILL,))
        timer.daemon = True
        timer.start()

    def stop(self) -> None:
        """Ask the worker to stop after its current step."""
        self.stopping = True
        self.send({"control": "stop"})

    def lose(self, why: str) -> None:
        log.warning("job %s: %s; killing its worker", self.job.id, why)
        self.lost = True
        self.kill()

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self.output.add(line)
            self.records.emit(
                self.job.id,
                {"event": "stderr", "text": line.decode("utf-8", "replace").rstrip("\n")},
            )

    def _keep_stderr(self) -> None:
        if self.stderr_thread is None:
            return
        self.stderr_thread.join(1.0)  # EOF comes at exit unless a grandchild holds the pipe
        text = self.output.text()
        if text:
            self.records.log(self.job.id, "info", "worker output:\n" + text)
