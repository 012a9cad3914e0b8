"""Real Blender (bpy from PyPI, as a Python module) for the tests in tests/dcc/.

bpy holds one global scene per process, so every Blender "host" here is its own
subprocess of this interpreter running tests/blender_host.py, and published caches are
read back by ``pyblish_qml_queue.demo.blender.reader`` in another one.

Without bpy these tests skip with the reason; with ``PYBLISH_QML_QUEUE_REQUIRE_BPY=1``
(CI) a missing bpy is a failure instead.
"""

import functools
import glob
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

REQUIRE_VAR = "PYBLISH_QML_QUEUE_REQUIRE_BPY"
HOST_SCRIPT = os.path.join(ROOT, "tests", "blender_host.py")
RESULT = "RESULT "


@functools.cache
def bpy_problem():
    """Why ``import bpy`` fails in this interpreter, or None when it works."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import bpy; print(bpy.app.version_string)"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not run {sys.executable}: {exc}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"import bpy fails in {sys.executable}: {lines[-1] if lines else done.returncode}"
    return None


def require_bpy():
    """Skip (or, with PYBLISH_QML_QUEUE_REQUIRE_BPY=1, fail) unless bpy imports."""
    problem = bpy_problem()
    if problem is None:
        return
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{REQUIRE_VAR}=1 but {problem} (pip install '.[test]' installs bpy)")
    pytest.skip(f"{problem}; install bpy 4.5 (Linux x86_64, Python 3.11) to run these")


def blender_env(home, publish_root, **extra):
    """The environment of a Blender host or serve: repository first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["PYBLISH_QML_QUEUE_HOME"] = str(home)
    env["PYBLISH_QML_QUEUE_BLENDER_PUBLISH_ROOT"] = str(publish_root)
    env.pop("PYBLISH_QML_QUEUE_BLENDER_EXTRACT_DELAY", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_host(*args, env, timeout=120, check=True):
    """Run tests/blender_host.py ``args`` in a fresh bpy process; return its RESULT (JSON)."""
    done = subprocess.run(
        [sys.executable, HOST_SCRIPT, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    results = [line[len(RESULT) :] for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if check and (done.returncode != 0 or not results):
        raise AssertionError(
            f"blender host {' '.join(map(str, args))} exited {done.returncode}\n"
            f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
        )
    return json.loads(results[-1]) if results else None


def published(publish_root):
    """``{instance: {"v001/CHAR_v001.abc": [objects...], ...}}`` of everything published
    under ``publish_root``, read back into an empty scene one file at a time."""
    files = sorted(
        glob.glob(os.path.join(str(publish_root), "*", "v[0-9][0-9][0-9]", "*.abc"))
        + glob.glob(os.path.join(str(publish_root), "*", "v[0-9][0-9][0-9]", "*.usda"))
    )
    if not files:
        return {}
    done = subprocess.run(
        [sys.executable, "-m", "pyblish_qml_queue.demo.blender.reader", *files],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = done.stdout.strip().splitlines()[-1]
    by_file = json.loads(line)
    result = {}
    for path, objects in by_file.items():
        relative = os.path.relpath(path, str(publish_root))
        instance, rest = relative.split(os.sep, 1)
        result.setdefault(instance, {})[rest.replace(os.sep, "/")] = objects
    return result


def summary(caches):
    """``{instance: {extension: [(name, vertices, animated)]}}``: the shape of a publish,
    for failure messages people can read."""
    out = {}
    for instance, files in caches.items():
        for name, objects in files.items():
            ext = os.path.splitext(name)[1]
            out.setdefault(instance, {})[ext] = [
                (o["name"], o["vertices"], o["animated"]) for o in objects
            ]
    return out
