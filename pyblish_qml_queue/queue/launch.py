"""How a job's worker process is started: its command, environment and folder.

The command comes from the job (the host adapter named it: ``mayapy``,
``hython``, ``nuke -t``, Blender, or the Python that has ``bpy``), unless the
host set ``PYBLISH_QML_QUEUE_WORKER_PYTHON``; a job that names none runs under
the executor's own Python. The environment is the job's (the host's, minus
secrets) over the executor's, and PYTHONPATH holds only what the worker needs
before the host's own entries: for the executor's own interpreter the folders of this package and
pyblish; for any other interpreter a copy of this package's DCC-side code and
of pyblish (``<home>/worker-lib/<digest>/``), never the executor's
site-packages, whose compiled modules (numpy...) would not load there. The
working folder is the host's.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
from typing import Optional

from pyblish_qml_queue.common import paths

log = logging.getLogger(__name__)

WORKER_MODULE = "pyblish_qml_queue.worker"

#: Parts of the package a worker never imports (Qt, QML, the app).
NOT_FOR_WORKERS = ("gui", "qml", "__pycache__")

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def command(payload: dict, default_python: Optional[str] = None) -> list:
    """The worker's argv for a job payload."""
    python = payload.get("python")
    if python:
        return [python, "-m", WORKER_MODULE]
    named = payload.get("command")
    if isinstance(named, list) and named and all(isinstance(c, str) for c in named):
        return list(named)
    return [default_python or sys.executable, "-m", WORKER_MODULE]


def _same_python(program: str) -> bool:
    found = shutil.which(program) or program
    try:
        return os.path.realpath(found) == os.path.realpath(sys.executable)
    except OSError:
        return False


def environment(payload: dict, argv: list, base: Optional[dict] = None) -> dict:
    """The worker's environment: the job's variables over the executor's, and
    PYTHONPATH as the module says (the executor's own PYTHONPATH is not kept
    for another interpreter)."""
    job_env = payload.get("env") or {}
    env = dict(os.environ if base is None else base)
    executor_path = env.pop("PYTHONPATH", "")
    env.update(job_env)
    import pyblish

    if _same_python(argv[0]):
        entries = [os.path.dirname(_PACKAGE), os.path.dirname(os.path.dirname(pyblish.__file__))]
        inherited = executor_path.split(os.pathsep)
    else:
        entries = [worker_lib()]
        inherited = []
    for entry in job_env.get("PYTHONPATH", "").split(os.pathsep) + inherited:
        if entry and entry not in entries:
            entries.append(entry)
    env["PYTHONPATH"] = os.pathsep.join(entries)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def working_folder(payload: dict) -> Optional[str]:
    """The host's working folder when it exists here, else None (the executor's)."""
    cwd = payload.get("cwd")
    if isinstance(cwd, str) and cwd and os.path.isdir(cwd):
        return cwd
    return None


def _sources(root: str):
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in NOT_FOR_WORKERS)
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


#: home -> the worker library made there by this process (the code does not change under it).
_made: dict = {}


def worker_lib() -> str:
    """A folder with this package's DCC-side code and pyblish, for other interpreters.

    Made once per version of the code (named by a digest of the files' paths,
    sizes and times), atomically; looked up once per process and home, not at
    every worker launch.
    """
    home = paths.home()
    folder = _made.get(home)
    if folder is None or not os.path.isdir(folder):
        folder = _made[home] = _make_worker_lib()
    return folder


def _make_worker_lib() -> str:
    import pyblish

    roots = [_PACKAGE, os.path.dirname(os.path.abspath(pyblish.__file__))]
    digest = hashlib.sha1()
    files = []
    for root in roots:
        for path in _sources(root):
            stat = os.stat(path)
            rel = os.path.join(os.path.basename(root), os.path.relpath(path, root))
            digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
            files.append((path, rel))
    folder = os.path.join(paths.home(), "worker-lib", digest.hexdigest()[:16])
    if os.path.isdir(folder):
        return folder
    tmp = f"{folder}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for path, rel in files:
        target = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(path, target)
    try:
        os.replace(tmp, folder)
    except OSError:  # another executor made it first
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("worker library for other interpreters: %s", folder)
    return folder
