"""The Publish page's plain-Python state and its viewmodel over a stand-in hub (no processes)."""

import gui_support
from gui_support import settle

from pyblish_qml_queue.gui.publish import rules as publishrules
from pyblish_qml_queue.gui.publish.rules import actions_for, check_settings
from pyblish_qml_queue.gui.publish.state import PageState
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture


def plugin(pid, order, families=("*",), instance=True, **extra):
    out = {
        "id": pid,
        "name": pid,
        "label": pid,
        "order": order,
        "families": list(families),
        "instanceEnabled": instance,
        "active": True,
        "optional": False,
        "actions": [],
    }
    out.update(extra)
    return out


def instance(iid, family, **data):
    return {"id": iid, "name": iid, "data": dict(data, family=family)}


def result(pid, iid=None, error=None, levelno=20, **extra):
    out = {
        "kind": "process",
        "plugin": pid,
        "instance": iid,
        "instance_name": iid,
        "label": pid,
        "order": 1.0,
        "action": None,
        "success": error is None,
        "error": error and {"message": error, "traceback": "Traceback: " + error},
        "records": [{"message": "m", "levelname": "X", "levelno": levelno, "created": 1.0}],
        "duration": 20.0,
    }
    out.update(extra)
    return out


ITEMS = {
    "context": {"id": "ctx", "data": {"currentFile": "/s/sh0140.ma"}},
    "instances": [instance(f"i{n}", "pointcache") for n in range(3)] + [instance("cam", "camera")],
    "plugins": [
        plugin("Collect", 0.0, instance=False),
        plugin("Validate", 1.0, families=["pointcache"]),
        plugin("Extract", 2.0),
        plugin("Integrate", 3.0),
    ],
}


def test_instances_are_grouped_by_family_and_plugins_by_stage_with_collect_folded():
    state = PageState(ITEMS)
    assert [(r["kind"], r["label"]) for r in state.instance_rows()] == [
        ("context", "Context"),
        ("section", "pointcache"),
        ("instance", "i0"),
        ("instance", "i1"),
        ("instance", "i2"),
        ("section", "camera"),
        ("instance", "cam"),
    ]
    assert [r["label"] for r in state.plugin_rows()] == [
        "Collect",
        "Validate",
        "Validate",
        "Extract",
        "Extract",
        "Integrate",
        "Integrate",
    ]  # HiddenSections ["Collect"]: its section shows, folded
    assert state.row("section:Extract")["info"] == "4 steps left"


def test_a_result_marks_its_plugin_instance_and_sections_and_touches_only_those_rows():
    state = PageState(ITEMS)
    changed = state.add_result(result("Validate", "i1", levelno=30))
    assert changed == {"Validate", "i1", "section:Validate", "section:pointcache"}
    assert state.row("i1")["itemState"] == "warning"
    assert state.row("Validate")["info"] == "0.02 s · 1 warning"
    state.add_result(result("Validate", "i2", error="bad normals"))
    assert state.row("Validate")["itemState"] == "error"
    assert state.row("Validate")["info"] == "0.04 s · i2"
    assert state.row("i0")["itemState"] == "idle"
    assert state.records[-1]["level"] == "ERROR"
    assert state.records[-1]["traceback"] == "Traceback: bad normals"


def test_the_same_result_taken_twice_counts_once():
    state = PageState(ITEMS)
    same = result("Extract", "i0")
    state.add_result(same)
    assert state.add_result(same) == set()
    assert state.processed == {"Extract": 1}


def test_the_running_step_marks_its_rows_processing_until_the_next():
    state = PageState(ITEMS)
    assert state.set_current("Extract", "i0") >= {"Extract", "i0"}
    assert state.row("i0")["itemState"] == "processing"
    state.set_current("Extract", "i1")
    assert state.row("i0")["itemState"] == "idle"
    assert state.row("i1")["itemState"] == "processing"


def test_actions_follow_their_on_filters_and_drop_orphan_categories():
    actions = [
        {"id": "c", "label": "Fix", "type": "category"},
        {"id": "a", "label": "Repair", "on": "failed", "type": "action"},
        {"id": "b", "label": "Docs", "on": "all", "type": "action"},
        {"id": "s", "label": "", "type": "separator"},
        {"id": "n", "label": "Prepare", "on": "notProcessed", "type": "action"},
        {"id": "p", "label": "Ok", "on": "succeeded", "type": "action"},
    ]
    item = {"actions": actions}
    labels = lambda **kw: [a["label"] for a in actions_for(item, **kw)]  # noqa: E731
    assert labels(processed=False, failed=False) == ["Fix", "Docs", "", "Prepare"]
    assert labels(processed=True, failed=True) == ["Fix", "Repair", "Docs"]
    assert labels(processed=True, failed=False) == ["Fix", "Docs", "", "Ok"]


