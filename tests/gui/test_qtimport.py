"""gui/qtimport.py writes into a private table of PySide6's import hook: where that table
is missing, has another layout, or the marking fails, the app starts as without it."""

import sys
import types

import pytest

from pyblish_qml_queue.gui import qtimport


def _feature(table):
    return types.SimpleNamespace(pyside_feature_dict=table)


def test_a_pyside6_without_the_hooks_table_is_left_alone():
    assert qtimport._mark(types.SimpleNamespace()) == 0
    assert qtimport._mark(None) == 0
    assert qtimport._mark(_feature(["not", "a", "dict"])) == 0


def test_a_table_of_another_layout_is_left_unchanged():
    table = {"some.module": "flags as text"}
    assert qtimport._mark(_feature(table)) == 0
    assert table == {"some.module": "flags as text"}


def test_modules_without_qt_are_marked_and_modules_holding_qt_are_not():
    table = {}
    assert qtimport._mark(_feature(table)) > 0
    assert table["json"] == -1
    assert "pyblish_qml_queue.gui.qtimport" not in table  # holds PySide6
    assert not [name for name in table if name.startswith(qtimport.QT)]


class _Unreadable(types.ModuleType):
    def __getattribute__(self, name):
        if name == "__dict__":
            raise RuntimeError("a module that cannot be looked into")
        return super().__getattribute__(name)


def test_a_failure_while_marking_returns_nothing_marked_and_does_not_raise(monkeypatch):
    monkeypatch.setitem(sys.modules, "shibokensupport.feature", _feature({}))
    monkeypatch.setitem(sys.modules, "zz_unreadable", _Unreadable("zz_unreadable"))
    with pytest.raises(RuntimeError):  # what the scan meets
        qtimport._mark(_feature({}))
    assert qtimport._mark_imported_modules() == 0
