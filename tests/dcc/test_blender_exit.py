"""A real bpy host that called show() exits at once: the link closes at exit.

Before the exit hook, a bpy process whose link had served the app's collection
hung after Blender's own shutdown (3 of 3 runs). The host here is its own bpy
process (the demo scene and plugins), connected to a hub in this process.
"""

import subprocess
import sys
import textwrap
import time

from blender_support import blender_env, require_bpy
from conftest import ROOT
from waiting import wait_until

from pyblish_qml_queue.hub.hub import Hub

HOST = textwrap.dedent(
    """
    import sys

    import bpy
    import pyblish.api

    from pyblish_qml_queue.demo.blender import PLUGIN_PATH
    from pyblish_qml_queue.demo.blender.scene import build_scene

    pyblish.api.deregister_all_paths()
    pyblish.api.register_host("blender")
    pyblish.api.register_plugin_path(PLUGIN_PATH)
    build_scene()

    import pyblish_qml_queue

    link = pyblish_qml_queue.show(start=False)
    sys.stdout.write("shown %s\\n" % link.connected)
    sys.stdout.flush()
    sys.stdin.readline()  # the test says when to quit
    """
)


def test_a_bpy_host_that_called_show_exits_within_2_seconds(home, tmp_path):
    require_bpy()
    script = tmp_path / "bpy_show_host.py"
    script.write_text(HOST)
    hub = Hub()
    hub.start()
    process = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=blender_env(home, tmp_path / "publish"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        line = wait_until(process.stdout.readline, timeout=120, what="the host's show()")
        assert line.decode().split()[0] == "shown"  # at once; it connects in the background
        collected = wait_until(
            lambda: [
                h
                for h in hub.hosts()
                if h["pid"] == process.pid and h["progress"]["done"] and h["instances"]["count"]
            ],
            timeout=60,
            what="the hub collected the scene through the host",
        )
        assert collected[0]["application"] == "blender"
        quit_at = time.monotonic()
        process.stdin.write(b"quit\n")
        process.stdin.flush()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("the bpy host still runs 10 s after its script ended")
        took = time.monotonic() - quit_at
        assert process.returncode == 0
        assert took < 2.0, f"the bpy host took {took:.1f} s to exit"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdin.close()
        process.stdout.close()
        hub.close()
