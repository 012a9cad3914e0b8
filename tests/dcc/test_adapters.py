"""Host adapters (pyblish_qml_queue/dcc/) against faithful fakes of Maya, Houdini and Nuke.

Maya, Houdini and Nuke cannot be installed on test machines, so their modules are
fakes under tests/fakes/ (``maya``, ``hou``, ``hdefereval``, ``nuke``) with the
signatures and semantics of the vendors' references, an in-memory scene written to
and read from real files, and every call recorded. The fakes are on ``sys.path``
only inside these tests and dropped from ``sys.modules`` after each one, so a
test that imports them again gets a fresh "process".
"""

import importlib
import os
import sys
import threading

import pytest

from pyblish_qml_queue import dcc
from pyblish_qml_queue.dcc.base import HostAdapter, worker_script
from pyblish_qml_queue.dcc.houdini import HoudiniAdapter
from pyblish_qml_queue.dcc.maya import MayaAdapter
from pyblish_qml_queue.dcc.nuke import NukeAdapter

FAKES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fakes")
FAKE_MODULES = ("maya", "hou", "hdefereval", "nuke", "studio_adapter", "filedcc")


def _drop_fakes():
    for name in list(sys.modules):
        if name.split(".")[0] in FAKE_MODULES:
            del sys.modules[name]


@pytest.fixture
def fakes(monkeypatch):
    """tests/fakes on sys.path; the fake DCC modules forgotten afterwards."""
    monkeypatch.syspath_prepend(FAKES)
    _drop_fakes()
    yield
    _drop_fakes()


@pytest.fixture
def registry():
    """The adapter registry as it was, restored afterwards."""
    saved = list(dcc._registered)
    yield
    dcc._registered[:] = saved


def fresh_process(monkeypatch, **env):
    """Forget the fake DCC modules (a new process starts), with ``env`` set."""
    _drop_fakes()
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


class PyNode:
    """A PyMEL node: ``longName()`` is its full DAG path."""

    def __init__(self, path):
        self._path = path

    def longName(self):
        return self._path


class MDagPath:
    """An OpenMaya (API 2.0) MDagPath: ``fullPathName()`` and ``partialPathName()``."""

    def __init__(self, path):
        self._path = path

    def fullPathName(self):
        return self._path

    def partialPathName(self):
        return self._path.rsplit("|", 1)[-1]


# -- Maya ---------------------------------------------------------------------


def maya_session(tmp_path, work="shot_v001.ma"):
    """An artist's Maya: a saved work file, then an unsaved edit."""
    import maya
    from maya import cmds

    cmds.createNode("transform", name="CHAR")
    cmds.createNode("transform", name="hat", parent="|CHAR")
    cmds.createNode("transform", name="crate01")
    path = str(tmp_path / "work" / work)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cmds.file(rename=path)
    cmds.file(save=True)
    cmds.createNode("transform", name="suzanne", parent="|CHAR")  # not saved yet
    del maya.calls[:]
    return maya, cmds, path


def test_maya_snapshot_exports_the_scene_as_it_is_and_leaves_the_artist_file_alone(fakes, tmp_path):
    maya, cmds, work = maya_session(tmp_path)
    folder = tmp_path / "snap"
    folder.mkdir()
    before = os.stat(work).st_mtime_ns

    path = MayaAdapter().save_snapshot(str(folder))

    assert path == str(folder / "shot_v001.ma")
    assert (
        "file",
        (path,),
        {"exportAll": True, "type": "mayaAscii", "force": True, "preserveReferences": True},
    ) in maya.calls
    # The artist's session: same name, still unsaved; the work file was not written.
    assert cmds.file(query=True, sceneName=True) == work.replace("\\", "/")
    assert cmds.file(query=True, modified=True) is True
    assert os.stat(work).st_mtime_ns == before
    assert open(path).read().startswith("//Maya ASCII")


def test_maya_snapshot_keeps_the_binary_format_and_names_an_untitled_scene(fakes, tmp_path):
    maya, cmds, _ = maya_session(tmp_path, work="layout.mb")
    path = MayaAdapter().save_snapshot(str(tmp_path))
    assert path == str(tmp_path / "layout.mb")
    assert maya.calls[-1][2]["type"] == "mayaBinary"

    cmds.file(newFile=True, force=True)
    assert MayaAdapter().current_file() is None
    assert MayaAdapter().save_snapshot(str(tmp_path)) == str(tmp_path / "untitled.ma")


