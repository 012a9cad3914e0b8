"""The Console: a bounded, thread-safe log buffer and the page that shows it."""

import logging
import threading
import time

import gui_support
import pytest
from gui_support import items, settle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from waiting import wait_until

from pyblish_qml_queue.common.logbuffer import LogBuffer, source_of
from pyblish_qml_queue.gui.console.model import compile_search
from pyblish_qml_queue.gui.console.view import Console
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture
qt_messages = gui_support.qt_messages  # a shared fixture


def fill(buffer, count, start=0):
    levels = [(logging.INFO, "INFO"), (logging.WARNING, "WARNING"), (logging.ERROR, "ERROR")]
    for n in range(start, start + count):
        levelno, name = levels[n % 3]
        buffer.add(1_700_000_000 + n, levelno, name, ("hosts", "queue")[n % 2], f"line {n}")


# -- the buffer (no Qt) ------------------------------------------------------------------


def test_the_buffer_keeps_only_the_newest_records_up_to_its_capacity():
    buffer = LogBuffer(capacity=100)
    fill(buffer, 250)
    entries = buffer.entries()
    assert len(entries) == 100
    assert [e.message for e in entries[:2]] == ["line 150", "line 151"]
    assert entries[-1].seq == buffer.last_seq == 250
    assert buffer.dropped == 150


def test_since_returns_only_entries_newer_than_a_sequence_number():
    buffer = LogBuffer(capacity=10)
    fill(buffer, 8)
    assert [e.seq for e in buffer.since(5)] == [6, 7, 8]
    assert buffer.since(8) == []
    fill(buffer, 20, start=8)  # 8 older ones fell out: "since 5" gives what is left
    assert [e.seq for e in buffer.since(5)] == list(range(19, 29))


def test_the_buffer_is_a_logging_handler_that_keeps_tracebacks_and_short_sources():
    buffer = LogBuffer()
    logger = logging.getLogger("pyblish_qml_queue.queue.executor.test_console")
    logger.addHandler(buffer)
    logger.propagate = False
    try:
        logger.warning("worker %d slow", 2)
        try:
            raise ValueError("disk full")
        except ValueError:
            logger.exception("job failed")
    finally:
        logger.removeHandler(buffer)
        logger.propagate = True
    warning, error = buffer.entries()
    assert (warning.level, warning.source, warning.message) == ("WARNING", "queue", "worker 2 slow")
    assert error.message.startswith("job failed\nTraceback")
    assert "ValueError: disk full" in error.message


@pytest.mark.parametrize(
    "logger, source",
    [
        ("pyblish_qml_queue.queue.loop", "queue"),
        ("pyblish_qml_queue.queue.executor", "queue"),
        ("pyblish_qml_queue.queue.sqlite.store", "queue"),
        ("pyblish_qml_queue.hub.session", "hosts"),
        ("pyblish_qml_queue.common.wire.peer", "hosts"),
        ("pyblish_qml_queue.hub.transport", "server"),
        ("pyblish_qml_queue.node", "server"),
        ("pyblish_qml_queue.farm.http", "farm"),
        ("pyblish_qml_queue.gui.desktop.notify", "tray"),
        ("pyblish_qml_queue.gui.queue.view", "app"),
        ("pyblish_qml_queue.nodes_of_another_kind", "app"),  # a prefix is a whole part
        ("celery.worker", "celery"),
        ("root", "root"),
    ],
)
def test_sources_are_the_parts_a_user_knows_not_module_names(logger, source):
    """As the Console's wireframe: server, hosts, queue, farm, tray (not loop, executor)."""
    assert source_of(logger) == source


@pytest.mark.parametrize(
    "state, level", [("failed", "ERROR"), ("interrupted", "WARNING"), ("succeeded", "INFO")]
)
def test_a_job_end_is_logged_at_its_level_so_the_console_counts_failures(console, state, level):
    from factories import make_payload

    from pyblish_qml_queue.queue.model import STEP_SUCCEEDED, Job
    from pyblish_qml_queue.queue.records import RunRecords

    store = MemoryJobStore()
    job = Job.from_payload(make_payload())
    store.add(job)
    job = store.claim("test:1:loop", 60.0)
    if state == "succeeded":  # a job succeeds only with every step done in the store
        for index in range(len(job.steps)):
            store.start_step(job.id, "test:1:loop", index)
            store.finish_step(job.id, "test:1:loop", index, STEP_SUCCEEDED, duration=0.1)
    records = RunRecords(
        store, "test:1:loop", time.time, lambda *a: None, lambda: None, lambda *a: False
    )
    logger = logging.getLogger("pyblish_qml_queue.queue.records")
    logger.addHandler(console.model.buffer)
    logger.setLevel(logging.INFO)
    try:
        records.end(job, state, None if state == "succeeded" else "disk full")
    finally:
        logger.removeHandler(console.model.buffer)
        logger.setLevel(logging.NOTSET)
    console.poll()

    (ended,) = [e for e in console.model.entries() if e.message.startswith(f"job {job.id}")]
    assert (ended.level, ended.source) == (level, "queue")
    assert console.counts.get("ERROR", 0) == (1 if state == "failed" else 0)


