"""Frames: one message's bytes per ``multiprocessing.connection`` frame, capped.

Standard library only, Python 3.7 syntax.
"""

import os
import socket
import struct
import sys

from pyblish_qml_queue.common.wire.schema import MAX_FRAME, TOO_LARGE, ProtocolError

__all__ = [
    "FrameTooLarge",
    "recv_frame",
    "shutdown",
]


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
        raise OSError("bad frame length")
    if size > cap:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            recv(chunk)
            remaining -= chunk
        raise FrameTooLarge(size)
    return recv(size).getvalue() if size else b""


def shutdown(conn):
    """Close a connection and wake a thread blocked reading it."""
    try:
        fd = conn.fileno()
    except (OSError, ValueError):
        return
    if sys.platform != "win32":
        try:
            sock = socket.socket(fileno=os.dup(fd))
            try:
                sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.close()
        except OSError:
            pass
    try:
        conn.close()
    except OSError:
        pass
