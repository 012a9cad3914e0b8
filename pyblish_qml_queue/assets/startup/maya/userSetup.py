"""pyblish-qml-queue for Maya: copy to a folder on MAYA_SCRIPT_PATH (for example
~/maya/scripts/userSetup.py), or paste below your own userSetup.py.

Registers the host "maya" with pyblish, so plugins made for Maya are found, and in
the GUI adds a Pyblish menu to the main menu bar with "Publish..." that calls
pyblish_qml_queue.show(). mayapy (batch) registers the host and adds no menu.
See docs/install.md.
"""

import pyblish.api
from maya import cmds, utils

pyblish.api.register_host("maya")

PYBLISH_QML_QUEUE_MENU = "pyblishQmlQueueMenu"


def pyblish_qml_queue_publish(*args):
    import pyblish_qml_queue

    pyblish_qml_queue.show()


def pyblish_qml_queue_menu():
    if cmds.menu(PYBLISH_QML_QUEUE_MENU, exists=True):
        cmds.deleteUI(PYBLISH_QML_QUEUE_MENU)
    cmds.menu(PYBLISH_QML_QUEUE_MENU, label="Pyblish", parent="MayaWindow", tearOff=True)
    cmds.menuItem(
        label="Publish...",
        annotation="Open this session's page in pyblish-qml-queue",
        command=pyblish_qml_queue_publish,
        parent=PYBLISH_QML_QUEUE_MENU,
    )


if not cmds.about(batch=True):
    utils.executeDeferred(pyblish_qml_queue_menu)  # the main window exists once Maya is idle
