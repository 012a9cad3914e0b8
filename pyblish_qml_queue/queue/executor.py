"""The executor: claims jobs from a store and runs each in a worker process.

One loop thread recovers jobs of dead owners, renews the leases of running jobs
and claims new ones while fewer than ``concurrency`` run. Each claimed job runs
in its own thread, which starts ``python -m pyblish_qml_queue.worker`` (see
docs/adr/0002-worker-protocol.md), feeds it the job and turns its events into
store writes: ``step_finished`` is the checkpoint, so a killed executor resumes
at the interrupted step. A job's failure, however it happens, never stops the
executor.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Callable, Optional

from ..host.farm import JOB_ID_VAR, SECRET_VAR
from . import model
from .store import LeaseLost, StoreError

log = logging.getLogger(__name__)

#: Seconds between two recoveries of jobs whose owner died.
RECOVER_EVERY = 3.0
#: Most seconds between two lease renewals; a renewal also tells of a cancel
#: requested through the store (the CLI), so this bounds how late it is seen.
RENEW_AT_MOST = 1.0
#: Bytes of a worker's stderr kept for the job log.
STDERR_CAP = 32 * 1024

_live_owners = set()  # owners of executors running in this process
_live_lock = threading.Lock()


def register_owner(owner: str) -> None:
    """Count ``owner`` as a live executor of this process (see :func:`owner_alive`).

    An executor calls this when it starts, before it recovers or claims jobs, so
    its own jobs are never taken back from it by another executor here.
    """
    with _live_lock:
        _live_owners.add(owner)


def forget_owner(owner: str) -> None:
    """Stop counting ``owner`` as live: an executor calls this once it stopped, so
    the jobs it still holds are recovered by the next executor (here or elsewhere)."""
    with _live_lock:
        _live_owners.discard(owner)


def make_owner() -> str:
    """A unique owner id: ``<machine>:<pid>:<random hex>``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # LIMITED_QUERY
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def owner_alive(owner: str) -> bool:
    """Whether the executor named by ``owner`` may still be running.

    Another machine's owner counts as alive: its lease decides. On this machine
    the process must be alive, and in this very process the owner must be an
    executor that has not stopped (an earlier one in the same process is dead).
    """
    try:
        machine, pid, _ = owner.rsplit(":", 2)
        pid = int(pid)
    except ValueError:
        return False
    if machine != socket.gethostname():
        return True
    if pid == os.getpid():
        with _live_lock:
            return owner in _live_owners
    return pid_alive(pid)


def worker_env(job_env: Optional[dict] = None, base: Optional[dict] = None) -> dict:
    """The worker's environment: the job's over ``base`` (os.environ), with the
    folders holding pyblish_qml_queue and pyblish first on PYTHONPATH, so an
    interpreter like mayapy imports the same code."""
    env = dict(os.environ if base is None else base)
    env.update(job_env or {})
    import pyblish

    folders = [
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        os.path.dirname(os.path.dirname(os.path.abspath(pyblish.__file__))),
    ]
    for entry in env.get("PYTHONPATH", "").split(os.pathsep):
        if entry and entry not in folders:
            folders.append(entry)
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(folders))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def farm_details(event: dict, state: str, now: float) -> tuple:
    """``(farm, deadline)`` to record with a step_finished event (``finish_step``):
    a waiting step's farm job and timeout, and its deadline on the clock ``now``
    comes from; ``(None, None)`` for other steps."""
    if state != model.STEP_WAITING:
        return None, None
    sent = event.get("farm") if isinstance(event.get("farm"), dict) else {}
    farm = {"farm_job": sent.get("farm_job"), "timeout": sent.get("timeout")}
    timeout = farm["timeout"]
    ok = isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0
    if not ok:
        farm["timeout"] = None
    return farm, (now + timeout if ok else None)


