"""What a user may do with a job is decided once (queue/rules) for the stores and the page."""

import pytest

from pyblish_qml_queue.common.states import JobState
from pyblish_qml_queue.queue import rules
from pyblish_qml_queue.queue.store import InvalidState

#: can-map keys -> the store action they call.
STORE_ACTIONS = {
    "cancel": "cancel",
    "retry": "retry",
    "moveUp": "move",
    "moveDown": "move",
    "remove": "remove",
}


def store_accepts(action, state):
    try:
        rules.check_action(action, "j1", state)
    except InvalidState:
        return False
    return True


@pytest.mark.parametrize("state", list(JobState))
def test_the_can_map_enables_exactly_what_the_store_accepts(state):
    can = rules.allowed_actions(state, failed_steps=1)

    for key, action in STORE_ACTIONS.items():
        assert can[key] is store_accepts(action, state), key
    assert can["retryFailed"] is can["retry"]
    assert can["openReport"] is True and can["openFolder"] is True


def test_the_can_map_for_each_state_reads_as_the_design_says():
    def enabled(state, failed_steps=0):
        can = rules.allowed_actions(state, failed_steps)
        return sorted(k for k, v in can.items() if v)

    files = ["openFolder", "openReport"]
    assert enabled("queued") == sorted(["cancel", "moveUp", "moveDown", "remove"] + files)
    assert enabled("interrupted") == sorted(
        ["cancel", "moveUp", "moveDown", "remove", "retry"] + files
    )
    assert enabled("running") == sorted(["cancel"] + files)
    assert enabled("waiting") == sorted(["cancel", "remove"] + files)
    assert enabled("succeeded") == sorted(["remove"] + files)
    assert enabled("failed", 2) == sorted(["remove", "retry", "retryFailed"] + files)
    assert enabled("cancelled") == sorted(["remove", "retry"] + files)


def test_retry_failed_steps_needs_a_failed_step():
    assert rules.allowed_actions("failed", failed_steps=0)["retryFailed"] is False
    assert rules.allowed_actions("failed", failed_steps=1)["retryFailed"] is True


def test_no_selected_job_allows_nothing():
    can = rules.allowed_actions("")
    assert set(can) == set(rules.ACTIONS)
    assert not any(can.values())
