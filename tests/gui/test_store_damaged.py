"""A job store found damaged by its check after open (on the store's thread) is told to
the artist: once in the status line, once by the tray."""

import gui_support
import pytest
from gui_support import items, settle
from salvage_support import damage_middle, filled_store
from waiting import wait_until

from pyblish_qml_queue.gui.desktop.parts import desktop_of
from pyblish_qml_queue.gui.session import STORE_DAMAGED
from pyblish_qml_queue.gui.singletons import DESKTOPS
from pyblish_qml_queue.queue.sqlite import file as sqlite_file
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture


def tray_of(session):
    (engine,) = [e for e, desktop in DESKTOPS.items() if desktop.session is session]
    return desktop_of(engine).tray


def status_texts(root):
    return [i.property("text") for i in items(root, "statusText") if i.isVisible()]


@pytest.fixture
def store(tmp_path, monkeypatch, home):
    """A real SQLite store, filled and closed cleanly, open again: its header and schema
    checked, its own check of the whole file left for later (the test runs it)."""
    monkeypatch.setattr(sqlite_file, "CHECK_DELAY", 3600.0)
    path = str(tmp_path / "jobs.db")
    filled_store(path, n=200)
    store = SQLiteJobStore(path)
    yield store
    store.close()


@pytest.mark.parametrize("page", ["overview", "queue"])
def test_a_store_damaged_after_open_is_told_once_in_the_status_line_and_by_the_tray(
    qapp, store, make_gui, monkeypatch, qt_messages, page
):
    session, root = make_gui(store, tray_options={"available": False})
    tray = tray_of(session)
    shown = []
    tray.noticeShown.connect(shown.append)
    root.show()
    getattr(session.app, "show" + page.capitalize())()
    settle(qapp, session)
    assert store.damaged is None
    assert not any("damaged" in t for t in status_texts(root))

    damage_middle(store.path)  # the disk goes bad under the open store
    monkeypatch.setattr(sqlite_file, "CHECK_DELAY", 0.0)
    store._file._check_later()  # the store-check thread's body, run here
    assert store.damaged  # what SQLite's quick_check found

    wait_until(
        lambda: any(STORE_DAMAGED in t for t in status_texts(root)),
        tick=qapp.processEvents,
        what="the status line to say the store is damaged",
    )
    (line,) = [t for t in status_texts(root) if STORE_DAMAGED in t]
    assert "doctor --salvage" in line and "quit" in line
    assert session.app.message == STORE_DAMAGED
    assert [n["kind"] for n in shown] == ["store_damaged"]
    assert shown[0]["title"] == "Job store damaged"
    assert shown[0]["subject"] == store.path

    # told once: later looks (the session's timer) neither say nor notify it again
    session.app.say("")
    for _ in range(3):
        session.look_for_changes()
    settle(qapp, session)
    assert len(shown) == 1
    assert session.app.message == ""
    assert [m for m in qt_messages if "qml" in m.lower()] == []