def test_maya_snapshot_that_cannot_be_written_is_a_snapshot_error(fakes, tmp_path):
    maya_session(tmp_path)
    with pytest.raises(dcc.SnapshotError, match="Maya could not export"):
        MayaAdapter().save_snapshot(str(tmp_path / "no" / "such" / "folder"))


def test_mayapy_initializes_standalone_then_opens_the_snapshot_with_its_nodes(
    fakes, tmp_path, monkeypatch
):
    _, _, _ = maya_session(tmp_path)
    path = MayaAdapter().save_snapshot(str(tmp_path))

    fresh_process(monkeypatch, FAKE_MAYA_STANDALONE="1")  # mayapy, before initialize()
    import maya
    from maya import cmds

    assert not hasattr(cmds, "file")
    adapter = MayaAdapter()
    adapter.open_snapshot(path)

    assert maya.calls[:2] == [
        ("standalone.initialize", (), {"name": "python"}),
        ("file", (path,), {"open": True, "force": True}),
    ]
    assert maya.state["nodes"] == ["|CHAR", "|CHAR|hat", "|crate01", "|CHAR|suzanne"]
    assert adapter.missing_members(["|CHAR|hat", "suzanne", "|PROP|crate02", 3]) == [
        "|PROP|crate02"
    ]
    assert ("objExists", ("suzanne",), {}) in maya.calls


def test_maya_open_snapshot_failures_say_which_file(fakes, tmp_path):
    maya_session(tmp_path)
    with pytest.raises(dcc.SnapshotError, match="does not exist"):
        MayaAdapter().open_snapshot(str(tmp_path / "gone.ma"))
    bad = tmp_path / "bad.ma"
    bad.write_text("not a scene\n")
    with pytest.raises(dcc.SnapshotError, match="Maya could not open .*bad.ma"):
        MayaAdapter().open_snapshot(str(bad))


def test_maya_member_names_of_strings_pynodes_and_dag_paths(fakes):
    adapter = MayaAdapter()
    assert adapter.member_name("|CHAR|hat") == "|CHAR|hat"
    assert adapter.member_name(PyNode("|CHAR|hat")) == "|CHAR|hat"
    assert adapter.member_name(MDagPath("|CHAR|suzanne")) == "|CHAR|suzanne"
    assert adapter.member_name(7) == 7
    with pytest.raises(TypeError, match="object cannot travel"):
        adapter.member_name(object())


def test_mayapy_beside_the_binary_else_in_maya_location(fakes, tmp_path, monkeypatch):
    install = tmp_path / "maya2025"
    maya_bin = executable(install / "bin" / "maya.bin")
    mayapy = executable(install / "bin" / "mayapy")
    module = ["-m", "pyblish_qml_queue.worker"]

    monkeypatch.setattr(sys, "executable", maya_bin)
    assert MayaAdapter().worker_command() == [mayapy] + module

    monkeypatch.setattr(sys, "executable", mayapy)  # the host is mayapy itself
    assert MayaAdapter().worker_command() == [mayapy] + module

    # macOS: Maya.app/Contents/MacOS/Maya, mayapy in $MAYA_LOCATION/bin.
    contents = tmp_path / "Maya.app" / "Contents"
    monkeypatch.setattr(sys, "executable", executable(contents / "MacOS" / "Maya"))
    monkeypatch.setenv("MAYA_LOCATION", str(contents))
    mac_mayapy = executable(contents / "bin" / "mayapy")
    assert MayaAdapter().worker_command() == [mac_mayapy] + module

    # Neither: the name, for PATH; never a "bin/mayapy" relative to the working folder.
    monkeypatch.delenv("MAYA_LOCATION")
    monkeypatch.chdir(install)
    assert MayaAdapter().worker_command() == ["mayapy"] + module


