"""The hub against real host processes: parallel publishes, kills, restarts, the CLI."""

import argparse
import json
import os
import signal

import pytest
from host_fixtures import pairs
from waiting import wait_until

from pyblish_qml_queue.cli import hosts as hub_cli
from pyblish_qml_queue.hub.hub import Hub, HubRunning, run_hub_for_serve
from pyblish_qml_queue.hub.record import INTERRUPTED_BY_RESTART
from pyblish_qml_queue.queue.memory import MemoryJobStore
from pyblish_qml_queue.queue.model import Job


@pytest.fixture
def hub(home):
    jobs = []

    def on_job(payload):
        jobs.append(Job.from_payload(payload))
        return payload["id"]

    hub = Hub(on_job=on_job)
    hub.jobs = jobs
    hub.start()
    yield hub
    hub.close()


def _by_pid(hub, pid):
    for host in hub.hosts():
        if host["pid"] == pid:
            return host
    return None


def _collected(hub, process, instances):
    """The host of ``process`` once registered and collected."""
    return wait_until(
        lambda: (
            (h := _by_pid(hub, process.pid))
            and h["progress"]["done"] == 1
            and h["state"] == "connected"
            and len(hub.items(h["id"])["instances"]) == instances
            and h
        ),
        what=f"host {process.pid} collected",
    )


def test_a_host_that_calls_show_registers_and_is_collected(hub, hosts):
    (process,) = hosts(1, instances=2)
    host = _collected(hub, process, 2)
    assert host["application"] == "python"
    assert host["connected"] is True
    assert host["progress"] == {"done": 1, "total": pairs(2)}
    assert hub.host(host["id"])["instances"] == {"count": 2, "families": [["thing", 2]]}
    items = hub.items(host["id"])
    assert sorted(i["name"] for i in items["instances"]) == ["thing00", "thing01"]
    assert [p["name"] for p in items["plugins"]] == [
        "CollectThings",
        "ValidateThing",
        "ExtractThing",
        "IntegrateThing",
    ]


def test_eight_hosts_publish_at_once_with_independent_progress(hub, hosts):
    procs = hosts(8, instances=2, delay=0.01)
    collected = [_collected(hub, process, 2) for process in procs]
    # give each host a different number of instances to publish
    for n, host in enumerate(collected):
        if n % 2:
            instance = hub.items(host["id"])["instances"][0]
            hub.toggle(host["id"], instance["id"], False)
    for host in collected:
        hub.publish(host["id"])
    for n, host in enumerate(collected):
        final = wait_until(
            lambda h=host: hub.host(h["id"])["state"] == "finished" and hub.host(h["id"]),
            timeout=60,
            what=f"host {n} finished",
        )
        published = 1 if n % 2 else 2
        assert final["progress"] == {"done": pairs(published), "total": pairs(published)}
        assert final["errors"] == 0
        assert len(hub.results(host["id"])) == pairs(published)


def test_validation_errors_stop_the_publish_before_extraction(hub, hosts):
    (process,) = hosts(1, instances=2, fail_validation=True)
    host = _collected(hub, process, 2)
    hub.publish(host["id"])
    final = wait_until(lambda: hub.host(host["id"])["state"] == "failed" and hub.host(host["id"]))
    assert final["errors"] == 2
    assert final["stage"] == "validate"
    assert [r["plugin_name"] for r in hub.results(host["id"])] == ["CollectThings"] + [
        "ValidateThing"
    ] * 2


def test_a_host_killed_mid_publish_stays_disconnected_with_its_progress(hub, hosts):
    (process,) = hosts(1, instances=4, delay=0.3)
    host = _collected(hub, process, 4)
    hub.publish(host["id"])
    wait_until(lambda: hub.host(host["id"])["stage"] == "extract", what="extracting")
    os.kill(process.pid, signal.SIGKILL)
    final = wait_until(
        lambda: hub.host(host["id"])["state"] == "disconnected" and hub.host(host["id"]),
        what="disconnected",
    )
    assert final["connected"] is False
    assert final["progress"]["done"] >= 5  # collector + 4 validations
    assert final["progress"]["total"] == pairs(4)
    assert len(hub.results(host["id"])) == final["progress"]["done"]
    hub.forget(host["id"])
    assert hub.hosts() == []


