"""The Overview under many busy hosts (issue 17, item 1): cards are told of changes a
few at a time, and the cards re-sort only when the order really changed, moving only the
cards that change places."""

from pyblish_qml_queue.gui.overview.filter import HostFilterProxy
from pyblish_qml_queue.gui.overview.hosts import ROLE_IDS, HostListModel


def _host(n, when):
    return {
        "id": f"h{n}",
        "application": "maya",
        "state": "extracting",
        "connected": True,
        "last_activity": when,
        "progress": {"done": 0, "total": 10},
    }


def _shown(proxy):
    return [proxy.index(r, 0).data(ROLE_IDS["hostId"]) for r in range(proxy.rowCount())]


def test_hosts_busy_at_once_keep_their_places_and_one_gone_quiet_sinks(qapp):
    hosts = HostListModel()
    hosts.set_hosts([_host(n, 1000.0 + n) for n in range(4)])
    proxy = HostFilterProxy(hosts)
    proxy.resort()
    assert _shown(proxy) == ["h3", "h2", "h1", "h0"]
    layouts, moves = [], []
    proxy.layoutChanged.connect(lambda *args: layouts.append(1))
    proxy.rowsMoved.connect(lambda parent, first, last, to, row: moves.append((first, row)))

    # All four publish: their activity changes places within seconds of each other.
    hosts.upsert([_host(n, 1005.0 - n) for n in range(4)])
    proxy.resort()
    assert _shown(proxy) == ["h3", "h2", "h1", "h0"] and layouts == []

    # A host that came since is placed first, and the others keep their places.
    hosts.upsert([_host(4, 1006.0)])
    proxy.resort()
    assert _shown(proxy) == ["h4", "h3", "h2", "h1", "h0"] and layouts == [] and moves == []

    # h3 went quiet while the others went on: it moves down, once.
    hosts.upsert([_host(3, 1005.0)] + [_host(n, 1030.0) for n in (0, 1, 2, 4)])
    proxy.resort()
    # Only its card moves (a layoutChanged would make the view re-read every card).
    assert _shown(proxy) == ["h4", "h2", "h1", "h0", "h3"]
    assert moves == [(1, 5)] and layouts == []
    hosts._later.stop()
    proxy.stop()


def test_changed_cards_beyond_the_budget_are_told_later_with_their_latest_snapshot(qapp, qtbot):
    hosts = HostListModel()
    hosts.set_hosts([_host(n, 1000.0) for n in range(3)])
    told = []
    hosts.dataChanged.connect(lambda first, last, roles: told.append(first.row()))
    hosts.NOTIFY_BUDGET = 0.0  # one card per call

    hosts.upsert([dict(_host(n, 1000.0), progress={"done": 1, "total": 10}) for n in range(3)])
    assert told == [0]  # one now, the others on the timer
    hosts.upsert([dict(_host(n, 1000.0), progress={"done": 2, "total": 10}) for n in range(3)])
    assert told == [0]  # none while the ones left over wait their turn
    qtbot.waitUntil(lambda: len(told) == 4, timeout=5000)
    assert sorted(told) == [0, 0, 1, 2]  # each once more, with what it holds now
    assert [hosts.snapshot(f"h{n}")["progress"]["done"] for n in range(3)] == [2, 2, 2]
    hosts.stop()


def test_a_re_sort_moves_the_fewest_cards_and_a_filter_inserts_and_removes(qapp):
    hosts = HostListModel()
    hosts.set_hosts([_host(n, 1000.0 + n) for n in range(6)])
    proxy = HostFilterProxy(hosts)
    assert _shown(proxy) == ["h5", "h4", "h3", "h2", "h1", "h0"]
    changes = []
    proxy.rowsMoved.connect(lambda *args: changes.append("move"))
    proxy.rowsInserted.connect(lambda *args: changes.append("insert"))
    proxy.rowsRemoved.connect(lambda *args: changes.append("remove"))
    proxy.layoutChanged.connect(lambda *args: changes.append("layout"))
    proxy.modelReset.connect(lambda *args: changes.append("reset"))

    proxy.set_sort_key("arrival")  # the order reversed: five moves, one card stays
    assert _shown(proxy) == [f"h{n}" for n in range(6)] and changes == ["move"] * 5
    del changes[:]
    hosts.upsert([dict(_host(n, 1000.0 + n), state="finished") for n in (1, 3)])
    proxy.set_group("finished")
    assert _shown(proxy) == ["h1", "h3"] and changes == ["remove"] * 4
    del changes[:]
    proxy.set_group("all")
    assert _shown(proxy) == [f"h{n}" for n in range(6)] and changes == ["insert"] * 4
    proxy.stop()
    hosts.stop()
