"""The ``pyblish-qml-queue`` command line (also ``python -m pyblish_qml_queue``).

Verbs live in their own modules, listed in :data:`VERBS`; each has
``add_parsers(subparsers)`` adding its verbs with ``func(args) -> exit code``
set as a default. A command line imports only the module of the verb it runs
(the usage lists the others from the table, with their one-line help), so a
verb that needs Qt (``app``) keeps Qt out of every other verb, and a verb's
start does not build every other verb's parser.

Exit codes: 0 ok, 1 a job or check failed, 2 usage error (including an unknown
job id), 3 ``wait`` timed out. Errors are one line on stderr; the traceback
goes to the log file and to stderr with ``--debug``.

The package installs into DCCs from Python 3.7 on (the host side), but the
verbs need :data:`APP_PYTHON`, except those in :data:`ANY_PYTHON`; below it
the others refuse with one line and exit 2. This module keeps 3.7 syntax so
that it can say so.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from typing import Optional

from pyblish_qml_queue.common import paths

log = logging.getLogger(__name__)

PROG = "pyblish-qml-queue"

#: Every verb, in help order: the module that adds it and its one-line help (the
#: top-level usage lists a verb from here without importing its module; tests/cli
#: checks the table against the modules). Other features add theirs here.
VERBS = {
    "serve": ("pyblish_qml_queue.cli.serve", "run queued jobs without the GUI (farm nodes, CI)"),
    "jobs": ("pyblish_qml_queue.cli.jobs", "list jobs"),
    "show": ("pyblish_qml_queue.cli.jobs", "show a job: steps, errors, log and records"),
    "wait": ("pyblish_qml_queue.cli.jobs", "wait for a job to finish"),
    "cancel": ("pyblish_qml_queue.cli.jobs", "cancel a queued or running job"),
    "retry": ("pyblish_qml_queue.cli.jobs", "queue a failed, cancelled or interrupted job again"),
    "remove": ("pyblish_qml_queue.cli.jobs", "delete a job that is not running"),
    "signal": ("pyblish_qml_queue.cli.signal", "resume or fail a job waiting for a render farm"),
    "hosts": ("pyblish_qml_queue.cli.hosts", "list the hosts connected to the running app"),
    "host": (
        "pyblish_qml_queue.cli.hosts",
        "drive one host: validate, publish, stop, handoff or reset",
    ),
    "app": (
        "pyblish_qml_queue.cli.app",
        "the desktop app: overview, queue, tray, hub and executor",
    ),
    "doctor": (
        "pyblish_qml_queue.cli.app",
        "check Qt, the tray, the store and the link; say how to fix what is wrong",
    ),
    "demo": ("pyblish_qml_queue.cli.demo", "the app plus demo hosts that publish a demo shot"),
    "worker": (
        "pyblish_qml_queue.cli.nodes",
        "run jobs sent to the farm on this node (needs the celery extra)",
    ),
    "deadline-plugin": (
        "pyblish_qml_queue.cli.deadline",
        "print where the Deadline event plugin is, or copy it into a Deadline repository",
    ),
}

#: The modules that add verbs, in help order.
COMMANDS = list(dict.fromkeys(module for module, _ in VERBS.values()))

#: The oldest Python the app, ``serve`` and the other verbs run on (the app's
#: dependencies, PySide6 among them, are only installed from there on).
APP_PYTHON = (3, 9)

#: Modules whose verbs also run below APP_PYTHON (standard library, 3.7 syntax).
ANY_PYTHON = ["pyblish_qml_queue.cli.deadline"]

OK, FAILED, USAGE, TIMED_OUT = 0, 1, 2, 3

#: ``extra=`` for log records kept off stderr (without --debug): the user gets
#: one error line there and the record goes to the log file.
QUIET = {"console": False}

_handlers = []  # ours on the root logger, replaced when main() runs again


class CliError(Exception):
    """A one-line error for the user; ``code`` is the exit code; ``details`` go into
    the error's JSON under ``--json`` (``{"error", "code", **details}``)."""

    def __init__(self, message: str, code: int = FAILED, details: Optional[dict] = None):
        super().__init__(message)
        self.code = code
        self.details = details or {}


