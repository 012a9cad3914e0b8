"""``host`` and ``hosts`` as real subprocesses against a hub with real host processes:
a host named by its application, the state the Publish page would show."""

import json

import pytest
from cli_support import run_cli
from waiting import wait_until

from pyblish_qml_queue.hub.hub import Hub

PROG = "pyblish-qml-queue"


@pytest.fixture
def hub(home):
    hub = Hub(on_job=lambda payload: payload["id"])
    hub.start()
    yield hub
    hub.close()


def collected(hub, processes):
    """The hosts of ``processes`` once each registered and collected."""
    pids = {p.pid for p in processes}

    def ready():
        found = [
            h
            for h in hub.hosts()
            if h["pid"] in pids and h["progress"]["done"] == 1 and h["state"] == "connected"
        ]
        return len(found) == len(pids) and found

    return wait_until(ready, what=f"{len(pids)} host(s) collected")


def test_host_accepts_an_application_name_and_prints_validated(hub, hosts):
    (host,) = collected(hub, hosts(1, instances=1))

    result = run_cli("host", "python", "validate")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{host['id']}: validated (")  # not "connected"
    listed = run_cli("hosts").stdout.splitlines()[1]
    assert " validated " in listed


def test_host_says_validation_failed_and_exits_1(hub, hosts):
    (host,) = collected(hub, hosts(1, instances=1, fail_validation=True))

    result = run_cli("host", str(host["pid"]), "validate")

    assert result.returncode == 1
    assert f"{host['id']}: validation failed (" in result.stdout


def test_an_application_with_several_hosts_is_a_usage_error_naming_them(hub, hosts):
    found = collected(hub, hosts(2, instances=1))

    result = run_cli("host", "python", "validate", "--json")

    assert result.returncode == 2
    answer = json.loads(result.stdout)
    assert answer["code"] == 2
    assert answer["error"].startswith("2 python hosts are connected")
    assert all(str(h["pid"]) in answer["error"] for h in found)
    assert result.stderr.count("\n") == 1


def test_an_unknown_host_is_still_a_usage_error(hub):
    result = run_cli("host", "nosuchhost", "publish")

    assert result.returncode == 2
    assert result.stderr.startswith(f"{PROG}: error: no host 'nosuchhost'")
