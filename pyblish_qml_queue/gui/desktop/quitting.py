"""Quitting while jobs run: wait for them, cancel them, or quit now and resume them later.

Quitting now is safe: the executor stops its workers after their current step
and releases their jobs, which resume at the interrupted step at the next start
(the core's checkpoints). :class:`QuitFlow` asks which the user wants, through
an ``ask`` callable (a dialog in the app, a fake in tests), and carries it out.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

#: The answers ``ask`` may give; ``STAY`` (or None) keeps the app running.
WAIT, CANCEL, RESUME_LATER, STAY = "wait", "cancel", "resume_later", "stay"
CHOICES = (WAIT, CANCEL, RESUME_LATER, STAY)


class QuitFlow(QObject):
    """Decides how to quit, given what runs.

    Args:
        executor: the app's executor (None: nothing runs here); an attribute, which the
            app sets when it starts its executor after the window's first frame.
        quit: ``quit()`` ends the app (``QApplication.quit``).
        ask: ``ask(titles of running jobs) -> one of CHOICES``; default a dialog.
        say: ``say(text)`` for the status line.
        poll: ms between two looks at the running jobs while waiting for them.

    Signals:
        waitingChanged(): :attr:`waiting` changed.
    """

    waitingChanged = Signal()

    def __init__(self, executor, quit, ask=None, say=None, titles=None, poll=250, parent=None):
        super().__init__(parent)
        self.executor = executor
        self._quit = quit
        self._ask = ask or ask_with_dialog
        self._say = say or (lambda text: None)
        self._titles = titles or (lambda ids: list(ids))
        self._was_paused = False
        self.waiting = False
        self.chosen = ""
        self._timer = QTimer(self)
        self._timer.setInterval(poll)
        self._timer.timeout.connect(self._check_done)

    def running(self) -> list:
        """Ids of the jobs this app's executor runs now."""
        if self.executor is None:
            return []
        try:
            return list(self.executor.running())
        except Exception:
            log.exception("Could not ask the executor what runs")
            return []

    def request(self) -> str:
        """The user asked to quit. Returns what was done: a choice, or ``"quit"``."""
        running = self.running()
        if not running:
            self._finish("quit")
            return "quit"
        choice = self._ask(self._titles(running)) or STAY
        if choice not in CHOICES:
            log.warning("Unknown quit choice %r; staying", choice)
            choice = STAY
        self.chosen = choice
        log.info("Quit with %d job(s) running: %s", len(running), choice)
        if choice == WAIT:
            self._start_waiting(len(running))
        elif choice == CANCEL:
            self._stop_waiting()
            for job_id in running:
                try:
                    self.executor.cancel(job_id)
                except Exception:
                    log.exception("Could not cancel job %s while quitting", job_id)
            self._finish(choice)
        elif choice == RESUME_LATER:
            self._stop_waiting()
            self._finish(choice)  # shutting down releases the jobs (executor.stop)
        else:
            self._stop_waiting()
        return choice

    def _start_waiting(self, count: int) -> None:
        if not self.waiting:
            self._was_paused = bool(getattr(self.executor, "paused", False))
        self.executor.pause()  # no new job starts; the running ones go on
        self.waiting = True
        self.waitingChanged.emit()
        self._say(
            f"Quitting when the {count} running job{'s' if count != 1 else ''} finish; "
            "queued jobs wait for the next start."
        )
        self._timer.start()

    def _stop_waiting(self) -> None:
        if not self.waiting:
            return
        self._timer.stop()
        self.waiting = False
        if not self._was_paused:
            self.executor.resume()
        self.waitingChanged.emit()

    def stop(self) -> None:
        """Stop looking at the running jobs (the app is shutting down)."""
        self._timer.stop()

    def cancel_waiting(self) -> None:
        """The user changed their mind while we waited: keep the app, resume the queue."""
        self._stop_waiting()
        self._say("Quit cancelled; the queue runs again.")

    def _check_done(self) -> None:
        if not self.running():
            self._timer.stop()
            self._finish(WAIT)

    def _finish(self, how: str) -> None:
        log.info("Quitting (%s)", how)
        self._quit()


def ask_with_dialog(titles: list) -> str:
    """Ask with a message box: wait, cancel, quit now (resume later), or stay."""
    from PySide6.QtWidgets import QMessageBox

    count = len(titles)
    box = QMessageBox()
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Quit pyblish-qml-queue")
    box.setText(f"{count} job{'s are' if count != 1 else ' is'} running. Quit anyway?")
    shown = "\n".join(f"• {t}" for t in titles[:5]) + ("\n• ..." if count > 5 else "")
    box.setInformativeText(
        f"{shown}\n\nQuit now: they stop after their current step and resume there at the next "
        "start. Nothing done is lost."
    )
    wait = box.addButton("Wait for them", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton("Cancel the jobs", QMessageBox.ButtonRole.DestructiveRole)
    later = box.addButton("Quit now, resume later", QMessageBox.ButtonRole.AcceptRole)
    stay = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(later)
    box.setEscapeButton(stay)
    box.exec()
    clicked = box.clickedButton()
    for button, choice in ((wait, WAIT), (cancel, CANCEL), (later, RESUME_LATER), (stay, STAY)):
        if clicked == button:
            return choice
    return STAY
