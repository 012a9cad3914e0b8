"""Shared test setup. Qt runs offscreen: set before any Qt import."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh PYBLISH_QML_QUEUE_HOME for one test (store, spool, runtime files)."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("PYBLISH_QML_QUEUE_HOME", str(path))
    return path
