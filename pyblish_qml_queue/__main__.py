"""``python -m pyblish_qml_queue``: the command line."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
