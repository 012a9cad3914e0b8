"""The state vocabulary: str enums that are their strings everywhere they travel."""

import json
import sqlite3

import pytest

from pyblish_qml_queue.common import stages, states
from pyblish_qml_queue.common.states import HostState, JobState, StepState

ENUMS = [
    states.HostState,
    states.JobState,
    states.StepState,
    states.RunOutcome,
    states.ItemState,
    states.SignalStatus,
    states.HostGroup,
    states.JobGroup,
]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_a_member_prints_formats_and_encodes_as_its_value(enum):
    for member in enum:
        value = member.value
        assert member == value and hash(member) == hash(value)
        assert str(member) == value
        assert f"{member}" == value
        assert "{}".format(member) == value  # noqa: UP032 - str.format is what 3.7 code uses
        assert "%s" % member == value  # noqa: UP031 - so is %-formatting
        assert json.dumps({"state": member}) == json.dumps({"state": value})
        assert enum(value) is member


def test_a_member_goes_into_sqlite_as_text_and_reads_back_equal():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (state text)")
    conn.execute("insert into t values (?)", (JobState.RUNNING,))
    ((state, kind),) = conn.execute("select state, typeof(state) from t").fetchall()
    assert (state, kind) == ("running", "text")
    assert state == JobState.RUNNING and type(state) is str


def test_the_stored_values_are_the_ones_the_store_always_had():
    assert [s.value for s in JobState] == [
        "queued", "running", "waiting", "succeeded", "failed", "cancelled", "interrupted",
    ]  # fmt: skip
    assert [s.value for s in StepState] == [
        "pending", "running", "succeeded", "failed", "skipped", "waiting",
    ]  # fmt: skip
    assert HostState.HANDED_OFF == "handed off"


def test_held_is_a_worker_name_the_store_does_not_know():
    assert states.HELD == "held"
    assert states.HELD not in [s.value for s in StepState]


def test_each_stage_has_its_host_state():
    assert [states.host_state_of_stage(s) for s in stages.STAGES] == list(states.HOST_BUSY)


@pytest.mark.parametrize(
    "order, stage",
    [(-1, "collect"), (0.49, "collect"), (0.5, "validate"), (1.49, "validate"),
     (1.5, "extract"), (2.49, "extract"), (2.5, "integrate"), (3.5, "integrate")],
)  # fmt: skip
def test_stages_cut_at_pyblish_order_boundaries(order, stage):
    assert stages.stage(order) == stage


def test_the_stage_boundaries_are_pyblish_own():
    import pyblish.api

    assert stages.COLLECT_END == pyblish.api.CollectorOrder + 0.5
    assert stages.VALIDATE_END == pyblish.api.ValidatorOrder + 0.5
    assert stages.EXTRACTION_STARTS == pyblish.api.ExtractorOrder - 0.5
    assert stages.EXTRACT_END == pyblish.api.ExtractorOrder + 0.5
