"""``python -m pyblish_qml_queue.gui.probe``: start Qt and print what it found, as JSON.

``pyblish-qml-queue doctor`` runs this in a child process, because a missing platform plugin
aborts the process that tries it.
"""

import json
import sys


def main() -> int:
    from PySide6 import __version__ as pyside
    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    app = QApplication(sys.argv[:1])
    found = {
        "pyside": pyside,
        "qt": qVersion(),
        "platform": app.platformName(),
        "tray": QSystemTrayIcon.isSystemTrayAvailable(),
    }
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
