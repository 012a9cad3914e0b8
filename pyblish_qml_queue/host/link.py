"""The host's link to the app: connect, register, serve the app's requests, reconnect.

The link finds the app through its runtime file, proves it has the authkey,
registers the host, and then answers the app's requests (see
:mod:`pyblish_qml_queue.host.service`) on a background thread. Calls that
touch pyblish run on the DCC's main thread through the dispatch wrapper: the one
given to :func:`register_dispatch_wrapper`, else one that
``pyblish_qml.api.register_dispatch_wrapper`` stored (it works below Python
3.11), else the host adapter's (Maya's ``executeInMainThreadWithResult``,
Houdini's ``hdefereval``, Nuke's, Blender's ``bpy.app.timers``), a main-thread
queue when the script serves one (:func:`serve_main_thread`), else a direct
call. When the app goes away, the link retries with backoff and registers
again; the app restores the host's page from the results the service kept. At
interpreter exit the link closes and its threads are joined (a bounded wait),
so quitting a DCC never hangs on them.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import atexit
import logging
import os
import socket
import sys
import threading
import time
import uuid
from multiprocessing import AuthenticationError

from pyblish_qml_queue import dcc
from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire import client
from pyblish_qml_queue.common.wire.peer import Peer

log = logging.getLogger(__name__)

#: Requests that only read what the service keeps: served off the main thread,
#: so the app can restore a page while the DCC's main thread is busy.
OFF_MAIN_THREAD = ("ping", "progress", "hide")
#: Requests served on the link's thread that run their pyblish part on the main
#: thread themselves (``handoff`` encodes and writes a big job here, not there).
DISPATCH_THEMSELVES = ("handoff",)
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 2.0
#: Seconds the exit handler waits, in all, for the link's threads.
EXIT_JOIN = 1.0
#: What ``show(auto_validate=..., auto_publish=...)`` asks the app to do once shown.
AUTO_ACTIONS = ("validate", "publish")

_current = [None]  # the link of this process, once show() made one
_registered_wrapper = [None]  # register_dispatch_wrapper()
_exit_hook = []


def register_dispatch_wrapper(wrapper):
    """Run the app's calls through ``wrapper(func, *args, **kwargs)``, which must
    call ``func`` on the DCC's main thread and wait for it (pyblish-qml's
    convention). It wins over the host adapter's and pyblish_qml's."""
    if not callable(wrapper):
        raise TypeError("the dispatch wrapper must be callable, got %r" % (wrapper,))
    _registered_wrapper[0] = wrapper


def deregister_dispatch_wrapper():
    """Forget the wrapper given to :func:`register_dispatch_wrapper`."""
    _registered_wrapper[0] = None


def registered_dispatch_wrapper():
    """The wrapper given to :func:`register_dispatch_wrapper`, or None."""
    return _registered_wrapper[0]


def _pyblish_qml_wrapper():
    """A wrapper ``pyblish_qml.api.register_dispatch_wrapper`` stored, read from
    pyblish_qml's state without calling its code (which breaks on Python 3.11)."""
    qml = sys.modules.get("pyblish_qml")
    state = getattr(qml, "_state", None)
    if isinstance(state, dict):
        wrapper = state.get("dispatchWrapper")
        if callable(wrapper):
            return wrapper
    return None


class _MainThreadQueue(object):
    def __init__(self):
        self.calls = []
        self.cond = threading.Condition()
        self.active = False


_main = _MainThreadQueue()


def serve_main_thread(until=None, timeout=None):
    """Run the app's calls on this (the main) thread until ``until()`` is true
    or ``timeout`` passes. For plain Python hosts that want pyblish on their main
    thread; without it, calls run on the link's thread."""
    deadline = None if timeout is None else time.time() + timeout
    with _main.cond:
        _main.active = True
    try:
        while not (until and until()):
            if deadline is not None and time.time() > deadline:
                return
            with _main.cond:
                if not _main.calls:
                    _main.cond.wait(0.1)
                calls, _main.calls = _main.calls, []
            for call in calls:
                call()
    finally:
        with _main.cond:
            _main.active = False


def dispatch_wrapper():
    """The wrapper that runs a call on the DCC's main thread, or None for a direct call:
    ours (:func:`register_dispatch_wrapper`), pyblish_qml's, the host adapter's,
    the main-thread queue of :func:`serve_main_thread`, in that order."""
    wrapper = _registered_wrapper[0] or _pyblish_qml_wrapper()
    if wrapper is not None:
        return wrapper
    try:
        wrapper = dcc.current().dispatch_wrapper()
    except Exception:
        log.warning("the host adapter could not give its main-thread wrapper", exc_info=True)
        wrapper = None
    if wrapper is not None:
        return wrapper
    with _main.cond:
        if _main.active:
            return _queue_wrapper
    return None


