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
            wait_until(  # disconnected_at: the hub has taken the disconnection in
                lambda: any(h["disconnected_at"] for h in hub.hosts() if h["pid"] == pids[-1]),
                what="the host disconnected",
            )
            clock.advance(60)
        left = sorted(h["pid"] for h in hub.hosts())
        assert left == sorted(pids[1:])  # the first to go is forgotten
        assert len(removed) == 1
    finally:
        hub.close()


def test_a_disconnected_host_is_forgotten_after_a_while_a_connected_one_never(home, hosts, clock):
    hub = Hub(clock=clock, forget_after=3600)
    hub.start()
    try:
        gone, stays = _started(hub, hosts, 2)
        _kill([gone])
        wait_until(  # disconnected_at: the hub has taken the disconnection in
            lambda: [h for h in hub.hosts() if h["pid"] == gone.pid and h["disconnected_at"]],
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


def _threads():
    import threading

    return {t for t in threading.enumerate() if t.is_alive()}


def test_hosts_keep_no_thread_in_the_hub_connected_or_not_and_one_comes_back(home, hosts, clock):
    _threads_before = _threads()
    # Issue 14, item 8: 1,000 registrations left 1,000 threads for ever; issue 17, item 1:
    # 50 hosts had 205 threads. The hub's threads (one I/O thread, a fixed pool) are all.
    hub = Hub(clock=clock, forget_after=3600)
    hub.start()
    try:
        (first,) = _started(hub, hosts, 1)
        (host_id,) = [h["id"] for h in hub.hosts()]
        wait_until(lambda: hub.host(host_id)["progress"]["done"] == 1, what="it collected")
        own = set(hub.threads)
        assert own and _threads() - own <= _threads_before  # no thread for the host
        _kill([first])
        wait_until(lambda: not hub.host(host_id)["connected"], what="the host disconnected")
        wait_until(lambda: not hub._session(host_id).busy, what="its session idle")
        assert _threads() - own <= _threads_before
        assert hub.host(host_id)["progress"]["done"] == 1  # its record stays
        more = _started(hub, hosts, 3)  # new hosts: the sessions drive them
        try:
            connected = [h["id"] for h in hub.hosts() if h["connected"]]
            for new_id in connected:
                hub.reset(new_id)
            wait_until(
                lambda: all(hub.host(h)["progress"]["done"] == 1 for h in connected),
                what="the new hosts reset",
            )
            assert _threads() - own <= _threads_before
        finally:
            _kill(more)
    finally:
        hub.close()
