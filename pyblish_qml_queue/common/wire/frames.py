"""Frames: one message's bytes per ``multiprocessing.connection`` frame, capped.

Standard library only, Python 3.7 syntax.
"""

import os
import socket
import struct
import sys

from pyblish_qml_queue.common.wire.schema import MAX_FRAME, TOO_LARGE, ProtocolError

__all__ = [
    "BadFrameLength",
    "FrameReader",
    "FrameTooLarge",
    "frame_writer",
    "recv_frame",
    "shut_down_socket",
    "shutdown",
]


#: Bytes a reader takes from its connection at once (:meth:`FrameReader.read`).
READ_SIZE = 256 * 1024


class BadFrameLength(OSError):
    """A negative frame length: the stream is not a link's (the link is dropped)."""

    def __init__(self):
        super(BadFrameLength, self).__init__("bad frame length")


class FrameTooLarge(ProtocolError):
    def __init__(self, size):
        super(FrameTooLarge, self).__init__(
            TOO_LARGE, "frame of %d bytes exceeds the %d byte limit" % (size, MAX_FRAME)
        )


def recv_frame(conn, cap=MAX_FRAME):
    """Receive one frame's bytes. An oversized frame is read and dropped and
    raises FrameTooLarge, so the stream stays in step and the caller can reply.

    Raises:
        EOFError / OSError: the connection is gone.
    """
    recv = getattr(conn, "_recv", None)
    if recv is None:  # Windows pipe: message mode, an oversized frame ends the link
        return conn.recv_bytes(cap)
    size = struct.unpack("!i", recv(4).getvalue())[0]
    if size == -1:
        size = struct.unpack("!Q", recv(8).getvalue())[0]
    if size < 0:
        raise BadFrameLength()
    if size > cap:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            recv(chunk)
            remaining -= chunk
        raise FrameTooLarge(size)
    return recv(size).getvalue() if size else b""


class FrameReader(object):
    """Cuts the bytes of a stream into frames as they arrive, for a reader that must
    never block (the app's one I/O thread reads every host's link with it). The frames
    are those of :func:`recv_frame` (``multiprocessing.connection``'s format); an
    oversized frame is skipped as it arrives, never held, and stands as a
    :class:`FrameTooLarge` in the list :meth:`feed` returns.
    """

    def __init__(self, cap=MAX_FRAME):
        self._cap = cap
        self._buffer = bytearray()
        self._skip = 0  # bytes of an oversized frame still to drop
        self._into = None  # what read() reads into, again and again

    def read(self, fd, size=READ_SIZE):
        """One read of up to ``size`` bytes from descriptor ``fd`` into a buffer kept
        for the next read (an ``os.read`` of that size allocates, and for 256 KiB
        maps and unmaps memory, each time), fed to :meth:`feed`.

        Returns:
            list: the frames it completes (perhaps none), or None at the end of the stream.

        Raises:
            BadFrameLength: a negative frame length (an OSError).
            OSError: the read failed (BlockingIOError on a non-blocking descriptor
                with nothing to read).
            TypeError: ``fd`` is None (a connection closed meanwhile).
        """
        into = self._into
        if into is None or len(into) != size:
            into = self._into = bytearray(size)
        got = os.readv(fd, [into])
        if not got:
            return None
        return self.feed(memoryview(into)[:got])

    def feed(self, data):
        """The frames ``data`` completes: bytes, or FrameTooLarge for one dropped.

        ``data`` may be a memoryview of a buffer the caller reads into again: what
        is kept of it is copied.

        Raises:
            BadFrameLength: a negative frame length (an OSError: the stream is not a link's).
        """
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        if not data:
            return []
        buffer = self._buffer
        if buffer:
            buffer += data
            data = buffer
        frames = []
        pos, end = 0, len(data)
        while end - pos >= 4:
            size = _INT.unpack_from(data, pos)[0]
            head = 4
            if size == -1:
                if end - pos < 12:
                    break
                size = _LONG.unpack_from(data, pos + 4)[0]
                head = 12
            if size < 0:
                raise BadFrameLength()
            start = pos + head
            if size > self._cap:
                frames.append(FrameTooLarge(size))
                if end - start < size:
                    self._skip = size - (end - start)
                    pos = end
                    break
                pos = start + size
                continue
            if end - start < size:
                break
            frames.append(bytes(data[start : start + size]))
            pos = start + size
        if data is buffer:
            del buffer[:pos]
        elif pos < end:
            buffer += data[pos:]
        return frames


_INT = struct.Struct("!i")
_LONG = struct.Struct("!Q")
#: Up to this size a frame's length and bytes go out in one write (as in
#: ``multiprocessing.connection``); above, two, so a big frame is not copied.
_ONE_WRITE = 16384


def frame_writer(conn):
    """A function that writes one frame's bytes on ``conn`` as ``conn.send_bytes``
    does (same format), straight on its descriptor: one ``os.write`` for a small
    frame, no checks or copies on the way. ``conn.send_bytes`` itself where the
    connection is no POSIX ``multiprocessing.connection.Connection`` (a Windows
    pipe, a test's stand-in).

    The function raises OSError once the connection is closed (as send_bytes).
    """
    from multiprocessing.connection import Connection

    if sys.platform == "win32" or type(conn) is not Connection:
        return conn.send_bytes

    def write(data):
        fd = conn._handle
        if fd is None:
            raise OSError("handle is closed")
        size = len(data)
        if size > 0x7FFFFFFF:
            header = _INT.pack(-1) + _LONG.pack(size)
        else:
            header = _INT.pack(size)
        if size <= _ONE_WRITE:
            _write_all(fd, header + data)
        else:
            _write_all(fd, header)
            _write_all(fd, data)

    return write


def _write_all(fd, data):
    written = os.write(fd, data)
    if written == len(data):
        return
    view = memoryview(data)[written:]
    while view:
        view = view[os.write(fd, view) :]


def shut_down_socket(conn):
    """Shut a connection's socket down both ways without closing its descriptor: a
    thread blocked reading it returns at once and the other side sees the end, while
    no new connection can take its number under a thread about to read it.

    Returns:
        bool: False when it is no socket (a pipe), True otherwise (closed already too).
    """
    try:
        fd = os.dup(conn.fileno())
    except (OSError, ValueError):
        return True
    if sys.platform == "win32":
        os.close(fd)
        return False
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
    return True


def shutdown(conn):
    """Close a connection and wake a thread blocked reading it."""
    shut_down_socket(conn)
    try:
        conn.close()
    except OSError:
        pass
