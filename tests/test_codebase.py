"""The house rules, checked: lint, layering, DCC-compatible syntax, no context properties."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

BIN = os.path.dirname(sys.executable)


def _tool(name):
    path = os.path.join(BIN, name)
    if os.path.exists(path):
        return path
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return found


def _run(args):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    result = _run([_tool("ruff"), "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_and_host_never_import_qt():
    """import-linter contracts in pyproject.toml: Qt only under gui/, host/ stands alone."""
    result = _run([_tool("lint-imports")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_host_and_worker_code_keeps_python_37_syntax():
    """Code that runs inside a DCC (mayapy can be 3.7) must parse there."""
    files = [
        os.path.join("pyblish_qml_queue", "common"),
        os.path.join("pyblish_qml_queue", "dcc"),
        os.path.join("pyblish_qml_queue", "host"),
        os.path.join("pyblish_qml_queue", "worker"),
        os.path.join("pyblish_qml_queue", "demo"),
    ]
    files = [f for f in files if os.path.exists(os.path.join(ROOT, f))]
    result = _run(
        [_tool("vermin"), "-t=3.7-", "--no-tips", "--violations", "--eval-annotations", *files]
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: The QQmlContext call we never make (spelled in two parts so this file does not match itself).
CONTEXT_PROPERTY = "setContext" + "Property"


def test_no_set_context_property():
    """QML reaches Python only through registered types (README, "Development")."""
    offenders = []
    for folder, _, names in os.walk(os.path.join(ROOT, "pyblish_qml_queue")):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    if CONTEXT_PROPERTY in f.read():
                        offenders.append(path)
    assert offenders == []
