"""10k bad link frames wrote 9,252 WARNING lines (issue 14, item 11): a link logs
its first few refusals per minute and counts the rest, over a real pipe."""

import logging
import multiprocessing

from pyblish_qml_queue.common.wire import peer as peer_module
from pyblish_qml_queue.common.wire.peer import Peer


def test_a_flood_of_bad_frames_is_refused_each_time_and_logged_a_few_times(caplog):
    ours, theirs = multiprocessing.Pipe()
    link = Peer(ours, lambda method, params: None, methods={}, name="fuzz", heartbeat=30)
    n = 2000
    try:
        with caplog.at_level(logging.DEBUG, logger=peer_module.__name__):
            link.start()
            answers = []
            for _ in range(n):
                theirs.send_bytes(b"{not json")
                answers.append(theirs.recv_bytes())
    finally:
        link.close()
        theirs.close()
    assert all(b'"error"' in answer for answer in answers)  # every frame was refused
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= peer_module.REFUSALS_LOGGED + 1, len(warnings)
    assert "counted, not logged" in warnings[-1].getMessage()
