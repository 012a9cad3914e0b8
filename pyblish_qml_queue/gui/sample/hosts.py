"""Sample hosts: the Overview wireframe's five hosts and a stand-in hub. No Qt.

:class:`SampleHub` has the hub's reading side (``hosts``, ``host``,
``subscribe``, ``forget``) and :meth:`SampleHub.fire` to play events by hand.
"""

from __future__ import annotations

import copy
import threading
import time

STAGES = ("collect", "validate", "extract", "integrate")

#: Who runs each sample host: application, version, pid, machine, user.
WHO = {
    "h-maya": ("Maya", "2025", 48213, "ws-anim-07", "jdoe"),
    "h-houdini": ("Houdini", "20.5", 91877, "ws-fx-12", "mlopez"),
    "h-nuke": ("Nuke", "15.1", 30544, "ws-comp-03", "akim"),
    "h-python": ("Python", "3.11", 77102, "farm-util-02", "svc_pipeline"),
    "h-maya-2": ("Maya", "2025", 51990, "ws-lay-02", "rpatel"),
}
#: The scene each sample host has open.
SCENES = {
    "h-maya": "/proj/ep101/sq020/sh0140/anim/sh0140_anim_v012.ma",
    "h-houdini": "/proj/ep101/sq020/sh0150/fx/sh0150_fx_pyro_v007.hip",
    "h-nuke": "/proj/ep101/sq010/sh0090/comp/sh0090_comp_v031.nk",
    "h-python": "/proj/ep101/tools/publish_plates.py --seq sq030",
    "h-maya-2": "/proj/ep102/sq040/sh0410/layout/sh0410_lay_v004.ma",
}


def snapshot(
    host_id,
    application="Maya",
    version="2025",
    pid=48213,
    machine="ws-anim-07",
    user="jdoe",
    scene="/proj/ep101/sq020/sh0140/anim/sh0140_anim_v012.ma",
    state="connected",
    stage=None,
    done=0,
    total=0,
    plugin=None,
    instance=None,
    errors=0,
    warnings=0,
    last_activity=None,
    log_tail=(),
    job_id=None,
    validated=False,
    connected=True,
):
    """A host snapshot as the hub makes it (see the hub API)."""
    return {
        "id": host_id,
        "application": application,
        "version": version,
        "pid": pid,
        "machine": machine,
        "user": user,
        "scene": scene,
        "targets": ["default"],
        "state": state,
        "connected": connected,
        "stage": stage,
        "progress": {"done": done, "total": total},
        "current": {"plugin": plugin, "instance": instance},
        "last_step": {"plugin": plugin, "instance": instance},
        "errors": errors,
        "warnings": warnings,
        "last_activity": time.time() if last_activity is None else last_activity,
        "log_tail": [_line(text) for text in log_tail],
        "job_id": job_id,
        "validated": validated,
    }


def _line(text: str) -> dict:
    """A log line as the hub keeps it, from "14:03:01 WARN message" (today's time)."""
    clock, level, message = text.split(" ", 2)
    h, m, sec = (int(n) for n in clock.split(":"))
    day = time.localtime()
    when = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, h, m, sec, 0, 0, -1))
    return {"time": when, "level": "WARNING" if level == "WARN" else level, "message": message}


def _sample(host_id, progress, current=(None, None), **fields):
    """A sample host's snapshot: who runs it (:data:`WHO`), its scene, then ``fields``."""
    application, version, pid, machine, user = WHO[host_id]
    done, total = progress
    plugin, instance = current
    return snapshot(
        host_id,
        application=application,
        version=version,
        pid=pid,
        machine=machine,
        user=user,
        scene=SCENES[host_id],
        done=done,
        total=total,
        plugin=plugin,
        instance=instance,
        **fields,
    )


def sample_hosts(now=None):
    """Five hosts in the states the Overview wireframe shows."""
    now = time.time() if now is None else now
    return [
        _sample(
            "h-maya",
            (37, 120),
            ("ExtractAlembic", "CHAR_ben01"),
            state="extracting",
            stage="extract",
            warnings=1,
            last_activity=now - 4,
            validated=True,
            log_tail=[
                "14:03:01 WARN CHAR_tom01: 3 shapes without UVs",
                "14:03:09 INFO CHAR_ben01 frame 1044 / 1120 written",
            ],
        ),
        _sample(
            "h-houdini",
            (14, 52),
            ("ValidateVDBPrimitives", "FX_pyro_main"),
            state="validating",
            stage="validate",
            errors=2,
            last_activity=now - 1,
            log_tail=[
                "14:03:12 ERROR FX_pyro_main: 2 unnamed VDB prims",
                "14:03:12 ERROR Frame range ends 1096, shot 1120",
            ],
        ),
        _sample(
            "h-nuke",
            (18, 18),
            state="handed off",
            validated=True,
            last_activity=now - 360,
            job_id="64a1f07c",
            log_tail=[
                "13:57:02 INFO Handed off as queue job 64a1f07c",
                "13:57:41 INFO Deadline: 40 tasks submitted",
            ],
        ),
        _sample(
            "h-python",
            (64, 64),
            state="finished",
            stage="integrate",
            warnings=2,
            validated=True,
            last_activity=now - 180,
            log_tail=[
                "14:00:21 WARN sh0310 plate: colourspace guessed",
                "14:00:24 INFO 12 instances published, exit 0",
            ],
        ),
        _sample(
            "h-maya-2",
            (18, 40),
            ("ValidateMeshTopology", "SET_kitchen"),
            state="disconnected",
            connected=False,
            stage="validate",
            last_activity=now - 720,
            log_tail=[
                "13:53:10 INFO ValidateMeshTopology started",
                "13:53:41 ERROR Heartbeat lost (ws-lay-02)",
            ],
        ),
    ]


class SampleHub:
    """The hub's reading side over fixed snapshots; events are fired by hand."""

    address = "sample"

    def __init__(self, hosts=()):
        self._hosts = {h["id"]: copy.deepcopy(h) for h in hosts}
        self._subscribers = []
        self._lock = threading.Lock()
        self.forgotten = []

    def hosts(self):
        with self._lock:
            return [copy.deepcopy(h) for h in self._hosts.values()]

    def host(self, host_id):
        with self._lock:
            return copy.deepcopy(self._hosts[host_id])

    def subscribe(self, callback):
        self._subscribers.append(callback)

        def unsubscribe():
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def forget(self, host_id):
        self.forgotten.append(host_id)
        with self._lock:
            self._hosts.pop(host_id, None)
        self.fire({"type": "host_removed", "host_id": host_id})

    def put(self, host):
        """Add or change a host and tell the subscribers (from any thread)."""
        with self._lock:
            kind = "host_changed" if host["id"] in self._hosts else "host_added"
            self._hosts[host["id"]] = copy.deepcopy(host)
        self.fire({"type": kind, "host": copy.deepcopy(host)})

    def fire(self, event):
        for callback in list(self._subscribers):
            callback(event)
