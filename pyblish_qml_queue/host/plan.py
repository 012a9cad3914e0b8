"""The steps of a job: every (plugin, instance) pair pyblish would process from extraction on.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import pyblish.api
import pyblish.logic

from pyblish_qml_queue.common import stages
from pyblish_qml_queue.common.locate import plugin_locator


def effective_targets(targets=None):
    """The targets pyblish uses: ``targets``, else "default" plus the registered ones."""
    if targets:
        return list(targets)
    return ["default"] + pyblish.api.registered_targets()


def iter_plugins(plugins, context, targets=None, first=None, last=None):
    """Yield (plugin, its instances or None) as pyblish's Iterator reaches them, without its test.

    The rules are pyblish.logic.Iterator's: plugins filtered by targets, inactive
    plugins left out, instances matched per plugin (evaluated when the plugin is
    reached, so instances made by earlier plugins count); a ContextPlugin comes
    with None. Instances whose ``data["publish"]`` is False are still in the
    list: the caller skips them (pyblish checks each when it reaches it).
    Unlike Iterator, there is no registered test: nothing stops on validation
    errors; the caller decides.

    Args:
        plugins: plugin classes, in the order to process them (as discover() sorts).
        context: the pyblish Context.
        targets: targets, or None for "default" plus the registered ones.
        first: only plugins with ``order >= first`` (None: no lower bound).
        last: only plugins with ``order < last`` (None: no upper bound).
    """
    for plugin in _plugins(plugins, targets, first, last):
        if plugin.__instanceEnabled__:
            yield plugin, pyblish.logic.instances_by_plugin(context, plugin)
        else:
            yield plugin, None


def _plugins(plugins, targets, first, last):
    for plugin in pyblish.logic.plugins_by_targets(plugins, effective_targets(targets)):
        if not plugin.active:
            continue
        if first is not None and plugin.order < first:
            continue
        if last is not None and plugin.order >= last:
            continue
        yield plugin


def _families(instance):
    family = instance.data.get("family")
    families = [family] if family else []
    families += instance.data.get("families", [])
    return families


#: pyblish.logic's matching algorithms, on the instance's families as a frozenset.
_MATCHES = {
    pyblish.api.Intersection: lambda wanted, have: not wanted.isdisjoint(have),
    pyblish.api.Subset: lambda wanted, have: wanted <= have,
    pyblish.api.Exact: lambda wanted, have: wanted == have,
}


def _matcher(context):
    """``matching(plugin)``: the (name, id) of the instances of
    pyblish.logic.instances_by_plugin(context, plugin) whose ``data["publish"]``
    is not False, with every instance read once for all plugins (nothing runs
    while a job is planned)."""
    instances = list(context)
    published = [i for i in instances if i.data.get("publish") is not False]
    names = [(i.name, i.id) for i in published]
    families = [frozenset(_families(i)) for i in published]

    def matching(plugin):
        match = _MATCHES.get(plugin.match)
        if match is None:  # pyblish's own says what is wrong
            found = pyblish.logic.instances_by_plugin(instances, plugin)
            return [(i.name, i.id) for i in found if i.data.get("publish") is not False]
        if "*" in plugin.families:
            return names
        wanted = frozenset(plugin.families)
        return [named for named, have in zip(names, families) if match(wanted, have)]

    return matching


def iter_pairs(plugins, context, targets=None, first=None, last=None):
    """Yield (plugin, instance or None) as pyblish's Iterator would, without its test
    (the rules of :func:`iter_plugins`, one pair at a time; an instance whose
    ``data["publish"]`` is False when it is reached is skipped)."""
    for plugin, instances in iter_plugins(plugins, context, targets, first, last):
        if instances is None:
            yield plugin, None
            continue
        for instance in instances:
            if instance.data.get("publish") is False:
                continue
            yield plugin, instance


def plan_steps(context, plugins, targets=None):
    """Every (plugin, instance) pair pyblish would process from extraction on.

    Returns:
        list of step dicts, as :func:`plan` returns them.
    """
    return plan(context, plugins, targets)[0]


def plan(context, plugins, targets=None):
    """The steps from extraction on, and the plugins that have any.

    The rules of :func:`iter_plugins` (pyblish.logic.Iterator's, without its
    registered test), over plugins with
    ``order >= stages.EXTRACTION_STARTS`` (``ExtractorOrder - 0.5``), in the order of ``plugins``.
    What names a plugin (its locator, label, order) is worked out once per plugin,
    not once per step.

    Returns:
        (steps, plugins): the list of step dicts (plugin (class name), module,
        label, order, instance (name or None), instance_id (id or None)), and
        the plugin classes with at least one step, in order.
    """
    steps = []
    used = []
    append = steps.append
    matching = _matcher(context)
    for plugin in _plugins(plugins, targets, stages.EXTRACTION_STARTS, None):
        instances = matching(plugin) if plugin.__instanceEnabled__ else [(None, None)]
        module, name = plugin_locator(plugin)
        label = plugin.label or name
        order = float(plugin.order)
        before = len(steps)
        for named, instance_id in instances:
            append(
                {
                    "plugin": name,
                    "module": module,
                    "label": label,
                    "order": order,
                    "instance": named,
                    "instance_id": instance_id,
                }
            )
        if len(steps) > before and plugin not in used:
            used.append(plugin)
    return steps, used