def expire_waiting(store) -> list:
    """Fail the waiting jobs of ``store`` whose farm signal is overdue
    (``JobStore.expire_waiting``); a store error is logged, not raised.

    Returns:
        ``[(job id, its error)]`` of the jobs failed.
    """
    try:
        ids = store.expire_waiting()
    except StoreError as exc:
        log.warning("could not check waiting jobs for overdue farm signals: %s", exc)
        return []
    out = []
    for job_id in ids:
        error = None
        try:
            error = store.get(job_id).error
        except StoreError:
            pass
        out.append((job_id, error))
    return out


def describe_exit(returncode: int) -> str:
    """``"with SIGSEGV"`` or ``"with exit code 2"``."""
    if returncode < 0:
        try:
            return f"with {signal.Signals(-returncode).name}"
        except ValueError:
            return f"with signal {-returncode}"
    return f"with exit code {returncode}"


class _Run:
    """One job running in one worker process."""

    def __init__(self, job: model.Job, now: float):
        self.job = job
        self.proc = None
        self.thread = None
        self.renewed = now
        self.current = None  # index of the step running
        self.outcome = None  # the job_finished event
        self.fatal = None  # the fatal event
        self.cancelling = False
        self.stopping = False
        self.lost = False
        self.stderr = bytearray()
        self.stderr_thread = None
        self.stderr_dropped = 0

    def step_name(self, index) -> str:
        try:
            step = self.job.steps[index]
        except (IndexError, TypeError):
            return "?"
        name = step.label or step.plugin
        return f"{name} on {step.instance}" if step.instance else name

    def where(self) -> str:
        """Where in the job the worker was, for a reason."""
        if self.current is None:
            return "between steps" if self.job.steps_done else "before the first step"
        return f"during step {self.current} ({self.step_name(self.current)})"


