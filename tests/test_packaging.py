"""What a release ships: the wheel carries what the app and a DCC need at run time (the QML
module, the demo plugins, the Deadline event plugin, the start-up snippets, the licence);
its metadata keeps PySide6 out of Pythons below the app's floor; the sdist builds the
wheel and leaves the tests out on purpose (MANIFEST.in)."""

import email
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest
from conftest import ROOT
from packaging_support import sdist, wheel

PACKAGE = os.path.join(ROOT, "pyblish_qml_queue")


def _files_under(folder):
    """Paths (with /) of the files under ``folder`` of the package, no caches."""
    base = os.path.join(PACKAGE, folder)
    return sorted(
        os.path.relpath(os.path.join(here, name), ROOT).replace(os.sep, "/")
        for here, _, names in os.walk(base)
        if "__pycache__" not in here
        for name in names
    )


@pytest.fixture(scope="module")
def names():
    return set(zipfile.ZipFile(wheel()).namelist())


@pytest.fixture(scope="module")
def metadata():
    with zipfile.ZipFile(wheel()) as z:
        return email.message_from_bytes(z.read("pyblish_qml_queue-0.1.0.dist-info/METADATA"))


def test_the_wheel_ships_the_qml_module_and_the_demo_plugins(names):
    module = os.path.join(PACKAGE, "qml", "PyblishQueue")
    for name in os.listdir(module):
        assert f"pyblish_qml_queue/qml/PyblishQueue/{name}" in names
    plugins = os.path.join(PACKAGE, "demo", "plugins")
    for name in os.listdir(plugins):
        if name.endswith(".py"):
            assert f"pyblish_qml_queue/demo/plugins/{name}" in names


def test_the_wheel_ships_the_deadline_plugin_and_the_startup_snippets(names):
    deadline = _files_under(os.path.join("assets", "deadline"))
    assert deadline == [
        "pyblish_qml_queue/assets/deadline/PyblishQmlQueue/PyblishQmlQueue.param",
        "pyblish_qml_queue/assets/deadline/PyblishQmlQueue/PyblishQmlQueue.py",
    ]
    startup = _files_under(os.path.join("assets", "startup"))
    assert len(startup) == 6
    assert set(deadline + startup) <= names


def test_top_level_assets_is_the_package_folder():
    """One copy: assets/ (the design's path) links to pyblish_qml_queue/assets/, as qml/
    links to pyblish_qml_queue/qml/."""
    assert os.path.islink(os.path.join(ROOT, "assets"))
    assert os.path.samefile(os.path.join(ROOT, "assets"), os.path.join(PACKAGE, "assets"))


def test_the_wheel_ships_the_lgpl_and_the_gpl_it_builds_on(names, metadata):
    with zipfile.ZipFile(wheel()) as z:
        lgpl = z.read("pyblish_qml_queue-0.1.0.dist-info/licenses/LICENSE").decode()
        gpl = z.read("pyblish_qml_queue-0.1.0.dist-info/licenses/COPYING").decode()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl and "Version 3, 29 June 2007" in lgpl
    assert "GNU GENERAL PUBLIC LICENSE" in gpl and "Version 3, 29 June 2007" in gpl
    assert "LESSER" not in gpl.splitlines()[0]
    assert metadata["License-Expression"] == "LGPL-3.0-only"
    assert sorted(metadata.get_all("License-File")) == ["COPYING", "LICENSE"]
    assert not [c for c in metadata.get_all("Classifier") if c.startswith("License ::")]


def test_metadata_installs_on_dcc_pythons_without_the_apps_dependencies(metadata):
    assert metadata["Requires-Python"] == ">=3.7"
    assert metadata["Version"] == __import__("pyblish_qml_queue").__version__
    requires = metadata.get_all("Requires-Dist")
    base = [r for r in requires if ";" not in r]
    assert sorted(base) == ["platformdirs>=3", "pyblish-base>=1.8"]
    pyside = [r for r in requires if r.lower().startswith("pyside6")]
    assert pyside == [
        'PySide6-Essentials<6.12,>=6.8; python_version >= "3.9" and python_version < "3.12"',
        'PySide6-Essentials>=6.8; python_version >= "3.12"',
    ]
    qml = [r for r in requires if r.startswith("pyblish-qml")]
    assert qml == ['pyblish-qml>=1.11; python_version >= "3.9"']
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues", "Changelog"}
    classifiers = metadata.get_all("Classifier")
    assert "Programming Language :: Python :: 3.7" in classifiers


def test_the_sdist_builds_the_wheel_and_leaves_the_tests_out(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), sdist()],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (rebuilt,) = tmp_path.glob("pyblish_qml_queue-*.whl")
    rebuilt_names = set(zipfile.ZipFile(rebuilt).namelist())
    sources = [p for p in _files_under("") if not p.endswith((".pyc", ".pyo"))]
    assert set(sources) <= rebuilt_names  # every file of the package, assets and QML included
    licenses = {f"pyblish_qml_queue-0.1.0.dist-info/licenses/{n}" for n in ("LICENSE", "COPYING")}
    assert licenses <= rebuilt_names

    with tarfile.open(sdist()) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    for name in ["LICENSE", "COPYING", "README.md", "CHANGELOG.md", "pyproject.toml"]:
        assert name in members
    assert "docs/install.md" in members
    for path in _files_under("assets") + _files_under(os.path.join("qml", "PyblishQueue")):
        assert path in members
    assert not [m for m in members if m.startswith(("tests/", "benchmarks/", "tools/"))]
    assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]
