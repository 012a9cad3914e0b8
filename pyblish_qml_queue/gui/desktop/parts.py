"""One app's desktop shell per engine: the tray, built before QML loads, and the console,
built when its page first asks for it.

:func:`attach` builds the parts for an engine and registers them, so the
``Tray`` and ``Console`` singletons of ``PyblishQueue.Backend`` find them;
:func:`detach` closes them with the engine.
"""

from __future__ import annotations

import logging

from pyblish_qml_queue.common.logbuffer import default_buffer
from pyblish_qml_queue.gui.console.view import Console
from pyblish_qml_queue.gui.desktop.tray import Tray
from pyblish_qml_queue.gui.singletons import DESKTOPS

log = logging.getLogger(__name__)


class Desktop:
    """The parts of one app's desktop shell: tray, console, notifier, quit flow.

    The console is built when first asked for (its page, after the first frame).
    """

    def __init__(self, app, session, available=None, ask=None, log_buffer=None, **watch):
        self.session = session
        # The buffer records from now on; its page reads it when first built.
        self._log_buffer = log_buffer if log_buffer is not None else default_buffer()
        self._console = None
        self.tray = Tray(app, session, available=available, ask=ask, parent=session, **watch)

    @property
    def console(self):
        """The Console page's viewmodel (built on the GUI thread, when first asked for)."""
        if self._console is None:
            self._console = Console(self._log_buffer, parent=self.session)
        return self._console

    def set_window(self, window) -> None:
        self.tray.set_window(window)

    def close(self) -> None:
        if self._console is not None:
            self._console.stop()
        self.tray.close()


def attach(engine, app, session, available=None, ask=None, log_buffer=None, **watch) -> Desktop:
    """Build the desktop parts for ``engine`` (before its QML loads); ``watch``: the
    tray's ``probe``, ``watch_ms`` and ``icon_later`` (see
    :class:`~pyblish_qml_queue.gui.desktop.tray.Tray`)."""
    desktop = Desktop(app, session, available=available, ask=ask, log_buffer=log_buffer, **watch)
    DESKTOPS.attach(engine, desktop)
    # The session outlives the engine's last QML call (the window closing at shutdown);
    # the Python side of the singletons must live as long, or their slots vanish.
    session.desktop = desktop
    return desktop


def detach(engine) -> None:
    desktop = DESKTOPS.detach(engine)
    if desktop is not None:
        desktop.close()


def desktop_of(engine) -> Desktop:
    return DESKTOPS[engine]
