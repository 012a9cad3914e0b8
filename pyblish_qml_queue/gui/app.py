"""The desktop app: the headless node (:mod:`pyblish_qml_queue.node`) plus the window.

``build_app`` starts a :class:`~pyblish_qml_queue.node.Node` (store, executor,
spool, hub, farm endpoint), puts the GUI session on top and loads
``PyblishQueue/Main.qml``; ``run_app`` is what ``pyblish-qml-queue app`` calls.
Parts passed in belong to the caller; parts built here are started here and
stopped when the app quits.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading

# The Qt-free parts a start loads (the node, its store and hub, the models' rules, the
# settings, the Publish page's plain-Python core), imported before PySide6: PySide6's import
# hook (shibokensupport's __feature__ check) reads the source of every module imported
# after it, 15-20 ms of CPU for these and the standard library modules they bring.
import pyblish_qml_queue.common.logbuffer
import pyblish_qml_queue.common.settings
import pyblish_qml_queue.gui.publish.feed
import pyblish_qml_queue.gui.publish.handoff
import pyblish_qml_queue.gui.publish.host
import pyblish_qml_queue.hub.hub
import pyblish_qml_queue.queue.rules
import pyblish_qml_queue.queue.sqlite.store
from pyblish_qml_queue.node import Node, PartFailed

# isort: split
# PySide6 itself, first: the modules imported so far are spared its hook's source check
# when a GUI module imports them again (see gui/qtimport.py).
import pyblish_qml_queue.gui.qtimport  # noqa: F401

# isort: split
from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuickControls2 import QQuickStyle
from PySide6.QtWidgets import QApplication

from pyblish_qml_queue.gui import viewmodels
from pyblish_qml_queue.gui.desktop import parts as desktop_parts
from pyblish_qml_queue.gui.publish.view import Publish
from pyblish_qml_queue.gui.session import Session

log = logging.getLogger(__name__)

#: Folder holding the ``PyblishQueue`` QML module (shipped inside the package).
QML_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "qml")
MODULE = "PyblishQueue"
STYLE = "Basic"


class AppError(RuntimeError):
    """The app cannot start; the message says why and what to do."""


def build_app(
    argv=None,
    store=None,
    hub=None,
    executor=None,
    spool=True,
    interval=50,
    concurrency=1,
    tray_options=None,
    signals=None,
    backend="local",
    broker=None,
    executor_later=False,
):
    """Build the app and load its window.

    Args:
        argv: command-line arguments for Qt (default ``sys.argv``).
        store: a job store; default the user's SQLite store.
        hub: a hub; default a new :class:`~pyblish_qml_queue.hub.hub.Hub`, started.
            ``False`` for none.
        executor: an executor; default a new one over ``store``, started. Its
            ``on_event`` is pointed at the GUI (chained if already set).
            ``False`` for none.
        spool: ingest spooled jobs while the app runs (only with an executor built here).
        concurrency: jobs running at once, for an executor built here.
        signals: ``"HOST:PORT"`` for the farm-signal endpoint (``POST /v1/signal``);
            ``None`` reads the ``signals`` setting (empty: off).
        interval: the event bridge's drain period in ms.
        tray_options: keyword arguments for :func:`pyblish_qml_queue.gui.desktop.parts.attach`
            (``available``, ``ask``, ``log_buffer``), for tests.
        backend, broker: where an executor built here runs jobs (``"local"`` or
            ``"celery"`` with the broker's URL), as for ``serve``.
        executor_later: make the home private and start the executor built here, the
            spool ingester and the farm endpoint right after the window's first frame, on a
            thread of their own, not before it (local backend only: a Celery backend that
            cannot start says so before any window shows).

    Returns:
        ``(application, engine, root window)``.

    Raises:
        AppError: the QML did not load (the QML errors are in the log).
    """
    app = QApplication.instance() or QApplication(list(sys.argv if argv is None else argv))
    app.setApplicationName("pyblish-qml-queue")
    app.setOrganizationName("pyblish")
    if QQuickStyle.name() != STYLE:  # once per process: Qt warns once QML has loaded
        QQuickStyle.setStyle(STYLE)

    if signals is None:
        from pyblish_qml_queue.common.settings import load

        signals = load().get("signals", "")
    node = Node(
        store,
        executor=executor,
        backend=backend,
        broker=broker,
        concurrency=concurrency,
        spool=spool,
        hub=hub,
        executor_required=False,  # beside a running serve: the window, without running jobs
        signals=signals,
    )
    later = executor_later and backend == "local"
    node.start(two_step=later)
    store, hub, executor = node.store, node.hub, node.executor

    # The engine owns the session (Qt parent): Qt deletes it, and every model,
    # viewmodel and timer under it, on the GUI thread right after the engine's QML
    # is gone. Owned by Python, the session's reference cycles would leave its end
    # to the garbage collector, on whichever thread allocates at that moment (an
    # executor or hub thread): a QObject deleted there cannot stop its timers, and
    # the GUI thread's next timer event lands in freed memory.
    engine = QQmlApplicationEngine()
    session = Session(store, hub, executor, interval=interval, parent=engine)
    session.publish = Publish(session, session)
    node.on_job_added.append(session.bridge.job_changed)
    if executor:
        _chain_events(executor, session.bridge.push_job)

    engine.addImportPath(QML_DIR)
    engine.warnings.connect(_log_qml_warnings)
    viewmodels.attach(engine, session)
    desktop = desktop_parts.attach(engine, app, session, **(tray_options or {}))
    engine.loadFromModule(MODULE, "Main")
    roots = engine.rootObjects()
    closed = []

    def stop_parts():
        """Close the session and stop what was started here, once."""
        if closed:  # at quit and again from run_app/tests: stop things once
            return
        closed.append(True)
        desktop_parts.detach(engine)
        session.publish.close()
        session.close()
        if node.executor and getattr(node.executor, "on_event", None) is not None:
            node.executor.on_event = None
        node.on_job_added.clear()
        node.stop()

    if not roots:
        viewmodels.detach(engine)
        stop_parts()
        engine.deleteLater()  # Qt owns it now: it goes, with the session, on this thread
        raise AppError(
            f"The app window did not load from {QML_DIR}; the QML errors are in the log. "
            "Reinstall pyblish-qml-queue or run 'pyblish-qml-queue doctor'."
        )
    root = roots[0]
    # The pages the first frame does not show are built in the background after it.
    after_first_frame(root, lambda: root.setProperty("warm", True))
    if later:
        after_first_frame(root, lambda: _FinishStart(app, node, session, desktop))
    desktop.set_window(root)
    session.app.raiseRequested.connect(lambda: _bring_to_front(root))

    def shut_down():
        if closed:
            return
        # The app outlives this engine (tests, tools build many): let go of the session.
        app.aboutToQuit.disconnect(shut_down)
        stop_parts()

    app.aboutToQuit.connect(shut_down)
    # Whoever deletes the engine without shut_down: drop it from the module tables too.
    engine.destroyed.connect(lambda *_: (viewmodels.detach(engine), desktop_parts.detach(engine)))
    engine._pqq_session = session  # keep the Python side alive with the engine
    engine._pqq_shut_down = shut_down
    return app, engine, root


class _FinishStart(QObject):
    """The node's parts the first frame did not wait for (home made private, executor,
    spool, farm endpoint), started on a thread of their own (on the GUI thread, importing and
    starting them and the walk of a home of thousands of files stalled the window right after
    its first frame), then handed to the session and the tray on the GUI thread. One that
    cannot start ends the app with its error (exit 1), as it does before the window shows."""

    finished = Signal(object)  # the error, or None

    def __init__(self, app, node, session, desktop):
        super().__init__(session)
        self._app, self._node, self._session, self._desktop = app, node, session, desktop
        self.finished.connect(self._hand_over)  # queued: emitted on the thread
        threading.Thread(target=self._run, name="finish-start", daemon=True).start()

    def _run(self):
        error = None
        try:
            self._node.finish_start()
        except Exception as exc:
            error = exc
        try:
            self.finished.emit(error)
        except RuntimeError:  # the session has gone (the app quit meanwhile)
            pass

    @Slot(object)
    def _hand_over(self, error):
        if error is not None:
            quiet = isinstance(error, PartFailed)  # its message says it all
            log.error("%s", error, exc_info=None if quiet else error)
            sys.stderr.write(f"pyblish-qml-queue: error: {error}\n")
            self._app.exit(1)
            return
        executor, session = self._node.executor, self._session
        if executor is not None and session.executor is None and self._node.parts:
            session.executor = executor
            self._desktop.tray.quit_flow.executor = executor
            _chain_events(executor, session.bridge.push_job)
            session.queue.update_executor()  # tells the Queue and the tray


def _bring_to_front(window) -> None:
    window.show()
    if QGuiApplication.platformName() != "offscreen":  # nothing to raise there, Qt warns
        window.raise_()
        window.requestActivate()


def quit_on_signals(app) -> QTimer:
    """Ctrl-C and SIGTERM quit the app cleanly (running jobs resume at the next start).

    Python runs signal handlers only between bytecodes, never inside Qt's event loop, so a
    short timer gives it the chance. Returns the timer (parented to ``app``).
    """
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is not None:
            # Posted, not called: a quit() before the event loop runs would be lost.
            signal.signal(sig, lambda *_: QTimer.singleShot(0, app.quit))
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer


class _AfterFirstFrame(QObject):
    """Runs callbacks once, on the GUI thread, after ``window``'s first frame is on screen,
    or after ``latest_ms`` when no frame comes (a window started minimized renders nothing,
    and the tray icon must not wait for it).

    Queued: ``frameSwapped`` comes from the render thread where Qt renders on one (this
    object's slot then runs on its own thread, the GUI thread), and the callbacks run in a
    later event-loop turn than the frame, never inside it (a zero timer, not a
    ``Qt.QueuedConnection``: reading the ``Qt`` namespace costs ~15 ms before the first frame).
    """

    def __init__(self, window, callbacks, latest_ms):
        super().__init__(window)
        self._callbacks = list(callbacks)
        self._window = window
        window.frameSwapped.connect(self._swapped)
        self._latest = QTimer(self)
        self._latest.setSingleShot(True)
        self._latest.timeout.connect(self._first_frame)
        self._latest.start(int(latest_ms))

    @Slot()
    def _swapped(self):
        if self._callbacks:
            QTimer.singleShot(0, self._first_frame)

    @Slot()
    def _first_frame(self):
        if not self._callbacks:
            return
        self._latest.stop()
        self._window.frameSwapped.disconnect(self._swapped)
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("a start-up step after the first frame failed")


def after_first_frame(window, *callbacks, latest_ms=2000) -> QObject:
    """Run ``callbacks`` once on the GUI thread right after ``window``'s first frame (or
    ``latest_ms`` after this call without one): start-up work the first frame does not need.
    Returns the watcher (parented to ``window``)."""
    return _AfterFirstFrame(window, callbacks, latest_ms)


def freeze_startup_objects() -> None:
    """Keep what start-up built (it lives as long as the app) out of the garbage collector's
    full passes, whose pauses were the longest GUI stalls under load (benchmarks/bench_gui.py).
    Once per process, after the window's first frame (``run_app``: a full collection takes
    10 ms at start): frozen objects are never collected."""
    gc.collect()
    gc.freeze()


def shut_down(engine) -> None:
    """Stop what :func:`build_app` started for ``engine`` (tests build many apps)."""
    stop = getattr(engine, "_pqq_shut_down", None)
    if stop is not None:
        stop()
    viewmodels.detach(engine)


def session_of(engine) -> Session:
    return engine._pqq_session


def run_app(args=None, after_start=()) -> int:
    """``pyblish-qml-queue app``: the window, the hub, the executor; returns the exit code.

    ``args`` may carry ``concurrency`` (jobs at once, default 1), ``signals``,
    ``backend`` and ``broker``. ``after_start``: callables run once right after the window's
    first frame (start-up work the window does not wait for).
    """
    concurrency = getattr(args, "concurrency", None) or 1
    try:
        app, engine, root = build_app(
            sys.argv[:1],
            concurrency=concurrency,
            signals=getattr(args, "signals", None),
            backend=getattr(args, "backend", None) or "local",
            broker=getattr(args, "broker", None),
            tray_options={"icon_later": True},  # the first frame does not wait for the icon
            executor_later=True,  # nor for the executor, the spool ingester, the farm endpoint
        )
    except (AppError, PartFailed) as exc:
        log.error("%s", exc)
        sys.stderr.write(f"pyblish-qml-queue: error: {exc}\n")
        return 1
    quit_on_signals(app)
    tray = desktop_parts.desktop_of(engine).tray
    after_first_frame(root, tray.show_icon, *after_start, freeze_startup_objects)
    code = app.exec()
    shut_down(engine)
    # Delete the window, the engine and the session under it here, on the GUI
    # thread, while the QApplication still exists (not at interpreter exit).
    engine.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code


def _log_qml_warnings(warnings):
    for warning in warnings:
        log.warning("QML: %s", warning.toString())


def _chain_events(executor, push):
    previous = getattr(executor, "on_event", None)
    if previous is None:
        executor.on_event = push
        return

    def both(event):
        push(event)
        previous(event)

    executor.on_event = both
