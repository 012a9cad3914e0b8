"""A Python 3.7 DCC installed the documented way (docs/install.md) hands off to a real
``serve`` on this Python, and the job succeeds.

A fresh venv of pyenv's 3.7 gets ``pip install --no-deps`` of the wheel built from this
checkout plus ``pip install --no-deps pyblish-base``, and nothing else: no PYTHONPATH to
the checkout. There ``import pyblish_qml_queue`` and ``submit()`` run; the job goes over
the link to ``serve`` (3.11), whose worker extracts and integrates. The same venv shows
that the installed metadata keeps the app's dependencies (PySide6, pyblish-qml) out of a
3.7 even without ``--no-deps``, and that the verbs needing the app's Python refuse in one
line with exit 2 while ``--version`` and ``deadline-plugin`` work.

Skipped, saying why, where pyenv has no 3.7.
"""

import glob
import json
import os
import subprocess
import textwrap

import pytest
from conftest import ROOT
from packaging_support import wheel
from serve_support import finished_job, start_serve, stop_serve

_PYENV = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
PY37 = sorted(glob.glob(os.path.join(_PYENV, "versions", "3.7*", "bin", "python3.7")))

pytestmark = pytest.mark.skipif(
    not PY37, reason=f"no Python 3.7 under {_PYENV}/versions on this machine"
)

PLUGINS = textwrap.dedent(
    """
    import os
    import sys

    import pyblish.api


    class CollectShot(pyblish.api.ContextPlugin):
        order = pyblish.api.CollectorOrder

        def process(self, context):
            for name in ("CHAR", "PROP"):
                instance = context.create_instance(name)
                instance.data["family"] = "pointcache"
                instance.data["collected_by"] = list(sys.version_info[:2])


    class ValidateShot(pyblish.api.InstancePlugin):
        order = pyblish.api.ValidatorOrder
        families = ["pointcache"]

        def process(self, instance):
            assert instance.name.isupper()


    class ExtractShot(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder
        families = ["pointcache"]

        def process(self, instance):
            path = os.path.join(os.environ["SHOT_OUT"], instance.name + ".txt")
            with open(path, "w") as f:
                f.write("%s collected on %s" % (instance.name, instance.data["collected_by"]))
            instance.data["extracted"] = path


    class IntegrateShot(pyblish.api.InstancePlugin):
        order = pyblish.api.IntegratorOrder
        families = ["pointcache"]

        def process(self, instance):
            os.rename(instance.data["extracted"], instance.data["extracted"] + ".published")
    """
)

HOST = textwrap.dedent(
    """
    import json
    import sys

    import pyblish.api

    import pyblish_qml_queue

    pyblish.api.register_plugin_path(sys.argv[1])
    job_id = pyblish_qml_queue.submit(title="sh0140 from 3.7")
    print("RESULT " + json.dumps({
        "job": job_id,
        "python": list(sys.version_info[:2]),
        "package": pyblish_qml_queue.__file__,
        "version": pyblish_qml_queue.__version__,
        "qt": [m for m in sys.modules if m.startswith(("PySide", "shiboken"))],
        "sqlite": "sqlite3" in sys.modules,
    }))
    """
)

#: Which of the installed package's requirements pip would install on this Python.
REQUIRES = textwrap.dedent(
    """
    import email
    import glob
    import json
    import os
    import sys

    from pip._vendor.packaging.requirements import Requirement

    (meta,) = glob.glob(os.path.join(
        sys.prefix, "lib", "python3.7", "site-packages", "pyblish_qml_queue-*.dist-info",
        "METADATA"))
    with open(meta) as f:
        requires = email.message_from_file(f).get_all("Requires-Dist")
    wanted = []
    for text in requires:
        r = Requirement(text)
        if r.marker is None or r.marker.evaluate({"extra": ""}):
            wanted.append(r.name)
    print(json.dumps(sorted(wanted)))
    """
)