def test_records_from_many_threads_get_unique_numbers_and_none_is_lost_below_capacity():
    buffer = LogBuffer(capacity=50_000)
    logger = logging.getLogger("test_console.threads")
    logger.setLevel(logging.INFO)
    logger.addHandler(buffer)
    logger.propagate = False

    def write(n):
        for i in range(2_000):
            logger.info("thread %d record %d", n, i)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        logger.removeHandler(buffer)
        logger.propagate = True
    seqs = [e.seq for e in buffer.entries()]
    assert seqs == list(range(1, 8_001))


# -- the page's model ------------------------------------------------------------------


@pytest.fixture
def console(qapp):
    copied = []
    buffer = LogBuffer(capacity=1_000)
    made = Console(buffer, interval=0, clipboard=copied.append, choose_file=lambda path: "")
    made.copied = copied
    yield made
    made.stop()
    made.deleteLater()


def test_the_console_model_stays_bounded_however_much_is_logged(console):
    buffer = console.model.buffer
    for batch in range(10):
        fill(buffer, 700, start=batch * 700)
        console.poll()
    assert console.total == 1_000
    assert console.model.entry(0).seq == 6_001
    assert sum(console.counts.values()) == 1_000
    assert len(console.model.entries()) == 1_000


def test_the_level_toggles_hide_and_show_lines(console):
    fill(console.model.buffer, 30)
    console.poll()
    assert console.shown == 30  # INFO, WARNING and ERROR are on at start, DEBUG off
    console.toggleLevel("INFO")
    assert console.shown == 20
    assert "INFO" not in console.levels
    console.toggleLevel("ERROR")
    assert console.shown == 10
    assert {e.level for e in console.proxy.shown_entries()} == {"WARNING"}


def test_the_source_choice_and_text_search_filter_lines(console):
    fill(console.model.buffer, 30)
    console.poll()
    assert console.sources == ["hosts", "queue"]
    console.setSource("queue")
    assert console.shown == 15
    console.setSearch("LINE 2")  # any case: line 2, 20-29 among the "queue" (odd) ones
    assert sorted(e.message for e in console.proxy.shown_entries()) == [
        "line 21",
        "line 23",
        "line 25",
        "line 27",
        "line 29",
    ]


def test_a_regex_search_between_slashes_and_a_bad_one_says_why(console):
    fill(console.model.buffer, 30)
    console.poll()
    console.setSearch("/^line [12]$/")
    assert sorted(e.message for e in console.proxy.shown_entries()) == ["line 1", "line 2"]
    console.setSearch("/line (/")
    assert console.searchError.startswith("bad regular expression")
    assert console.shown == 30  # a bad pattern filters nothing
    matcher, error = compile_search("")
    assert matcher is None and error == ""


def test_copy_puts_the_lines_shown_on_the_clipboard(console):
    fill(console.model.buffer, 6)
    console.poll()
    console.toggleLevel("INFO")
    assert console.copy() == 4
    text = console.copied[-1]
    assert text.count("\n") == 4
    assert "WARNING  queue: line 1" in text and "INFO" not in text
    assert "Copied 4 lines" in console.message


def test_save_writes_the_lines_shown_to_a_file_and_says_when_it_cannot(console, tmp_path):
    fill(console.model.buffer, 5)
    console.poll()
    path = tmp_path / "console.log"
    assert console.saveTo(str(path)) is True
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and lines[-1].endswith("hosts: line 4")
    assert console.saveTo(str(tmp_path / "missing" / "x.log")) is False
    assert console.message.startswith("Could not save to")


def test_save_asks_for_a_file_and_does_nothing_when_the_user_cancels(qapp, tmp_path):
    buffer = LogBuffer(capacity=10)
    fill(buffer, 3)
    chosen = [""]
    asked = []

    def choose(suggested):
        asked.append(suggested)
        return chosen[0]

    made = Console(buffer, interval=0, clipboard=lambda text: None, choose_file=choose)
    try:
        made.save()
        assert asked and asked[0].endswith(".log") and made.message == ""
        chosen[0] = str(tmp_path / "chosen.log")
        made.save()
        assert (tmp_path / "chosen.log").read_text(encoding="utf-8").count("\n") == 3
    finally:
        made.stop()


def test_the_console_page_renders_lines_and_its_toggles_filter_them(qapp, qt_messages, make_gui):
    buffer = LogBuffer(capacity=500)
    fill(buffer, 60)
    session, root = make_gui(MemoryJobStore(), tray_options={"log_buffer": buffer})
    session.app.showConsole()
    settle(qapp, session)
    root.grabWindow()
    (lines,) = items(root, "consoleLines")
    assert lines.property("count") == 60
    (info,) = items(root, "consoleLevel:INFO")
    centre = info.mapToScene(info.boundingRect().center()).toPoint()
    QTest.mouseClick(root, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    settle(qapp, session)
    assert lines.property("count") == 40
    fill(buffer, 3, start=60)
    wait_until(lambda: lines.property("count") == 42, 10, "new lines", tick=qapp.processEvents)
    assert qt_messages.problems() == []
