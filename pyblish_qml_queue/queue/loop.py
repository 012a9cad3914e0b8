"""What the local and the Celery executor share: the claim loop and its records.

:class:`ClaimLoop` is the public surface both executors have (start, stop, wake,
pause, resume, paused, running, cancel, on_event) and the loop behind it: one
thread recovers jobs of dead owners, fails waiting jobs whose farm signal is
overdue, renews the leases of its running jobs and claims new ones while fewer
than ``concurrency`` run. How a claimed job runs (a worker process here, a
Celery task on a farm node) is the subclass's; how its events and its end are
recorded in the store is shared (:class:`~.records.RunRecords`, the one
collaborator a run is given), so both show alike in the Queue page and CLI.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.owners import forget_owner, make_owner, owner_alive, register_owner
from pyblish_qml_queue.queue.records import RunRecords
from pyblish_qml_queue.queue.store import LeaseLost, StoreError

log = logging.getLogger(__name__)

#: Seconds between two recoveries of jobs whose owner died.
RECOVER_EVERY = 3.0
#: Most seconds between two lease renewals; a renewal also tells of a cancel
#: requested through the store (the CLI), so this bounds how late it is seen.
RENEW_AT_MOST = 1.0
#: Bytes of a worker's stderr kept for the job log.
STDERR_CAP = 32 * 1024


class Run:
    """One claimed job, as its executor follows it."""

    def __init__(self, job: model.Job, now: float):
        self.job = job
        self.renewed = now
        self.current = None  # index of the step running
        self.lost = False  # another executor owns the job now
        self.output = OutputTail()

    def worker(self) -> dict:
        """Who runs the job's steps now (``Step.worker``), as a step starts; {} if unknown."""
        return {}


class OutputTail:
    """A worker's stderr for the job log: the first :data:`STDERR_CAP` bytes."""

    def __init__(self, cap: int = STDERR_CAP):
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0

    def add(self, line: bytes) -> None:
        if len(self.kept) + len(line) <= self.cap:
            self.kept += line
        else:
            self.dropped += len(line)

    def text(self) -> str:
        """What was kept, with a note of how much was not; "" when nothing came."""
        text = bytes(self.kept).decode("utf-8", "replace").rstrip()
        if text and self.dropped:
            text += f"\n[{self.dropped} more bytes of worker output dropped]"
        return text


def steps_to_send(job: model.Job) -> list:
    """The job's steps as a worker gets them: states and changes, not old logs."""
    return [dict(step.to_dict(), records=[]) for step in job.steps]


def waiting_line(names: list) -> str:
    """The job log line of a job parked until the farm signals the steps ``names``."""
    which = f" ({', '.join(names)})" if names else ""
    return f"waiting for the farm{which}; no worker runs until its signal comes"


