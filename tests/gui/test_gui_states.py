"""QML gets the state vocabulary from Python (the ``States`` singleton), never as literals."""

import os
import re

from pyblish_qml_queue.common import states
from pyblish_qml_queue.gui import app as gui_app
from pyblish_qml_queue.gui.states import VOCABULARY, camel

MODULE_DIR = os.path.join(gui_app.QML_DIR, gui_app.MODULE)
STATE_VALUES = {
    member.value
    for enum in (states.HostState, states.JobState, states.StepState, states.ItemState)
    for member in enum
} | {g.value for g in states.HostGroup}


def test_the_qml_vocabulary_is_the_python_one():
    assert VOCABULARY["host"]["handedOff"] == states.HostState.HANDED_OFF.value
    for key, enum in [("host", states.HostState), ("job", states.JobState),
                      ("step", states.StepState), ("item", states.ItemState)]:  # fmt: skip
        assert VOCABULARY[key] == {camel(m.name): m.value for m in enum}
        assert all(type(v) is str for v in VOCABULARY[key].values())


def test_no_qml_file_compares_against_a_state_literal():
    pattern = re.compile(r'(?:===|!==|case|value:)\s*"([^"]*)"')
    found = []
    for name in sorted(os.listdir(MODULE_DIR)):
        if not name.endswith(".qml") or name == "TerminalView.qml":  # log levels, not states
            continue
        with open(os.path.join(MODULE_DIR, name), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                found += [f"{name}:{n}: {m}" for m in pattern.findall(line) if m in STATE_VALUES]
    assert found == []
