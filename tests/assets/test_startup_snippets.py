"""The start-up snippets a TD copies into place (pyblish_qml_queue/assets/startup/): each
registers its host with pyblish and adds a "Publish..." menu entry that calls
``pyblish_qml_queue.show()``.

Blender's runs in a real bpy, loaded the way Blender loads ``scripts/startup/`` modules;
Maya's, Houdini's and Nuke's against the fakes of their modules (tests/fakes/, with the
menu parts from tests/fakes/dcc_menus.py). Each runs in its own process, as in a DCC;
``show`` is replaced by a recorder there (show() itself is tested in tests/host/).
"""

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from blender_support import require_bpy
from cli_support import run_for_result
from conftest import ROOT

STARTUP = os.path.join(ROOT, "pyblish_qml_queue", "assets", "startup")
FAKES = os.path.join(ROOT, "tests", "fakes")

#: Every probe starts with this: show() recorded, and a way to print the outcome.
PRELUDE = textwrap.dedent(
    """
    import json
    import os
    import runpy
    import sys

    import pyblish.api
    import pyblish_qml_queue

    shown = []
    pyblish_qml_queue.show = lambda *args, **kwargs: shown.append([list(args), kwargs])


    def report(**values):
        values["hosts"] = pyblish.api.registered_hosts()
        values["shown"] = shown
        print("RESULT " + json.dumps(values, default=repr))
    """
)


def probe(code, *args, env=None):
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([ROOT, FAKES])
    environ.update(env or {})
    return run_for_result(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code), *args], ROOT, environ
    )