def test_settings_keep_only_known_keys_of_the_right_shape():
    raw = {
        "WindowTitle": "Studio",
        "WindowSize": (800, 500),
        "WindowPosition": "x",
        "HiddenSections": ["Collect", "Validate", 3],
        "Other": 1,
        "ContextLabel": "",
    }
    assert check_settings(raw) == {
        "WindowTitle": "Studio",
        "WindowSize": [800, 500],
        "HiddenSections": ["Collect", "Validate"],
    }
    state = PageState(ITEMS, settings={"ContextLabel": "Shot", "HiddenSections": []})
    assert state.instance_rows()[0]["label"] == "Shot"
    assert "Collect" in [r["label"] for r in state.plugin_rows() if r["kind"] == "plugin"]


class SettingsHub:
    """A hub with one host that registered pyblish_qml settings."""

    address = "stand-in"

    def __init__(self, settings):
        self.snapshot = {
            "id": "h1",
            "application": "Maya",
            "version": "2025",
            "scene": "/s/sh0140_anim_v012.ma",
            "state": "connected",
            "connected": True,
            "progress": {"done": 0, "total": 0},
            "current": {},
        }
        self.settings = settings

    def hosts(self):
        return [dict(self.snapshot)]

    def host(self, host_id):
        return dict(self.snapshot)

    def items(self, host_id):
        return dict(ITEMS, settings=self.settings)

    def results(self, host_id):
        return []

    def subscribe(self, callback):
        return lambda: None


def test_a_hosts_pyblish_qml_settings_win_over_the_apps(qapp, make_gui):
    hub = SettingsHub(
        {
            "WindowTitle": "Studio Publish",
            "ContextLabel": "Shot",
            "WindowSize": [900, 640],
            "WindowPosition": [40, 30],
        }
    )
    session, root = make_gui(MemoryJobStore(), hub)
    asked = []
    session.publish.geometryRequested.connect(lambda *g: asked.append(g))
    session.app.openHost("h1")
    settle(qapp, session)
    assert session.publish.windowTitle == "Studio Publish · Maya 2025 · sh0140_anim_v012.ma"
    assert root.property("title") == session.publish.windowTitle
    assert session.publish.instance_model.rows()[0]["label"] == "Shot"
    assert asked == [(40, 30, 900, 640)]
    assert (root.width(), root.height()) == (900, 640)


def test_without_host_settings_the_apps_pyblish_qml_settings_apply(qapp, make_gui):
    session, _root = make_gui(MemoryJobStore(), SettingsHub({}))
    session.app.openHost("h1")
    settle(qapp, session)
    assert (
        session.publish.state.settings["HiddenSections"]
        == publishrules.app_settings()["HiddenSections"]
    )
    assert session.publish.windowTitle.startswith(publishrules.app_settings()["WindowTitle"])


class ResultsHub(SettingsHub):
    """The stand-in hub whose host already ran a failing repairable validator."""

    def items(self, host_id):
        plugins = [dict(p) for p in ITEMS["plugins"]]
        plugins[1].update(
            hasRepair=True,
            actions=[{"id": "a1", "label": "Select", "on": "failed", "type": "action"}],
        )
        return dict(ITEMS, plugins=plugins)

    def results(self, host_id):
        return [result("Validate", "i0"), result("Validate", "i1", error="bad")]


def test_a_failed_plugin_offers_its_failed_actions_and_repair(qapp, make_gui):
    session, _root = make_gui(MemoryJobStore(), ResultsHub({}))
    session.app.openHost("h1")
    settle(qapp, session)
    page = session.publish
    assert [(a["label"], a["type"]) for a in page.actionsOf("Validate")] == [
        ("Select", "action"),
        ("Repair", "repair"),
    ]
    assert page.state.row("Validate")["hasRepair"] is True
    assert page.actionsOf("Extract") == []


def test_a_host_registers_its_pyblish_qml_settings_and_the_hub_hands_them_to_the_page(
    monkeypatch,
):
    from pyblish_qml import settings

    from pyblish_qml_queue.host import link
    from pyblish_qml_queue.hub.session import HostSession

    monkeypatch.setattr(settings, "WindowTitle", "Studio", raising=False)
    monkeypatch.setattr(settings, "WindowSize", (800, 500), raising=False)
    registered = link.qml_settings()
    assert registered["WindowTitle"] == "Studio"
    assert registered["WindowSize"] == [800, 500]
    session = HostSession({"id": "h1", "settings": registered}, emit=lambda event: None)
    try:
        assert check_settings(session.items()["settings"])["WindowSize"] == [800, 500]
    finally:
        session.close()


