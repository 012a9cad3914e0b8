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

    The snapshot after a step is the one before the next, as nothing else
    touches the data between steps, so each step costs one snapshot.
    """

    def __init__(self, context, instances):
        self._context = context
        self._instances = instances
        self._last = None

    def take(self):
        """The data as it is now: (context data, {instance id: data})."""
        if self._last is None:
            self._last = (
                _Data(self._context.data, exclude=CONTEXT_EXCLUDED),
                dict((i, _Data(instance.data)) for i, instance in self._instances.items()),
            )
        return self._last

    def changes(self, before, warnings):
        """What changed since ``before`` (a :meth:`take`), as a step's ``changes``.

        Args:
            before: the snapshot taken before the step.
            warnings: a list; one message is appended per value left out.
        """
        self._last = None
        context_before, instances_before = before
        context_after, instances_after = self.take()
        changes = {
            "context": _changed(context_before, context_after, "context data", warnings),
            "instances": {},
        }
        for instance_id, after in instances_after.items():
            where = "instance %r data" % self._instances[instance_id].name
            change = _changed(instances_before[instance_id], after, where, warnings)
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