class ClaimLoop:
    """The claim loop both executors run; see the module docstring.

    Subclasses implement :meth:`_claim` (take one job from the store and start
    it; False when none is queued or none can start), :meth:`_cancel_run`,
    :meth:`_lease_lost`, :meth:`_cancel_requested` and ``stop`` (with
    :meth:`_stop_loop` and :meth:`_stopped`), and may override
    :meth:`_known_step_end`. Runs record through :attr:`records`.
    """

    #: Name of the loop's thread.
    thread_name = "executor"

    def __init__(
        self,
        store,
        concurrency: int,
        lease: float,
        clock: Callable[[], float],
        poll: float,
        on_event: Optional[Callable[[dict], None]],
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store = store
        self.concurrency = concurrency
        self.lease = float(lease)
        self.clock = clock
        self.poll = poll
        self.on_event = on_event
        self.owner = make_owner()
        self._runs = {}  # job id -> Run
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._paused = False
        self._thread = None
        self._recovered_at = None
        #: What runs write through (the store, the job log, ``on_event``).
        self.records = RunRecords(
            store, self.owner, clock, self._emit, self._wake.set, self._known_step_end, self.lease
        )

    # -- control ----------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs of dead owners, then run the loop in a thread."""
        register_owner(self.owner)
        self._recover()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now (e.g. a job was just added)."""
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Claim no new jobs; the running ones go on."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self.wake()

    def running(self) -> list:
        """Ids of the jobs running here."""
        with self._lock:
            return list(self._runs)

    def cancel(self, job_id: str) -> str:
        """Cancel a job: a queued or waiting one at once; one running here is
        stopped (:meth:`_cancel_run`) and recorded cancelled. Returns its state.

        Raises:
            JobNotFound, InvalidState: as :meth:`JobStore.cancel`.
        """
        job_id = self.store.get(job_id).id
        state = self.store.cancel(job_id)
        with self._lock:
            run = self._runs.get(job_id)
        return state if run is None else self._cancel_run(run, state)

    def _cancel_run(self, run: Run, state: str) -> str:
        """Stop a run the user cancelled; the job's state after it (the store
        said ``state``)."""
        raise NotImplementedError

    def _stop_loop(self, timeout: float) -> list:
        """End the loop (no claims after this); the runs still followed."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.poll + timeout)
        with self._lock:
            return list(self._runs.values())

    def _stopped(self) -> None:
        forget_owner(self.owner)

    # -- the loop ---------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:
                log.exception("%s loop: unexpected error; going on", self.thread_name)
            if self._idle():
                self._wake.wait(self.poll)
                self._wake.clear()

    def _idle(self) -> bool:
        """Whether the loop waits for ``poll`` (or a wake) before its next tick."""
        return True

    def _tick(self) -> None:
        self._look_after_store()
        self._claim_while_room()

    def _look_after_store(self) -> None:
        """Renew leases, recover (every :data:`RECOVER_EVERY` s), fail overdue waits.

        Renewing first means a lease of ours that lapsed while the store was
        busy is renewed before recovery could take our own running job back.
        """
        self._renew_all()
        if self._recovered_at is None or time.monotonic() - self._recovered_at >= RECOVER_EVERY:
            self._recover()
        self._expire_waiting()

    def _claim_while_room(self) -> None:
        while not self._paused and not self._stopping.is_set():
            with self._lock:
                if len(self._runs) >= self.concurrency:
                    return
            if not self._claim():
                return

    def _claim(self) -> bool:
        raise NotImplementedError

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
        """Fail the waiting jobs whose farm signal is overdue (a store error is logged)."""
        try:
            ids = self.store.expire_waiting()
        except StoreError as exc:
            log.warning("could not check waiting jobs for overdue farm signals: %s", exc)
            return
        for job_id in ids:
            error = None
            try:
                error = self.store.get(job_id).error
            except StoreError:
                pass
            self._emit(job_id, {"event": "job_ended", "state": model.FAILED, "error": error})

    def _renew_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.lost or self.clock() - run.renewed < min(self.lease / 3.0, RENEW_AT_MOST):
                continue
            try:
                cancel = self._renew(run)
            except LeaseLost:
                self._lease_lost(run, "its lease was lost while renewing")
                continue
            except StoreError as exc:
                log.warning("job %s: could not renew its lease: %s", run.job.id, exc)
                continue
            run.renewed = self.clock()
            if cancel:
                self._cancel_requested(run)

    def _renew(self, run: Run) -> bool:
        """Renew a run's lease; one that lapsed while nobody took the job (the store
        was busy longer than the lease) is taken up again. Raises LeaseLost."""
        try:
            return self.store.renew(run.job.id, self.owner, self.lease)
        except LeaseLost:
            return self.records.take_up_lapsed(run.job.id, "renewing")

    def _lease_lost(self, run: Run, why: str) -> None:
        """Another executor owns the job now: stop following it."""
        raise NotImplementedError

    def _cancel_requested(self, run: Run) -> None:
        """A cancel was requested through the store (the CLI): stop the run."""
        raise NotImplementedError

    def _known_step_end(self, run: Run, event: dict, state: str) -> bool:
        """Whether the store already has this step end (not to be written again)."""
        return False

    def _emit(self, job_id: Optional[str], event: dict) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(dict(event, job_id=job_id))
        except Exception:
            log.exception("on_event callback failed for job %s", job_id)
