"""submit(): collect and validate in the host, hand off the rest (host/submit.py, host/spool.py)."""

import os
import sys
import types

import plugins_fixture as pf
import pyblish.api
import pyblish.util
import pytest

import pyblish_qml_queue
from pyblish_qml_queue.common import spool
from pyblish_qml_queue.queue.model import Job


class FakeLink:
    """Stands in for host.link: takes jobs when ``accept``, else declines or raises."""

    def __init__(self, accept=False, error=None):
        self.accept = accept
        self.error = error
        self.payloads = []

    def try_handoff(self, payload):
        self.payloads.append(payload)
        if self.error:
            raise self.error
        return self.accept


@pytest.fixture(autouse=True)
def pyblish_clean():
    with pf.pyblish_state():
        yield


@pytest.fixture
def link(monkeypatch):
    """A stand-in host link that declines every job (set its attributes to change that)."""
    fake = FakeLink()
    module = types.ModuleType("pyblish_qml_queue.host.link")
    module.try_handoff = fake.try_handoff
    monkeypatch.setitem(sys.modules, "pyblish_qml_queue.host.link", module)
    return fake


@pytest.fixture
def marks(tmp_path, monkeypatch, home):
    """The fixture plugins registered; returns their marker folder."""
    folder = tmp_path / "markers"
    folder.mkdir()
    monkeypatch.setenv("PQQ_TEST_MARKERS", str(folder))
    pyblish.api.register_plugin_path(pf.write_plugins(tmp_path / "plugins"))
    return folder


def _spooled(home):
    return spool.read_spooled(str(home / "spool"))


def test_submit_collects_validates_and_spools_the_job_when_no_app_runs(marks, home):
    """The real host link finds no app in this home, so the job goes to the spool."""
    job_id = pyblish_qml_queue.submit(title="sh010 anim")
    [(path, payload)] = _spooled(home)
    assert path == str(home / "spool" / (job_id + ".json"))
    assert payload["id"] == job_id and payload["title"] == "sh010 anim"
    assert len(Job.from_payload(payload).steps) == 8
    done = pf.markers(marks)
    assert done["CollectInstances.context"] == [""]
    assert not [m for m in done if m.startswith(("Extract", "Integrate"))]
    assert os.listdir(str(home / "spool")) == [job_id + ".json"]


def test_submit_raises_validation_failed_and_hands_off_nothing(marks, home, link, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_INVALID", "1")
    with pytest.raises(pyblish_qml_queue.ValidationFailed) as caught:
        pyblish_qml_queue.submit()
    assert "ValidateNames on ben01: name ben01 is not valid" in str(caught.value)
    assert caught.value.failures == [("ValidateNames", "ben01", "name ben01 is not valid")]
    assert _spooled(home) == [] and link.payloads == []


def test_submit_does_not_collect_a_collected_context_again(marks, home):
    context = pyblish.util.collect()
    pyblish_qml_queue.submit(context)
    assert pf.markers(marks)["CollectInstances.context"] == [""]
    [(_path, payload)] = _spooled(home)
    assert [i["name"] for i in payload["instances"]] == ["ben01", "ben02", "cam01"]
    assert payload["context"]["data"]["collectRuns"] == 1


def test_submit_checks_the_recorded_results_of_a_validated_context(marks, home, monkeypatch):
    monkeypatch.setenv("PQQ_TEST_INVALID", "1")
    context = pyblish.util.validate(pyblish.util.collect())
    runs = len(context.data["results"])
    with pytest.raises(pyblish_qml_queue.ValidationFailed, match="ValidateNames on ben01"):
        pyblish_qml_queue.submit(context)
    assert len(context.data["results"]) == runs  # nothing ran again


def test_submit_fails_on_a_failed_collector(home, link, tmp_path):
    folder = pf.write_plugin(
        tmp_path / "plugins",
        "collect_broken.py",
        """
        import pyblish.api


        class CollectBroken(pyblish.api.ContextPlugin):
            order = pyblish.api.CollectorOrder

            def process(self, context):
                raise OSError('scene not saved')
        """,
    )
    pyblish.api.register_plugin_path(str(folder))
    with pytest.raises(pyblish_qml_queue.ValidationFailed, match="CollectBroken on context"):
        pyblish_qml_queue.submit()
    assert _spooled(home) == []


def test_submit_hands_off_through_the_link_when_the_app_takes_it(marks, home, link):
    link.accept = True
    job_id = pyblish_qml_queue.submit()
    assert [p["id"] for p in link.payloads] == [job_id]
    assert _spooled(home) == []


def test_submit_spools_when_the_link_fails(marks, home, link):
    link.error = ConnectionResetError("app went away")
    job_id = pyblish_qml_queue.submit()
    assert [p["id"] for _path, p in _spooled(home)] == [job_id]


def test_submit_raises_when_the_app_refuses_the_job_and_spools_nothing(marks, home, link):
    class RemoteError(Exception):
        pass

    link.error = RemoteError("store is full")
    with pytest.raises(pyblish_qml_queue.HandOffRefused, match="refused job .*: store is full"):
        pyblish_qml_queue.submit()
    assert _spooled(home) == []


# -- the spool ------------------------------------------------------------------------


def test_write_job_leaves_one_private_file_and_no_temporary(tmp_path):
    folder = tmp_path / "spool"
    path = spool.write_job({"id": "abc123", "title": "t"}, str(folder))
    assert os.listdir(str(folder)) == ["abc123.json"]
    assert spool.read_spooled(str(folder)) == [(path, {"id": "abc123", "title": "t"})]
    if os.name == "posix":
        assert os.stat(path).st_mode & 0o777 == 0o600


def test_write_job_uses_the_spool_dir_of_home_by_default(home):
    path = spool.write_job({"id": "abc123"})
    assert path == str(home / "spool" / "abc123.json")


def test_write_job_refuses_an_id_that_is_not_a_file_name(tmp_path):
    with pytest.raises(ValueError, match="job id"):
        spool.write_job({"id": "../escape"}, str(tmp_path))
    assert os.listdir(str(tmp_path)) == []


def test_read_spooled_reports_broken_files_and_skips_temporary_ones(tmp_path):
    (tmp_path / ".half.json.tmp").write_text("{")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "list.json").write_text("[]")
    found = dict(spool.read_spooled(str(tmp_path)))
    assert set(found) == {str(tmp_path / "broken.json"), str(tmp_path / "list.json")}
    assert found[str(tmp_path / "broken.json")].startswith("cannot read spooled job")
    assert "is not a JSON object" in found[str(tmp_path / "list.json")]


def test_read_spooled_of_a_missing_folder_is_empty(tmp_path):
    assert spool.read_spooled(str(tmp_path / "nowhere")) == []
