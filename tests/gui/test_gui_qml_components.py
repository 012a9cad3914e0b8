"""QML components with logic of their own pass their QtQuick.Test cases (tests/gui/qml/tst_*.qml).

Qt's own runner (``QUICK_TEST_MAIN_WITH_SETUP``) runs them offscreen in a child
process (tests/gui/qml/qmltest_main.py), so a crash there fails one test, not the
session. A failed case, an error or a QML warning fails the test.
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
QML_TESTS = os.path.join(HERE, "qml")
RUNNER = os.path.join(QML_TESTS, "qmltest_main.py")


def run_qml_tests(*args, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, RUNNER, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=HERE,
    )


def problems(result):
    """The runner's lines that are not a pass: failures, warnings, errors."""
    lines = (result.stdout + result.stderr).splitlines()
    return [
        line
        for line in lines
        if line.startswith(("FAIL", "QWARN", "QFATAL", "QCRITICAL", "XPASS"))
        or "Error" in line
        or "qml:" in line
    ]


def test_every_tst_file_is_a_qml_component_test():
    names = sorted(n for n in os.listdir(QML_TESTS) if n.endswith(".qml"))
    assert names and all(n.startswith("tst_") for n in names)


def test_the_qml_component_tests_pass_without_a_warning():
    result = run_qml_tests()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Totals:" in output and " 0 failed" in output, output
    assert problems(result) == [], output


@pytest.mark.parametrize(
    "body",
    [
        'function test_broken() { compare(1 + 1, 3, "arithmetic") }',
        "function test_throws() { undefinedThing.call() }",
    ],
)
def test_a_failing_qml_case_fails_the_run(tmp_path, body):
    (tmp_path / "tst_Broken.qml").write_text(
        "import QtQuick\nimport QtTest\nimport PyblishQueue.Backend\n"
        'TestCase { name: "Broken"; ' + body + " }\n"
    )
    result = run_qml_tests("-input", str(tmp_path))
    assert result.returncode != 0, result.stdout + result.stderr
    assert "FAIL!" in result.stdout