def _run(args, env, cwd, timeout=120):
    done = subprocess.run(
        args, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=timeout
    )
    return done


@pytest.fixture(scope="module")
def venv37(tmp_path_factory):
    """A Python 3.7 venv with the wheel and pyblish-base installed with --no-deps."""
    folder = tmp_path_factory.mktemp("py37")
    venv = folder / "venv"
    env = _clean_env(folder)
    done = _run([PY37[-1], "-m", "venv", str(venv)], env, folder)
    assert done.returncode == 0, done.stderr
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    done = _run([*pip, wheel()], env, folder, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _run([*pip, "pyblish-base>=1.8"], env, folder, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def _clean_env(cwd, **extra):
    """This environment without anything pointing at the checkout or this venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYBLISH_QML_QUEUE_WORKER_PYTHON")
        and not k.startswith("PYBLISH_QML_QUEUE_PYTHON")
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(ROOT)
    )
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


@pytest.fixture
def serve(tmp_path, home):
    """A real ``serve`` on this Python (3.11) from the checkout, until the test ends."""
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home))
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    process, log = start_serve(env, tmp_path / "serve.log")
    yield process
    stop_serve(process, log)


def test_a_python_37_dcc_installed_with_no_deps_hands_off_to_serve(venv37, serve, home, tmp_path):
    from pyblish_qml_queue.queue import model

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "shot_plugins.py").write_text(PLUGINS)
    out = tmp_path / "out"
    out.mkdir()
    env = _clean_env(tmp_path, PYBLISH_QML_QUEUE_HOME=str(home), SHOT_OUT=str(out))

    done = _run([str(venv37 / "bin" / "python"), "-c", HOST, str(plugins)], env, tmp_path)
    results = [line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and results, done.stdout + done.stderr
    handed = json.loads(results[-1])
    assert handed["python"] == [3, 7]
    assert handed["package"].startswith(str(venv37))  # the installed wheel, not the checkout
    assert handed["qt"] == [] and handed["sqlite"] is False

    job = finished_job(home, handed["job"], timeout=45)
    assert job.state == model.SUCCEEDED, (
        job.error,
        [(s.name, s.state, s.error) for s in job.steps],
    )
    assert sorted(os.listdir(out)) == ["CHAR.txt.published", "PROP.txt.published"]
    assert (out / "CHAR.txt.published").read_text() == "CHAR collected on [3, 7]"


def test_a_python_37_gets_none_of_the_apps_dependencies_even_without_no_deps(venv37, tmp_path):
    python = str(venv37 / "bin" / "python")
    done = _run([python, "-c", REQUIRES], _clean_env(tmp_path), tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["platformdirs", "pyblish-base"]


def test_verbs_needing_the_apps_python_refuse_in_one_line_on_37(venv37, tmp_path, home):
    cli = str(venv37 / "bin" / "pyblish-qml-queue")
    env = _clean_env(tmp_path, PYBLISH_QML_QUEUE_HOME=str(home))

    for verb in (["app"], ["serve"], ["jobs", "--json"], ["demo"]):
        done = _run([cli, *verb], env, tmp_path)
        assert done.returncode == 2, (verb, done.stdout, done.stderr)
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"pyblish-qml-queue: error: '{verb[0]}' needs Python 3.9 or newer")
        assert "docs/install.md" in line
        if "--json" in verb:  # errors come as JSON on stdout under --json, too
            assert json.loads(done.stdout) == {"error": line.split("error: ", 1)[1], "code": 2}
        else:
            assert done.stdout == ""

    done = _run([cli, "--version"], env, tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "pyblish-qml-queue 0.1.0")

    events = tmp_path / "events"
    events.mkdir()
    done = _run([cli, "deadline-plugin", "--copy-to", str(events)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(events / "PyblishQmlQueue")) == [
        "PyblishQmlQueue.param",
        "PyblishQmlQueue.py",
    ]