def test_maya_dispatch_is_execute_in_main_thread_in_the_gui_and_none_in_batch(fakes):
    import maya
    from maya import utils

    from pyblish_qml_queue.host import link

    assert MayaAdapter().dispatch_wrapper() is utils.executeInMainThreadWithResult
    assert dcc.current().name == "maya"
    assert link.dispatch_wrapper() is utils.executeInMainThreadWithResult
    # A call from the link's thread goes through Maya's main-thread call.
    done = {}
    thread = threading.Thread(
        target=lambda: done.update(value=link.call_in_main_thread(lambda: 42)), name="link"
    )
    thread.start()
    thread.join(10)
    assert done == {"value": 42}
    [(_, _, seen)] = [c for c in maya.calls if c[0] == "executeInMainThreadWithResult"]
    assert seen == {"thread": "link"}

    maya.state["batch"] = True
    assert MayaAdapter().dispatch_wrapper() is None
    assert link.dispatch_wrapper() is None
    assert ("about", (), {"batch": True}) in maya.calls


def test_maya_version_and_scene(fakes, tmp_path):
    _, _, work = maya_session(tmp_path)
    adapter = MayaAdapter()
    assert adapter.detect() and adapter.version() == "2025"
    assert adapter.current_file() == work.replace("\\", "/")


