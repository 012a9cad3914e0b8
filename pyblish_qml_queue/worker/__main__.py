"""``python -m pyblish_qml_queue.worker``: run one job from stdin (see the package docstring)."""

import sys

from pyblish_qml_queue.worker import main

if __name__ == "__main__":
    sys.exit(main())
