"""One-shot requests to the running app: connect, make a request, close.

What a hand-off from ``submit()``, the ``hosts``/``host`` verbs, a second
``app`` and ``doctor`` all do: find the app through its runtime file, pass
the authkey challenge, and ask one thing as a peer that serves nothing.

Failures are told apart by type and code, never by message text:

- :class:`NotRunning`: no app or ``serve`` runs (no runtime file, a stale one,
  nothing listening at its address);
- :class:`KeyRefused`: an app runs but refused our authkey;
- :class:`~pyblish_qml_queue.common.wire.schema.ConnectionLost`: the app went
  away (or did not answer in time) after we connected;
- :class:`~pyblish_qml_queue.common.wire.schema.RemoteError`: the app answered
  with an error; ``error.code`` says which (docs/protocol.md).

Standard library only, Python 3.7 syntax: it runs inside DCCs.
"""

from multiprocessing import AuthenticationError

from pyblish_qml_queue.common.wire.peer import Peer
from pyblish_qml_queue.common.wire.runtime import connect
from pyblish_qml_queue.common.wire.schema import NOT_ALLOWED, ConnectionLost, ProtocolError

__all__ = ["Client", "KeyRefused", "NotRunning", "request"]

#: Seconds to wait for the app to accept the connection.
CONNECT_TIMEOUT = 2.0


class NotRunning(ConnectionLost):
    """No app or ``serve`` runs, or nothing accepts connections at its address."""


class KeyRefused(ConnectionLost):
    """An app runs but refused our authkey (it wrote a new one since we read it)."""


class Client(object):
    """A short-lived link to the running app that serves nothing.

    Use it as a context manager, or call :meth:`open` and :meth:`close`::

        with Client("doctor") as client:
            reply = client.request("ping", timeout=5)

    Args:
        name (str): names the link in the log.
        connect_timeout (float): seconds to wait for the app to accept us.
    """

    def __init__(self, name="client", connect_timeout=CONNECT_TIMEOUT):
        self.name = name
        self.connect_timeout = connect_timeout
        self.peer = None

    def open(self):
        """Connect and authenticate.

        Returns:
            Client: self.

        Raises:
            NotRunning: no app runs (or nothing answers at its address).
            KeyRefused: the app refused our authkey.
        """
        try:
            conn = connect(timeout=self.connect_timeout)
        except AuthenticationError as error:
            raise KeyRefused("%s: the app refused our authkey (%s)" % (self.name, error)) from error
        except OSError as error:
            raise NotRunning("%s: %s" % (self.name, error)) from error
        if conn is None:
            raise NotRunning("%s: no app or serve runs" % self.name)
        self.peer = Peer(conn, self._serve_nothing, {}, name=self.name).start()
        return self

    def request(self, method, params=None, timeout=None):
        """Ask the app one thing and wait for its answer.

        Raises:
            RemoteError: the app answered with an error (see ``error.code``).
            ConnectionLost: the link went away first, or ``timeout`` passed.
        """
        if self.peer is None:
            self.open()
        return self.peer.request(method, params, timeout)

    def close(self):
        if self.peer is not None:
            self.peer.close()

    def __enter__(self):
        if self.peer is None:
            self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def _serve_nothing(self, method, params):
        raise ProtocolError(NOT_ALLOWED, "%s serves nothing" % self.name)


def request(method, params=None, timeout=None, name="client", connect_timeout=CONNECT_TIMEOUT):
    """Connect to the running app, make one request, close; the app's answer.

    Raises:
        NotRunning, KeyRefused, ConnectionLost, RemoteError: see the module.
    """
    with Client(name, connect_timeout) as client:
        return client.request(method, params, timeout)