def test_the_snippets_are_shipped_and_keep_python_37_syntax():
    names = sorted(
        os.path.relpath(os.path.join(folder, name), STARTUP).replace(os.sep, "/")
        for folder, _, files in os.walk(STARTUP)
        for name in files
        if "__pycache__" not in folder
    )
    assert names == [
        "blender/pyblish_qml_queue_startup.py",
        "houdini/MainMenuCommon.xml",
        "houdini/scripts/123.py",
        "houdini/scripts/456.py",
        "maya/userSetup.py",
        "nuke/menu.py",
    ]
    vermin = os.path.join(os.path.dirname(sys.executable), "vermin")
    done = subprocess.run(
        [vermin, "-t=3.7-", "--no-tips", "--violations", "--eval-annotations", STARTUP],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


MAYA = """
    import dcc_menus
    from maya import cmds, standalone

    if sys.argv[2] == "batch":
        standalone.initialize()  # mayapy runs userSetup.py from here
    dcc_menus.install_maya()
    runpy.run_path(sys.argv[1], run_name="__main__")
    before_idle = dcc_menus.menus()
    dcc_menus.maya_idle()
    runpy.run_path(sys.argv[1], run_name="__main__")  # sourced again: still one menu
    dcc_menus.maya_idle()
    menus = dcc_menus.menus()
    for menu in menus.values():
        for item in menu["items"]:
            item["command"](False)  # Maya passes the item's checked state
    report(before_idle=before_idle, menus=menus)
"""


def test_maya_user_setup_adds_a_publish_menu_once_maya_is_idle():
    out = probe(MAYA, os.path.join(STARTUP, "maya", "userSetup.py"), "gui")

    assert out["hosts"][-1] == "maya" and out["hosts"].count("maya") == 1
    assert out["before_idle"] == {}  # the main window is not there yet at start-up
    (menu,) = out["menus"].values()
    assert menu["label"] == "Pyblish" and menu["parent"] == "MayaWindow"
    assert [item["label"] for item in menu["items"]] == ["Publish..."]
    assert out["shown"] == [[[], {}]]


def test_maya_user_setup_in_mayapy_registers_the_host_and_adds_no_menu():
    out = probe(
        MAYA,
        os.path.join(STARTUP, "maya", "userSetup.py"),
        "batch",
        env={"FAKE_MAYA_STANDALONE": "1"},
    )

    assert "maya" in out["hosts"]
    assert out["menus"] == {} and out["shown"] == []


HOUDINI = """
    import hou

    for script in sys.argv[1:3]:
        runpy.run_path(script, run_name="__main__")
    after_scripts = pyblish.api.registered_hosts()
    pyblish.api.deregister_host("houdini")
    exec(sys.argv[3], {"__name__": "__main__", "hou": hou, "kwargs": {}})
    report(after_scripts=after_scripts)
"""


def test_houdini_scripts_register_the_host_and_the_main_menu_publishes():
    houdini = os.path.join(STARTUP, "houdini")
    menu = ET.parse(os.path.join(houdini, "MainMenuCommon.xml")).getroot()
    assert menu.tag == "mainMenu"
    (sub,) = menu.findall("./menuBar/subMenu")
    assert sub.findtext("label") == "Pyblish"
    (item,) = sub.findall("scriptItem")
    assert item.findtext("label") == "Publish..."

    out = probe(
        HOUDINI,
        os.path.join(houdini, "scripts", "123.py"),
        os.path.join(houdini, "scripts", "456.py"),
        item.findtext("scriptCode"),
    )

    assert out["after_scripts"].count("houdini") == 1
    assert "houdini" in out["hosts"]  # the menu's script registers it too
    assert out["shown"] == [[[], {}]]


NUKE = """
    import nuke
    import dcc_menus

    dcc_menus.install_nuke()
    runpy.run_path(sys.argv[1], run_name="__main__")
    runpy.run_path(sys.argv[1], run_name="__main__")  # menu.py on two NUKE_PATH folders
    bar = nuke.menu("Nuke")
    submenu = bar.findItem("Pyblish")
    items = [item.name() for item in submenu.items]
    submenu.findItem("Publish...").invoke()
    report(bar=[item.name() for item in bar.items], items=items)
"""


def test_nuke_menu_registers_the_host_and_adds_publish_to_the_menu_bar():
    out = probe(NUKE, os.path.join(STARTUP, "nuke", "menu.py"))

    assert out["hosts"].count("nuke") == 1
    assert out["bar"] == ["Pyblish"] and out["items"] == ["Publish..."]
    assert out["shown"] == [[[], {}]]


BLENDER = """
    import bpy

    # Blender puts <scripts>/startup on sys.path and registers each module found there.
    sys.path.insert(0, sys.argv[1])
    (module,) = bpy.utils.modules_from_path(sys.argv[1], set())
    module.register()
    menu = [f.__name__ for f in bpy.types.TOPBAR_MT_file._dyn_ui_initialize()]
    operator = bpy.ops.pyblish.qml_queue_publish
    label = operator.get_rna_type().name
    result = sorted(operator())
    hosts_registered = pyblish.api.registered_hosts()
    module.unregister()
    after = [f.__name__ for f in bpy.types.TOPBAR_MT_file._dyn_ui_initialize()]
    report(
        module=module.__name__,
        menu=menu,
        label=label,
        result=result,
        hosts_registered=hosts_registered,
        after=after,
        operator_after=hasattr(bpy.types, "PYBLISH_OT_qml_queue_publish"),
    )
"""


def test_blender_startup_script_adds_publish_to_the_file_menu_in_a_real_bpy(tmp_path):
    require_bpy()
    startup = tmp_path / "scripts" / "startup"
    startup.mkdir(parents=True)
    name = "pyblish_qml_queue_startup.py"
    with open(os.path.join(STARTUP, "blender", name)) as f:
        (startup / name).write_text(f.read())  # where the TD copies it

    out = probe(BLENDER, str(startup))

    assert out["module"] == "pyblish_qml_queue_startup"
    assert "draw_menu" in out["menu"]
    assert out["label"] == "Publish..."
    assert out["result"] == ["FINISHED"] and out["shown"] == [[[], {}]]
    assert "blender" in out["hosts_registered"]
    assert "draw_menu" not in out["after"] and out["operator_after"] is False
    assert "blender" not in out["hosts"]


@pytest.mark.parametrize("dcc", ["maya", "houdini", "nuke", "blender"])
def test_docs_install_names_each_snippet(dcc):
    with open(os.path.join(ROOT, "docs", "install.md")) as f:
        text = f.read()
    for _folder, _, files in os.walk(os.path.join(STARTUP, dcc)):
        for name in files:
            assert name in text, f"docs/install.md does not say where {dcc}'s {name} goes"