class Executor:
    """Runs queued jobs of ``store`` in worker processes.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore`.
        concurrency: jobs running at once.
        lease: seconds a claim lasts unless renewed (renewed every ``lease / 3`` or
            every :data:`RENEW_AT_MOST` seconds if sooner, which is also how soon a
            cancel requested through the store is noticed).
        clock: time source for leases.
        python: interpreter for workers whose job names none (default ``sys.executable``).
        grace: seconds between SIGTERM and SIGKILL when a worker is stopped.
        poll: seconds between two looks at the queue when nothing wakes the loop.
        on_event: called from executor threads with ``{"job_id", "event", ...}`` for
            every worker event and ``job_started`` / ``job_ended`` {state, error}.
    """

    def __init__(
        self,
        store,
        concurrency: int = 1,
        lease: float = 30.0,
        clock: Callable[[], float] = time.time,
        python: Optional[str] = None,
        grace: float = 1.5,
        poll: float = 0.2,
        on_event: Optional[Callable[[dict], None]] = None,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store = store
        self.concurrency = concurrency
        self.lease = float(lease)
        self.clock = clock
        self.python = python
        self.grace = grace
        self.poll = poll
        self.on_event = on_event
        self.owner = make_owner()
        self._runs = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._paused = False
        self._thread = None
        self._recovered_at = None

    # -- control ----------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs of dead owners, then run the loop in a thread."""
        register_owner(self.owner)
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="executor", daemon=True)
        self._thread.start()
        log.info("executor %s started, concurrency %d", self.owner, self.concurrency)

    def wake(self) -> None:
        """Look at the queue now (e.g. a job was just added)."""
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Claim no new jobs; running ones go on."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self.wake()

    def running(self) -> list:
        """Ids of the jobs running here."""
        with self._lock:
            return list(self._runs)

    def cancel(self, job_id: str) -> str:
        """Cancel a job: a running one here has its worker stopped (SIGTERM, then
        SIGKILL after ``grace``) and is recorded cancelled. Returns the store's state.

        Raises:
            JobNotFound, InvalidState: as :meth:`JobStore.cancel`.
        """
        job_id = self.store.get(job_id).id
        state = self.store.cancel(job_id)
        with self._lock:
            run = self._runs.get(job_id)
        if run is not None:
            self._cancel_run(run)
        return state

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully: workers stop after their current step, those still
        running after ``timeout`` are killed; unfinished jobs are released so the
        next executor resumes them."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.poll + 10.0)  # no claims after this
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.stopping = True
            self._send(run, {"control": "stop"})
        deadline = time.monotonic() + timeout
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        for run in runs:
            if run.thread is not None and run.thread.is_alive():
                log.warning(
                    "job %s: worker did not stop within %.1f s; killing it", run.job.id, timeout
                )
                self._signal(run, signal.SIGKILL if hasattr(signal, "SIGKILL") else None)
                run.thread.join(self.grace + 5.0)
        forget_owner(self.owner)
        log.info("executor %s stopped", self.owner)

    # -- the loop ---------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("executor loop: unexpected error; going on")
            self._wake.wait(self.poll)
            self._wake.clear()

    def _tick(self) -> None:
        now = time.monotonic()
        if self._recovered_at is None or now - self._recovered_at >= RECOVER_EVERY:
            self._recover()
        self._expire_waiting()
        self._renew_all()
        while not self._paused and not self._stopping.is_set():
            with self._lock:
                if len(self._runs) >= self.concurrency:
                    break
            if not self._claim():
                break

    def _recover(self) -> None:
        self._recovered_at = time.monotonic()
        try:
            ids = self.store.recover(owner_alive)
        except StoreError as exc:
            log.warning("could not recover jobs of stopped executors: %s", exc)
            return
        if ids:
            log.info("recovered %d job(s) of stopped executors: %s", len(ids), ", ".join(ids))

    def _expire_waiting(self) -> None:
        """Fail waiting jobs whose farm signal is overdue."""
        for job_id, error in expire_waiting(self.store):
            self._emit(job_id, {"event": "job_ended", "state": model.FAILED, "error": error})

    def _renew_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.lost or self.clock() - run.renewed < min(self.lease / 3.0, RENEW_AT_MOST):
                continue
            try:
                cancel = self.store.renew(run.job.id, self.owner, self.lease)
            except LeaseLost:
                self._lose(run, "its lease was lost while renewing")
                continue
            except StoreError as exc:
                log.warning("job %s: could not renew its lease: %s", run.job.id, exc)
                continue
            run.renewed = self.clock()
            if cancel and not run.cancelling:
                log.info("job %s: cancel requested; stopping its worker", run.job.id)
                self._cancel_run(run)

    def _claim(self) -> bool:
        job = self.store.claim(self.owner, self.lease)
        if job is None:
            return False
        run = _Run(job, self.clock())
        run.thread = threading.Thread(
            target=self._run, args=(run,), name=f"job-{job.id[:8]}", daemon=True
        )
        with self._lock:
            self._runs[job.id] = run
        run.thread.start()
        return True

    # -- one job ----------------------------------------------------------------

    def _run(self, run: _Run) -> None:
        job = run.job
        try:
            self._emit(job.id, {"event": "job_started", "attempt": job.attempts})
            self._log(
                job.id,
                "info",
                f"attempt {job.attempts} of {job.max_attempts} started by {self.owner}",
            )
            if self._spawn(run):
                self._pump(run)
            self._conclude(run)
        except Exception:
            log.exception("job %s: unexpected error in the executor; giving the job back", job.id)
            self._signal(run, getattr(signal, "SIGKILL", None))
            self._release(run, "the executor hit an unexpected error (see its log)")
        finally:
            with self._lock:
                self._runs.pop(job.id, None)
            self._wake.set()

    def _spawn(self, run: _Run) -> bool:
        job = run.job
        python = job.payload.get("python") or self.python or sys.executable
        kwargs = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        env = worker_env(job.payload.get("env"))
        env[JOB_ID_VAR] = job.id
        env[SECRET_VAR] = job.secret or ""
        try:
            run.proc = subprocess.Popen(
                [python, "-m", "pyblish_qml_queue.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                **kwargs,
            )
        except OSError as exc:
            error = f"could not start the worker with {python}: {exc}"
            log.error("job %s: %s", job.id, error)
            self._finish(run, model.FAILED, error)
            return False
        run.stderr_thread = threading.Thread(
            target=self._drain_stderr, args=(run,), daemon=True, name=f"stderr-{job.id[:8]}"
        )
        run.stderr_thread.start()
        steps = []
        for step in job.steps:
            data = step.to_dict()
            data["records"] = []  # the worker needs states and changes, not old logs
            steps.append(data)
        self._send(run, {"payload": job.payload, "steps": steps})
        if run.cancelling:  # cancelled or stopped while the worker was starting
            self._cancel_run(run)
        elif run.stopping:
            self._send(run, {"control": "stop"})
        return True

    def _pump(self, run: _Run) -> None:
        for raw in run.proc.stdout:
            try:
                event = json.loads(raw.decode("utf-8", "replace"))
                if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                    raise ValueError("not an event object")
            except ValueError:
                log.warning("job %s: ignoring a malformed worker line: %r", run.job.id, raw[:200])
                continue
            if run.lost:
                continue
            try:
                self._handle(run, event)
            except LeaseLost:
                self._lose(run, "its lease was lost at a checkpoint")
        run.proc.wait()

    def _handle(self, run: _Run, event: dict) -> None:
        kind = event["event"]
        job_id = run.job.id
        index = event.get("index")
        if kind in ("step_started", "step_finished") and not (
            isinstance(index, int) and 0 <= index < len(run.job.steps)
        ):
            log.warning("job %s: ignoring %s for an unknown step %r", job_id, kind, index)
            return
        if kind == "step_started":
            run.current = index
            self.store.start_step(job_id, self.owner, index)
        elif kind == "step_finished":
            state = event.get("state")
            if state not in model.STEP_STATES:
                log.warning(
                    "job %s: step %d finished in unknown state %r; taken as failed",
                    job_id,
                    index,
                    state,
                )
                state = model.STEP_FAILED
            farm, deadline = farm_details(event, state, self.clock())
            self.store.finish_step(
                job_id,
                self.owner,
                index,
                state,
                duration=event.get("duration"),
                error=event.get("error"),
                traceback=event.get("traceback"),
                records=event.get("records") or (),
                changes=event.get("changes") or {},
                farm=farm,
                deadline=deadline,
            )
            step = run.job.steps[index]
            step.state = state
            run.current = None
        elif kind == "job_finished":
            run.outcome = event
        elif kind == "fatal":
            run.fatal = event
            log.error("job %s: the worker failed: %s", job_id, event.get("error"))
        elif kind not in ("record", "progress"):
            log.warning("job %s: ignoring unknown worker event %r", job_id, kind)
            return
        self._emit(job_id, event)

    def _conclude(self, run: _Run) -> None:
        """Record how the run ended, once the worker has exited."""
        job = run.job
        self._keep_stderr(run)
        if run.lost:
            log.warning("job %s: forgotten here; another executor owns it now", job.id)
            return
        outcome = (run.outcome or {}).get("state")
        if outcome == "succeeded":
            self._finish(run, model.SUCCEEDED)
        elif outcome == "failed":
            self._finish(run, model.FAILED, run.outcome.get("error") or "a step failed")
        elif outcome == "waiting":
            waiting = [run.step_name(i) for i in run.outcome.get("waiting") or []]
            self._log(
                job.id,
                "info",
                "waiting for the farm"
                + (f" ({', '.join(waiting)})" if waiting else "")
                + "; no worker runs until its signal comes",
            )
            self._finish(run, model.WAITING)
        elif run.cancelling:
            self._finish(run, model.CANCELLED, "cancelled")
        elif run.fatal is not None:
            self._finish(run, model.FAILED, run.fatal.get("error") or "the worker failed")
        elif run.stopping or outcome == "stopped":
            self._release(run, f"the executor stopped {run.where()}")
        else:
            if run.proc is None:
                return
            reason = f"worker died {describe_exit(run.proc.returncode)} {run.where()}"
            self._interrupt(run, reason)

    def _interrupt(self, run: _Run, reason: str) -> None:
        """The worker died: retry while attempts remain, else fail with the reason."""
        job = run.job
        if job.attempts >= job.max_attempts:
            error = f"gave up after {job.attempts} attempts: {reason}"
            log.error("job %s: %s", job.id, error)
            self._finish(run, model.FAILED, error)
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
        self._log(job.id, "warning", f"{reason}; will retry")
        self._emit(job.id, {"event": "job_ended", "state": model.INTERRUPTED, "error": reason})

    def _finish(self, run: _Run, state: str, error: Optional[str] = None) -> None:
        job = run.job
        try:
            recorded = self.store.finish_job(job.id, self.owner, state, error=error)
        except LeaseLost:
            log.warning("job %s: lease lost before it could be recorded %s", job.id, state)
            return
        if recorded and recorded != state:  # a farm signal came in while it ran
            state = recorded
            error = self.store.get(job.id).error if recorded == model.FAILED else None
            log.info("job %s: a farm signal arrived while it ran; it is %s", job.id, state)
            if recorded == model.QUEUED:
                self._wake.set()
        if error and state != model.SUCCEEDED:
            self._log(job.id, "error" if state == model.FAILED else "info", f"{state}: {error}")
        log.info("job %s %s%s", job.id, state, f": {error}" if error else "")
        self._emit(job.id, {"event": "job_ended", "state": state, "error": error})

    def _release(self, run: _Run, reason: str) -> None:
        job = run.job
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
        self._emit(job.id, {"event": "job_ended", "state": model.INTERRUPTED, "error": reason})

    # -- worker process ---------------------------------------------------------

    def _send(self, run: _Run, message: dict) -> None:
        proc = run.proc
        if proc is None or proc.stdin is None:
            return
        try:
            proc.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            proc.stdin.flush()
        except (OSError, ValueError):  # the worker is gone or stdin closed
            pass

    def _signal(self, run: _Run, sig) -> None:
        proc = run.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if sys.platform == "win32" or sig is None:
                proc.kill()
            else:
                os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def _cancel_run(self, run: _Run) -> None:
        run.cancelling = True
        self._signal(run, getattr(signal, "SIGTERM", None))
        timer = threading.Timer(
            self.grace, self._signal, args=(run, getattr(signal, "SIGKILL", None))
        )
        timer.daemon = True
        timer.start()

    def _lose(self, run: _Run, why: str) -> None:
        log.warning("job %s: %s; killing its worker", run.job.id, why)
        run.lost = True
        self._signal(run, getattr(signal, "SIGKILL", None))

    def _drain_stderr(self, run: _Run) -> None:
        for line in run.proc.stderr:
            if len(run.stderr) + len(line) <= STDERR_CAP:
                run.stderr += line
            else:
                run.stderr_dropped += len(line)
            self._emit(
                run.job.id,
                {"event": "stderr", "text": line.decode("utf-8", "replace").rstrip("\n")},
            )

    def _keep_stderr(self, run: _Run) -> None:
        if run.stderr_thread is None:
            return
        run.stderr_thread.join(1.0)  # EOF comes at exit unless a grandchild holds the pipe
        text = bytes(run.stderr).decode("utf-8", "replace").rstrip()
        if not text:
            return
        if run.stderr_dropped:
            text += f"\n[{run.stderr_dropped} more bytes of worker output dropped]"
        self._log(run.job.id, "info", "worker output:\n" + text)

    # -- reporting ----------------------------------------------------------------

    def _log(self, job_id: str, level: str, message: str) -> None:
        try:
            self.store.add_log(job_id, level, message)
        except StoreError as exc:
            log.warning("job %s: could not write its log: %s", job_id, exc)

    def _emit(self, job_id: str, event: dict) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(dict(event, job_id=job_id))
        except Exception:
            log.exception("on_event callback failed for job %s", job_id)
