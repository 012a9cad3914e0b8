"""The wheel and the sdist built from this checkout, once per test session.

``pip wheel --no-deps`` and ``python -m build --sdist``, as a release would build them
(build isolation: the backend pinned in pyproject.toml, not this venv's setuptools).
Each is built on first use into a folder removed when the session ends.
"""

import atexit
import functools
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from conftest import ROOT


@functools.cache
def _folder():
    path = tempfile.mkdtemp(prefix="pyblish-qml-queue-dist-")
    atexit.register(shutil.rmtree, path, True)
    return path


def _run(args):
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"


@functools.cache
def wheel():
    """The path of the wheel built from this checkout."""
    out = os.path.join(_folder(), "wheel")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT])
    (path,) = glob.glob(os.path.join(out, "pyblish_qml_queue-*.whl"))
    return path


@functools.cache
def sdist():
    """The path of the sdist built from this checkout."""
    out = os.path.join(_folder(), "sdist")
    _run([sys.executable, "-m", "build", "--sdist", "-o", out, ROOT])
    (path,) = glob.glob(os.path.join(out, "pyblish_qml_queue-*.tar.gz"))
    return path