def _queue_wrapper(func):
    done = threading.Event()

    def call():
        try:
            func()
        finally:
            done.set()

    with _main.cond:
        _main.calls.append(call)
        _main.cond.notify()
    done.wait()


def call_in_main_thread(func, **kwargs):
    """``func(**kwargs)`` through the dispatch wrapper; its exception re-raised here.

    The wrapper sees a call that never raises, so a wrapper that reacts to
    exceptions (pyblish-qml's stops its server) stays calm.
    """
    box = {}

    def call():
        try:
            box["value"] = func(**kwargs)
        except BaseException as error:
            box["error"] = error

    wrapper = dispatch_wrapper()
    if wrapper is None or threading.current_thread() is threading.main_thread():
        call()
    else:
        wrapper(call)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def host_info(service, token):
    """What the host registers with: id (machine, pid and a token this process
    keeps, so the app knows it again after a reconnect), application, version,
    pid, machine, user, scene, targets, python, and pyblish_qml settings."""
    from pyblish_qml_queue.host import job

    info = job.host_info(service.context)
    machine = socket.gethostname()
    return {
        "id": "%s-%d-%s" % (machine, os.getpid(), token),
        "application": str(info.get("application") or "python"),
        "version": str(info.get("version") or ""),
        "pid": os.getpid(),
        "machine": machine,
        "user": str(info.get("user") or ""),
        "scene": str(info.get("scene") or ""),
        "targets": list(service.targets or []),
        "python": sys.executable or "",
        "settings": qml_settings(),
    }


#: pyblish_qml.settings the app's Publish page honours.
QML_SETTINGS = ("WindowTitle", "WindowSize", "WindowPosition", "ContextLabel", "HiddenSections")


def qml_settings():
    """This host's ``pyblish_qml.settings`` (the keys the page honours), when the
    DCC imported pyblish_qml; else {} and the app uses its own."""
    settings = sys.modules.get("pyblish_qml.settings")
    if settings is None:
        return {}
    out = {}
    for key in QML_SETTINGS:
        value = getattr(settings, key, None)
        if isinstance(value, (list, tuple)):
            value = [v for v in value if isinstance(v, (str, int, float))]
        if isinstance(value, (str, list)):
            out[key] = value
    return out


