"""The QML module loads cleanly: every file compiles, every page renders without a warning."""

import os
import threading

import gui_support
import pytest
from gui_support import items, settle
from PySide6.QtCore import QEvent, QTimer, QUrl
from PySide6.QtQml import QQmlComponent, QQmlEngine

from pyblish_qml_queue.gui import app as gui_app
from pyblish_qml_queue.gui import sample, viewmodels
from pyblish_qml_queue.gui.session import Session
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture

MODULE_DIR = os.path.join(gui_app.QML_DIR, gui_app.MODULE)
QML_FILES = sorted(n for n in os.listdir(MODULE_DIR) if n.endswith(".qml"))


def test_the_module_lists_every_qml_file_in_its_qmldir():
    with open(os.path.join(MODULE_DIR, "qmldir")) as f:
        listed = {line.split()[-1] for line in f if line.strip().endswith(".qml")}
    assert listed == set(QML_FILES)


@pytest.mark.parametrize("name", QML_FILES)
def test_every_qml_file_compiles_without_errors(qapp, qt_messages, name):
    engine = QQmlEngine()
    engine.addImportPath(gui_app.QML_DIR)
    session = Session(MemoryJobStore(), sync_interval=0, parent=engine)  # goes with the engine
    viewmodels.attach(engine, session)
    try:
        component = QQmlComponent(engine, QUrl.fromLocalFile(os.path.join(MODULE_DIR, name)))
        assert component.isReady(), [e.toString() for e in component.errors()]
    finally:
        viewmodels.detach(engine)
        session.close()
        engine.deleteLater()
        qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert qt_messages.problems() == []


@pytest.fixture
def busy_gui(make_gui):
    store = MemoryJobStore()
    sample.fill_store(store, 30)
    hub = sample.SampleHub(sample.sample_hosts())
    return make_gui(store, hub)


def test_every_page_renders_with_sample_data_without_a_warning(qapp, qt_messages, busy_gui):
    session, root = busy_gui
    session.app.showOverview()
    settle(qapp, session)
    root.grabWindow()
    assert len(items(root, "hostCard:")) == 5

    session.app.showQueue()
    failed = next(r for r in session.jobs.rows() if r["state"] == "failed")
    session.queue.select(failed["jobId"])
    settle(qapp, session)
    root.grabWindow()
    assert items(root, "jobRow:")
    assert len(items(root, "stepRow:")) == failed["total"]

    session.app.openHost("h-maya")
    settle(qapp, session)
    root.grabWindow()
    assert session.app.page == "publish"

    assert qt_messages.problems() == []


def test_an_empty_app_renders_without_a_warning(qapp, qt_messages, make_gui):
    session, root = make_gui(MemoryJobStore())
    for show in (session.app.showOverview, session.app.showQueue):
        show()
        settle(qapp, session)
        root.grabWindow()
    assert qt_messages.problems() == []


def test_a_missing_qml_module_stops_the_app_with_a_clear_error(qapp, tmp_path, monkeypatch):
    monkeypatch.setattr(gui_app, "QML_DIR", str(tmp_path))
    with pytest.raises(gui_app.AppError, match="did not load"):
        gui_app.build_app(["test"], store=MemoryJobStore(), hub=False, executor=False)


def test_a_shut_down_app_leaves_no_timer_running(qapp):
    _app, engine, _root = gui_app.build_app(
        ["test"],
        store=MemoryJobStore(),
        hub=sample.SampleHub(sample.sample_hosts()),
        executor=False,
    )
    session = gui_app.session_of(engine)
    try:
        gui_app.shut_down(engine)

        running = [
            t.parent().metaObject().className()
            for t in session.findChildren(QTimer)
            if t.isActive()
        ]
        assert running == []
    finally:
        engine.deleteLater()
        qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_closed_app_is_deleted_with_its_engine_on_the_gui_thread(qapp):
    """Not left to the garbage collector, which may run on an executor or hub thread."""
    _app, engine, _root = gui_app.build_app(
        ["test"], store=MemoryJobStore(), hub=False, executor=False
    )
    session = gui_app.session_of(engine)
    deleted_on = []
    session.destroyed.connect(lambda *_: deleted_on.append(threading.current_thread()))
    gui_app.shut_down(engine)

    engine.deleteLater()
    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    assert deleted_on == [threading.main_thread()]


def test_the_message_capture_sees_qml_warnings(qapp, qt_messages):
    """Guards the tests above: a QML warning does reach the capture."""
    engine = QQmlEngine()
    component = QQmlComponent(engine)
    component.setData(
        b'import QtQuick\nItem { Component.onCompleted: console.warn("seen") }', QUrl()
    )
    item = component.create()
    assert any("seen" in m for m in qt_messages.problems())
    item.deleteLater()
    engine.deleteLater()
