"""``python -m pyblish_qml_queue``: the command line."""

import sys

from pyblish_qml_queue.cli.command import main

if __name__ == "__main__":
    sys.exit(main())
