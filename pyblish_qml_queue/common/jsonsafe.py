"""JSON safety: only plain JSON data can travel in a job.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import math

#: Context data that never travels with a job (pyblish's own results list).
CONTEXT_EXCLUDED = ("results",)

#: Nesting deeper than this is refused (the store's JSON and Python's recursion limit).
MAX_DEPTH = 100

_JSON_TYPES = "only JSON types: str, int, float, bool, None, list, dict with str keys"


class NotJsonSafe(ValueError):
    """A value cannot travel in a job: the message names where it is and what to do."""


def check_json_safe(value, where):
    """Raise :class:`NotJsonSafe` unless ``value`` is plain JSON.

    Accepted: str, int, float (finite), bool, None, list, tuple (travels as a
    list), dict with str keys, nested. Rejected, naming the path below
    ``where``: other types, NaN and infinities, non-str keys, cycles.

    Args:
        value: the value to check.
        where: where it is, for people, e.g. "instance 'ben01' data key 'mesh'".
    """
    _check(value, where, "", set(), 0)


def json_data(data, where):
    """A copy of the data dict ``data``, checked key by key with :func:`check_json_safe`.

    Args:
        data: context or instance data.
        where: whose data it is, for people, e.g. "instance 'ben01' data".

    Raises:
        NotJsonSafe: naming the key and the path below it.
    """
    out = {}
    for key, value in data.items():
        _check_key(key, where)
        check_json_safe(value, "%s key %r" % (where, key))
        out[key] = value
    return out


def _check(value, where, path, seen, depth):
    if value is None or isinstance(value, (str, int)):  # bool is an int
        return
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise NotJsonSafe(
                "%s%s holds %r, which JSON cannot carry. Store a finite number or None "
                "in a collector instead." % (where, _at(path), value)
            )
        return
    if not isinstance(value, (list, tuple, dict)):
        raise NotJsonSafe(
            "%s%s holds a %s, which cannot be handed off (%s). "
            "Remove it in a collector or store a path instead."
            % (where, _at(path), type(value).__name__, _JSON_TYPES)
        )
    if depth >= MAX_DEPTH:
        raise NotJsonSafe(
            "%s%s is nested more than %d levels deep, which cannot be handed off. "
            "Store a flatter structure or a path to a file in a collector instead."
            % (where, _at(path[:60] + "..." if len(path) > 60 else path), MAX_DEPTH)
        )
    if id(value) in seen:
        raise NotJsonSafe(
            "%s%s contains itself (a cycle), which cannot be handed off. "
            "Store a copy without the loop in a collector instead." % (where, _at(path))
        )
    seen.add(id(value))
    try:
        if isinstance(value, dict):
            for key, item in value.items():
                _check_key(key, where + _at(path))
                _check(item, where, "%s[%r]" % (path, key), seen, depth + 1)
        else:
            for n, item in enumerate(value):
                _check(item, where, "%s[%d]" % (path, n), seen, depth + 1)
    finally:
        seen.discard(id(value))


def _check_key(key, where):
    if not isinstance(key, str):
        raise NotJsonSafe(
            "%s has the key %r (a %s); only str keys can be handed off. "
            "Use str keys in a collector instead." % (where, key, type(key).__name__)
        )


def _at(path):
    return " at %s" % path if path else ""
