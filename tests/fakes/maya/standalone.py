"""Fake ``maya.standalone``: ``initialize(name='python')`` loads the commands into
``maya.cmds`` (as in ``mayapy``); a second call is harmless, as in Maya."""

import maya as _maya


def initialize(name="python"):
    _maya.calls.append(("standalone.initialize", (), {"name": name}))
    _maya.state["initialized"] = True
    _maya.state["batch"] = True
    from maya import cmds

    cmds._install()


def uninitialize():
    _maya.calls.append(("standalone.uninitialize", (), {}))
