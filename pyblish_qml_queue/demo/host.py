"""A demo host: a plain Python process standing in for a Maya, Houdini or Nuke session.

``python -m pyblish_qml_queue.demo.host --host maya`` registers the demo plugins, calls
:func:`pyblish_qml_queue.show` like a DCC's menu would, and serves the app until the app
asks it to quit or it is terminated.
"""

import argparse
import logging
import os
import sys

import pyblish.api

from pyblish_qml_queue.demo import PLUGIN_PATH

VERSIONS = {"maya": "2025", "houdini": "20.5", "nuke": "15.1", "python": sys.version.split()[0]}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pyblish_qml_queue.demo.host")
    parser.add_argument("--host", choices=sorted(VERSIONS), default="python")
    parser.add_argument(
        "--parent", type=int, default=None, help="end when this process (the demo) is gone"
    )
    args = parser.parse_args(argv)
    parent = args.parent or os.getppid()
    logging.basicConfig(level=logging.WARNING, format="demo %(name)s: %(message)s")

    os.environ["PYBLISH_QML_QUEUE_DEMO_HOST"] = args.host
    os.environ["PYBLISH_QML_QUEUE_HOST_VERSION"] = VERSIONS[args.host]
    pyblish.api.register_host(args.host)
    pyblish.api.register_plugin_path(PLUGIN_PATH)

    from pyblish_qml_queue.host.link import serve_main_thread
    from pyblish_qml_queue.host.show import show

    link = show(start=False)  # the demo started the app; never start another one
    # A real DCC outlives the app and reconnects; a demo host ends with the demo that started it.
    serve_main_thread(until=lambda: os.getppid() != parent)
    link.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
