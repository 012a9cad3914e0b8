"""pyblish-qml-queue for Houdini, at start-up without a scene file: copy to
$HOUDINI_USER_PREF_DIR/scripts/123.py (or a scripts/ folder on HOUDINI_PATH), together
with 456.py (which runs when a scene file is opened) and MainMenuCommon.xml (the
Pyblish > Publish... menu). Registers the host "houdini" with pyblish, so plugins made
for Houdini are found. See docs/install.md.
"""

import pyblish.api

pyblish.api.register_host("houdini")
