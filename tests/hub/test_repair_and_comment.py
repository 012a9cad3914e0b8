"""Repair and the comment as pyblish-qml's page has them, against real host processes:
``repair(instance)`` on each failed instance in order (once on the context for a context
plugin), each result kept; the comment sent again after a reset."""

import os

from dropin_hosts import REPAIR_PLUGINS, collected, start
from publish_hosts import PLUGINS as STUDIO_PLUGINS
from publish_hosts import manifest
from waiting import wait_until


def test_repair_receives_each_failed_instance_in_order(hub, procs, tmp_path):
    process, out = start(tmp_path / "h", REPAIR_PLUGINS)
    procs.append(process)
    host = collected(hub, process)
    hub.validate(host["id"])
    wait_until(lambda: hub.host(host["id"])["state"] == "failed", what="validation failed")
    plugins = {p["name"]: p["id"] for p in hub.items(host["id"])["plugins"]}
    repairs = os.path.join(out, "repairs.txt")

    def lines():
        try:
            with open(repairs) as f:
                return f.read().splitlines()
        except OSError:
            return []

    hub.repair(host["id"], plugins["ValidateThing"])
    # a and c failed; b passed; d failed but is no "thing"
    assert wait_until(lambda: len(lines()) >= 2 and lines()) == ["thing a", "thing c"]
    hub.repair(host["id"], plugins["ValidateScene"])
    wait_until(lambda: len(lines()) >= 3, what="the context repair")
    assert lines() == ["thing a", "thing c", "scene Context"]

    def repaired():
        return [
            (r["plugin_name"], r["instance_name"], r["success"])
            for r in hub.results(host["id"])
            if r["kind"] == "repair"
        ]

    # the plugin writes its line before its result comes back to the hub: wait for that
    wait_until(lambda: len(repaired()) >= 3, what="the repair results")
    assert repaired() == [
        ("ValidateThing", "a", True),
        ("ValidateThing", "c", True),
        ("ValidateScene", None, True),
    ]


def test_the_comment_is_kept_across_a_reset(hub, procs, tmp_path):
    process, out = start(tmp_path / "h", STUDIO_PLUGINS, fixed=True)
    procs.append(process)
    host = collected(hub, process)
    hub.comment(host["id"], "fixed the sword")
    hub.reset(host["id"])
    wait_until(
        lambda: (
            "reset" in [line["message"] for line in hub.host(host["id"])["log_tail"]]
            and hub.host(host["id"])["progress"]["done"] == 1
        ),
        what="reset and collected",
    )
    hub.publish(host["id"])
    wait_until(lambda: "notified fixed the sword" in manifest(out), what="the integrator")
    assert hub.items(host["id"])["context"]["data"]["comment"] == "fixed the sword"
