"""The hub forgets disconnected hosts: after a while, and beyond a bounded number."""

from waiting import wait_until

from pyblish_qml_queue.hub.hub import Hub


def _started(hub, hosts, n):
    procs = hosts(n, instances=1)
    wait_until(
        lambda: sum(1 for h in hub.hosts() if h["connected"]) == n, what=f"{n} hosts registered"
    )
    return procs


def _kill(procs):
    for process in procs:
        process.kill()
        process.wait(10)


def test_only_the_most_recently_disconnected_hosts_are_kept(home, hosts, clock):
    hub = Hub(clock=clock, forget_after=3600, keep_disconnected=2)
    removed = []
    hub.subscribe(lambda e: e["type"] == "host_removed" and removed.append(e["host_id"]))
    hub.start()
    try:
        procs = _started(hub, hosts, 3)
        pids = []
        for process in procs:  # one after the other, a minute apart
            pids.append(process.pid)
            _kill([process])
            wait_until(
                lambda: not any(h["connected"] for h in hub.hosts() if h["pid"] == pids[-1]),
                what="the host disconnected",
            )
            clock.advance(60)
        left = sorted(h["pid"] for h in hub.hosts())
        assert left == sorted(pids[1:])  # the first to go is forgotten
        assert len(removed) == 1
    finally:
        hub.close()


def test_a_disconnected_host_is_forgotten_after_a_while_a_connected_one_never(
    home, hosts, clock
):
    hub = Hub(clock=clock, forget_after=3600)
    hub.start()
    try:
        gone, stays = _started(hub, hosts, 2)
        _kill([gone])
        wait_until(
            lambda: [h for h in hub.hosts() if h["pid"] == gone.pid and not h["connected"]],
            what="the host disconnected",
        )
        clock.advance(3599)
        assert sorted(h["pid"] for h in hub.hosts()) == sorted([gone.pid, stays.pid])
        clock.advance(2)
        assert [h["pid"] for h in hub.hosts()] == [stays.pid]
        clock.advance(10 * 3600)
        assert [h["pid"] for h in hub.hosts()] == [stays.pid]
    finally:
        hub.close()


def _threads_named(prefix):
    import threading

    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


def test_a_disconnected_host_keeps_no_thread_and_gets_one_again_when_it_reconnects(
    home, hosts, clock
):
    # Issue 14, item 8: 1,000 registrations left 1,000 threads for ever.
    hub = Hub(clock=clock, forget_after=3600)
    hub.start()
    try:
        (first,) = _started(hub, hosts, 1)
        (host_id,) = [h["id"] for h in hub.hosts()]
        session = hub._session(host_id)
        assert session.thread is not None  # connected: it has its thread
        wait_until(lambda: hub.host(host_id)["progress"]["done"] == 1, what="it collected")
        _kill([first])
        wait_until(lambda: not hub.host(host_id)["connected"], what="the host disconnected")
        wait_until(
            lambda: (
                session.thread is None
                and not _threads_named(f"host-{host_id}")
                and not _threads_named("hub-peer")
            ),
            what="its session's and its link's threads gone",
        )
        assert hub.host(host_id)["progress"]["done"] == 1  # its record stays
        (second,) = _started(hub, hosts, 1)  # a new host: the session drives it
        try:
            hub.reset([h["id"] for h in hub.hosts() if h["connected"]][0])
            wait_until(
                lambda: any(h["connected"] and h["progress"]["done"] == 1 for h in hub.hosts()),
                what="the new host reset",
            )
        finally:
            _kill([second])
    finally:
        hub.close()
