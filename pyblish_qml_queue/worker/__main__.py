"""``python -m pyblish_qml_queue.worker``: run one job from stdin (see the package docstring).

DCCs that run a script file instead (``nuke -t``, ``hython``) run this file;
its own folder is then taken off ``sys.path`` so the worker's modules
(``plugins``, ``records``...) never shadow a studio's.
"""

import os
import sys

if __name__ == "__main__" and sys.path:
    _here = os.path.dirname(os.path.abspath(__file__))
    if os.path.abspath(sys.path[0] or os.getcwd()) == _here:
        del sys.path[0]

from pyblish_qml_queue.worker import main

if __name__ == "__main__":
    sys.exit(main())
