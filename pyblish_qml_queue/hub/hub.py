"""The hub: every host's session in the app (and in ``serve``). No Qt.

Hosts connect over the authenticated local link (:mod:`transport`), register,
and get a :class:`~pyblish_qml_queue.hub.session.HostSession` each; the hub
drives several hosts in parallel and tells its subscribers (the GUI, the CLI)
what happens. Its threads do not grow with the hosts: one I/O thread reads
every link and a small pool serves what may block (:mod:`~pyblish_qml_queue.hub.loop`).
A host whose link drops stays, disconnected, with its progress; when it
registers again (same id) its session is restored from the results the host
kept. Disconnected hosts are forgotten after ``FORGET_AFTER`` seconds, and
beyond the ``KEEP_DISCONNECTED`` most recent, so a DCC launched daily does not
leave a card per launch. The GUI and the CLI rely
on this class's methods; every one is thread-safe, and callbacks run on hub
threads (the GUI marshals them to its own). The wire is in docs/protocol.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future
from typing import Callable, Optional

from pyblish_qml_queue.common import spool, wire
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.common.wire.peer import Peer
from pyblish_qml_queue.hub import dispatch
from pyblish_qml_queue.hub.loop import Loop, LoopPeer, can_serve
from pyblish_qml_queue.hub.session import HostSession, HostUnavailable
from pyblish_qml_queue.hub.transport import HubRunning, Listener

log = logging.getLogger(__name__)

__all__ = ["Hub", "HostUnavailable", "HubRunning", "UnknownHost", "run_hub_for_serve"]

FORGET_ENV = "PYBLISH_QML_QUEUE_FORGET_HOSTS_AFTER"
#: Seconds a disconnected host is kept (its card and progress) before it is forgotten.
FORGET_AFTER = 4 * 3600.0
#: Disconnected hosts kept at most; beyond, the longest disconnected is forgotten.
KEEP_DISCONNECTED = 20


def _forget_after() -> float:
    try:
        return float(os.environ.get(FORGET_ENV, FORGET_AFTER))
    except ValueError:
        log.warning("%s is not a number of seconds; using %.0f", FORGET_ENV, FORGET_AFTER)
        return FORGET_AFTER


class UnknownHost(KeyError):
    """No host has that id, id prefix or pid (answered as ``unknown_host`` on the wire)."""


class Hub:
    """Accepts host connections and drives their publishes.

    Args:
        on_job: ``on_job(payload) -> job id``, called when a host hands off (the
            app stores the job); raising refuses the job with that message.
        clock: time source (``last_activity``).
    """

    def __init__(
        self,
        on_job: Optional[Callable] = None,
        clock: Callable = time.time,
        forget_after: Optional[float] = None,
        keep_disconnected: int = KEEP_DISCONNECTED,
    ):
        self._on_job = on_job
        self._clock = clock
        self._forget_after = _forget_after() if forget_after is None else forget_after
        self._keep_disconnected = keep_disconnected
        self._gone_at: dict = {}  # host id -> when its link dropped
        self._closing = threading.Event()
        self._lock = threading.RLock()
        self._sessions: dict = {}
        self._peers: dict = {}  # peer -> host id (hosts) or None (cli / hand-off peers)
        self._subscribers: list = []
        self._listener: Optional[Listener] = None
        self._loop: Optional[Loop] = None
        self._closed = False
        self._dispatch_table = {
            "ping": self._ping,
            "register": self._register,
            "show": self._show,
            "submit": self._submit,
            "hosts": lambda peer, params: self.hosts(),
            "host": self._host_request,
            "drive": self._drive,
            "raise": self._raise,
        }

    # -- life ---------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self._listener.address if self._listener else ""

    @property
    def refused(self) -> int:
        """Connections refused for a wrong authkey."""
        return self._listener.refused if self._listener else 0

    @property
    def threads(self) -> list:
        """The hub's own threads (the I/O thread and its pool), whatever the hosts."""
        return self._loop.threads if self._loop else []

    def start(self) -> None:
        """Listen and write the runtime file. Raises :class:`HubRunning`."""
        loop = Loop().start()
        listener = Listener(self._on_connection, loop=loop)
        try:
            listener.start()
        except BaseException:
            loop.stop()
            raise
        self._loop = loop
        self._listener = listener
        self._sweep_every = min(60.0, max(self._forget_after / 4, 0.5))
        loop.call_later(self._sweep_every, self._sweep)

    def _run_off(self, func: Callable, *args) -> None:
        """Run what may block on the hub's pool (a thread each before it starts)."""
        if self._loop is not None:
            self._loop.pool.submit(func, *args)
        else:
            threading.Thread(target=func, args=args, daemon=True).start()

    def _sweep(self) -> None:
        """Forget stale disconnected hosts now and then, also while nobody asks
        (a timer of the loop; the forgetting runs on its pool)."""
        if self._closing.is_set():
            return
        self._loop.pool.submit(self.forget_stale)  # the pool logs what fails
        self._loop.call_later(self._sweep_every, self._sweep)

    def close(self) -> None:
        """Stop listening, drop every link, remove the runtime file (if ours)."""
        self._closed = True
        self._closing.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            peers = list(self._peers)
            sessions = list(self._sessions.values())
        for peer in peers:
            peer.close()
        for session in sessions:
            session.close()
        if self._loop is not None:
            self._loop.stop()

    # -- subscribers ----------------------------------------------------------------------

    def subscribe(self, callback: Callable) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe():
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("a hub subscriber failed on %s", event.get("type"))

    # -- reading ----------------------------------------------------------------------------

    def hosts(self) -> list:
        self.forget_stale()
        with self._lock:
            sessions = list(self._sessions.values())
        return [s.snapshot() for s in sessions]

    def host(self, host_id: str) -> dict:
        return self._session(host_id).snapshot()

    def items(self, host_id: str) -> dict:
        return self._session(host_id).items()

    def results(self, host_id: str) -> list:
        return self._session(host_id).results_copy()

    def _session(self, host_id: str) -> HostSession:
        """The session by id, a unique prefix of an id, or a pid. KeyError otherwise."""
        with self._lock:
            if host_id in self._sessions:
                return self._sessions[host_id]
            found = [
                s
                for s in self._sessions.values()
                if s.id.startswith(host_id) or str(s.info.get("pid")) == host_id
            ]
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownHost(f"no host {host_id!r}")
        raise KeyError(f"{host_id!r} names {len(found)} hosts; give more of the id")

    # -- driving ------------------------------------------------------------------------------

    def _drive_session(self, host_id: str, name: str, *args):
        session = self._session(host_id)
        session.require_connected()
        return session.submit(getattr(session, name), *args)

    def reset(self, host_id: str) -> None:
        self._drive_session(host_id, "do_reset")

    def validate(self, host_id: str) -> None:
        self._drive_session(host_id, "do_validate")

    def publish(self, host_id: str) -> None:
        self._drive_session(host_id, "do_publish")

    def stop(self, host_id: str) -> None:
        self._session(host_id).stop()

    def handoff(self, host_id: str, title: Optional[str] = None) -> str:
        """Hand the rest of the host's publish to the queue; blocks until stored."""
        return self._drive_session(host_id, "do_handoff", title).result()

    def toggle(self, host_id: str, item_id: str, value: bool) -> None:
        self._drive_session(host_id, "do_toggle", item_id, bool(value))

    def repair(self, host_id: str, plugin_id: str) -> None:
        self._drive_session(host_id, "do_repair", plugin_id)

    def act(self, host_id: str, plugin_id: str, action_id: str) -> None:
        self._drive_session(host_id, "do_act", plugin_id, action_id)

    def comment(self, host_id: str, text: str) -> None:
        self._drive_session(host_id, "do_comment", str(text))

    def forget(self, host_id: str) -> None:
        """Drop a disconnected host."""
        session = self._session(host_id)
        if session.connected:
            raise HostUnavailable(
                f"host {session.id} is connected; only a disconnected host can be forgotten"
            )
        self._drop([session])

    def forget_stale(self) -> list:
        """Forget disconnected hosts gone longer than ``forget_after`` seconds, and the
        longest gone beyond ``keep_disconnected``. Returns their ids."""
        now = self._clock()
        with self._lock:
            gone = [s for s in self._sessions.values() if not s.connected]
            gone.sort(key=lambda s: self._gone_at.get(s.id, now), reverse=True)
            stale = [
                s
                for n, s in enumerate(gone)
                if n >= self._keep_disconnected
                or now - self._gone_at.get(s.id, now) > self._forget_after
            ]
        self._drop(stale)
        return [s.id for s in stale]

    def _drop(self, sessions: list) -> None:
        for session in sessions:
            with self._lock:
                if self._sessions.get(session.id) is not session:
                    continue
                del self._sessions[session.id]
                self._gone_at.pop(session.id, None)
            session.close()
            log.info("forgot disconnected host %s", session.id)
            self._emit({"type": "host_removed", "host_id": session.id})

    # -- the link -----------------------------------------------------------------------------

    def _on_connection(self, conn) -> None:
        if self._closed:
            wire.shutdown(conn)
            return
        holder: list = []
        args = (
            conn,
            lambda method, params: holder[0](method, params),
            wire.APP_METHODS,
        )
        kwargs = {"on_close": self._peer_closed, "name": "hub-peer"}
        if self._loop is not None and can_serve(conn):
            peer = LoopPeer(self._loop, *args, **kwargs)
        else:  # a Windows pipe: threads of its own
            peer = Peer(*args, **kwargs)
        holder.append(self.dispatcher(peer))
        with self._lock:
            self._peers[peer] = None
        peer.start()

    def dispatcher(self, peer) -> dispatch.Dispatcher:
        """The allow-listed requests a peer may make, bound to that peer."""

        def bind(method):
            return lambda params: self._dispatch_table[method](peer, params)

        return dispatch.Dispatcher({m: bind(m) for m in self._dispatch_table})

    def _peer_closed(self, peer) -> None:
        with self._lock:
            host_id = self._peers.pop(peer, None)
            session = self._sessions.get(host_id) if host_id else None
            if session is not None and session.record.peer is peer:
                # When it went, before its record says so (a reader of the record that
                # sees it disconnected finds it counted as gone too).
                self._gone_at[host_id] = self._clock()
        if session is not None:
            log.info("host %s disconnected", host_id)
            session.detach(peer)
            if not session.connected:
                self.forget_stale()

    def _ping(self, peer, params) -> dict:
        return {"pong": True, "protocol": wire.PROTOCOL_VERSION}

    def _register(self, peer, params) -> dict:
        info = wire.check_host(params["host"])
        host_id = info["id"]
        with self._lock:
            if self._peers.get(peer) not in (None, host_id):
                raise wire.ProtocolError(
                    wire.NOT_ALLOWED, "this link registered another host already"
                )
            self._peers[peer] = host_id
            self._gone_at.pop(host_id, None)
            session = self._sessions.get(host_id)
            added = session is None
            if added:
                session = HostSession(
                    info,
                    self._emit,
                    self._on_job,
                    self._clock,
                    run=self._run_off,
                    later=self._loop.call_later if self._loop else None,
                )
                self._sessions[host_id] = session
        session.attach(peer, info)
        if added:
            log.info("host %s registered (%s)", host_id, info.get("application"))
            self._emit({"type": "host_added", "host": session.snapshot()})
        else:
            log.info("host %s reconnected", host_id)
            session.changed()
        return {"id": host_id, "state": session.state}

    def _host_of(self, peer) -> HostSession:
        with self._lock:
            host_id = self._peers.get(peer)
            session = self._sessions.get(host_id) if host_id else None
        if session is None:
            raise wire.ProtocolError(wire.NOT_ALLOWED, "register this host first")
        return session

    def _show(self, peer, params) -> None:
        session = self._host_of(peer)
        if params.get("targets") is not None:
            session.info["targets"] = [t for t in params["targets"] if isinstance(t, str)]
        self._emit({"type": "show", "host_id": session.id})

    def _submit(self, peer, params) -> dict:
        if self._on_job is None:
            raise wire.RemoteError(wire.FAILED, "this app has no queue to take jobs")
        if ("job" in params) == ("spooled" in params):
            raise wire.ProtocolError(wire.INVALID_PARAMS, "submit needs one of job or spooled")
        if "spooled" in params:
            return self._submit_spooled(params["spooled"])
        try:
            job_id = self._on_job(params["job"])
        except Exception as error:
            log.warning("refused a job: %s", error)
            raise wire.RemoteError(wire.FAILED, f"the app refused the job: {error}")
        return {"job_id": job_id}

    def _submit_spooled(self, job_id: str) -> dict:
        """A hand-off by reference (common/wire/handoff.py): read and validated here,
        moved into the spool (safe from then on), answered, then stored on a thread,
        so the host is not held while thousands of step rows are written."""
        from pyblish_qml_queue.queue.model import Job

        try:
            payload = handoff.read(job_id)
            Job.from_payload(payload)
        except FileNotFoundError:
            # Taken before: a request retried after its answer was lost (the job is in the
            # spool, or stored and its file removed already).
            log.info("job %s was taken already (a retried hand-off)", job_id)
            return {"job_id": job_id}
        except Exception as error:
            handoff.discard(job_id)
            log.warning("refused a job: %s", error)
            raise wire.RemoteError(wire.FAILED, f"the app refused the job: {error}")
        spooled = handoff.to_spool(job_id)

        def store():
            started = time.monotonic()
            try:
                self._on_job(payload)
            except Exception:  # it stays in the spool; the ingester tries again
                log.exception("could not store job %s (it is in the spool)", job_id)
                return
            if time.monotonic() - started < STORE_WITHIN:  # stored, not spooled by on_job
                try:
                    os.remove(spooled)
                except OSError:
                    pass  # an ingester took it meanwhile

        threading.Thread(target=store, name=f"store-{job_id[:8]}", daemon=True).start()
        return {"job_id": job_id}

    def _host_request(self, peer, params) -> dict:
        try:
            return self.host(params["id"])
        except KeyError as error:
            raise _remote(error)

    def _raise(self, peer, params) -> dict:
        """A second ``app`` asks this one to come to the front. ``raised`` is False
        when no window listens (``serve``), so the caller can say so."""
        with self._lock:
            listening = bool(self._subscribers)
        self._emit({"type": "raise"})
        return {"raised": listening}

    def _drive(self, peer, params) -> dict:
        action = params["action"]
        if action not in wire.DRIVE_ACTIONS:
            raise wire.ProtocolError(
                wire.INVALID_PARAMS,
                f"action must be one of {', '.join(wire.DRIVE_ACTIONS)}, got {action!r}",
            )
        try:
            session = self._session(params["id"])
        except KeyError as error:
            raise _remote(error)
        if action == "stop":
            session.stop()
            return {"host": session.snapshot()}
        try:
            session.require_connected()
        except HostUnavailable as error:
            raise wire.RemoteError(wire.FAILED, str(error))
        name = {
            "reset": "do_reset",
            "validate": "do_validate",
            "publish": "do_publish",
            "handoff": "do_handoff",
        }[action]
        args = (params.get("title"),) if action == "handoff" else ()
        future = session.submit(getattr(session, name), *args)
        if not params.get("wait", action == "handoff"):
            return {"host": session.snapshot()}
        # Answered once the operation ends, holding no thread meanwhile.
        answer: Future = Future()

        def done(op: Future) -> None:
            try:
                value = op.result()
            except (HostUnavailable, wire.RemoteError) as error:
                answer.set_exception(wire.RemoteError(wire.FAILED, str(error)))
                return
            except Exception as error:
                log.warning("host %s: %s failed", session.id, action, exc_info=True)
                answer.set_exception(wire.RemoteError(wire.FAILED, f"{action} failed: {error}"))
                return
            out = {"job_id": value} if action == "handoff" else {}
            out["host"] = session.snapshot()
            answer.set_result(out)

        future.add_done_callback(done)
        return answer