def test_a_maya_job_carries_member_names_and_its_snapshot(fakes, tmp_path, home):
    import pyblish.api

    from pyblish_qml_queue.host import job, snapshot
    from pyblish_qml_queue.worker import scene
    from pyblish_qml_queue.worker.inputs import Fatal

    maya, cmds, work = maya_session(tmp_path)
    context = pyblish.api.Context()
    context.data["currentFile"] = work
    instance = context.create_instance("CHAR")
    instance.data["family"] = "pointcache"
    instance[:] = [PyNode("|CHAR|hat"), MDagPath("|CHAR|suzanne")]

    class ExtractThing(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder

    payload = job.build_job(context, plugins=[ExtractThing], adapter=MayaAdapter())
    info = snapshot.attach(payload, MayaAdapter())

    assert payload["instances"][0]["members"] == ["|CHAR|hat", "|CHAR|suzanne"]
    assert payload["adapter"] == {"name": "maya", "class": "pyblish_qml_queue.dcc.maya:MayaAdapter"}
    assert payload["host"]["application"] == "maya" and payload["host"]["version"] == "2025"
    assert os.path.dirname(info["path"]) == str(home / "snapshots" / payload["id"])
    assert info["size"] == os.path.getsize(info["path"]) and not info["shared"]
    assert cmds.file(query=True, sceneName=True) == work.replace("\\", "/")

    # The worker: opens the snapshot with the job's adapter, and the members are there.
    adapter, opened = scene.open_snapshot(payload)
    assert (adapter.name, opened) == ("maya", info["path"])
    scene.check_members(payload, adapter)
    maya.state["nodes"] = ["|PROP|crate02"]  # a snapshot of another scene
    with pytest.raises(Fatal, match="holds none of the members of CHAR"):
        scene.check_members(payload, adapter)


# -- Houdini --------------------------------------------------------------------


def houdini_session(tmp_path, ui=True):
    """An artist's Houdini: a saved shot.hip, then an unsaved edit."""
    import hou

    hou._state["ui"] = ui
    geo = hou.node("/obj").createNode("geo", "CHAR")
    geo.createNode("file", "hat")
    work = str(tmp_path / "work" / "shot.hip")
    hou.hipFile.save(file_name=work)
    hou.node("/obj").createNode("geo", "PROP")  # not saved yet
    del hou.calls[:]
    return hou, work.replace("\\", "/")


def test_houdini_snapshot_is_a_backup_written_into_the_snapshot_folder(fakes, tmp_path):
    hou, work = houdini_session(tmp_path)
    folder = tmp_path / "snap"
    folder.mkdir()
    before = os.stat(work).st_mtime_ns

    path = HoudiniAdapter().save_snapshot(str(folder))

    assert path == str(folder / "shot.hip").replace("\\", "/")
    assert os.listdir(folder) == ["shot.hip"]
    assert ("hipFile.saveAsBackup", (), {}) in hou.calls
    # $HOUDINI_BACKUP_DIR pointed at the folder for the call only; no backup/ beside the work.
    assert ("putenv", ("HOUDINI_BACKUP_DIR", str(folder)), {}) in hou.calls
    assert hou.getenv("HOUDINI_BACKUP_DIR") is None
    assert not os.path.exists(os.path.join(os.path.dirname(work), "backup"))
    # The artist's session: same file, still unsaved, not new; the work file not written.
    assert hou.hipFile.path() == work
    assert hou.hipFile.hasUnsavedChanges() is True and hou.hipFile.isNewFile() is False
    assert os.stat(work).st_mtime_ns == before
    assert "node /obj/PROP" in open(path).read()


def test_houdini_snapshot_puts_a_studio_backup_dir_back(fakes, tmp_path):
    hou, _ = houdini_session(tmp_path)
    hou.putenv("HOUDINI_BACKUP_DIR", str(tmp_path / "studio_backups"))
    HoudiniAdapter().save_snapshot(str(tmp_path))
    assert hou.getenv("HOUDINI_BACKUP_DIR") == str(tmp_path / "studio_backups")
    assert not os.path.exists(tmp_path / "studio_backups")


def test_houdini_snapshot_failure_is_a_snapshot_error(fakes, tmp_path, monkeypatch):
    hou, _ = houdini_session(tmp_path)

    def refuse():
        raise hou.OperationFailed("Houdini is already saving the scene file")

    monkeypatch.setattr(hou.hipFile, "saveAsBackup", refuse)
    with pytest.raises(dcc.SnapshotError, match="already saving"):
        HoudiniAdapter().save_snapshot(str(tmp_path))
    assert hou.getenv("HOUDINI_BACKUP_DIR") is None


def test_hython_loads_the_snapshot_without_prompts_or_load_warnings(fakes, tmp_path, monkeypatch):
    houdini_session(tmp_path)
    path = HoudiniAdapter().save_snapshot(str(tmp_path))
    with open(path, "a") as f:
        f.write("warning Missing asset definition: studio::crate::1.0\n")

    fresh_process(monkeypatch)
    import hou

    adapter = HoudiniAdapter()
    adapter.open_snapshot(path)

    assert (
        "hipFile.load",
        (path,),
        {"suppress_save_prompt": True, "ignore_load_warnings": True},
    ) in hou.calls
    assert adapter.missing_members(["/obj/CHAR/hat", "/obj/PROP", "/obj/GONE"]) == ["/obj/GONE"]
    assert ("node", ("/obj/GONE",), {}) in hou.calls


def test_houdini_open_snapshot_failures_say_which_file(fakes, tmp_path):
    with pytest.raises(dcc.SnapshotError, match="does not exist"):
        HoudiniAdapter().open_snapshot(str(tmp_path / "gone.hip"))
    bad = tmp_path / "bad.hip"
    bad.write_bytes(b"\x00\x01 this is no hip file")
    with pytest.raises(dcc.SnapshotError, match="Houdini could not open .*bad.hip"):
        HoudiniAdapter().open_snapshot(str(bad))


def test_houdini_member_names_version_and_scene(fakes, tmp_path):
    hou, work = houdini_session(tmp_path)
    adapter = HoudiniAdapter()
    assert adapter.member_name(hou.node("/obj/CHAR/hat")) == "/obj/CHAR/hat"
    assert adapter.member_name("/obj/PROP") == "/obj/PROP"
    assert adapter.detect() and adapter.version() == "20.5.487"
    assert adapter.current_file() == work
    hou.hipFile.clear(suppress_save_prompt=True)
    assert adapter.current_file() is None


def test_hython_from_hfs_runs_the_worker_script(fakes, tmp_path, monkeypatch):
    hfs = tmp_path / "hfs20.5"
    hython = executable(hfs / "bin" / "hython")
    monkeypatch.setenv("HFS", str(hfs))
    command = HoudiniAdapter().worker_command()
    assert command == [hython, worker_script()]
    assert command[1].endswith(os.path.join("pyblish_qml_queue", "worker", "__main__.py"))
    assert os.path.isfile(command[1])

    monkeypatch.delenv("HFS")
    monkeypatch.setattr(sys, "executable", executable(tmp_path / "opt" / "houdini"))
    beside = executable(tmp_path / "opt" / "hython")
    assert HoudiniAdapter().worker_command()[0] == beside

    monkeypatch.setattr(sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.chdir(hfs)  # has bin/hython, which must not be found relative to here
    assert HoudiniAdapter().worker_command()[0] == "hython"


def test_houdini_dispatch_is_hdefereval_with_a_ui_and_none_in_hython(fakes, tmp_path):
    hou, _ = houdini_session(tmp_path, ui=True)
    import hdefereval

    wrapper = HoudiniAdapter().dispatch_wrapper()
    assert wrapper is hdefereval.executeInMainThreadWithResult
    assert wrapper(lambda: 42) == 42

    hou._state["ui"] = False
    assert HoudiniAdapter().dispatch_wrapper() is None


# -- Nuke -------------------------------------------------------------------------


def nuke_session(tmp_path):
    """An artist's Nuke: a saved comp.nk, then an unsaved edit."""
    import nuke

    nuke.createNode("Read")
    nuke.createNode("Blur")
    work = str(tmp_path / "work" / "comp_v003.nk")
    os.makedirs(os.path.dirname(work))
    nuke.scriptSaveAs(work)
    nuke.createNode("Write")  # not saved yet
    del nuke.calls[:]
    return nuke, work.replace("\\", "/")


def test_nuke_snapshot_is_save_to_temp_and_leaves_the_root_alone(fakes, tmp_path):
    nuke, work = nuke_session(tmp_path)
    folder = tmp_path / "snap"
    folder.mkdir()
    before = os.stat(work).st_mtime_ns

    path = NukeAdapter().save_snapshot(str(folder))

    assert path == str(folder / "comp_v003.nk").replace("\\", "/")
    saves = [c for c in nuke.calls if c[0].startswith("script")]
    assert saves == [("scriptSaveToTemp", (path,), {"overwrite": False})]
    assert nuke.root().name() == work and nuke.root().modified() is True
    assert os.stat(work).st_mtime_ns == before
    assert "node Write Write1" in open(path).read()


def test_nuke_without_save_to_temp_saves_a_copy_and_puts_name_and_modified_back(
    fakes, tmp_path, monkeypatch
):
    nuke, work = nuke_session(tmp_path)
    monkeypatch.delattr(nuke, "scriptSaveToTemp")  # Nukes before it was added
    path = NukeAdapter().save_snapshot(str(tmp_path))

    assert ("scriptSave", (path,), {}) in nuke.calls
    assert ("Root.setModified", (True,), {}) in nuke.calls
    assert nuke.root().name() == work and nuke.root().modified() is True
    assert os.path.isfile(path)


def test_nuke_untitled_script(fakes, tmp_path):
    import nuke

    nuke.createNode("Blur")
    adapter = NukeAdapter()
    assert nuke.root().name() == "Root" and adapter.current_file() is None
    assert adapter.save_snapshot(str(tmp_path)) == str(tmp_path / "untitled.nk")


def test_nuke_terminal_opens_the_snapshot_and_finds_the_members(fakes, tmp_path, monkeypatch):
    nuke_session(tmp_path)
    path = NukeAdapter().save_snapshot(str(tmp_path))

    fresh_process(monkeypatch)
    import nuke

    adapter = NukeAdapter()
    adapter.open_snapshot(path)
    assert ("scriptOpen", (path,), {}) in nuke.calls
    assert adapter.missing_members(["Read1", "Write1", "Grade1"]) == ["Grade1"]
    assert ("toNode", ("Grade1",), {}) in nuke.calls

    bad = tmp_path / "bad.nk"
    bad.write_text("set cut_paste_input [stack 0]\n")
    with pytest.raises(dcc.SnapshotError, match="Nuke could not open .*bad.nk"):
        adapter.open_snapshot(str(bad))


def test_nuke_member_names_version_command_and_dispatch(fakes, tmp_path):
    import nuke

    adapter = NukeAdapter()
    assert adapter.member_name(nuke.createNode("Blur")) == "Blur1"
    assert adapter.detect() and adapter.version() == "15.1v3"
    assert adapter.worker_command() == [nuke.EXE_PATH, "-t", worker_script()]

    assert adapter.dispatch_wrapper() is None  # nuke -t: no GUI
    nuke.GUI = True
    wrapper = adapter.dispatch_wrapper()
    assert wrapper is nuke.executeInMainThreadWithResult
    assert wrapper(lambda: "done") == "done"


# -- the registry ------------------------------------------------------------------


class Mari(HostAdapter):
    name = "mari"
    label = "Mari"

    def detect(self):
        return True


def test_register_host_takes_an_instance_or_a_class_and_replaces_by_name(registry):
    first = dcc.register_host(Mari)
    assert isinstance(first, Mari) and dcc.registered_hosts()[0] is first
    second = Mari()
    assert dcc.register_host(second) is second
    assert [a for a in dcc.registered_hosts() if a.name == "mari"] == [second]
    dcc.deregister_host("mari")
    assert "mari" not in [a.name for a in dcc.registered_hosts()]
    dcc.deregister_host("mari")  # no error when there is none


def test_the_newest_adapter_that_detects_itself_runs_the_host(registry):
    class Quiet(Mari):
        name = "quiet"

        def detect(self):
            return False

    class Broken(Mari):
        name = "broken"

        def detect(self):
            raise RuntimeError("no licence")

    assert dcc.current().name == "python"  # no DCC module imported here
    dcc.register_host(Mari)
    dcc.register_host(Quiet)
    dcc.register_host(Broken)
    assert [a.name for a in dcc.registered_hosts()][:3] == ["broken", "quiet", "mari"]
    assert dcc.current().name == "mari"


def test_an_adapter_lacking_methods_is_refused_by_name(registry):
    class Half:
        name = "half"

        def detect(self):
            return True

    with pytest.raises(TypeError) as caught:
        dcc.register_host(Half())
    message = str(caught.value)
    assert "'half'" in message and "subclass pyblish_qml_queue.dcc.HostAdapter" in message
    for method in ("version", "save_snapshot", "open_snapshot", "missing_members"):
        assert method in message
    assert "detect" not in message.split("lacks", 1)[1]
    with pytest.raises(TypeError, match="non-empty 'name'"):
        dcc.register_host(type("Nameless", (HostAdapter,), {"name": ""}))


def test_a_worker_imports_a_studio_adapter_again_by_its_locator(fakes, registry):
    adapter = dcc.for_job("katana", "studio_adapter:KatanaAdapter")
    assert type(adapter).__module__ == "studio_adapter" and adapter.name == "katana"
    assert dcc.locator(adapter) == "studio_adapter:KatanaAdapter"
    assert dcc.for_job("katana") is adapter  # registered now
    assert dcc.for_job("python").name == "python"


@pytest.mark.parametrize(
    "where, why",
    [
        ("no_such_studio_module:Adapter", "No module named 'no_such_studio_module'"),
        ("studio_adapter:MissingAdapter", "has no attribute 'MissingAdapter'"),
    ],
)
def test_a_studio_adapter_that_cannot_be_imported_is_a_clear_snapshot_error(
    fakes, registry, where, why
):
    with pytest.raises(dcc.SnapshotError) as caught:
        dcc.for_job("clarisse", where)
    message = str(caught.value)
    assert "'clarisse'" in message and where in message and why in message
    assert "cannot be imported here" in message
    with pytest.raises(dcc.SnapshotError, match="no host adapter called 'clarisse'"):
        dcc.for_job("clarisse")


def test_register_host_is_exported_from_the_package():
    import pyblish_qml_queue

    assert pyblish_qml_queue.register_host is dcc.register_host
    assert pyblish_qml_queue.HostAdapter is HostAdapter
    assert pyblish_qml_queue.SnapshotError is dcc.SnapshotError
    assert "register_host" in pyblish_qml_queue.__all__
    assert importlib.import_module("pyblish_qml_queue.dcc").register_host is dcc.register_host


def test_the_built_in_adapters_are_registered():
    names = [a.name for a in dcc.registered_hosts()]
    for name in ("maya", "houdini", "nuke", "blender"):
        assert name in names
