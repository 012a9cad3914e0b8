"""Frames written straight on a connection's descriptor, and read into one kept buffer."""

import os
import threading
from multiprocessing import Pipe

import pytest

from pyblish_qml_queue.common.wire.frames import (
    BadFrameLength,
    FrameReader,
    FrameTooLarge,
    frame_writer,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "readv"), reason="POSIX descriptors only")


@pytest.fixture
def pair():
    ours, theirs = Pipe()  # a socket pair of multiprocessing connections on POSIX
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.mark.parametrize("size", [0, 1, 400, 16384, 16385, 300000])
def test_frame_writer_writes_what_recv_bytes_reads(pair, size):
    ours, theirs = pair
    write = frame_writer(ours)
    assert write != ours.send_bytes  # straight on the descriptor
    data = bytes(bytearray(n % 251 for n in range(size)))
    got = []
    reader = threading.Thread(target=lambda: got.append(theirs.recv_bytes()))
    reader.start()  # a big frame fills the socket's buffer before it is all written
    write(data)
    reader.join(10)
    assert got == [data]


def test_frame_writer_refuses_a_closed_connection(pair):
    ours, _ = pair
    write = frame_writer(ours)
    ours.close()
    with pytest.raises(OSError):
        write(b"late")


def test_frame_writer_of_a_stand_in_is_its_send_bytes():
    class StandIn:
        def send_bytes(self, data):
            pass

    stand_in = StandIn()
    assert frame_writer(stand_in) == stand_in.send_bytes


def test_reader_reads_into_one_buffer_and_cuts_frames(pair):
    ours, theirs = pair
    reader = FrameReader(cap=1000)
    fd = theirs.fileno()
    ours.send_bytes(b"one")
    ours.send_bytes(b"two")
    assert reader.read(fd, size=64) == [b"one", b"two"]
    kept = reader._into
    ours.send_bytes(b"x" * 100)  # longer than one read: completed by the second
    assert reader.read(fd, size=64) == []
    assert reader.read(fd, size=64) == [b"x" * 100]
    assert reader._into is kept  # no new buffer a read
    ours.send_bytes(b"y" * 2000)  # over the cap: dropped as it arrives, stream in step
    ours.send_bytes(b"after")
    frames = []
    while not frames or frames[-1] != b"after":
        frames.extend(reader.read(fd, size=64))
    assert isinstance(frames[0], FrameTooLarge) and frames[1:] == [b"after"]
    ours.close()
    assert reader.read(fd, size=64) is None


def test_a_negative_length_is_a_bad_frame_length(pair):
    ours, theirs = pair
    ours._send(b"\xff\xff\xff\xfe")  # -2: no link's stream
    with pytest.raises(BadFrameLength):
        FrameReader().read(theirs.fileno())
    assert issubclass(BadFrameLength, OSError)  # what readers caught before