def repair(pid, iid=None, error=None):
    return result(pid, iid, error=error, kind="repair", duration=None)


def test_a_repair_shows_its_outcome_on_its_rows_and_in_the_status_line():
    from pyblish_qml_queue.gui.publish.host import status_of

    failed = {"state": "failed", "connected": True, "progress": {"done": 2, "total": 9}}
    state = PageState(ITEMS, [result("Validate", "i0"), result("Validate", "i1", error="bad")])
    assert state.row("Validate")["itemState"] == "error"
    assert status_of(failed, state, "")[0] == "Validation failed: 1 error"
    changed = state.add_result(repair("Validate", "i1"))
    assert {"Validate", "i1", "section:Validate"} <= changed
    assert state.row("Validate")["itemState"] == "success"  # no longer red
    assert state.row("Validate")["info"].endswith("repaired, validate again")
    assert state.row("i1")["info"] == "repaired"
    assert status_of(failed, state, "") == (
        "Repaired Validate: validate again to check",
        "finished",  # the footer's green
    )
    assert state.processed == {"Validate": 2}  # a repair is not a step


def test_a_failed_repair_says_why_and_the_plugin_stays_red():
    from pyblish_qml_queue.gui.publish.host import status_of

    failed = {"state": "failed", "connected": True, "progress": {"done": 2, "total": 9}}
    state = PageState(
        ITEMS, [result("Validate", "i1", error="bad"), result("Validate", "i2", error="bad")]
    )
    state.add_result(repair("Validate", "i1"))
    state.add_result(repair("Validate", "i2", error="locked node\nmore"))
    assert state.row("Validate")["itemState"] == "error"
    assert state.row("Validate")["info"].endswith("repair failed")
    assert state.row("i1")["info"] == "repaired"
    assert state.row("i2")["info"] == "repair failed"
    assert status_of(failed, state, "") == ("Repair of Validate failed: locked node", "failed")
    # the next step's outcome replaces the repair's in the status line
    state.add_result(result("Validate", "i0"))
    assert status_of(failed, state, "")[0] == "Validation failed: 2 errors"


class FailedHub(ResultsHub):
    def __init__(self, settings):
        super().__init__(settings)
        self.snapshot["state"] = "failed"
        self.repairs = []

    def repair(self, host_id, plugin_id):
        self.repairs.append(plugin_id)


def test_the_page_shows_a_repair_from_the_hub_on_the_row_and_in_the_footer(qapp, qtbot, make_gui):
    hub = FailedHub({})
    session, root = make_gui(MemoryJobStore(), hub)
    session.app.openHost("h1")
    settle(qapp, session)
    page = session.publish
    assert page.status == "Validation failed: 1 error"
    page.repair("Validate")
    assert hub.repairs == ["Validate"]
    page.take([{"type": "result", "host_id": "h1", "result": repair("Validate", "i1")}])
    qtbot.waitUntil(lambda: page.status == "Repaired Validate: validate again to check")
    assert page.statusState == "finished"
    row = next(r for r in page.plugin_model.rows() if r["itemId"] == "Validate")
    assert row["itemState"] == "success"
    assert row["info"].endswith("repaired, validate again")


def test_an_error_without_records_has_the_time_its_result_ended():
    from pyblish_qml_queue.gui.publish.detail import records_of

    bare = result("Validate", "i1", error="bad", records=[], time=1700000000.5)
    (line,) = records_of(bare)
    assert (line["level"], line["time"]) == ("ERROR", 1700000000.5)
    older = result("Validate", "i1", error="bad")  # a host that sends no time
    assert records_of(older)[-1]["time"] == 1.0  # its last record's


def test_a_record_of_the_hosts_link_is_not_credited_to_the_plugin_running_then():
    from pyblish_qml_queue.gui.publish.detail import records_of

    link = {
        "message": "registering with the app failed: gone",
        "levelname": "WARNING",
        "levelno": 30,
        "name": "pyblish_qml_queue.host.link",
        "created": 2.0,
    }
    own = dict(link, name="pyblish_qml_queue.host.service", message="x")
    plugin_warning = dict(link, name="pyblish.ExtractAlembic", message="3 shapes without UVs")
    step = result("Extract", "i0", records=[link, own])
    lines = records_of(step)
    assert [(r["source"], r["instance"]) for r in lines] == [("link", ""), ("queue", "")]
    state = PageState(ITEMS, [step])
    assert state.row("Extract")["itemState"] == "success"  # not the plugin's warning
    assert "warning" not in state.row("Extract")["info"]
    state.add_result(result("Extract", "i1", records=[plugin_warning]))
    assert state.row("Extract")["itemState"] == "warning"
    assert records_of(state.results[-1])[0]["source"] == "Extract"


