"""``pyblish-qml-queue deadline-plugin``: where the Deadline event plugin is, or a copy of it.

The plugin ships in the package (``pyblish_qml_queue/assets/deadline/PyblishQmlQueue/``;
the repository's top-level ``assets/`` links there). ``--copy-to DIR`` copies the
``PyblishQmlQueue`` folder into DIR, normally ``<DeadlineRepository>/custom/events``; when
DIR is itself a folder named ``PyblishQmlQueue`` the files go straight into it. Files of
the same name are replaced (an upgrade), other files there are left alone. docs/deadline.md
says what to configure next.

Standard library and Python 3.7 syntax: it runs below the app's floor too (ANY_PYTHON in
:mod:`pyblish_qml_queue.cli.command`), e.g. with a Deadline machine's own Python.

Exit codes: 0 copied (or the path printed), 1 the copy failed (the reason on stderr),
2 DIR is not an existing folder.
"""

from __future__ import annotations

import os
import shutil

from pyblish_qml_queue.cli.command import FAILED, OK, USAGE, CliError

NAME = "PyblishQmlQueue"

#: The plugin folder inside the installed package.
SOURCE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "assets", "deadline", NAME)


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "deadline-plugin",
        help="print where the Deadline event plugin is, or copy it into a Deadline repository",
        description="Without --copy-to, print the folder of the Deadline event plugin this "
        "package ships. With --copy-to DIR, copy it to DIR/PyblishQmlQueue (DIR is normally "
        "<DeadlineRepository>/custom/events) and print each file written. Exit 0 done, "
        "1 the copy failed, 2 DIR is not a folder.",
    )
    p.add_argument(
        "--copy-to",
        metavar="DIR",
        help="an existing folder, e.g. <DeadlineRepository>/custom/events",
    )
    p.set_defaults(func=run)


def plugin_files() -> list:
    """The plugin's files (absolute paths), in name order."""
    if not os.path.isdir(SOURCE):
        raise CliError(
            f"the Deadline event plugin is missing from this installation ({SOURCE}); "
            "reinstall pyblish-qml-queue",
            FAILED,
        )
    return [
        os.path.join(SOURCE, name)
        for name in sorted(os.listdir(SOURCE))
        if name.startswith(NAME + ".")
    ]


def run(args) -> int:
    files = plugin_files()
    if not args.copy_to:
        print(SOURCE)
        return OK
    target = os.path.abspath(os.path.expanduser(args.copy_to))
    if not os.path.isdir(target):
        raise CliError(
            f"--copy-to {args.copy_to}: no such folder; give an existing folder, normally "
            "<DeadlineRepository>/custom/events",
            USAGE,
        )
    if os.path.basename(os.path.normpath(target)) != NAME:
        target = os.path.join(target, NAME)
    try:
        if not os.path.isdir(target):
            os.mkdir(target)
        for path in files:
            written = os.path.join(target, os.path.basename(path))
            shutil.copyfile(path, written)
            print(written)
    except OSError as exc:
        raise CliError(
            f"could not copy the Deadline event plugin to {target}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename else ""),
            FAILED,
        )
    return OK
