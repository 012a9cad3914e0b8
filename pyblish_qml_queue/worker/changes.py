"""What a step did to the job's data: JSON snapshots before and after, and their diff.

A change is ``{"set": {key: value}, "removed": [key]}`` per data dict; a value
JSON cannot carry is left out, and a warning says so (a resumed job would not
have it).

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import json

from pyblish_qml_queue.common.jsonsafe import CONTEXT_EXCLUDED, NotJsonSafe, check_json_safe


class Snapshots(object):
    """Snapshots of the context's and instances' data around the steps of one run.

    A step snapshots only the data it may change: the context's and, for an
    instance step, its instance's; a context step (which may touch any
    instance) every instance's. The snapshot after a step is kept as the one
    before the next step that looks at the same data, as nothing else touches
    the data between steps, so a step costs one encoding of its instance and
    the context however many instances the job has.

    Every instance is snapshotted once, before the first step; so when an
    instance step changes *another* instance's data (outside pyblish's
    contract), the change is recorded with the next step that looks at that
    instance (its own next step, or the next context step), never lost.
    """

    def __init__(self, context, instances):
        self._context = context
        self._instances = instances
        self._context_data = None
        self._data = {}  # instance id -> _Data as after the last step that looked at it

    def take(self, instance_id=None):
        """The data a step on ``instance_id`` (None: a context step) may change, as
        it is now: (instance id, context data, {instance id: data})."""
        if self._context_data is None:
            self._context_data = _Data(self._context.data, exclude=CONTEXT_EXCLUDED)
            for i, instance in self._instances.items():
                self._data[i] = _Data(instance.data)
        ids = list(self._instances) if instance_id is None else [instance_id]
        return instance_id, self._context_data, dict((i, self._data[i]) for i in ids)

    def changes(self, before, warnings):
        """What changed since ``before`` (a :meth:`take`), as a step's ``changes``.

        Args:
            before: the snapshot taken before the step.
            warnings: a list; one message is appended per value left out.
        """
        _, context_before, instances_before = before
        context_after = _Data(self._context.data, exclude=CONTEXT_EXCLUDED)
        self._context_data = context_after
        changes = {
            "context": _changed(context_before, context_after, "context data", warnings),
            "instances": {},
        }
        for instance_id, data_before in instances_before.items():
            instance = self._instances[instance_id]
            after = self._data[instance_id] = _Data(instance.data)
            where = "instance %r data" % instance.name
            change = _changed(data_before, after, where, warnings)
            if change["set"] or change["removed"]:
                changes["instances"][instance_id] = change
        return changes


class _Unsafe(object):
    """A value JSON cannot carry, remembered by identity and type name."""

    def __init__(self, value):
        self.value = value
        self.kind = type(value).__name__

    def __eq__(self, other):
        return isinstance(other, _Unsafe) and other.value is self.value


class _Data(object):
    """A snapshot of one data dict, cheap when nothing changes.

    The whole dict is encoded at once (json's C encoder); per-key texts are
    made only when two snapshots differ, or eagerly when the dict holds
    something JSON cannot carry.
    """

    def __init__(self, data, exclude=()):
        items = dict((k, v) for k, v in list(data.items()) if k not in exclude)
        try:
            self.whole = json.dumps(items, sort_keys=True, allow_nan=False)
            self._keys = None
        except (TypeError, ValueError):
            self.whole = None
            self._keys = _encode(items)

    def same(self, other):
        return self.whole is not None and self.whole == other.whole

    def keys(self):
        """``{key: JSON text or _Unsafe}``."""
        if self._keys is None:
            self._keys = dict(
                (k, json.dumps(v, sort_keys=True, allow_nan=False))
                for k, v in json.loads(self.whole).items()
            )
        return self._keys


def _encode(items):
    out = {}
    for key, value in items.items():
        try:
            check_json_safe(value, "")
            out[key] = json.dumps(value, sort_keys=True, allow_nan=False)
        except (NotJsonSafe, TypeError, ValueError):
            out[key] = _Unsafe(value)
    return out


def _changed(before, after, where, warnings):
    if before.same(after):
        return {"set": {}, "removed": []}
    before, after = before.keys(), after.keys()
    changed = {}
    for key, value in after.items():
        if before.get(key) == value:
            continue
        if isinstance(value, _Unsafe) or not isinstance(key, str):
            warnings.append(
                "%s key %r now holds a %s, which cannot be kept for a resumed job; "
                "it is left out of this step's changes. Store JSON data or a path instead."
                % (where, key, getattr(value, "kind", "non-str key"))
            )
            continue
        changed[key] = json.loads(value)
    removed = [key for key in before if key not in after and isinstance(key, str)]
    return {"set": changed, "removed": removed}
