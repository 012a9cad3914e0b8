"""The HandOffRefused message reads as one sentence: no ".." when the app's own
message ends with a full stop (issue 14, item 11)."""

import pytest

from pyblish_qml_queue.host import link, submit


def test_a_refusal_ending_with_a_full_stop_gives_no_double_stop(monkeypatch):
    def refuse(payload):
        raise RuntimeError("The disk holding the job store is full; free some space and try again.")

    monkeypatch.setattr(link, "try_handoff", refuse)
    with pytest.raises(submit.HandOffRefused) as caught:
        submit.hand_off({"id": "abc123", "steps": []})
    message = str(caught.value)
    assert ".." not in message, message
    assert "try again. Check the app's console" in message
