"""An instance's frame range on its Publish page row: from the host's data to the row's role."""

import gui_support
import pyblish.api
import pytest
from gui_support import items, settle
from host_fixtures import stop
from publish_hosts import start_studio_host
from waiting import wait_until

from pyblish_qml_queue.gui.publish.models import ItemListModel
from pyblish_qml_queue.gui.publish.rows import frame_range
from pyblish_qml_queue.gui.publish.state import PageState
from pyblish_qml_queue.host.formats import format_context, format_instance

make_gui = gui_support.make_gui  # a shared fixture


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"frameStart": 1001, "frameEnd": 1120}, "1001 – 1120"),
        ({"startFrame": 1001, "endFrame": 1100}, "1001 – 1100"),  # pyblish-qml's, Maya's
        ({"frameStart": 1001, "frameEnd": 1120, "startFrame": 1, "endFrame": 2}, "1001 – 1120"),
        ({"frameStart": 1001.0, "frameEnd": 1010.0}, "1001 – 1010"),
        ({"frameStart": 1001.5, "frameEnd": 1010.25}, "1001.5 – 1010.25"),
        ({"frameStart": 1001, "frameEnd": 1001}, "1001"),
        ({"frameStart": 1001}, ""),  # half a range is none
        ({"frameStart": "1001", "frameEnd": "1120"}, ""),  # not numbers
        ({"frameStart": True, "frameEnd": 10}, ""),
        ({"frameStart": float("nan"), "frameEnd": 10}, ""),
        ({}, ""),
    ],
)
def test_the_frame_range_is_read_from_the_instance_data(data, shown):
    assert frame_range(data) == shown


def _items(*instances):
    context = pyblish.api.Context()
    made = []
    for name, data in instances:
        instance = context.create_instance(name)
        instance.data.update(data)
        made.append(instance)
    return {
        "context": format_context(context),
        "instances": [format_instance(i) for i in made],
        "plugins": [],
    }


def test_a_hosts_instance_brings_its_frame_range_to_its_row():
    """A real pyblish instance, formatted as the host sends it, read into the page's rows."""
    items = _items(
        ("CHAR_ben01", {"family": "pointcache", "frameStart": 1001, "frameEnd": 1120}),
        ("sh0140_cam", {"family": "camera", "startFrame": 1001, "endFrame": 1100}),
        ("sh0140_playblast", {"family": "review", "families": ["h264"]}),
    )
    state = PageState(items)
    rows = {r["label"]: r for r in state.instance_rows()}
    assert rows["CHAR_ben01"]["frames"] == "1001 – 1120"
    assert rows["sh0140_cam"]["frames"] == "1001 – 1100"
    assert rows["sh0140_playblast"]["frames"] == ""
    assert rows["sh0140_playblast"]["info"] == "h264"  # the info text stays beside it
    # the context and section rows carry the role too, empty
    assert rows["Context"]["frames"] == ""
    assert rows["pointcache"]["frames"] == ""


def test_an_excluded_instance_keeps_its_range_and_says_excluded():
    items = _items(
        ("PROP_sword", {"family": "pointcache", "publish": False, "frameStart": 1, "frameEnd": 9})
    )
    row = PageState(items).row(items["instances"][0]["id"])
    assert (row["frames"], row["info"]) == ("1 – 9", "excluded")


def test_the_list_model_has_a_frames_role(qapp):
    items = _items(("CHAR_ben01", {"family": "pointcache", "frameStart": 1001, "frameEnd": 1120}))
    state = PageState(items)
    model = ItemListModel()
    model.set_rows(state.instance_rows())
    assert b"frames" in [bytes(name) for name in model.roleNames().values()]
    n = model.row_of(items["instances"][0]["id"])
    assert model.data(model.index(n, 0), model.role("frames")) == "1001 – 1120"


def test_a_changed_range_notifies_only_its_role(qapp, qtbot):
    inst = {
        "id": "i1",
        "name": "i1",
        "data": {"family": "pointcache", "frameStart": 1, "frameEnd": 9},
    }
    state = PageState({"context": {"id": "ctx", "data": {}}, "instances": [inst], "plugins": []})
    model = ItemListModel()
    model.set_rows(state.instance_rows())
    inst["data"]["frameEnd"] = 20
    with qtbot.waitSignal(model.dataChanged) as changed:
        assert model.update(["i1"], state.row) == 1
    assert changed.args[2] == [model.role("frames")]
    assert model.data(model.index(model.row_of("i1"), 0), model.role("frames")) == "1 – 20"


def _descendants(item):
    stack = [item]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.childItems())


def test_a_real_hosts_instances_show_their_frame_range_on_the_page(
    qapp, home, store, make_gui, tmp_path
):
    """A studio host process collects; its rows on the page (QML) show the ranges it set."""
    process, _ = start_studio_host(tmp_path / "maya")
    try:
        session, root = make_gui(store, hub=None, executor=None, spool=False)
        root.show()
        page = session.publish

        def collected():
            found = [h for h in session.hub.hosts() if h["pid"] == process.pid]
            ok = found and found[0]["progress"]["done"] == 1 and found[0]["state"] == "connected"
            return found[0] if ok else None

        host = wait_until(collected, tick=qapp.processEvents, what="the host collected")

        def opened():
            settle(qapp, session, rounds=1)
            session.app.openHost(host["id"])
            page.drain()
            return page.hostId == host["id"] and len(page.state.instances) == 5

        wait_until(opened, tick=qapp.processEvents, what="its instances on its page")
        settle(qapp, session)
        shown = {}
        for inst_id, inst in page.state.instances.items():
            row = items(root, "publishRow:" + inst_id)
            assert row, f"no row for {inst['name']}"
            frames = [i for i in _descendants(row[0]) if i.objectName() == "publishFrames"][0]
            shown[inst["name"]] = frames.property("text") if frames.isVisible() else ""
        assert shown == {
            "CHAR_ben01": "1001 – 1120",
            "CHAR_tom01": "1001 – 1120",
            "PROP_sword": "1001 – 1120",
            "sh0140_cam": "1001 – 1120",
            "sh0140_playblast": "",
        }
    finally:
        stop(process)
