"""The executor: claims jobs from a store and runs each in a worker process.

One loop thread (:class:`~.loop.ClaimLoop`) recovers jobs of dead owners, renews
the leases of running jobs and claims new ones while fewer than ``concurrency``
run. Each claimed job runs in its own thread as a :class:`~.job_run.JobRun`,
which starts ``python -m pyblish_qml_queue.worker`` and records its events;
``step_finished`` is the checkpoint, so a killed executor resumes at the
interrupted step. A job's failure, however it happens, never stops the executor.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from pyblish_qml_queue.queue.job_run import JobRun
from pyblish_qml_queue.queue.loop import ClaimLoop
from pyblish_qml_queue.queue.owners import owner_alive, pid_alive

# owner_alive and pid_alive: where callers have always found them
__all__ = ["Executor", "owner_alive", "pid_alive"]

log = logging.getLogger(__name__)


class Executor(ClaimLoop):
    """Runs queued jobs of ``store`` in worker processes.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore`.
        concurrency: jobs running at once.
        lease: seconds a claim lasts unless renewed (renewed every ``lease / 3`` or
            every :data:`.loop.RENEW_AT_MOST` seconds if sooner, which is also how soon a
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
        super().__init__(store, concurrency, lease, clock, poll, on_event)
        self.python = python
        self.grace = grace

    def start(self) -> None:
        """Recover jobs of dead owners, then run the loop in a thread."""
        super().start()
        log.info("executor %s started, concurrency %d", self.owner, self.concurrency)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully: workers stop after their current step, those still
        running after ``timeout`` are killed; unfinished jobs are released so the
        next executor resumes them."""
        runs = self._stop_loop(10.0)
        for run in runs:
            run.stop()
        deadline = time.monotonic() + timeout
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        for run in runs:
            if run.thread is not None and run.thread.is_alive():
                log.warning(
                    "job %s: worker did not stop within %.1f s; killing it", run.job.id, timeout
                )
                run.kill()
                run.thread.join(self.grace + 5.0)
        self._stopped()
        log.info("executor %s stopped", self.owner)

    # -- the loop's hooks -----------------------------------------------------------

    def _claim(self) -> bool:
        job = self.store.claim(self.owner, self.lease)
        if job is None:
            return False
        done, total = job.progress
        log.info(
            "job %s claimed: %r from %s, %d/%d steps done (attempt %d of %d)",
            job.id[:8],
            job.title,
            job.host.get("application", "?"),
            done,
            total,
            job.attempts,
            job.max_attempts,
        )
        run = self._make_run(job)
        run.thread = threading.Thread(target=run.run, name=f"job-{job.id[:8]}", daemon=True)
        with self._lock:
            self._runs[job.id] = run
        run.thread.start()
        return True

    def _make_run(self, job) -> JobRun:
        """The run of a claimed job (a subclass may run its own kind)."""
        return JobRun(job, self.records, self.python, self.grace, self._run_ended)

    def _run_ended(self, run: JobRun) -> None:
        with self._lock:
            self._runs.pop(run.job.id, None)
        self._wake.set()

    def _cancel_run(self, run: JobRun, state: str) -> str:
        run.cancel()  # SIGTERM, then SIGKILL after grace; recorded once it exits
        return state

    def _lease_lost(self, run: JobRun, why: str) -> None:
        run.lose(why)

    def _cancel_requested(self, run: JobRun) -> None:
        if not run.cancelling:
            log.info("job %s: cancel requested; stopping its worker", run.job.id)
            run.cancel()
