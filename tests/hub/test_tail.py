"""A host card's log lines (hub/tail.py): each with its time and level."""

from pyblish_qml_queue.hub.tail import LogTail


def result(error=None, records=(), **extra):
    out = {"label": "ValidateVDB", "error": error and {"message": error}, "records": list(records)}
    out.update(extra)
    return out


def record(message, level="INFO", created=100.0):
    return {"message": message, "levelname": level, "created": created}


def test_a_line_has_the_time_it_was_written_and_its_level():
    tail = LogTail(clock=lambda: 42.0)
    tail.append("reset")
    tail.append("disconnected", "warn")
    assert tail.lines() == [
        {"time": 42.0, "level": "INFO", "message": "reset"},
        {"time": 42.0, "level": "WARNING", "message": "disconnected"},
    ]
    assert "reset" in tail and list(tail) == ["reset", "disconnected"]


def test_a_result_leaves_its_error_else_its_last_record_with_their_times():
    tail = LogTail(clock=lambda: 1.0)
    tail.add_result(result(records=[record("a"), record("3 shapes", "WARNING", 7.0)]))
    tail.add_result(result(error="2 unnamed prims", records=[record("b", created=8.0)], time=9.0))
    tail.add_result(result())  # nothing to say
    assert tail.lines() == [
        {"time": 7.0, "level": "WARNING", "message": "3 shapes"},
        {"time": 9.0, "level": "ERROR", "message": "ValidateVDB: 2 unnamed prims"},
    ]


def test_a_restore_replays_the_last_results_only():
    tail = LogTail(maxlen=3, clock=lambda: 1.0)
    tail.replay([result(records=[record(f"step {n}", created=float(n))]) for n in range(10)])
    assert tail.messages() == ["step 7", "step 8", "step 9"]
