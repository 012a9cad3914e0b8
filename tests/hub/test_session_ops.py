"""A session's operations hold no thread while their host works, run one at a time,
and none is left waiting for ever when the hub closes (issue 17, item 1)."""

import threading

import pytest

from pyblish_qml_queue.hub.session import HostSession, HostUnavailable


class _Link:
    """The host's end as the session sees it: requests held until answered by hand."""

    def __init__(self):
        self.closed = False
        self.asked = []  # (method, params, callback)

    def ask(self, method, params, callback):
        self.asked.append((method, params, callback))

    def answer(self, result):
        _, _, callback = self.asked.pop(0)
        callback({"result": result})

    def close(self):
        self.closed = True
        for _, _, callback in self.asked:
            callback(None)
        self.asked = []


def _session():
    # What may block runs right here: no thread at all, so none can hold an operation.
    session = HostSession({"id": "h1"}, emit=lambda event: None, run=lambda f, *a: f(*a))
    link = _Link()
    session.record.peer = link
    return session, link


def _comment(session, text):
    return session.submit(session.do_comment, text)


def test_operations_wait_on_their_host_without_a_thread_and_run_in_order():
    session, link = _session()
    before = threading.active_count()
    first, second = _comment(session, "one"), _comment(session, "two")
    assert [a[1]["value"] for a in link.asked] == ["one"]  # the second waits its turn
    assert threading.active_count() == before and session.busy  # waiting, on no thread
    link.answer(None)
    assert first.result(0) is None
    assert [a[1]["value"] for a in link.asked] == ["two"]
    link.answer(None)
    assert second.result(0) is None and not session.busy
    assert session.record.context["data"]["comment"] == "two"


def test_closing_fails_the_running_operation_and_every_queued_one():
    session, link = _session()
    running, queued = _comment(session, "one"), _comment(session, "two")
    session.close()
    link.close()
    with pytest.raises(HostUnavailable):
        queued.result(0)
    with pytest.raises(HostUnavailable):
        running.result(0)
