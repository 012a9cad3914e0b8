"""pyblish-qml-queue for Nuke: copy to ~/.nuke/menu.py (or a folder on NUKE_PATH), or
paste below your own menu.py. Nuke runs menu.py in the GUI only.

Registers the host "nuke" with pyblish, so plugins made for Nuke are found, and adds
Pyblish > Publish... to the Nuke menu bar, calling pyblish_qml_queue.show().
See docs/install.md.
"""

import nuke
import pyblish.api

pyblish.api.register_host("nuke")


def pyblish_qml_queue_publish():
    import pyblish_qml_queue

    pyblish_qml_queue.show()


nuke.menu("Nuke").addCommand("Pyblish/Publish...", pyblish_qml_queue_publish)
