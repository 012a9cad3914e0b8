"""The headless app: store, executor, spool ingester, hub and farm endpoint (no Qt).

One composition, used by ``pyblish-qml-queue serve`` and by the desktop app
(which adds its window on top), on the model of huey's ``Consumer``: a
:class:`Node` starts its parts in one order and stops them in the reverse
order, with one error handling:

- a part that cannot start stops the parts started before it, in reverse
  order, and its error propagates (``HubRunning`` as it is; a farm endpoint
  or Celery backend that cannot start as :class:`PartFailed`);
- a part that is optional for this entry point (``hub_required=False``,
  ``signals_required=False``) logs a warning and the node runs without it;
- stopping never stops half-way: a part that fails to stop is logged and the
  next one is stopped all the same.

The desktop app starts it in two steps (``start(two_step=True)``, then
:meth:`Node.finish_start` right after its window's first frame): the store and
the hub first (a second app finds this one, hosts connect), then the home made
private (a walk of every file in it), the executor, the spool ingester and the
farm endpoint, which the first frame does not need.

Parts passed in (a store, an executor, a hub) belong to the caller: the node
neither starts nor stops them, unless told to close the store.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, List, Optional

log = logging.getLogger(__name__)

__all__ = ["Node", "PartFailed"]


class PartFailed(RuntimeError):
    """A part of the node could not start. ``part`` names it ("executor", "signals");
    the message says why and what to do; ``__cause__`` is the original error."""

    def __init__(self, part: str, message: str):
        super().__init__(message)
        self.part = part


class Node:
    """Store, executor, spool ingester, hub and farm endpoint, started in that order.

    Args:
        store: a job store; default the user's SQLite store (closed at :meth:`stop`).
        close_store: close a store passed in at :meth:`stop` as well.
        executor: an executor (the caller's, neither started nor stopped here);
            ``None`` builds one for ``backend``; ``False`` runs none.
        backend: ``"local"`` (worker processes on this machine) or ``"celery"``
            (farm nodes, through the broker at ``broker``).
        broker: the Redis URL for ``backend="celery"`` (default: the environment's).
        concurrency: jobs at once, for a local executor built here.
        farm_concurrency: jobs handed to the farm at once, for a Celery executor built
            here (None: the executor's default, 16).
        lease: seconds a claim lasts unless renewed (default: the executor's own).
        stop_timeout: seconds workers get to finish their step at :meth:`stop`.
        spool: ingest spooled jobs (only with an executor built here).
        spool_interval: seconds between two looks into the spool folder.
        hub: a hub (the caller's); ``None`` starts one that stores hand-offs;
            ``False`` runs none.
        hub_required: when another app listens already, raise ``HubRunning``
            (True) or run without a hub and say so in the log (False).
        executor_required: when another executor runs this home's jobs (its lock,
            :mod:`.queue.home_lock`), raise :class:`PartFailed` (True) or run
            without an executor and say so in the log (False).
        signals: ``"HOST:PORT"`` of the farm-signal endpoint (``POST /v1/signal``);
            empty or None: off.
        signals_required: an endpoint that cannot start raises :class:`PartFailed`
            (True) or is logged and left off (False).
    """

    def __init__(
        self,
        store=None,
        *,
        close_store: bool = False,
        executor=None,
        backend: str = "local",
        broker: Optional[str] = None,
        concurrency: int = 1,
        farm_concurrency: Optional[int] = None,
        lease: Optional[float] = None,
        stop_timeout: float = 10.0,
        spool: bool = True,
        spool_interval: float = 1.0,
        hub=None,
        hub_required: bool = True,
        executor_required: bool = True,
        signals: Optional[str] = None,
        signals_required: bool = False,
    ):
        if backend not in ("local", "celery"):
            raise ValueError(f"backend must be 'local' or 'celery', got {backend!r}")
        self.store = store
        self.executor = executor or None
        self.hub = hub or None
        self.ingester = None
        self.signals = None  # the farm endpoint once started
        self.backend = backend
        self.broker = broker
        self.concurrency = concurrency
        self.farm_concurrency = farm_concurrency
        self.lease = lease
        self.stop_timeout = stop_timeout
        self.spool_interval = spool_interval
        self.signals_address = signals or ""
        self.signals_required = signals_required
        self.hub_required = hub_required
        self.executor_required = executor_required
        #: Called with a job's id whenever a job arrives (hand-off or spool), after
        #: the executor was woken. Add the GUI's listener here.
        self.on_job_added: List[Callable[[str], None]] = []
        self._build = {
            "store": store is None,
            "executor": executor is None,
            "spool": spool and executor is None,
            "hub": hub is None,
        }
        self._owned: list = []  # (part, stop), in start order
        if store is not None and close_store:
            self._owned.append(("store", store.close))
        self._started = False
        self._rest = ()  # the parts finish_start() starts
        # finish_start() may run on a thread of its own (the app's, after its first frame):
        # stop() waits for it, then stops what it started as well.
        self._lock = threading.RLock()

    # -- the order ----------------------------------------------------------------------------

    def start(self, two_step: bool = False) -> Node:
        """Start the parts in order: store, executor, spool ingester, hub, farm endpoint.

        Args:
            two_step: start the store and the hub only; :meth:`finish_start` makes the
                home private and starts the executor, the spool ingester and the farm
                endpoint (in that order), and :meth:`stop` stops them first.

        Raises:
            HubRunning: another app listens already (with ``hub_required``).
            PartFailed: the Celery backend or a required farm endpoint cannot start.
        """
        if self._started:
            return self
        self._started = True
        rest = (self._start_executor, self._start_spool, self._start_signals)
        if two_step:
            self._rest = (self._private_home, *rest)
            self._run((self._open_store, self._start_hub))
        else:
            self._run((self._private_home, self._open_store, *rest[:2], self._start_hub, rest[2]))
        return self

    def finish_start(self) -> Node:
        """Do what ``start(two_step=True)`` left: make the home private, start the
        executor, the spool ingester and the farm endpoint (nothing once stopped, or when
        already done). Raises as :meth:`start` does, having stopped every part. May run
        on a thread of its own: :meth:`stop` waits for it."""
        with self._lock:
            rest, self._rest = self._rest, ()
            self._run(rest)
        return self

    def _run(self, parts) -> None:
        try:
            for part in parts:
                part()
        except BaseException:
            self.stop()
            raise

    @property
    def parts(self) -> list:
        """The names of the parts this node started (and will stop), in start order."""
        return [part for part, _stop in self._owned]

    def stop(self) -> None:
        """Stop what this node started, in reverse order, once."""
        with self._lock:
            self._rest = ()  # a finish_start() after this starts nothing
            owned, self._owned = self._owned, []
        for part, stop in reversed(owned):
            try:
                stop()
            except Exception:
                log.exception("stopping the %s failed", part)

    def __enter__(self) -> Node:
        return self.start()

    def __exit__(self, *exc_info) -> bool:
        self.stop()
        return False

    def job_added(self, job_id: str) -> None:
        """A job arrived: wake the executor and tell the listeners."""
        if self.executor is not None:
            self.executor.wake()
        for listener in list(self.on_job_added):
            try:
                listener(job_id)
            except Exception:
                log.exception("a job-added listener failed")

    def wake(self, *_args) -> None:
        if self.executor is not None:
            self.executor.wake()

    # -- the parts ----------------------------------------------------------------------------

    def _private_home(self) -> None:
        """The home the store built here lives in: 0700/0600, said once when it changed
        anything. It walks every file there (reports, snapshots, worker libraries: thousands
        in a home used for months), which a two-step start does after its first step."""
        if self._build["store"]:
            from pyblish_qml_queue.common import paths

            paths.private_home(log)

    def _open_store(self) -> None:
        if not self._build["store"]:
            return
        from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

        self.store = SQLiteJobStore()
        self._owned.append(("store", self.store.close))
        if getattr(self.store, "recovered_from", None):
            log.warning(
                "The job store was damaged and moved to %s; a fresh one started.",
                self.store.recovered_from,
            )

    def _start_executor(self) -> None:
        if not self._build["executor"]:
            return
        lock = None
        path = getattr(self.store, "path", None)
        if isinstance(path, str):
            from pyblish_qml_queue.queue.home_lock import HomeLock, HomeTaken

            try:
                lock = HomeLock(path).take()
            except HomeTaken as exc:
                if self.executor_required:
                    raise PartFailed("executor", str(exc)) from exc
                log.warning("Not running jobs here: %s.", exc)
                return
        try:
            self.executor = self._make_executor()
            self.executor.start()
        except BaseException:
            if lock is not None:
                lock.release()
            raise

        def stop_executor():
            try:
                self.executor.stop(timeout=self.stop_timeout)
            finally:
                if lock is not None:
                    lock.release()

        self._owned.append(("executor", stop_executor))

    def _make_executor(self):
        lease = {} if self.lease is None else {"lease": self.lease}
        if self.backend == "local":
            from pyblish_qml_queue.queue.executor import Executor

            return Executor(self.store, concurrency=self.concurrency, **lease)
        try:
            from pyblish_qml_queue.queue.celery import app as celery_app
            from pyblish_qml_queue.queue.celery.executor import CeleryExecutor
        except ImportError as exc:
            raise PartFailed(
                "executor",
                f"the celery backend is not installed ({exc}); "
                "install it with: pip install 'pyblish-qml-queue[celery]'",
            ) from exc
        if self.farm_concurrency is not None:
            lease["concurrency"] = self.farm_concurrency
        return CeleryExecutor(self.store, celery_app.broker_url(self.broker), **lease)

    def _start_spool(self) -> None:
        if not self._build["spool"]:
            return
        from pyblish_qml_queue.queue.spool import SpoolIngester

        self.ingester = SpoolIngester(
            self.store, on_added=lambda ids: [self.job_added(i) for i in ids]
        )
        self.ingester.start(interval=self.spool_interval)
        self._owned.append(("spool ingester", self.ingester.stop))

    def _start_hub(self) -> None:
        if not self._build["hub"]:
            return
        from pyblish_qml_queue.hub.hub import HubRunning, run_hub_for_serve

        try:
            self.hub = run_hub_for_serve(self.store, on_added=self.job_added)
        except HubRunning as error:
            if self.hub_required:
                raise
            log.warning("%s; this node runs queued jobs but does not accept hosts", error)
            return
        self._owned.append(("hub", self.hub.close))

    def _start_signals(self) -> None:
        address = self.signals_address
        if not address:
            return
        from pyblish_qml_queue.farm.http import serve_signals

        try:
            self.signals = serve_signals(self.store, address, on_applied=self.wake)
        except (ValueError, OSError) as exc:
            if self.signals_required:
                reason = exc if isinstance(exc, ValueError) else (exc.strerror or exc)
                raise PartFailed(
                    "signals", f"cannot accept farm signals at {address}: {reason}"
                ) from exc
            log.warning(
                "Farm signals are off: cannot listen at %s (%s); change the 'signals' setting "
                "or the --signals address.",
                address,
                exc,
            )
            return
        log.info("farm signals at %s", self.signals.url)
        self._owned.append(("farm endpoint", self.signals.close))
