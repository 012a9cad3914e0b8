"""pyblish-qml-queue for Houdini, whenever a scene file is opened (also at start-up with
one): copy to $HOUDINI_USER_PREF_DIR/scripts/456.py (or a scripts/ folder on HOUDINI_PATH),
together with 123.py (which runs at start-up without a scene file) and MainMenuCommon.xml
(the Pyblish > Publish... menu). Registers the host "houdini" with pyblish, so plugins made
for Houdini are found. See docs/install.md.
"""

import pyblish.api

pyblish.api.register_host("houdini")