def test_the_host_stamps_when_a_result_ended():
    import time

    import pyblish.api

    from pyblish_qml_queue.host.formats import format_result

    class Plugin(pyblish.api.ContextPlugin):
        pass

    before = time.time()
    formatted = format_result(
        {"plugin": Plugin, "instance": None, "success": True, "error": None, "records": []}
    )
    assert before <= formatted["time"] <= time.time()


def test_publish_in_background_says_why_it_is_disabled():
    from pyblish_qml_queue.gui.publish.host import controls_of, handoff_why_not

    snap = {"state": "connected", "connected": True, "validated": True, "progress": {}}
    validated = PageState(ITEMS, [result("Validate", "i0")])
    assert controls_of(snap, validated, "")["handoff"] is True
    assert handoff_why_not(snap, validated, "") == ""
    # a resumed partial publish: extraction ran in the host
    resumed = PageState(ITEMS, [result("Validate", "i0"), result("Extract", "i0")])
    assert controls_of(snap, resumed, "")["handoff"] is False
    assert handoff_why_not(snap, resumed, "").startswith("Extraction has started in this host")
    fresh = PageState(ITEMS)
    assert handoff_why_not(dict(snap, validated=False), fresh, "").startswith("Validate first")
    assert handoff_why_not(dict(snap, state="extracting"), resumed, "").startswith("Wait until")
    gone = dict(snap, connected=False)
    assert handoff_why_not(gone, validated, "").startswith("The host is disconnected")
    handed = dict(snap, state="handed off", job_id="64a1f07c9d")
    assert (
        handoff_why_not(handed, validated, "")
        == "Already handed off as job 64a1f07c: see the Queue"
    )


class ResumedHub(SettingsHub):
    def results(self, host_id):
        return [result("Validate", "i0"), result("Extract", "i0")]


def test_the_page_offers_the_reason_to_its_disabled_hand_off_button(qapp, make_gui):
    session, root = make_gui(MemoryJobStore(), ResumedHub({}))
    session.app.openHost("h1")
    settle(qapp, session)
    assert session.publish.can["handoff"] is False
    assert session.publish.handoffWhyNot.startswith("Extraction has started in this host")
    (button,) = gui_support.items(root, "publishButton:handoff")
    assert button.property("available") is False
    assert button.property("whyNot") == session.publish.handoffWhyNot


def test_plugins_with_nothing_to_process_are_not_listed_as_in_pyblish_qml():
    items = dict(ITEMS)
    items["plugins"] = ITEMS["plugins"] + [
        plugin("ValidateVDB", 1.1, families=["vdbcache"]),  # no such instance
        plugin("ExtractRender", 2.1, families=["render"], active=False, optional=True),
    ]
    state = PageState(items)
    labels = [r["label"] for r in state.plugin_rows() if r["kind"] == "plugin"]
    assert "ValidateVDB" not in labels  # "0 steps" before
    assert "Validate" in labels and "Extract" in labels
    assert state.row("section:Validate")["info"] == "1 plug-in"
    # an instance toggled off keeps its plugins listed (they are compatible, only off)
    state.toggle("cam", False)
    state.toggle("i0", False)
    assert "Validate" in [r["label"] for r in state.plugin_rows()]
    # a collection that brings a vdbcache instance lists it
    state.load_items(dict(items, instances=ITEMS["instances"] + [instance("fx", "vdbcache")]))
    assert "ValidateVDB" in [r["label"] for r in state.plugin_rows()]


class TwoHostsHub(SettingsHub):
    def hosts(self):
        return [dict(self.snapshot), dict(self.snapshot, id="h2", application="Houdini")]

    def host(self, host_id):
        return next(h for h in self.hosts() if h["id"] == host_id)


def test_the_comment_box_closes_on_another_hosts_page(qapp, make_gui):
    session, root = make_gui(MemoryJobStore(), TwoHostsHub({}))
    session.app.openHost("h1")
    settle(qapp, session)
    (page,) = gui_support.items(root, "publishPage")
    page.setProperty("commenting", True)
    session.app.openHost("h2")
    settle(qapp, session)
    assert page.property("commenting") is False