def test_hosts_reconnect_after_the_hub_restarts_and_progress_is_restored(home, hosts):
    first = Hub()
    first.start()
    try:
        procs = hosts(3, instances=4, delay=0.2)
        ids = [_collected(first, p, 4)["id"] for p in procs]
        for host_id in ids:
            first.publish(host_id)
        for host_id in ids:
            wait_until(lambda h=host_id: first.host(h)["stage"] == "extract", what="extracting")
        before = {h: first.host(h)["progress"]["done"] for h in ids}
    finally:
        first.close()

    second = Hub()
    second.start()
    try:
        for host_id in ids:
            restored = wait_until(
                lambda h=host_id: (
                    h in [x["id"] for x in second.hosts()]
                    and second.host(h)["progress"]["done"] >= before[h]
                    and second.host(h)
                ),
                what=f"{host_id} restored",
            )
            assert restored["connected"] is True
            assert restored["progress"]["total"] == pairs(4)
            assert restored["validated"] is True
            assert restored["interrupted"] == INTERRUPTED_BY_RESTART
            # the card keeps the lines of the steps it showed, not only "restored N"
            tail = restored["log_tail"]
            assert tail[-1]["message"].startswith("restored ")
            assert any(line["message"].startswith("validating ") for line in tail), tail
            assert all(line["time"] > 0 and line["level"] == "INFO" for line in tail), tail
        for host_id in ids:
            second.publish(host_id)
        for host_id in ids:
            final = wait_until(
                lambda h=host_id: second.host(h)["state"] == "finished" and second.host(h),
                timeout=30,
            )
            assert final["progress"] == {"done": pairs(4), "total": pairs(4)}
            # every pair ran once, none twice
            keys = [(r["plugin"], r["instance"]) for r in second.results(host_id)]
            assert len(keys) == len(set(keys)) == pairs(4)
    finally:
        second.close()


def test_handoff_stores_a_valid_job_and_frees_the_host(hub, hosts):
    (process,) = hosts(1, instances=2)
    host = _collected(hub, process, 2)
    job_id = hub.handoff(host["id"], title="background")
    (job,) = hub.jobs
    assert job.id == job_id
    assert job.title == "background"
    assert [(s.plugin, s.instance) for s in job.steps] == [
        ("ExtractThing", "thing00"),
        ("ExtractThing", "thing01"),
        ("IntegrateThing", "thing00"),
        ("IntegrateThing", "thing01"),
    ]
    snapshot = hub.host(host["id"])
    assert snapshot["state"] == "handed off"
    assert snapshot["job_id"] == job_id


def test_a_second_hub_refuses_to_start_and_names_the_running_pid(hub):
    with pytest.raises(HubRunning) as caught:
        Hub().start()
    assert caught.value.pid == os.getpid()


def test_run_hub_for_serve_stores_handed_off_jobs(home, hosts):
    store = MemoryJobStore()
    hub = run_hub_for_serve(store)
    try:
        (process,) = hosts(1, instances=1)
        host = _collected(hub, process, 1)
        job_id = hub.handoff(host["id"])
        assert store.get(job_id).title
    finally:
        hub.close()


# -- the CLI over the link ------------------------------------------------------------


def _cli(argv, capsys):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    hub_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except hub_cli.CliError as error:
        return error.code, "", str(error)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_lists_hosts_as_json(hub, hosts, capsys):
    (process,) = hosts(1, instances=1)
    host = _collected(hub, process, 1)
    code, out, _ = _cli(["hosts", "--json"], capsys)
    assert code == 0
    (listed,) = json.loads(out)
    assert listed["id"] == host["id"]
    assert listed["progress"] == {"done": 1, "total": pairs(1)}


def test_cli_validates_and_publishes_a_host_by_pid(hub, hosts, capsys):
    (process,) = hosts(1, instances=1)
    _collected(hub, process, 1)
    assert _cli(["host", str(process.pid), "validate"], capsys)[0] == 0
    code, out, _ = _cli(["host", str(process.pid), "publish"], capsys)
    assert code == 0
    assert "finished" in out


def test_cli_exits_1_when_validation_fails(hub, hosts, capsys):
    (process,) = hosts(1, instances=1, fail_validation=True)
    _collected(hub, process, 1)
    assert _cli(["host", str(process.pid), "validate"], capsys)[0] == 1


def test_cli_exits_2_for_an_unknown_host(hub, capsys):
    code, _, err = _cli(["host", "nosuchhost", "publish"], capsys)
    assert code == 2
    assert "no host" in err


def test_cli_exits_1_when_no_app_runs(home, capsys):
    code, _, err = _cli(["hosts"], capsys)
    assert code == 1
    assert "no pyblish-qml-queue app" in err
