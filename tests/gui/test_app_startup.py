"""The app's start: what the first frame needs and nothing more (issue 17, item 6).

Shapes, not timings (benchmarks/bench_startup.py times it): which modules a start loads,
which pages exist before they are shown, what runs after the first frame.
"""

import json
import os
import subprocess
import sys

import gui_support
from conftest import ROOT
from gui_support import items, settle
from waiting import wait_until

from pyblish_qml_queue.gui import app as gui_app
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture

MODULE_DIR = os.path.join(gui_app.QML_DIR, gui_app.MODULE)

_PROBE = """
import json, sys
from pyblish_qml_queue.cli import command
command.build_parser()
import pyblish_qml_queue.gui.app
print(json.dumps(sorted(sys.modules)))
"""


def test_the_command_line_and_the_app_module_load_neither_pyblish_nor_the_host_side():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    modules = json.loads(out.stdout)
    loaded = [
        m
        for m in modules
        if m.split(".")[0] == "pyblish"
        or m.startswith(("pyblish_qml_queue.host", "pyblish_qml_queue.dcc", "celery", "kombu"))
    ]
    assert loaded == []


_PROBE_QT = """
import json, sys
import pyblish_qml_queue.gui.app
from pyblish_qml_queue.gui import qtimport
table = getattr(sys.modules["shibokensupport.feature"], "pyside_feature_dict", None)
names = ["pyblish_qml_queue.hub.hub", "subprocess", "pyblish_qml_queue.gui.queue.jobs"]
print(json.dumps({
    "table": None if table is None else [table.get(n) for n in names],
    "marked": qtimport.MARKED,
}))
"""