class UsageError(CliError):
    """Bad arguments: ``prog`` is the verb's program name, which the line names."""

    def __init__(self, prog: str, message: str):
        super().__init__(f"{message}; see '{prog} --help'", USAGE)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the verb, not argparse's usage block."""

    def error(self, message):
        raise UsageError(self.prog, message)


def build_parser(
    modules: Optional[list] = None, argv: Optional[list] = None
) -> argparse.ArgumentParser:
    """The parser with the verbs of ``modules`` (default: :data:`COMMANDS`).

    With ``argv`` (the command line it is to parse), only the module of the verb
    there is imported; the other verbs are listed with their one-line help
    (:data:`VERBS`), not built, and only when the top level may print that list
    (its ``--help``, an unknown or missing verb). Without, every verb is built.
    """
    from pyblish_qml_queue import __version__

    parser = _Parser(prog=PROG, description="Background publishing queue for Pyblish.")
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__}", help="print the version"
    )
    parser.add_argument(
        "--debug", action="store_true", help="log everything to stderr, tracebacks included"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    wanted = COMMANDS if modules is None else modules
    built, listed = wanted, []
    if argv is not None:
        at = next((n for n, a in enumerate(argv) if a[:1] != "-"), len(argv))
        verb = argv[at] if at < len(argv) else None  # top-level options take no value
        built = [VERBS[verb][0]] if verb in VERBS else []
        if not built or set(argv[:at]) - {"--debug", "-v", "--verbose"}:  # --help, -h, ...
            listed = wanted
    for name in wanted:
        if name in built:
            importlib.import_module(name).add_parsers(subparsers)
        elif name in listed:
            for verb, (module, summary) in VERBS.items():
                if module == name:
                    subparsers.add_parser(verb, help=summary, add_help=False)
    parser.verbs = subparsers.choices
    if modules is not None and sys.version_info[:2] < APP_PYTHON:
        parser.epilog = too_old("every other verb (app, serve, jobs, ...)")
    for verb in subparsers.choices.values():  # also accepted after the verb
        verb.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        verb.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
    return parser


def main(argv: Optional[list] = None) -> int:
    """Run one verb and return its exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        if sys.version_info[:2] < APP_PYTHON:
            verb = next((a for a in argv if a[:1] != "-"), None)
            parser = build_parser(ANY_PYTHON, argv)
            if verb is not None and verb not in parser.verbs:
                _fail(too_old(f"'{verb}'"), USAGE, as_json)
                return USAGE
        else:
            parser = build_parser(argv=argv)
        args, extra = parser.parse_known_args(argv)
        if extra:  # the verb's own line, not the top level's
            parser.verbs[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    except UsageError as exc:
        _fail(f"{exc.prog}: error: {exc}", exc.code, as_json, prefix=False)
        return exc.code
    as_json = bool(getattr(args, "json", False))
    log_file = _configure_logging(
        args.debug, args.verbose, getattr(args, "log_level", logging.ERROR)
    )
    if getattr(args, "private_home", True):  # a verb's own node may do it (app: later)
        paths.private_home(log)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except CliError as exc:
        _fail(str(exc), exc.code, as_json, details=exc.details)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from pyblish_qml_queue.queue.store import InvalidState, JobNotFound, StoreError

        if isinstance(exc, JobNotFound):
            _fail(f"{exc}; list jobs with '{PROG} jobs'", USAGE, as_json)
            return USAGE
        if isinstance(exc, InvalidState):
            _fail(str(exc), FAILED, as_json)
            return FAILED
        if isinstance(exc, StoreError):
            log.info("%s %s: store error", PROG, args.command, exc_info=True, extra=QUIET)
            _fail(str(exc), FAILED, as_json)
            return FAILED
        log.error("%s %s failed", PROG, args.command, exc_info=True, extra=QUIET)
        if isinstance(exc, OSError):
            _fail(
                f"{exc.strerror or exc}: {exc.filename or paths.home()}; check that "
                f"{paths.home()} is a writable folder ({paths.HOME_ENV} chooses another)",
                FAILED,
                as_json,
            )
            return FAILED
        where = f" (details in {log_file})" if log_file else ""
        _fail(
            f"unexpected {type(exc).__name__}: {exc}; run again with --debug to see why{where}",
            FAILED,
            as_json,
        )
        return FAILED


def _fail(
    message: str, code: int, as_json: bool, prefix: bool = True, details: Optional[dict] = None
) -> None:
    """The error line on stderr; under ``--json`` also ``{"error", "code"}`` on stdout
    (``code`` the exit code), so a script reading stdout gets JSON either way."""
    line = f"{PROG}: error: {message}" if prefix else message
    print(line, file=sys.stderr)
    if as_json:
        out = dict(details or {}, error=line.split(": error: ", 1)[-1], code=code)
        try:
            print(json.dumps(out))
            sys.stdout.flush()
        except BrokenPipeError:
            _reader_gone()


def _reader_gone() -> int:
    """Whoever read stdout stopped (``show JOB | head``): end quietly, as a pipe's
    writer should, with nothing more written there (not even at exit)."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return OK


def too_old(what: str) -> str:
    """Why ``what`` cannot run in this Python, and what to do instead: one line."""
    need = ".".join(map(str, APP_PYTHON))
    here = ".".join(map(str, sys.version_info[:3]))
    return (
        f"{what} needs Python {need} or newer, and this is Python {here} ({sys.executable}); "
        f"in a DCC's Python only the host side runs (import pyblish_qml_queue; show(), "
        f"submit()): install and run the app with a Python {need}+ "
        f"(pip install pyblish-qml-queue; see docs/install.md)"
    )


def positive(kind):
    """An argparse ``type`` for numbers of ``kind`` (int, float) above 0."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
        return value

    parse.__name__ = kind.__name__
    return parse


def add_concurrency_argument(parser) -> None:
    """``--concurrency``: jobs running at once, 1 by default."""
    parser.add_argument(
        "--concurrency", type=positive(int), default=1, help="jobs running at once (default 1)"
    )


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def open_store(store_path: Optional[str] = None):
    """The SQLite store, telling the user when it was recovered from corruption."""
    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    store = SQLiteJobStore(store_path)
    recovered = getattr(store, "recovered_from", None)
    if recovered:
        _error(
            f"the job store was corrupt; it was moved to {recovered} and a fresh store "
            f"started (jobs in it are not in the queue)"
        )
    return store


class _OneLineFormatter(logging.Formatter):
    """Leaves tracebacks out: they go to the log file."""

    def format(self, record):
        record = logging.makeLogRecord(record.__dict__)
        record.exc_info = record.exc_text = record.stack_info = None
        return super().format(record)


def _configure_logging(debug: bool, verbose: bool, level: int) -> Optional[str]:
    """Log to stderr at ``level`` (a verb's ``log_level`` default: ERROR, so a
    verb's output is its own; ``serve`` logs INFO) and to ``<home>/logs/cli.log``."""
    root = logging.getLogger()
    for handler in _handlers:
        root.removeHandler(handler)
        handler.close()
    del _handlers[:]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    _handlers.append(console)
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if debug:
        console.setFormatter(logging.Formatter(fmt))
        console.setLevel(logging.DEBUG)
    else:
        console.setFormatter(_OneLineFormatter(fmt))
        console.setLevel(min(level, logging.INFO) if verbose else level)
        console.addFilter(lambda record: getattr(record, "console", True))
    root.addHandler(console)
    path = os.path.join(paths.home(), "logs", "cli.log")
    try:
        paths.make_private_dir(os.path.dirname(path))
        paths.make_private_file(path)
        with open(path, "a", encoding="utf-8"):  # else a traceback for every record
            pass
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError as exc:
        if os.path.isdir(paths.home()):  # else the verb's own error says what is wrong
            print(f"{PROG}: warning: not logging to {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    handler.setLevel(logging.DEBUG if debug else logging.INFO)
    root.addHandler(handler)
    _handlers.append(handler)
    return path
