"""The demo studio: plugins and host processes that make every page of the app come alive.

``pyblish-qml-queue demo`` starts the app with a few demo hosts. Each host registers
:data:`PLUGIN_PATH` and publishes a small shot: a model, a point cache and a render. Nothing here
is needed in production; it doubles as an example of a studio's plugins.
"""

import os

PLUGIN_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")