def test_pyside6s_import_hook_does_not_read_again_the_modules_imported_before_it():
    """Modules imported before PySide6 are recorded as not using it (its hook then does not
    read their source when a GUI module imports them); the GUI modules it still checks."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE_QT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    if found["table"] is None:  # a PySide6 without the hook's table: nothing to spare
        assert found["marked"] == 0
        return
    assert found["table"] == [-1, -1, 0]
    assert found["marked"] > 100


def _loaders(root):
    return {item.objectName().split(":")[1]: item for item in items(root, "pageLoader:")}


def test_only_the_overview_is_built_before_the_first_frame(qapp, make_gui):
    session, root = make_gui(MemoryJobStore())
    loaders = _loaders(root)
    assert sorted(loaders) == ["console", "publish", "queue"]
    assert [name for name, loader in loaders.items() if loader.property("item")] == []
    assert items(root, "jobCounts") == []  # the Queue page is not there yet


def test_a_page_is_built_when_first_shown(qapp, make_gui):
    session, root = make_gui(MemoryJobStore())
    session.app.showQueue()
    assert _loaders(root)["queue"].property("item") is not None
    settle(qapp, session)
    assert len(items(root, "jobCounts")) == 1
    session.app.showConsole()
    assert _loaders(root)["console"].property("item") is not None


def test_every_page_is_built_soon_after_the_first_frame(qapp, make_gui):
    session, root = make_gui(MemoryJobStore())
    root.show()
    loaders = _loaders(root)
    _wait(qapp, lambda: all(loader.property("item") for loader in loaders.values()), "pages")
    assert session.app.page == "overview"  # built, not shown


def test_after_first_frame_runs_its_callbacks_once_after_the_first_frame(qapp, make_gui):
    session, root = make_gui(MemoryJobStore())
    ran = []
    gui_app.after_first_frame(root, lambda: ran.append("a"), lambda: ran.append("b"))
    assert ran == []  # not before the frame
    root.show()
    _wait(qapp, lambda: ran, "the callbacks")
    root.contentItem().update()  # more frames: the callbacks do not run again
    _wait(qapp, lambda: root.property("warm"), "the pages")
    assert ran == ["a", "b"]


def test_a_failing_after_first_frame_callback_is_logged_and_the_rest_run(qapp, make_gui, caplog):
    session, root = make_gui(MemoryJobStore())
    ran = []

    def fails():
        raise ValueError("boom")

    gui_app.after_first_frame(root, fails, lambda: ran.append("after"))
    root.show()
    _wait(qapp, lambda: ran, "the second callback")
    assert ran == ["after"]
    assert "a start-up step after the first frame failed" in caplog.text


def _wait(qapp, condition, what):
    wait_until(condition, timeout=10.0, what=what, tick=qapp.processEvents)


def test_after_first_frame_runs_its_callbacks_without_a_frame_after_its_time(qapp, make_gui):
    session, root = make_gui(MemoryJobStore())
    root.hide()  # a window started minimized renders no frame
    ran = []
    gui_app.after_first_frame(root, lambda: ran.append("a"), latest_ms=50)
    _wait(qapp, lambda: ran, "the callback")
    root.show()
    _wait(qapp, lambda: root.property("warm"), "the pages")
    assert ran == ["a"]


def test_the_tray_icon_can_wait_for_the_first_frame(qapp, make_gui):
    from pyblish_qml_queue.gui.desktop.parts import desktop_of

    session, root = make_gui(MemoryJobStore(), tray_options={"available": True, "icon_later": True})
    tray = desktop_of(_engine_of(session)).tray
    try:
        assert tray.available is True and tray._icon is None
        tray.show_icon()
        assert tray._icon is not None and tray._icon.isVisible()
        tray.show_icon()  # once
        tray.close()
        tray.show_icon()
        assert tray._icon is None  # closed: it stays gone
    finally:
        tray.close()
        qapp.setQuitOnLastWindowClosed(True)


def _engine_of(session):
    from pyblish_qml_queue.gui.singletons import DESKTOPS

    (engine,) = [engine for engine, desktop in DESKTOPS.items() if desktop.session is session]
    return engine


def test_show_in_queue_brings_the_job_into_view_when_the_queue_page_is_built_by_it(qapp, make_gui):
    from pyblish_qml_queue.gui import sample

    store = MemoryJobStore()
    ids = sample.fill_store(store, 200, running=0)
    session, root = make_gui(store)
    root.show()
    settle(qapp, session)
    last = session.jobs.rows()[-1]["jobId"]  # far below the first screenful
    assert _loaders(root)["queue"].property("item") is None  # not built yet
    session.app.showJob(last)
    _wait(qapp, lambda: items(root, f"jobRow:{last}"), "the job's row in view")
    assert session.queue.selectedId == last and last in ids


def test_the_console_and_the_tray_icon_are_built_after_the_first_frame(qapp, make_gui):
    from pyblish_qml_queue.common.logbuffer import default_buffer
    from pyblish_qml_queue.gui.desktop.parts import desktop_of

    session, root = make_gui(MemoryJobStore(), tray_options={"available": True, "icon_later": True})
    desktop = desktop_of(_engine_of(session))
    try:
        assert desktop._console is None and desktop.tray._icon is None
        assert desktop._log_buffer is default_buffer()  # recording from the start
        gui_app.after_first_frame(root, desktop.tray.show_icon)
        root.show()
        loaders = _loaders(root)
        _wait(qapp, lambda: all(loader.property("item") for loader in loaders.values()), "pages")
        assert desktop._console is not None  # built when the Console page asked for it
        assert desktop.tray._icon is not None
    finally:
        desktop.tray.close()
        qapp.setQuitOnLastWindowClosed(True)


def test_the_executor_starts_after_the_first_frame_and_the_queue_and_tray_get_it(qapp, make_gui):
    from pyblish_qml_queue.gui.desktop.parts import desktop_of

    session, root = make_gui(MemoryJobStore(), executor=None, executor_later=True)
    tray = desktop_of(_engine_of(session)).tray
    assert session.executor is None and session.queue.hasExecutor is False
    root.show()
    _wait(qapp, lambda: session.executor is not None, "the executor")
    assert session.queue.hasExecutor is True and tray.hasExecutor is True
    assert tray.quit_flow.executor is session.executor  # quitting asks about its jobs
    assert session.executor.on_event is not None  # its events reach the window


def test_the_console_shows_what_was_logged_before_its_page_was_built(qapp, make_gui):
    import logging

    from pyblish_qml_queue.common.logbuffer import LogBuffer
    from pyblish_qml_queue.gui.desktop.parts import desktop_of

    buffer = LogBuffer()
    session, root = make_gui(MemoryJobStore(), tray_options={"log_buffer": buffer})
    desktop = desktop_of(_engine_of(session))
    record = {"name": "test", "msg": "before the page", "levelno": 20, "levelname": "INFO"}
    buffer.handle(logging.makeLogRecord(record))
    assert desktop._console is None
    session.app.showConsole()
    _wait(qapp, lambda: desktop.console.model.rowCount() == 1, "the line")
