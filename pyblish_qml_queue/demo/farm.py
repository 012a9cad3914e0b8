"""A stand-in render farm for the demo: ``python -m pyblish_qml_queue.demo.farm FRAME_PATH...``

Writes the frames over ``PYBLISH_QML_QUEUE_DEMO_SECONDS`` (default 12), then signals the
job's waiting step as a Deadline event plugin would: with ``pyblish-qml-queue signal``,
into the local store, or over HTTP when ``PYBLISH_QML_QUEUE_SIGNAL_URL`` is set. The job,
its secret, the plugin and the instance come from the environment that
``expect_signal()`` filled (see pyblish_qml_queue/demo/plugins/submit_demo_farm.py).
A failed render sends a failure signal with the reason.
"""

import logging
import os
import sys
import time

log = logging.getLogger(__name__)


def render(paths, seconds):
    """Write one small file per frame, spread over ``seconds``."""
    pause = seconds / max(len(paths), 1)
    for path in paths:
        folder = os.path.dirname(path)
        if folder and not os.path.isdir(folder):
            os.makedirs(folder)
        with open(path, "w") as f:
            f.write("%s rendered by the demo farm\n" % os.path.basename(path))
        time.sleep(pause)


def main(argv=None):
    from pyblish_qml_queue.cli import command as cli
    from pyblish_qml_queue.common import farmwait as farm

    paths = list(sys.argv[1:] if argv is None else argv)
    seconds = float(os.environ.get("PYBLISH_QML_QUEUE_DEMO_SECONDS", "12"))
    status, message = "success", "%d frames rendered by the demo farm" % len(paths)
    try:
        render(paths, seconds)
    except Exception as exc:  # a broken render is the farm's failure, not ours
        log.exception("the demo render failed")
        status, message = "failure", "render failed: %s" % exc
    args = [
        "signal",
        "--job", os.environ.get(farm.JOB_ID_VAR, ""),
        "--plugin", os.environ.get(farm.PLUGIN_VAR, ""),
        "--instance", os.environ.get(farm.INSTANCE_VAR, ""),
        "--status", status,
        "--message", message,
    ]  # fmt: skip
    url = os.environ.get("PYBLISH_QML_QUEUE_SIGNAL_URL")
    if url:
        args += ["--url", url]
    return cli.main(args)


if __name__ == "__main__":
    sys.exit(main())
