"""The worker's input: the job on the first stdin line, and the environment it brings.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import json
import os
import sys

#: Launch variables the job's env does not override (the executor set them up).
LAUNCH_ENV = ("PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONEXECUTABLE", "PYTHONIOENCODING")


class Fatal(Exception):
    """The job cannot start; the message says why in one line."""


def read_input(lines):
    """The first stdin line: ``(payload, steps, acks)``, steps sorted by index;
    ``acks``: the executor acknowledges each step's checkpoint, and the worker
    waits for that before the next step.

    Args:
        lines: a :class:`.streams.Lines` on stdin.

    Raises:
        Fatal: the line is missing or malformed.
    """
    line = lines.readline()
    if line is None:
        raise Fatal("the worker got no job on stdin (EOF before the first line)")
    try:
        message = json.loads(line.decode("utf-8"))
    except ValueError as exc:
        raise Fatal("the worker's first stdin line is not JSON: %s" % exc)
    if not isinstance(message, dict):
        raise Fatal("the worker's first stdin line must be a JSON object")
    payload = message.get("payload")
    steps = message.get("steps")
    if not isinstance(payload, dict):
        raise Fatal("the worker's input has no 'payload' object")
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise Fatal("the worker's input has no 'steps' list of objects")
    for n, step in enumerate(steps):
        if not isinstance(step.get("index"), int) or isinstance(step.get("index"), bool):
            raise Fatal("step %d of the worker's input has no integer 'index'" % n)
        if not isinstance(step.get("plugin"), str) or not isinstance(step.get("module"), str):
            raise Fatal("step %d of the worker's input needs 'plugin' and 'module' names" % n)
    return payload, sorted(steps, key=lambda s: s["index"]), message.get("acks") is True


def apply_env(env):
    """Update os.environ with the job's env, keeping the launch's PATH and Python setup.

    Entries of the job's PYTHONPATH missing from sys.path are appended, after
    the launch's own, so modules the host imported are importable here too.

    Raises:
        Fatal: ``env`` is not an object of strings.
    """
    if not isinstance(env, dict):
        raise Fatal("the job's env must be an object of strings")
    for name, value in env.items():
        if not isinstance(value, str):
            raise Fatal("the job's env variable %r is not a string" % name)
        if name.upper() in LAUNCH_ENV:
            continue
        os.environ[name] = value
    for entry in (env.get("PYTHONPATH") or "").split(os.pathsep):
        if entry and entry not in sys.path:
            sys.path.append(entry)
