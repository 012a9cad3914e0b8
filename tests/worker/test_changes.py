"""The worker's step snapshots: what a step's ``changes`` record, and what it encodes."""

import pyblish.api

from pyblish_qml_queue.worker import changes as changes_module
from pyblish_qml_queue.worker.changes import Snapshots


def _context(n):
    context = pyblish.api.Context()
    instances = {}
    for i in range(n):
        instance = context.create_instance(f"item{i:02d}")
        instance.data["frames"] = [1001, 1010]
        instances[f"id{i:02d}"] = instance
    return context, instances


def _encoded(monkeypatch):
    """The data dicts encoded from now on, by identity."""
    seen = []
    original = changes_module._Data.__init__

    def counting(self, data, exclude=()):
        seen.append(id(data))
        original(self, data, exclude)

    monkeypatch.setattr(changes_module._Data, "__init__", counting)
    return seen


def test_an_instance_step_encodes_only_its_instance_and_the_context(monkeypatch):
    context, instances = _context(50)
    snapshots = Snapshots(context, instances)
    snapshots.take("id00")  # the first take snapshots everything once
    seen = _encoded(monkeypatch)
    for step, instance_id in enumerate(["id03", "id04", "id03"]):
        before = snapshots.take(instance_id)
        instances[instance_id].data[f"step{step}"] = True
        context.data["last"] = step
        changes = snapshots.changes(before, [])
        assert changes["instances"] == {instance_id: {"set": {f"step{step}": True}, "removed": []}}
        assert changes["context"] == {"set": {"last": step}, "removed": []}
    assert sorted(set(seen)) == sorted(
        {id(context.data), id(instances["id03"].data), id(instances["id04"].data)}
    )
    assert len(seen) == 6  # after each step: the context and the step's instance


def test_a_context_step_records_every_instance_it_changed():
    context, instances = _context(3)
    snapshots = Snapshots(context, instances)
    before = snapshots.take(None)
    instances["id00"].data["publish"] = False
    del instances["id02"].data["frames"]
    changes = snapshots.changes(before, [])
    assert changes["instances"] == {
        "id00": {"set": {"publish": False}, "removed": []},
        "id02": {"set": {}, "removed": ["frames"]},
    }


def test_another_instances_change_is_recorded_with_its_next_step_not_lost():
    context, instances = _context(2)
    snapshots = Snapshots(context, instances)
    before = snapshots.take("id00")
    instances["id01"].data["touched"] = "by id00's step"
    assert snapshots.changes(before, [])["instances"] == {}
    before = snapshots.take("id01")
    assert snapshots.changes(before, [])["instances"] == {
        "id01": {"set": {"touched": "by id00's step"}, "removed": []}
    }