class Link(object):
    """One host's link to the app, kept alive by a background thread.

    Args:
        service: the host's :class:`~pyblish_qml_queue.host.service.Service`.
    """

    def __init__(self, service):
        self.service = service
        self.token = uuid.uuid4().hex[:8]
        self.peer = None
        self.want_show = False
        self.auto = None  # "validate" / "publish": asked of the app after the next show
        self.registered = threading.Event()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._thread = None
        self.connects = 0

    @property
    def host_id(self):
        return host_info(self.service, self.token)["id"]

    @property
    def connected(self):
        peer = self.peer
        return peer is not None and not peer.closed and self.registered.is_set()

    def start(self):
        """Keep the link up from now on (a daemon thread)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._keep, name="pyblish-qml-queue-link")
                self._thread.daemon = True
                self._thread.start()
        _install_exit_hook()
        self._kick.set()

    def close(self, timeout=None):
        """Stop the link; with ``timeout``, also wait up to that long for its
        threads (the keeper and the peer's) to end."""
        self._stop.set()
        self._kick.set()
        peer = self.peer
        if peer is not None:
            peer.close()
        if timeout is None:
            return
        deadline = time.time() + timeout
        threads = [self._thread] + (list(peer.threads) if peer is not None else [])
        for thread in threads:
            if thread is None or thread is threading.current_thread():
                continue
            left = deadline - time.time()
            if left <= 0:
                break
            thread.join(left)

    def wait_connected(self, timeout=None):
        deadline = None if timeout is None else time.time() + timeout
        while not self.connected:
            left = None if deadline is None else deadline - time.time()
            if left is not None and left <= 0:
                return False
            self.registered.wait(0.05 if left is None else min(left, 0.05))
        return True

    def request(self, method, params=None, timeout=None):
        peer = self.peer
        if peer is None or peer.closed:
            raise wire.ConnectionLost("not connected to the app")
        return peer.request(method, params, timeout)

    def show(self):
        """Ask the app to bring this host's page to the front (now or once connected)."""
        self.want_show = True
        if self.connected:
            self._send_show()
        else:
            self.start()

    def connect_once(self):
        """One attempt to connect and register. Returns whether it worked."""
        with self._lock:
            if self.peer is not None and not self.peer.closed:
                return self.registered.is_set()
            try:
                conn = wire.connect()
            except AuthenticationError:
                log.error(
                    "the app refused this host's authkey; restart the app (it writes a new "
                    "runtime file) and call show() again"
                )
                return False
            if conn is None:
                return False
            self.registered.clear()
            peer = Peer(conn, self._handle, wire.HOST_METHODS, name="link", on_close=self._closed)
            self.peer = peer.start()
        try:
            reply = peer.request(
                "register", {"host": host_info(self.service, self.token)}, timeout=10
            )
        except (wire.RemoteError, wire.ConnectionLost) as error:
            log.warning("registering with the app failed: %s", error)
            peer.close()
            return False
        self.connects += 1
        self.registered.set()
        log.info("connected to the app as %s (%s)", reply.get("id"), reply.get("state"))
        if self.want_show:
            self._send_show()
        return True

    # -- internals -------------------------------------------------------------------

    def _send_show(self):
        try:
            self.request("show", {"targets": self.service.targets}, timeout=5)
            self.want_show = False
        except (wire.RemoteError, wire.ConnectionLost) as error:
            if not self._stop.is_set():  # not when the link closes (at exit, say)
                log.warning("asking the app to show this host failed: %s", error)
            return
        action, self.auto = self.auto, None
        if action is None:
            return
        # The app drives this host as `pyblish-qml-queue host ID validate|publish`
        # does, queued behind the collection that registering started. A host that
        # published or validated before starts over, as pyblish-qml's show() resets.
        actions = (["reset"] if self.service.results else []) + [action]
        try:
            for name in actions:
                self.request(
                    "drive", {"id": self.host_id, "action": name, "wait": False}, timeout=10
                )
            log.info("asked the app to %s this host", action)
        except (wire.RemoteError, wire.ConnectionLost) as error:
            log.warning("asking the app to %s this host failed: %s", action, error)

    def _closed(self, peer):
        self.registered.clear()
        if not self._stop.is_set():
            log.info("lost the link to the app; reconnecting")
            self._kick.set()

    def _keep(self):
        delay = BACKOFF_FIRST
        while not self._stop.is_set():
            peer = self.peer
            if peer is not None and not peer.closed:
                self._kick.wait(1.0)
                self._kick.clear()
                continue
            if self.connect_once():
                delay = BACKOFF_FIRST
                continue
            self._kick.wait(delay)
            self._kick.clear()
            delay = min(delay * 2, BACKOFF_MAX)

    def _handle(self, method, params):
        func = self.service.handlers().get(method)
        if func is None:
            raise wire.ProtocolError(wire.UNKNOWN_METHOD, "this host does not serve %r" % method)
        try:
            if method in OFF_MAIN_THREAD or method in DISPATCH_THEMSELVES:
                return func(**params)
            return call_in_main_thread(func, **params)
        except (ValueError, KeyError, LookupError) as error:
            raise wire.RemoteError(wire.FAILED, str(error))
        except Exception as error:
            if type(error).__name__ == "ServiceError":
                raise wire.RemoteError(wire.FAILED, str(error))
            raise


def current():
    """The link :func:`show` made in this process, or None."""
    return _current[0]


def _install_exit_hook():
    if not _exit_hook:
        _exit_hook.append(True)
        atexit.register(close_at_exit)


def close_at_exit(timeout=EXIT_JOIN):
    """Close this process's link and join its threads (at most ``timeout`` s):
    a DCC (bpy, for one) whose threads still hang in the link at exit can
    hang there itself."""
    link = _current[0]
    if link is not None:
        try:
            link.close(timeout=timeout)
        except Exception:  # never stop an interpreter from exiting
            log.debug("closing the link at exit failed", exc_info=True)


def try_handoff(payload, timeout=30.0, spooled=None):
    """Give a job to the running app over the link.

    Args:
        spooled: the job's id when it was written for a hand-off by reference
            (:mod:`pyblish_qml_queue.common.wire.handoff`); only the id travels then.

    Returns:
        bool: True once the app stored it (by reference: once it validated it
        and moved it into the spool); False when no app runs (the caller
        spools the job then).

    Raises:
        wire.RemoteError: the app refused the job (the message says why).
    """
    params = {"job": payload} if spooled is None else {"spooled": spooled}
    link = _current[0]
    if link is not None and link.connected:
        try:
            link.request("submit", params, timeout=timeout)
            return True
        except wire.ConnectionLost:
            pass
    try:
        client.request("submit", params, timeout, name="handoff")
        return True
    except client.KeyRefused:
        log.warning("the app refused the authkey; the job goes to the spool")
        return False
    except wire.ConnectionLost:  # no app runs, or it went away
        return False
