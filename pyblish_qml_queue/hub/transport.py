"""The app's end of the link: a local listener, the authkey and the runtime file.

No TCP port: ``multiprocessing.connection`` over a Unix socket (POSIX) or a
named pipe (Windows). Every connection must answer the HMAC challenge of the
authkey kept in a file only the user can read; a wrong key is logged and the
connection dropped while the listener goes on. The runtime file tells hosts
where the app listens. See docs/protocol.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Listener as _Listener
from multiprocessing.connection import answer_challenge, deliver_challenge
from typing import Callable, Optional

from pyblish_qml_queue.common import filelock, spool, wire

log = logging.getLogger(__name__)

#: AF_UNIX paths longer than this (bytes) do not bind on every platform.
MAX_SOCKET_PATH = 100


class HubRunning(RuntimeError):
    """Another app (or ``serve``) is listening already; ``pid`` is its process."""

    def __init__(self, pid: int, address: str):
        super().__init__(
            f"pyblish-qml-queue runs already (pid {pid}, {address}); use that one or stop it first"
        )
        self.pid = pid
        self.address = address


def family() -> str:
    return "AF_PIPE" if sys.platform == "win32" else "AF_UNIX"


def address_for(runtime_dir: str) -> str:
    """Where the app listens: ``<runtime dir>/app.sock``, or a short path under
    the temp dir (named by a hash of the long one) when that is too long for
    AF_UNIX, or a named pipe on Windows."""
    digest = hashlib.sha1(runtime_dir.encode("utf-8")).hexdigest()[:12]
    if sys.platform == "win32":
        return rf"\\.\pipe\pyblish-qml-queue-{digest}"
    path = os.path.join(runtime_dir, "app.sock")
    if len(path.encode("utf-8")) <= MAX_SOCKET_PATH:
        return path
    return os.path.join(tempfile.gettempdir(), f"pqq-{digest}.sock")


def ensure_runtime_dir() -> str:
    path = wire.runtime_dir()
    os.makedirs(path, mode=0o700, exist_ok=True)
    if sys.platform != "win32":
        os.chmod(path, 0o700)
    return path


def ensure_authkey() -> bytes:
    """The authkey, created (0600, random 256 bits) when missing. A key file
    others can read is replaced, since it may have leaked."""
    path = wire.authkey_file()
    if os.path.exists(path):
        loose = sys.platform != "win32" and os.stat(path).st_mode & 0o077
        key = wire.read_authkey()
        if key and not loose:
            return key
        log.warning("replacing the authkey %s: it was readable by others or empty", path)
        os.remove(path)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def write_runtime(info: dict) -> None:
    """Write the runtime file atomically (:func:`spool.write_atomic`)."""
    spool.write_atomic(wire.runtime_file(), json.dumps(info).encode("utf-8"))


def read_runtime_raw() -> Optional[dict]:
    try:
        with open(wire.runtime_file()) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _listening(info: dict) -> bool:
    """Whether something accepts connections at the runtime file's address
    (a live pid alone may be a reused one)."""
    address = info.get("address")
    if not isinstance(address, str):
        return False
    if sys.platform == "win32":
        return True
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(address)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _take_lock(path: str):
    """Hold ``path`` locked while this app listens, so two apps starting at
    once cannot both listen. Raises :class:`HubRunning` when it is taken."""
    f = filelock.try_lock(path)
    if f is None:
        current = read_runtime_raw() or {}
        raise HubRunning(current.get("pid") or 0, current.get("address") or "?")
    return f


def _release_lock(f) -> None:
    filelock.unlock(f)


class Listener:
    """Accepts authenticated connections and hands each to ``on_connection``.

    With a :class:`~pyblish_qml_queue.hub.loop.Loop` (POSIX), the loop's thread
    accepts and its pool answers the challenge, so connections cost no thread
    of their own; without one (a Windows pipe), a thread accepts and one per
    connection authenticates.

    Args:
        on_connection: ``on_connection(conn)``, once the peer proved it has the
            authkey (on a pool thread, or a fresh one without a loop).
        auth_timeout: seconds a peer gets to answer the challenge.
        loop: the hub's I/O loop, if any.
    """

    def __init__(self, on_connection: Callable, auth_timeout: float = 10.0, loop=None):
        self._on_connection = on_connection
        self._auth_timeout = auth_timeout
        self._loop = loop
        self._listener = None
        self._lock_file = None
        self._thread = None
        self._closing = False
        self._authkey = b""
        self.address = ""
        self.family = family()
        self.refused = 0  # connections refused for a wrong authkey

    def start(self) -> None:
        """Listen and write the runtime file.

        Raises:
            HubRunning: a live app listens already.
        """
        runtime_dir = ensure_runtime_dir()
        self._authkey = ensure_authkey()
        self._lock_file = _take_lock(os.path.join(runtime_dir, "app.lock"))
        try:
            self._listen(runtime_dir)
        except BaseException:
            _release_lock(self._lock_file)
            self._lock_file = None
            raise

    def _socket(self):
        """The listening socket, when the loop can wait on it (None: a Windows pipe)."""
        sock = getattr(self._listener, "_listener", None)
        return getattr(sock, "_socket", None)

    def _listen(self, runtime_dir: str) -> None:
        current = read_runtime_raw()
        if current and wire.pid_alive(current.get("pid")) and _listening(current):
            raise HubRunning(current["pid"], current.get("address", "?"))
        if current:
            log.info("replacing the stale runtime file of pid %s", current.get("pid"))
        self.address = address_for(runtime_dir)
        if self.family == "AF_UNIX" and os.path.exists(self.address):
            os.remove(self.address)
        self._listener = _Listener(self.address, self.family, backlog=128)
        write_runtime(
            {
                "address": self.address,
                "family": self.family,
                "pid": os.getpid(),
                "protocol": wire.PROTOCOL_VERSION,
                "started": time.time(),
            }
        )
        sock = self._socket() if self._loop is not None else None
        if sock is not None:
            sock.setblocking(False)
            self._loop.add_reader(sock, self._accept_ready)
        else:
            self._thread = threading.Thread(target=self._accept, name="hub-accept", daemon=True)
            self._thread.start()
        log.info("listening on %s", self.address)

    def close(self) -> None:
        """Stop listening; remove the runtime file if it is ours."""
        if self._listener is None or self._closing:
            return
        self._closing = True
        if self._thread is not None:
            try:
                # wake the accept() call
                from multiprocessing.connection import Client

                Client(self.address, self.family).close()
            except OSError:
                pass
            self._thread.join(5)
            self._close_listener()
        else:
            done = threading.Event()

            def stop_accepting():
                self._loop.remove_reader(self._socket())
                self._close_listener()
                done.set()

            if self._loop.running:
                self._loop.call_soon(stop_accepting)
                done.wait(5)
            else:
                self._close_listener()
        current = read_runtime_raw()
        if current and current.get("pid") == os.getpid() and current.get("address") == self.address:
            try:
                os.remove(wire.runtime_file())
            except OSError:
                pass
        _release_lock(self._lock_file)
        self._lock_file = None

    def _close_listener(self) -> None:
        try:
            self._listener.close()
        except OSError:
            pass

    def _accept_ready(self) -> None:
        """On the loop: take every connection waiting; each is authenticated on the pool."""
        while not self._closing:
            try:
                conn = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                if not self._closing:
                    log.exception("accepting a connection failed")
                return
            # The timer only wakes the pool thread: it closes the connection itself.
            timer = self._loop.call_later(self._auth_timeout, wire.shut_down_socket, conn)
            self._loop.pool.submit(
                self._authenticate, conn, functools.partial(self._loop.cancel, timer)
            )

    def _accept(self) -> None:
        while not self._closing:
            try:
                conn = self._listener.accept()
            except OSError:
                if self._closing:
                    return
                log.exception("accepting a connection failed")
                time.sleep(0.1)
                continue
            if self._closing:
                conn.close()
                return
            timer = threading.Timer(self._auth_timeout, wire.shutdown, args=(conn,))
            timer.daemon = True
            timer.start()
            threading.Thread(
                target=self._authenticate, args=(conn, timer.cancel), name="hub-auth", daemon=True
            ).start()

    def _authenticate(self, conn, cancel_timer: Callable) -> None:
        """Pass the authkey challenge both ways; a timer drops a peer that takes too long
        (``cancel_timer()`` stops it)."""
        try:
            deliver_challenge(conn, self._authkey)
            answer_challenge(conn, self._authkey)
        except AuthenticationError as error:
            self.refused += 1
            log.warning("refused a connection with a wrong authkey (%s)", error)
            wire.shutdown(conn)
            return
        except (OSError, EOFError, ValueError) as error:
            log.info("a connection dropped during authentication: %s", error)
            wire.shutdown(conn)
            return
        finally:
            cancel_timer()
        try:
            self._on_connection(conn)
        except Exception:
            log.exception("setting up a connection failed")
            wire.shutdown(conn)