def _remote(error: KeyError) -> wire.RemoteError:
    """A failed host lookup as the wire's error: ``unknown_host``, or ``failed`` when the
    id names several hosts."""
    code = wire.UNKNOWN_HOST if isinstance(error, UnknownHost) else wire.FAILED
    return wire.RemoteError(code, str(error.args[0]))


#: Seconds a hand-off waits for the store before the job goes to the spool instead.
STORE_WITHIN = 3.0


def run_hub_for_serve(store, on_added=None) -> Hub:
    """Start a hub whose hand-offs go into ``store`` (for ``serve`` and ``app``).

    ``on_added(job_id)`` runs after a handed-off job is stored (the executor's wake-up).

    Returns the started hub; close it when serving ends. Raises
    :class:`HubRunning` when another app listens already.
    """
    from pyblish_qml_queue.queue.model import Job

    def store_job(job):
        if not store.add(job):
            log.info("job %s was stored already", job.id)
        elif on_added is not None:
            on_added(job.id)

    def on_job(payload):
        job = Job.from_payload(payload)
        done = threading.Event()
        failure = []

        def add():
            try:
                store_job(job)
            except BaseException as exc:  # told to the host below, or logged if it spooled
                failure.append(exc)
                if spooled:
                    log.error("could not store job %s (it is in the spool): %s", job.id, exc)
            finally:
                done.set()

        spooled = []
        threading.Thread(target=add, name=f"store-{job.id[:8]}", daemon=True).start()
        if not done.wait(STORE_WITHIN):
            # The store is locked (another process, a long write): the artist's host
            # is not held; the spool takes the job, ingested exactly once (by id).
            spooled.append(spool.write_job(payload))
            log.warning(
                "job %s could not be stored within %.0f s (the store is busy); spooled it",
                job.id,
                STORE_WITHIN,
            )
            return job.id
        if failure:
            raise failure[0]
        return job.id

    hub = Hub(on_job=on_job)
    hub.start()
    return hub
