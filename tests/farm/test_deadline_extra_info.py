"""docs/deadline.md's submit-plugin snippet numbers our ExtraInfoKeyValue entries after a
studio's own, and the event plug-in finds them by name whatever their numbers."""

import os
import re

from conftest import ROOT

DOC = os.path.join(ROOT, "docs", "deadline.md")


def add_extra_info():
    """``add_extra_info`` as docs/deadline.md defines it."""
    text = open(DOC, encoding="utf-8").read()
    match = re.search(r"^def add_extra_info\(.*?(?=^```)", text, re.S | re.M)
    assert match, "docs/deadline.md lost add_extra_info"
    namespace = {}
    exec(match.group(0), namespace)
    return namespace["add_extra_info"]


SIGNAL = {
    "PYBLISH_QML_QUEUE_JOB_ID": "9c1d",
    "PYBLISH_QML_QUEUE_JOB_SECRET": "s3cr3t",
    "PYBLISH_QML_QUEUE_PLUGIN": "SubmitRender",
    "PYBLISH_QML_QUEUE_INSTANCE": "beauty",
}


def test_our_keys_are_numbered_after_the_studios_own():
    job_info = {
        "Plugin": "MayaBatch",
        "ExtraInfoKeyValue0": "PROJECT=show",
        "ExtraInfoKeyValue3": "SHOT=sh010",
        "ExtraInfoKeyValueX": "not a number",
    }
    add_extra_info()(job_info, SIGNAL)
    assert job_info["ExtraInfoKeyValue0"] == "PROJECT=show"
    assert job_info["ExtraInfoKeyValue3"] == "SHOT=sh010"
    ours = {job_info[f"ExtraInfoKeyValue{n}"] for n in range(4, 8)}
    assert ours == {f"{k}={v}" for k, v in SIGNAL.items()}


def test_a_job_info_without_extra_info_starts_at_0():
    job_info = {"Plugin": "MayaBatch"}
    add_extra_info()(job_info, SIGNAL)
    assert sorted(k for k in job_info if k.startswith("ExtraInfoKeyValue")) == [
        f"ExtraInfoKeyValue{n}" for n in range(4)
    ]
